package localcluster

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"time"
)

// The apiserver writes one JSON line per write request (create, update,
// patch, delete, deletecollection) to the audit log, at Metadata level and
// only once the response is known. Tests use it to count who wrote what:
// "did the operator update this StatefulSet exactly once?". Reads are not
// logged; they would dwarf the writes and nobody counts them.

// auditPolicy is the apiserver's --audit-policy-file: writes only, or
// (Options.AuditReads) reads too. A watch is logged once, when it ends,
// not per event.
func auditPolicy(reads bool) string {
	verbs := `"create", "update", "patch", "delete", "deletecollection"`
	if reads {
		verbs += `, "get", "list", "watch"`
	}
	return `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
- RequestReceived
- ResponseStarted
rules:
- level: Metadata
  verbs: [` + verbs + `]
- level: None
`
}

// AuditEvent is one logged write: who did what to which object, and how the
// apiserver answered.
type AuditEvent struct {
	User        string
	Groups      []string
	Verb        string // create, update, patch, delete, deletecollection
	APIGroup    string // "" for the core group
	Resource    string // plural, e.g. "statefulsets"
	Subresource string // e.g. "status"; "" for the object itself
	Namespace   string
	Name        string // "" for a create whose name the server generated
	Code        int    // HTTP status of the response
	URI         string
	Time        time.Time // when the request was received
}

// AuditFilter selects events: every non-empty field must match exactly, and
// Match, when set, must return true. The zero filter selects all writes.
type AuditFilter struct {
	User        string
	Verb        string
	Resource    string
	Subresource string
	Namespace   string
	Name        string
	// Succeeded keeps only 2xx responses.
	Succeeded bool
	// Since keeps requests received at or after it; zero keeps all.
	Since time.Time
	Match func(AuditEvent) bool
}

func (f AuditFilter) matches(e AuditEvent) bool {
	eq := func(want, got string) bool { return want == "" || want == got }
	return eq(f.User, e.User) && eq(f.Verb, e.Verb) && eq(f.Resource, e.Resource) &&
		eq(f.Subresource, e.Subresource) && eq(f.Namespace, e.Namespace) && eq(f.Name, e.Name) &&
		(!f.Succeeded || (e.Code >= 200 && e.Code < 300)) &&
		(f.Since.IsZero() || !e.Time.Before(f.Since)) &&
		(f.Match == nil || f.Match(e))
}

// AuditEvents reads the audit log and returns the events that match filter,
// oldest first. The apiserver logs an event after it has answered, so a
// write that just returned may appear a moment later: poll (Eventually)
// rather than read once.
func (c *Cluster) AuditEvents(filter AuditFilter) ([]AuditEvent, error) {
	return readAudit(c.AuditLog, filter)
}

// rawAuditEvent is the part of audit.k8s.io/v1 Event that AuditEvent needs;
// decoding it here spares a dependency on k8s.io/apiserver.
type rawAuditEvent struct {
	RequestURI string `json:"requestURI"`
	Verb       string `json:"verb"`
	User       struct {
		Username string   `json:"username"`
		Groups   []string `json:"groups"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		APIGroup    string `json:"apiGroup"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	RequestReceivedTimestamp time.Time `json:"requestReceivedTimestamp"`
}

func readAudit(path string, filter AuditFilter) ([]AuditEvent, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []AuditEvent
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			// A last line without its newline is still being written.
			break
		}
		var raw rawAuditEvent
		if json.Unmarshal(bytes.TrimSpace(line), &raw) != nil {
			continue
		}
		e := AuditEvent{
			User:   raw.User.Username,
			Groups: raw.User.Groups,
			Verb:   raw.Verb,
			URI:    raw.RequestURI,
			Time:   raw.RequestReceivedTimestamp,
		}
		if o := raw.ObjectRef; o != nil {
			e.APIGroup, e.Resource, e.Subresource, e.Namespace, e.Name = o.APIGroup, o.Resource, o.Subresource, o.Namespace, o.Name
		}
		if raw.ResponseStatus != nil {
			e.Code = raw.ResponseStatus.Code
		}
		if filter.matches(e) {
			out = append(out, e)
		}
	}
	return out, nil
}
