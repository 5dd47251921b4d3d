package localcluster

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The command lines of the components, one function each, with the reason
// for every flag that is not a plain address or path.

func etcdArgs(dir, clientURL, peerURL string) []string {
	return []string{
		"--name=localcluster",
		"--data-dir=" + filepath.Join(dir, "etcd"),
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + clientURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=localcluster=" + peerURL,
		// Durability is worthless for a throw-away cluster; fsync is most of
		// etcd's write latency on slow disks.
		"--unsafe-no-fsync",
		"--quota-backend-bytes=2147483648",
		"--log-level=warn",
	}
}

func apiserverArgs(dir, etcdURL string, port int) []string {
	pki := func(f string) string { return filepath.Join(dir, "pki", f) }
	return []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		// With a loopback advertise address the default endpoint
		// reconciler makes the apiserver exit.
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + filepath.Join(dir, "pki"),
		"--tls-cert-file=" + pki("apiserver.crt"),
		"--tls-private-key-file=" + pki("apiserver.key"),
		"--client-ca-file=" + pki("ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + pki("sa.pub"),
		"--service-account-signing-key-file=" + pki("sa.key"),
		"--service-cluster-ip-range=10.0.0.0/16",
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		"--audit-policy-file=" + filepath.Join(dir, "audit-policy.yaml"),
		"--audit-log-path=" + filepath.Join(dir, "audit.log"),
		"--audit-log-format=json",
		// Blocking mode writes each event before the request handler
		// returns, so the log is complete when a test reads it moments
		// later.
		"--audit-log-mode=blocking",
	}
}

// controllers are the kube-controller-manager controllers the cluster runs,
// by the names v1.37 accepts. Each is here for a reason:
//   - statefulset: pods and ControllerRevisions for StatefulSets, the point
//     of the cluster;
//   - disruption: PodDisruptionBudget status, without which the Eviction
//     API refuses every eviction the budget covers (the operator rolls
//     pods through it);
//   - garbage-collector: owner-reference cascading deletes;
//   - serviceaccount: the default ServiceAccount, without which pods are not
//     admitted;
//   - namespace: deleting a namespace deletes its contents;
//   - node-lifecycle: removes the not-ready taint every new node gets;
//   - persistentvolume-binder: binds claims to the pre-created volumes;
//   - job: pods for backup Jobs, and their Complete or Failed outcome;
//   - persistentvolumeclaim-protection and persistentvolume-protection: the
//     apiserver puts protection finalizers on every claim and volume, and
//     without these controllers a deleted claim would never go away.
var controllers = []string{
	"statefulset-controller",
	"disruption-controller",
	"garbage-collector-controller",
	"serviceaccount-controller",
	"namespace-controller",
	"node-lifecycle-controller",
	"persistentvolume-binder-controller",
	"job-controller",
	"persistentvolumeclaim-protection-controller",
	"persistentvolume-protection-controller",
}

// olmControllers are added with Options.OLM: pods for the Deployments OLM
// creates, and their Available condition, which OLM waits for before a
// CSV Succeeds.
var olmControllers = []string{"deployment-controller", "replicaset-controller"}

func controllerManagerArgs(dir, kubeconfig string, olm bool) []string {
	run := controllers
	if olm {
		run = append(slices.Clone(controllers), olmControllers...)
	}
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--controllers=" + strings.Join(run, ","),
		"--leader-elect=false",
		"--secure-port=0",
		"--root-ca-file=" + filepath.Join(dir, "pki", "ca.crt"),
		"--service-account-private-key-file=" + filepath.Join(dir, "pki", "sa.key"),
		// All controllers act as the controller manager's own user, so the
		// audit log attributes their writes to ControllerManagerUser.
		"--use-service-account-credentials=false",
	}
}

func schedulerArgs(kubeconfig string) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
	}
}

func kwokArgs(kubeconfig, stages string) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--config=" + stages,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--cidr=10.244.0.0/16",
		"--node-ip=127.0.0.1",
		"--node-lease-duration-seconds=40",
	}
}
