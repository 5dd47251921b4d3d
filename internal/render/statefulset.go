package render

import (
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

// statefulSet is one role's servers. Its pod template depends on the spec
// and the config hash only, never on the number of servers: scaling changes
// spec.replicas and nothing else.
func statefulSet(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role, configHash string) *appsv1.StatefulSet {
	replicas := Replicas(c, r)
	template := podTemplate(c, r, configHash)
	meta := objectMeta(c, StatefulSetName(c, r), RoleLabels(c, r))
	meta.Annotations = map[string]string{AnnotationTemplateKeys: TemplateKeys(template)}
	revisionHistory := int32(10)
	return &appsv1.StatefulSet{
		ObjectMeta: meta,
		Spec: appsv1.StatefulSetSpec{
			Replicas:    &replicas,
			Selector:    &metav1.LabelSelector{MatchLabels: RoleSelector(c, r)},
			ServiceName: HeadlessServiceName(c, r),
			Template:    template,
			// Parallel: server 0 cannot form a cluster alone, so the
			// others must start without waiting for it to be ready.
			PodManagementPolicy: appsv1.ParallelPodManagement,
			// OnDelete: the operator restarts pods itself, one at a time,
			// through the Eviction API, in the order and at the pace
			// Neo4j's health allows (internal/rollout). The StatefulSet
			// controller only recreates an evicted pod, at the update
			// revision.
			UpdateStrategy:       appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType},
			RevisionHistoryLimit: &revisionHistory,
			VolumeClaimTemplates: volumeClaimTemplates(c, r),
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: appsv1.PersistentVolumeClaimRetentionPolicyType(c.Spec.Storage.RetentionPolicy.WhenDeleted),
				WhenScaled:  appsv1.PersistentVolumeClaimRetentionPolicyType(c.Spec.Storage.RetentionPolicy.WhenScaled),
			},
		},
	}
}

// TemplateKeys lists what the operator renders in a pod template, sorted
// and comma-separated: label and annotation keys ("l:<key>", "a:<key>"),
// volumes, init containers and containers ("v:", "i:", "c:<name>"), and
// each container's environment variables and resource names
// ("e:<container>/<name>", "r:<container>/requests|limits/<name>"). The
// write path removes an item only if it is listed here: other writers'
// additions stay. The restartedAt keys
// are left out: they stay on the template once set (see apply).
func TemplateKeys(t corev1.PodTemplateSpec) string {
	var keys []string
	for k := range t.Labels {
		keys = append(keys, "l:"+k)
	}
	for k := range t.Annotations {
		if k != v1alpha1.AnnotationRestartedAt {
			keys = append(keys, "a:"+k)
		}
	}
	for _, v := range t.Spec.Volumes {
		keys = append(keys, "v:"+v.Name)
	}
	containerKeys := func(c corev1.Container) {
		for _, e := range c.Env {
			keys = append(keys, "e:"+c.Name+"/"+e.Name)
		}
		for k := range c.Resources.Requests {
			keys = append(keys, "r:"+c.Name+"/requests/"+string(k))
		}
		for k := range c.Resources.Limits {
			keys = append(keys, "r:"+c.Name+"/limits/"+string(k))
		}
	}
	for _, c := range t.Spec.InitContainers {
		keys = append(keys, "i:"+c.Name)
		containerKeys(c)
	}
	for _, c := range t.Spec.Containers {
		keys = append(keys, "c:"+c.Name)
		containerKeys(c)
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

type volume struct {
	name, path string
	spec       *v1alpha1.VolumeSpec
}

func volumes(c *v1alpha1.Neo4jEnterpriseCluster) []volume {
	v := []volume{{"data", "/data", &c.Spec.Storage.Data}}
	if c.Spec.Storage.Logs != nil {
		v = append(v, volume{"logs", "/logs", c.Spec.Storage.Logs})
	}
	if c.Spec.Storage.Backups != nil {
		v = append(v, volume{"backups", "/backups", c.Spec.Storage.Backups})
	}
	if c.Spec.Storage.Import != nil {
		// The image makes /import server.directories.import.
		v = append(v, volume{"import", "/import", c.Spec.Storage.Import})
	}
	return v
}

func volumeClaimTemplates(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role) []corev1.PersistentVolumeClaim {
	var out []corev1.PersistentVolumeClaim
	for _, v := range volumes(c) {
		mode := corev1.PersistentVolumeFilesystem
		out = append(out, corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: v.name, Labels: RoleLabels(c, r)},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				StorageClassName: v.spec.StorageClassName,
				VolumeMode:       &mode,
				Resources: corev1.VolumeResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceStorage: *v.spec.Size},
				},
			},
		})
	}
	return out
}

func podTemplate(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role, configHash string) corev1.PodTemplateSpec {
	annotations := merge(c.Spec.PodAnnotations, map[string]string{AnnotationConfigHash: configHash})
	if at := c.Annotations[v1alpha1.AnnotationRestartedAt]; at != "" {
		annotations[v1alpha1.AnnotationRestartedAt] = at
	}
	automount := true
	enableServiceLinks := false // service env vars named NEO4J_* would be read as settings
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{
			Labels:      merge(c.Spec.PodLabels, RoleLabels(c, r)),
			Annotations: annotations,
		},
		Spec: corev1.PodSpec{
			ServiceAccountName:            ServiceAccountName(c),
			DeprecatedServiceAccount:      ServiceAccountName(c),
			AutomountServiceAccountToken:  &automount,
			EnableServiceLinks:            &enableServiceLinks,
			InitContainers:                append(pluginInitContainers(c), defaultedContainers(c.Spec.InitContainers)...),
			Containers:                    append([]corev1.Container{container(c, r)}, defaultedContainers(c.Spec.Sidecars)...),
			Volumes:                       podVolumes(c, r, configHash),
			SecurityContext:               podSecurityContext(c),
			TerminationGracePeriodSeconds: c.Spec.TerminationGracePeriodSeconds,
			RestartPolicy:                 corev1.RestartPolicyAlways,
			DNSPolicy:                     corev1.DNSClusterFirst,
			SchedulerName:                 corev1.DefaultSchedulerName,
			ImagePullSecrets:              append([]corev1.LocalObjectReference(nil), c.Spec.Image.PullSecrets...),
			NodeSelector:                  copyMap(c.Spec.Scheduling.NodeSelector),
			Tolerations:                   c.Spec.Scheduling.Tolerations,
			Affinity:                      affinity(c),
			TopologySpreadConstraints:     c.Spec.Scheduling.TopologySpreadConstraints,
			PriorityClassName:             c.Spec.Scheduling.PriorityClassName,
		},
	}
}

func copyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return merge(m)
}

// affinity defaults to a soft anti-affinity: servers of the cluster prefer
// distinct nodes, but a small cluster still schedules on one node.
func affinity(c *v1alpha1.Neo4jEnterpriseCluster) *corev1.Affinity {
	if c.Spec.Scheduling.Affinity != nil {
		return c.Spec.Scheduling.Affinity
	}
	return &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
			Weight: 100,
			PodAffinityTerm: corev1.PodAffinityTerm{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelCluster: c.Name}},
				TopologyKey:   corev1.LabelHostname,
			},
		}},
	}}
}

func podSecurityContext(c *v1alpha1.Neo4jEnterpriseCluster) *corev1.PodSecurityContext {
	if c.Spec.PodSecurityContext != nil {
		return c.Spec.PodSecurityContext
	}
	id := int64(7474)
	nonRoot := true
	onRootMismatch := corev1.FSGroupChangeOnRootMismatch
	return &corev1.PodSecurityContext{
		RunAsUser:           &id,
		RunAsGroup:          &id,
		FSGroup:             &id,
		RunAsNonRoot:        &nonRoot,
		FSGroupChangePolicy: &onRootMismatch,
		SeccompProfile:      &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func containerSecurityContext(c *v1alpha1.Neo4jEnterpriseCluster) *corev1.SecurityContext {
	if c.Spec.ContainerSecurityContext != nil {
		return c.Spec.ContainerSecurityContext
	}
	no := false
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: &no,
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// The files of /conf. The image replaces its whole conf folder with them,
// so the log configuration comes too.
const (
	FileNeo4jConf  = "neo4j.conf"
	FileAPOCConf   = "apoc.conf"
	FileServerLogs = "server-logs.xml"
	FileUserLogs   = "user-logs.xml"
	// AuthDir holds the credentials file NEO4J_AUTH_PATH names, so the
	// password is never in the container's environment.
	AuthDir  = "/auth"
	AuthFile = "NEO4J_AUTH"
)

func podVolumes(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role, configHash string) []corev1.Volume {
	// The password file is readable by all users of the container: with a
	// pod security context that sets no fsGroup, 0440 would leave it
	// root's, and the image would read an empty password without failing.
	confMode, authMode := int32(0o644), int32(0o444)
	items := []corev1.KeyToPath{{Key: FileNeo4jConf, Path: FileNeo4jConf}}
	if len(c.Spec.APOCConfig) > 0 {
		items = append(items, corev1.KeyToPath{Key: FileAPOCConf, Path: FileAPOCConf})
	}
	logs := c.Spec.Logging
	if logs.ServerLogsConfigMap == nil {
		items = append(items, corev1.KeyToPath{Key: FileServerLogs, Path: FileServerLogs})
	}
	if logs.UserLogsConfigMap == nil {
		items = append(items, corev1.KeyToPath{Key: FileUserLogs, Path: FileUserLogs})
	}
	out := []corev1.Volume{{Name: "conf", VolumeSource: confVolume(c, ConfigMapName(c, r, configHash), items, confMode)}, {
		Name: "auth",
		VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName:  c.AuthSecretName(),
			Items:       []corev1.KeyToPath{{Key: c.Spec.Auth.SecretKey, Path: AuthFile}},
			DefaultMode: &authMode,
		}},
	}}
	out = append(out, tlsVolumes(c)...)
	out = append(out, pluginVolumes(c)...)
	out = append(out, ldapVolumes(c)...)
	return append(out, defaultedVolumes(c.Spec.AdditionalVolumes)...)
}

// confVolume is the operator's ConfigMap, or, when a log configuration
// comes from the user's ConfigMap, a projection of both into one folder.
func confVolume(c *v1alpha1.Neo4jEnterpriseCluster, name string, items []corev1.KeyToPath, mode int32) corev1.VolumeSource {
	logs := c.Spec.Logging
	if logs.ServerLogsConfigMap == nil && logs.UserLogsConfigMap == nil {
		return corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: name}, Items: items, DefaultMode: &mode}}
	}
	sources := []corev1.VolumeProjection{{ConfigMap: &corev1.ConfigMapProjection{
		LocalObjectReference: corev1.LocalObjectReference{Name: name}, Items: items}}}
	for _, user := range []struct {
		file string
		ref  *v1alpha1.ConfigMapKeyRef
	}{{FileServerLogs, logs.ServerLogsConfigMap}, {FileUserLogs, logs.UserLogsConfigMap}} {
		if user.ref != nil {
			sources = append(sources, corev1.VolumeProjection{ConfigMap: &corev1.ConfigMapProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: user.ref.Name}, Items: []corev1.KeyToPath{{Key: user.ref.Key, Path: user.file}}}})
		}
	}
	return corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: sources, DefaultMode: &mode}}
}

func container(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role) corev1.Container {
	mounts := []corev1.VolumeMount{{Name: "conf", MountPath: "/conf", ReadOnly: true}, {Name: "auth", MountPath: AuthDir, ReadOnly: true}}
	for _, v := range volumes(c) {
		mounts = append(mounts, corev1.VolumeMount{Name: v.name, MountPath: v.path, SubPath: v.spec.SubPath})
	}
	if c.Spec.Storage.Logs == nil {
		// Logs live in a folder of the data volume, as with the Helm chart.
		mounts = append(mounts, corev1.VolumeMount{Name: "data", MountPath: neo4jconf.LogsVolumeDir, SubPath: "logs"})
	}
	mounts = append(mounts, tlsMounts(c)...)
	mounts = append(mounts, pluginMounts(c)...)
	mounts = append(mounts, ldapMounts(c)...)
	mounts = append(mounts, c.Spec.AdditionalVolumeMounts...)
	return corev1.Container{
		Name:                     "neo4j",
		Image:                    Image(c),
		ImagePullPolicy:          c.Spec.Image.PullPolicy,
		Ports:                    containerPorts(c),
		Env:                      env(c),
		Resources:                neo4jconf.Resources(c, r),
		VolumeMounts:             mounts,
		StartupProbe:             tcpProbe(1000, 5, 10),
		ReadinessProbe:           tcpProbe(20, 5, 10),
		LivenessProbe:            tcpProbe(40, 5, 10),
		SecurityContext:          containerSecurityContext(c),
		TerminationMessagePath:   corev1.TerminationMessagePathDefault,
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
	}
}

func containerPorts(c *v1alpha1.Neo4jEnterpriseCluster) []corev1.ContainerPort {
	var out []corev1.ContainerPort
	ports := serverPorts(c)
	if p, ok := backupPort(c); ok {
		ports = append(ports, p)
	}
	for _, p := range ports {
		out = append(out, corev1.ContainerPort{Name: p.Name, ContainerPort: p.Port, Protocol: corev1.ProtocolTCP})
	}
	return append(out, corev1.ContainerPort{Name: "metrics", ContainerPort: neo4jconf.PortMetrics, Protocol: corev1.ProtocolTCP})
}

// tcpProbe checks bolt, as the Helm chart does; the thresholds are as
// generous as the chart's, because a large store can take long to recover.
func tcpProbe(failureThreshold, period, timeout int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{
			Port: intstr.FromString("bolt"),
		}},
		InitialDelaySeconds: 0,
		TimeoutSeconds:      timeout,
		PeriodSeconds:       period,
		SuccessThreshold:    1,
		FailureThreshold:    failureThreshold,
	}
}

// env is the operator's variables first, so user variables may refer to
// them, then the user's in the user's order (a list is already
// deterministic, and $(VAR) references depend on order).
//
// Every advertised address is set here, per pod, to the DNS name of the
// pod's own internals Service: the image appends $(hostname):<port> for
// any cluster, raft or routing address neo4j.conf leaves out, and a bare
// pod hostname does not resolve from the other pods. The logs folder is
// set here too: the image sets server.directories.logs=/logs whenever the
// environment does not, whatever neo4j.conf says.
func env(c *v1alpha1.Neo4jEnterpriseCluster) []corev1.EnvVar {
	fieldRef := func(path string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path}}
	}
	v, _ := neo4jconf.ParseTag(c.Spec.Image.Tag) // validated by the caller
	out := []corev1.EnvVar{
		{Name: "POD_NAME", ValueFrom: fieldRef("metadata.name")},
		{Name: "POD_NAMESPACE", ValueFrom: fieldRef("metadata.namespace")},
		{Name: "SERVER_FQDN", Value: "$(POD_NAME)-internals.$(POD_NAMESPACE).svc." + c.Spec.ClusterDomain},
		{Name: "NEO4J_EDITION", Value: "enterprise"},
		{Name: "NEO4J_ACCEPT_LICENSE_AGREEMENT", Value: c.Spec.AcceptLicenseAgreement},
		{Name: "NEO4J_AUTH_PATH", Value: AuthDir + "/" + AuthFile},
	}
	for _, a := range neo4jconf.AdvertisedAddresses(v, "$(SERVER_FQDN)") {
		if a[0] == "server.http.advertised_address" && !neo4jconf.HTTPEnabled(c) {
			continue // HTTPS replaced HTTP: nothing to advertise
		}
		out = append(out, corev1.EnvVar{Name: v1alpha1.EnvName(a[0]), Value: a[1]})
	}
	out = append(out, corev1.EnvVar{Name: v1alpha1.EnvName("server.directories.logs"), Value: neo4jconf.LogsVolumeDir})
	if list := neo4jconf.InstalledPlugins(c); list != "" {
		out = append(out, corev1.EnvVar{Name: "NEO4J_PLUGINS", Value: list})
	}
	out = append(out, ldapEnv(c)...)
	return append(out, defaultedEnv(c.Spec.Env)...)
}

// defaultedEnv sets what the API server would default in user-supplied
// variables, so the live template equals the rendered one and no reconcile
// sees a difference that is not there.
func defaultedEnv(in []corev1.EnvVar) []corev1.EnvVar {
	out := make([]corev1.EnvVar, len(in))
	for i, e := range in {
		e = *e.DeepCopy()
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.APIVersion == "" {
			e.ValueFrom.FieldRef.APIVersion = "v1"
		}
		out[i] = e
	}
	return out
}

// PodSecurityContext is the servers' pod security context; other pods
// running the Neo4j image (backup Jobs) use it too.
func PodSecurityContext(c *v1alpha1.Neo4jEnterpriseCluster) *corev1.PodSecurityContext {
	return podSecurityContext(c)
}

// ContainerSecurityContext is the servers' container security context.
func ContainerSecurityContext(c *v1alpha1.Neo4jEnterpriseCluster) *corev1.SecurityContext {
	return containerSecurityContext(c)
}
