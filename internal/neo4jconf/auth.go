package neo4jconf

import (
	"errors"
	"regexp"
	"strings"
)

// authValue is what the image accepts in NEO4J_AUTH or the file
// NEO4J_AUTH_PATH names (docker-entrypoint.sh, set_initial_password):
// user/password, optionally followed by /true; neither part may hold a
// slash. The file's trailing newlines are dropped by $(cat ...).
var authValue = regexp.MustCompile(`^([^/]+)/([^/]+)/?([tT][rR][uU][eE])?$`)

// CheckAuth checks an auth Secret's value the way the image will, so a
// value it refuses (and would crash-loop on) is reported instead. The
// value is never part of the error.
func CheckAuth(value string) error {
	m := authValue.FindStringSubmatch(strings.TrimRight(value, "\n"))
	switch {
	case m == nil:
		return errors.New("must hold neo4j/<password>, and the password may not contain a slash")
	case m[1] != "neo4j":
		return errors.New("must hold neo4j/<password>: the user must be neo4j")
	case m[2] == "neo4j":
		return errors.New("the password may not be neo4j, the default")
	case len(m[2]) < 8:
		return errors.New("the password must have at least 8 characters")
	}
	return nil
}
