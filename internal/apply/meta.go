package apply

// RestartedAtAnnotation is what `kubectl rollout restart` writes into a pod
// template. The operator keeps it, or every restart would be undone by the
// next reconcile and roll the pods a second time.
const RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

// mergeStrings returns live with every desired key set to its desired value.
// Keys only live has (another writer's) are kept. It returns nil rather
// than an empty map, so an object with no labels compares equal to itself.
func mergeStrings(live, desired map[string]string) map[string]string {
	if len(live) == 0 && len(desired) == 0 {
		return live
	}
	out := make(map[string]string, len(live)+len(desired))
	for k, v := range live {
		out[k] = v
	}
	for k, v := range desired {
		out[k] = v
	}
	return out
}

// keep copies the named keys from live into desired (a fresh map if
// needed) where desired does not set them: a value desired wins, so a new
// restart stamp rolls again.
func keep(desired, live map[string]string, keys ...string) map[string]string {
	for _, k := range keys {
		v, ok := live[k]
		if _, set := desired[k]; !ok || set {
			continue
		}
		if desired == nil {
			desired = map[string]string{}
		}
		desired[k] = v
	}
	return desired
}
