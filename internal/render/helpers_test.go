package render_test

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func parseQuantity(s string) (corev1.ResourceList, error) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return nil, err
	}
	return corev1.ResourceList{corev1.ResourceMemory: q}, nil
}
