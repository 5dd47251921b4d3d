// Package bundle_test checks the committed OLM bundle (bundle/, written by
// `make bundle`) with the operator-framework's own validators, the ones
// `operator-sdk bundle validate --select-optional suite=operatorframework`
// runs, and checks that it still matches the sources it is generated from.
//
// Every error fails the test, and so does every warning that is not in
// allowedFindings with the reason it is accepted.
package bundle_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"

	apimanifests "github.com/operator-framework/api/pkg/manifests"
	operatorsv1alpha1 "github.com/operator-framework/api/pkg/operators/v1alpha1"
	"github.com/operator-framework/api/pkg/validation"
	apierrors "github.com/operator-framework/api/pkg/validation/errors"
	interfaces "github.com/operator-framework/api/pkg/validation/interfaces"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

const (
	packageName = "neo4j-operator"
	crdName     = "neo4jenterpriseclusters.neo4j.graphops.dev"
)

// finding is a validator's error or warning that the project accepts.
type finding struct {
	// level is apierrors.LevelWarn or apierrors.LevelError.
	level apierrors.Level
	// substring must occur in the message.
	substring string
	// reason says why it is accepted. Required.
	reason string
}

// allowedFindings are the only results of the validators that do not fail
// the test. An entry that no longer matches anything fails the test too, so
// the list cannot silently outlive its reason.
var allowedFindings = []finding{{
	level:     apierrors.LevelWarn,
	substring: "this bundle is using APIs which were deprecated and removed in v1.25. More info: https://kubernetes.io/docs/reference/using-api/deprecation-guide/#v1-25. Migrate the API(s) for events:",
	reason: "false positive: RBAC rules carry no API version, and the validator flags every rule for " +
		"events.k8s.io/events because events.k8s.io/v1beta1 was removed in 1.25. The operator records " +
		"events through events.k8s.io/v1, which is served from Kubernetes 1.19 on (minKubeVersion is 1.30.0).",
}}

// validators are the ones `operator-sdk bundle validate` runs by default
// (CSV, CRD, bundle) plus the operatorframework suite (OperatorHub v2
// metadata, capabilities, categories, deprecated APIs, good practices), and
// the object validator for the bundle's other manifests. Left out: the
// multi-architecture validator, which inspects the images in a registry,
// and the deprecated OperatorHubValidator, which the first three replace.
var validators = map[string]interfaces.Validator{
	"default-bundle":        validation.DefaultBundleValidators,
	"operatorhubv2":         validation.OperatorHubV2Validator,
	"capabilities":          validation.StandardCapabilitiesValidator,
	"categories":            validation.StandardCategoriesValidator,
	"alpha-deprecated-apis": validation.AlphaDeprecatedAPIsValidator,
	"good-practices":        validation.GoodPracticesValidator,
	"objects":               validation.ObjectValidator,
}

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot find the test's source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func loadBundle(t *testing.T) *apimanifests.Bundle {
	t.Helper()
	b, err := apimanifests.GetBundleFromDir(filepath.Join(repoRoot(t), "bundle", "manifests"))
	if err != nil {
		t.Fatalf("loading bundle/manifests (run make bundle): %v", err)
	}
	if b.CSV == nil {
		t.Fatal("bundle/manifests holds no ClusterServiceVersion (run make bundle)")
	}
	return b
}

func TestValidators(t *testing.T) {
	b := loadBundle(t)
	// The objects operator-sdk hands to its validators: the bundle's own
	// list (CRDs, CSV, other objects, the bundle) plus the other objects
	// again, and the optional values (none).
	objs := b.ObjectsToValidate()
	for _, o := range b.Objects {
		objs = append(objs, o)
	}
	objs = append(objs, map[string]string{})

	names := make([]string, 0, len(validators))
	for name := range validators {
		names = append(names, name)
	}
	sort.Strings(names)

	used := make([]bool, len(allowedFindings))
	for _, name := range names {
		for _, res := range validators[name].Validate(objs...) {
			for _, e := range append(append([]apierrors.Error{}, res.Errors...), res.Warnings...) {
				msg := e.Error()
				if i := allowed(e); i >= 0 {
					used[i] = true
					t.Logf("allowed %s from %s on %s: %s", e.Level, name, res.Name, msg)
					continue
				}
				t.Errorf("%s from %s on %s: %s", e.Level, name, res.Name, msg)
			}
		}
	}
	for i, u := range used {
		if !u {
			t.Errorf("allowedFindings[%d] (%q) matched nothing: remove it", i, allowedFindings[i].substring)
		}
	}
}

func allowed(e apierrors.Error) int {
	for i, f := range allowedFindings {
		if f.reason == "" {
			panic(fmt.Sprintf("allowedFindings[%d] has no reason", i))
		}
		if e.Level == f.level && strings.Contains(e.Error(), f.substring) {
			return i
		}
	}
	return -1
}

// TestMetadata checks the bundle's package, channels and the image labels
// against each other.
func TestMetadata(t *testing.T) {
	root := repoRoot(t)
	b := loadBundle(t)

	raw, err := os.ReadFile(filepath.Join(root, "bundle", "metadata", "annotations.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := yaml.Unmarshal(raw, &meta); err != nil {
		t.Fatalf("bundle/metadata/annotations.yaml: %v", err)
	}
	want := map[string]string{
		"operators.operatorframework.io.bundle.mediatype.v1":       "registry+v1",
		"operators.operatorframework.io.bundle.manifests.v1":       "manifests/",
		"operators.operatorframework.io.bundle.metadata.v1":        "metadata/",
		"operators.operatorframework.io.bundle.package.v1":         packageName,
		"operators.operatorframework.io.bundle.channel.default.v1": "alpha",
	}
	for k, v := range want {
		if got := meta.Annotations[k]; got != v {
			t.Errorf("annotations.yaml %s = %q, want %q", k, got, v)
		}
	}
	if ch := meta.Annotations["operators.operatorframework.io.bundle.channels.v1"]; !contains(strings.Split(ch, ","), "alpha") {
		t.Errorf("channels %q do not include the default channel alpha", ch)
	}

	// bundle.Dockerfile must label the image with the same annotations.
	df, err := os.ReadFile(filepath.Join(root, "bundle.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range meta.Annotations {
		if !strings.Contains(string(df), fmt.Sprintf("LABEL %s=%s\n", k, v)) {
			t.Errorf("bundle.Dockerfile lacks LABEL %s=%s", k, v)
		}
	}

	csv := b.CSV
	if want := packageName + ".v" + csv.Spec.Version.String(); csv.Name != want {
		t.Errorf("CSV name %q, want %q", csv.Name, want)
	}
	if created := csv.Annotations["createdAt"]; created == "" {
		t.Error("CSV has no createdAt")
	}
}

// TestCSV checks what the project promises in its CSV.
func TestCSV(t *testing.T) {
	csv := loadBundle(t).CSV

	if got := csv.Annotations["capabilities"]; got != "Basic Install" {
		t.Errorf("capabilities %q, want Basic Install (what the operator does today)", got)
	}
	if csv.Spec.Maturity != "alpha" {
		t.Errorf("maturity %q, want alpha", csv.Spec.Maturity)
	}
	if csv.Spec.MinKubeVersion != "1.30.0" {
		t.Errorf("minKubeVersion %q, want 1.30.0", csv.Spec.MinKubeVersion)
	}
	for _, mode := range []operatorsv1alpha1.InstallModeType{
		operatorsv1alpha1.InstallModeTypeOwnNamespace, operatorsv1alpha1.InstallModeTypeSingleNamespace,
		operatorsv1alpha1.InstallModeTypeMultiNamespace, operatorsv1alpha1.InstallModeTypeAllNamespaces,
	} {
		ok := false
		for _, m := range csv.Spec.InstallModes {
			ok = ok || (m.Type == mode && m.Supported)
		}
		if !ok {
			t.Errorf("install mode %s is not supported", mode)
		}
	}
	if len(csv.Spec.Icon) == 0 || csv.Spec.Icon[0].Data == "" || csv.Spec.Icon[0].MediaType == "" {
		t.Error("CSV has no icon")
	}
	if csv.Annotations["containerImage"] == "" {
		t.Error("CSV has no containerImage annotation")
	}

	// The manager watches the namespaces of its OperatorGroup.
	deps := csv.Spec.InstallStrategy.StrategySpec.DeploymentSpecs
	if len(deps) != 1 {
		t.Fatalf("CSV has %d deployments, want 1", len(deps))
	}
	c := deps[0].Spec.Template.Spec.Containers[0]
	if !contains(c.Args, "--watch-namespaces=$(WATCH_NAMESPACES)") {
		t.Errorf("manager args %v lack --watch-namespaces=$(WATCH_NAMESPACES)", c.Args)
	}
	if !hasEnvFromAnnotation(c.Env, "WATCH_NAMESPACES", "metadata.annotations['olm.targetNamespaces']") {
		t.Errorf("manager env %v lacks WATCH_NAMESPACES from olm.targetNamespaces", c.Env)
	}
	if c.Image != csv.Annotations["containerImage"] {
		t.Errorf("manager image %q differs from the containerImage annotation %q", c.Image, csv.Annotations["containerImage"])
	}
}

func hasEnvFromAnnotation(env []corev1.EnvVar, name, fieldPath string) bool {
	for _, e := range env {
		if e.Name == name && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == fieldPath {
			return true
		}
	}
	return false
}

// TestDescriptors checks that the CSV describes the fields the console
// should show, and that every descriptor's path exists in the CRD's schema,
// so a renamed field in api/ cannot leave a dangling descriptor behind.
func TestDescriptors(t *testing.T) {
	b := loadBundle(t)
	var owned *operatorsv1alpha1.CRDDescription
	for i := range b.CSV.Spec.CustomResourceDefinitions.Owned {
		if d := &b.CSV.Spec.CustomResourceDefinitions.Owned[i]; d.Name == crdName {
			owned = d
		}
	}
	if owned == nil {
		t.Fatalf("CSV does not own %s", crdName)
	}
	var crd *apiextensionsv1.CustomResourceDefinition
	for _, c := range b.V1CRDs {
		if c.Name == crdName {
			crd = c
		}
	}
	if crd == nil {
		t.Fatalf("bundle has no CRD %s", crdName)
	}
	var schema *apiextensionsv1.JSONSchemaProps
	for _, v := range crd.Spec.Versions {
		if v.Name == owned.Version && v.Schema != nil {
			schema = v.Schema.OpenAPIV3Schema
		}
	}
	if schema == nil {
		t.Fatalf("CRD %s has no schema for version %s", crdName, owned.Version)
	}

	specPaths, statusPaths := map[string]bool{}, map[string]bool{}
	check := func(section, path, displayName, description string, seen map[string]bool) {
		seen[path] = true
		if !schemaHas(schema, section+"."+path) {
			t.Errorf("%s descriptor %q: no such field in the CRD", section, path)
		}
		if displayName == "" || description == "" {
			t.Errorf("%s descriptor %q lacks a displayName or description", section, path)
		}
	}
	for _, d := range owned.SpecDescriptors {
		check("spec", d.Path, d.DisplayName, d.Description, specPaths)
	}
	for _, d := range owned.StatusDescriptors {
		check("status", d.Path, d.DisplayName, d.Description, statusPaths)
	}
	for _, p := range []string{"topology.primaries", "topology.secondaries", "image", "acceptLicenseAgreement",
		"auth.secretName", "resources", "storage", "config"} {
		if !specPaths[p] {
			t.Errorf("no spec descriptor for %s", p)
		}
	}
	for _, p := range []string{"phase", "conditions", "readyServers", "endpoints.bolt", "endpoints.http"} {
		if !statusPaths[p] {
			t.Errorf("no status descriptor for %s", p)
		}
	}
}

func schemaHas(s *apiextensionsv1.JSONSchemaProps, path string) bool {
	for _, part := range strings.Split(path, ".") {
		p, ok := s.Properties[part]
		if !ok {
			return false
		}
		s = &p
	}
	return true
}

// TestMatchesSources fails when the committed bundle is older than the
// CRD and RBAC it is generated from (config/crd/bases and config/rbac/role.yaml,
// both written by controller-gen): run make bundle.
func TestMatchesSources(t *testing.T) {
	root := repoRoot(t)
	b := loadBundle(t)

	var src apiextensionsv1.CustomResourceDefinition
	readYAML(t, filepath.Join(root, "config", "crd", "bases", "neo4j.graphops.dev_neo4jenterpriseclusters.yaml"), &src)
	found := false
	for _, c := range b.V1CRDs {
		if c.Name == crdName {
			found = true
			if !reflect.DeepEqual(c.Spec, src.Spec) {
				t.Errorf("bundle CRD %s differs from config/crd/bases: run make bundle", crdName)
			}
		}
	}
	if !found {
		t.Errorf("bundle has no CRD %s", crdName)
	}

	var role rbacv1.ClusterRole
	readYAML(t, filepath.Join(root, "config", "rbac", "role.yaml"), &role)
	var granted []rbacv1.PolicyRule
	for _, p := range b.CSV.Spec.InstallStrategy.StrategySpec.ClusterPermissions {
		granted = append(granted, p.Rules...)
	}
	for _, r := range role.Rules {
		ok := false
		for _, g := range granted {
			ok = ok || reflect.DeepEqual(r, g)
		}
		if !ok {
			t.Errorf("the CSV's clusterPermissions lack role.yaml's rule %+v: run make bundle", r)
		}
	}
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
