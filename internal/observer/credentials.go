package observer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
)

// accepted are credentials Neo4j accepted, with where and when they were
// read. Never logged: it has no String method and is printed nowhere.
type accepted struct {
	secret  types.NamespacedName
	key     string
	version string
	// target is the Target's SecretVersion when they were read: only a
	// move from it is an edit the kept credentials may not reflect.
	target string
	readAt time.Time
	creds  neo4j.Credentials
	// unproven: read for this poll, not accepted by Neo4j yet.
	unproven bool
}

// kept is what a poll that proved nothing about the credentials leaves:
// credentials accepted before, not ones just read.
func (a *accepted) kept() *accepted {
	if a == nil || a.unproven {
		return nil
	}
	return a
}

// usable is true when the kept credentials may stand in for a read of the
// target's Secret now.
func (a *accepted) usable(t Target, recheck time.Duration, now time.Time) bool {
	return a != nil && a.secret == t.Secret && a.key == t.Key &&
		(t.SecretVersion == a.target || t.SecretVersion == a.version) &&
		(recheck <= 0 || now.Sub(a.readAt) < recheck)
}

// credentials reads the Secret by name and returns the credentials and the
// Secret's resourceVersion. Errors never carry the value.
func (o *Observers) credentials(ctx context.Context, t Target) (neo4j.Credentials, string, error) {
	s := &corev1.Secret{}
	if err := o.Reader.Get(ctx, t.Secret, s); err != nil {
		if apierrors.IsNotFound(err) {
			return neo4j.Credentials{}, "", apierrors.NewNotFound(corev1.Resource("secrets"), fmt.Sprintf("auth Secret %s", t.Secret))
		}
		return neo4j.Credentials{}, "", err
	}
	user, password, ok := strings.Cut(strings.TrimRight(string(s.Data[t.Key]), "\n"), "/")
	if !ok {
		return neo4j.Credentials{}, "", fmt.Errorf("auth Secret %s key %s %w", t.Secret, t.Key, errMalformed)
	}
	password, _, _ = strings.Cut(password, "/") // a trailing /true asks for a password change
	return neo4j.Credentials{User: user, Password: password}, s.ResourceVersion, nil
}

var (
	errMalformed = errors.New("does not hold user/password")
	errNoPEM     = fmt.Errorf("holds no PEM certificate: %w", errMalformed)
	errNoPair    = fmt.Errorf("are not a usable key pair: %w", errMalformed)
)
