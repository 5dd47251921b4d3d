package operator_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/doctor"
	"github.com/graphops-dev/neo4j-operator/test/support/operatorproc"
)

// kubectl neo4j doctor reads the operator's write counters through the
// API server's service proxy. The operator runs out of process, so its
// metrics Service has a hand-made EndpointSlice at this machine's own
// address (the API server refuses to proxy to loopback). One operator serves plain
// HTTP; another authenticates its callers (--metrics-secure, the default
// when deployed), which the proxy, passing no credentials, cannot satisfy.
var _ = Describe("The doctor's operator counters", Ordered, func() {
	const ns = "opmetrics"
	var host string
	var cs kubernetes.Interface

	// serve runs an operator confined to namespace watch with its metrics
	// on host:port, and a metrics Service in ns that points at them.
	serve := func(watch, service string, secure bool) int {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		Expect(err).NotTo(HaveOccurred())
		port := l.Addr().(*net.TCPAddr).Port
		Expect(l.Close()).To(Succeed())
		args := []string{"--zap-log-level=info", "--watch-namespaces=" + watch, "--leader-election-id=neo4j-operator-" + watch,
			"--neo4j-observe=false", "--metrics-bind-address=" + net.JoinHostPort(host, strconv.Itoa(port))}
		if secure {
			args = append(args, "--metrics-secure=true")
		}
		o := &operatorproc.Operator{Binary: op.Binary, Kubeconfig: op.Kubeconfig,
			LogPath: filepath.Join(cluster.Dir, "logs", "operator-"+watch+".log"), Args: args}
		Expect(o.Start(ctx)).To(Succeed())
		DeferCleanup(o.Stop)
		name := "http"
		if secure {
			name = "https"
		}
		labels := map[string]string{"app.kubernetes.io/name": "neo4j-operator", "control-plane": "controller-manager"}
		Expect(admin.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: service, Labels: labels},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: name, Port: int32(port), TargetPort: intstr.FromInt32(int32(port))}}}})).To(Succeed())
		// The API server proxies only to an endpoint whose targetRef is a
		// Pod with that IP (its log says "endpoint has no target ref,
		// skipping" otherwise): a Pod stands for the operator's, bound to a
		// node no kubelet serves, with the machine's address as its IP.
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: service},
			Spec: corev1.PodSpec{NodeName: "outside-the-cluster", Containers: []corev1.Container{{Name: "manager", Image: "neo4j-operator"}}}}
		Expect(admin.Create(ctx, pod)).To(Succeed())
		pod.Status.PodIP, pod.Status.PodIPs = host, []corev1.PodIP{{IP: host}}
		Expect(admin.Status().Update(ctx, pod)).To(Succeed())
		p32, ready := int32(port), true
		Expect(admin.Create(ctx, &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: service, Labels: map[string]string{discoveryv1.LabelServiceName: service}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints: []discoveryv1.Endpoint{{Addresses: []string{host}, Conditions: discoveryv1.EndpointConditions{Ready: &ready},
				TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: service}}},
			Ports: []discoveryv1.EndpointPort{{Name: &name, Port: &p32}},
		})).To(Succeed())
		return port
	}
	read := func(service string) doctor.OperatorMetrics {
		for _, m := range doctor.ReadOperatorMetrics(ctx, admin, cs) {
			if m.Service == service {
				return m
			}
		}
		Fail("no counters for " + service)
		return doctor.OperatorMetrics{}
	}

	BeforeAll(func() {
		host = machineAddress()
		var err error
		cs, err = kubernetes.NewForConfig(cluster.Config)
		Expect(err).NotTo(HaveOccurred())
		createNamespace(ns)
		Expect(operatorproc.GrantNamespace(ctx, admin, ns)).To(Succeed())
	})

	It("reads the counters of an operator serving plain HTTP: the same numbers as its endpoint, by cluster", func() {
		port := serve(ns, "neo4j-operator-metrics", false)
		c := &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "graph"}}
		c.Spec.AcceptLicenseAgreement = "eval"
		c.Spec.Topology = v1alpha1.Topology{Primaries: 1}
		Expect(admin.Create(ctx, c)).To(Succeed())
		waitReady(c)

		service := fmt.Sprintf("%s/neo4j-operator-metrics:%d", ns, port)
		var m doctor.OperatorMetrics
		Eventually(func(g Gomega) {
			m = read(service)
			g.Expect(m.Error).To(BeEmpty())
			resp, err := http.Get(fmt.Sprintf("http://%s/metrics", net.JoinHostPort(host, strconv.Itoa(port))))
			g.Expect(err).NotTo(HaveOccurred())
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			direct, err := doctor.ParseOperatorMetrics(service, body)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(m.Writes).To(Equal(direct.Writes)) // equal once the cluster is calm
			g.Expect(m.ClusterWrites).To(Equal(direct.ClusterWrites))
		}, readyTimeout, poll).Should(Succeed())
		Expect(m.Writes).To(BeNumerically(">", 0))
		Expect(m.Conflicts).To(BeZero())
		Expect(m.ClusterWrites).To(HaveKeyWithValue(ns+"/graph", BeNumerically(">", 0)))
		Expect(m.Started).NotTo(BeZero())

		// As kubectl neo4j doctor -n opmetrics runs it.
		in, err := doctor.Gather(ctx, admin, ns, time.Minute, time.Now())
		Expect(err).NotTo(HaveOccurred())
		in.Operators = doctor.ReadOperatorMetrics(ctx, admin, cs)
		r := doctor.Examine(in)
		doctorReports = append(doctorReports, "$ kubectl neo4j doctor -n "+ns+" --since 1m\n"+doctor.Print(r))
		Expect(r.Churning).To(BeFalse(), doctor.Print(r))
		Expect(doctor.Print(r)).To(ContainSubstring(fmt.Sprintf("      cluster %s/graph: %.0f writes\n", ns, m.ClusterWrites[ns+"/graph"])))
	})

	It("says why it cannot read an operator that authenticates its callers", func() {
		createNamespace(ns + "-secure")
		port := serve(ns+"-secure", "neo4j-operator-metrics-secure", true)
		var m doctor.OperatorMetrics
		// Eventually: the API server's endpoint cache and the metrics
		// server's start ("no endpoints", "connection refused") come first.
		Eventually(func() string {
			m = read(fmt.Sprintf("%s/neo4j-operator-metrics-secure:%d", ns, port))
			return m.Error
		}, readyTimeout, poll).Should(ContainSubstring("the API server's proxy passes no credentials"))
		GinkgoWriter.Println(m.Error)
		Expect(m.Writes).To(BeZero())
	})
})

// machineAddress is this machine's first non-loopback IPv4 address: the
// API server proxies to it, as it would to a pod's.
func machineAddress() string {
	GinkgoHelper()
	addrs, err := net.InterfaceAddrs()
	Expect(err).NotTo(HaveOccurred())
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	Skip("this machine has no non-loopback IPv4 address for the API server to proxy to")
	return ""
}
