package v1alpha1

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// The CEL rule that refuses operator-owned config keys is a marker string;
// this keeps it in step with OperatorConfigKeys, which the renderer uses.
func TestCRDRefusesExactlyTheOperatorConfigKeys(t *testing.T) {
	data, err := os.ReadFile("../../config/crd/bases/neo4j.graphops.dev_neo4jenterpriseclusters.yaml")
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(data, crd); err != nil {
		t.Fatal(err)
	}
	spec := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	want := slices.Sorted(slices.Values(OperatorConfigKeys))
	for _, path := range [][]string{{"config"}, {"primary", "config"}, {"secondary", "config"}} {
		s := spec
		for _, p := range path {
			s = s.Properties[p]
		}
		var rule string
		for _, v := range s.XValidations {
			if strings.Contains(v.Rule, ".exists(k, k in self)") || strings.Contains(v.Rule, "' in self)") {
				rule += v.Rule
			}
		}
		var inCRD []string
		for _, m := range regexp.MustCompile(`'([a-z0-9_.]+)'`).FindAllStringSubmatch(rule, -1) {
			inCRD = append(inCRD, m[1])
		}
		slices.Sort(inCRD)
		if !slices.Equal(inCRD, want) {
			t.Errorf("spec.%s: CRD refuses %v\nOperatorConfigKeys are %v", strings.Join(path, "."), inCRD, want)
		}
	}
}
