// Package localcluster starts a small but real Kubernetes control plane on
// 127.0.0.1 for end-to-end tests and demos: etcd, kube-apiserver,
// kube-controller-manager (only the controllers a StatefulSet-based operator
// needs), kube-scheduler and kwok as a fake kubelet for N fake nodes.
//
// envtest runs no controllers, so a StatefulSet there never gets pods or
// ControllerRevisions. This cluster does, in about the time envtest takes to
// start, without containers, images or root: pods are "run" by kwok, which
// only writes their status.
//
// Every process runs in its own process group and is stopped by its PID; all
// state (certificates, etcd data, logs, the audit log) lives in one temporary
// folder that Stop removes unless the run failed. The binaries come from the
// project's bin/ folder (`hack/tools.sh etcd kube kwok`); nothing is
// downloaded.
package localcluster
