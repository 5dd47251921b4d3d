package operator_test

import (
	"fmt"
	"os"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// perturbDuration is how long the steady-state perturbations last:
// E2E_PERTURB_SECONDS, 60 by default.
func perturbDuration() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("E2E_PERTURB_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 60 * time.Second
}

// perturbation is the churn the seed's operator could not stand: pods
// flapping, a second writer on the StatefulSets' metadata, edits to the
// cluster's metadata, and the operator restarted twice.
type perturbation struct {
	cluster      *v1alpha1.Neo4jEnterpriseCluster
	statefulSets []string
	restart      func()
}

type perturbed struct{ flips, stsPatches, clusterEdits, restarts int }

func (p perturbation) run(d time.Duration) perturbed {
	var n perturbed
	ns := p.cluster.Namespace
	notReady := map[string]bool{}
	ticks := int(d / time.Second)
	for i := 0; i < ticks; i++ {
		time.Sleep(time.Second)
		sts := p.statefulSets[i%len(p.statefulSets)]
		switch {
		case i%3 == 0:
			pod := fmt.Sprintf("%s-%d", sts, i%3+i%2)
			setReady(ns, pod, notReady[pod])
			notReady[pod] = !notReady[pod]
			n.flips++
		case i%4 == 1:
			patch := fmt.Sprintf(`{"metadata":{"labels":{"example.com/second-writer":"%d"},"annotations":{"example.com/audited-at":"%d"}}}`, i, i)
			Expect(admin.Patch(ctx, statefulSet(ns, sts), client.RawPatch(types.MergePatchType, []byte(patch)))).To(Succeed())
			n.stsPatches++
		case i%5 == 2:
			patch := fmt.Sprintf(`{"metadata":{"annotations":{"example.com/touched":"%d"},"labels":{"example.com/team":"t%d"}}}`, i, i)
			Expect(admin.Patch(ctx, getCluster(p.cluster), client.RawPatch(types.MergePatchType, []byte(patch)))).To(Succeed())
			n.clusterEdits++
		}
		if i == ticks/3 || i == 2*ticks/3 {
			p.restart()
			n.restarts++
		}
	}
	for pod, down := range notReady {
		if down {
			setReady(ns, pod, true)
		}
	}
	GinkgoWriter.Printf("perturbations: %+v\n", n)
	return n
}

// setReady flips a pod's readiness as a kubelet would after a failing or
// passing readiness probe.
func setReady(ns, name string, ready bool) {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	Eventually(func() error {
		pod := &corev1.Pod{}
		if err := admin.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, pod); err != nil {
			return err
		}
		for i, c := range pod.Status.Conditions {
			if c.Type == corev1.PodReady || c.Type == corev1.ContainersReady {
				pod.Status.Conditions[i].Status = status
			}
		}
		return admin.Status().Update(ctx, pod)
	}, readyTimeout, poll).Should(Succeed())
}
