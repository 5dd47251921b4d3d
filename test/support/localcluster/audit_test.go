package localcluster

import (
	"os"
	"path/filepath"
	"testing"
)

// Two complete events as kube-apiserver v1.37 writes them (trimmed), then a
// line still being written.
const sampleAudit = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","requestURI":"/apis/apps/v1/namespaces/ns1/statefulsets","verb":"create","user":{"username":"neo4j-operator","groups":["system:masters","system:authenticated"]},"objectRef":{"resource":"statefulsets","namespace":"ns1","name":"web","apiGroup":"apps","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestReceivedTimestamp":"2026-11-26T01:15:44.294000Z"}
{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"b","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/ns1/pods/web-0/status","verb":"patch","user":{"username":"kwok"},"objectRef":{"resource":"pods","namespace":"ns1","name":"web-0","apiVersion":"v1","subresource":"status"},"responseStatus":{"metadata":{},"code":409},"requestReceivedTimestamp":"2026-11-26T01:15:45Z"}
{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Meta`

func TestAuditEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(path, []byte(sampleAudit), 0o600); err != nil {
		t.Fatal(err)
	}
	all, err := readAudit(path, AuditFilter{})
	if err != nil || len(all) != 2 {
		t.Fatalf("got %d events, %v; want 2 (the partial line skipped)", len(all), err)
	}
	e := all[0]
	if e.User != "neo4j-operator" || e.Verb != "create" || e.APIGroup != "apps" || e.Resource != "statefulsets" ||
		e.Namespace != "ns1" || e.Name != "web" || e.Code != 201 || e.Time.IsZero() || len(e.Groups) != 2 {
		t.Errorf("event decoded as %+v", e)
	}
	for _, tc := range []struct {
		name   string
		filter AuditFilter
		want   int
	}{
		{"by user", AuditFilter{User: "kwok"}, 1},
		{"by subresource", AuditFilter{Resource: "pods", Subresource: "status"}, 1},
		{"succeeded only", AuditFilter{Namespace: "ns1", Succeeded: true}, 1},
		{"match func", AuditFilter{Match: func(e AuditEvent) bool { return e.Code >= 400 }}, 1},
		{"no match", AuditFilter{Verb: "delete"}, 0},
	} {
		got, _ := readAudit(path, tc.filter)
		if len(got) != tc.want {
			t.Errorf("%s: got %d events, want %d", tc.name, len(got), tc.want)
		}
	}
	if got, err := readAudit(filepath.Join(t.TempDir(), "none"), AuditFilter{}); err != nil || got != nil {
		t.Errorf("missing log: %v, %v; want no events, no error", got, err)
	}
}
