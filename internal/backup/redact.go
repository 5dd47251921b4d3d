package backup

import (
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Redacted replaces what a message must not show.
const Redacted = "[redacted]"

// patterns catch credentials whose values the operator does not know:
// AWS access key ids, and key=value or key: value pairs whose key names a
// secret.
var patterns = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`), Redacted},
	{regexp.MustCompile(`(?i)\b([a-z0-9_.-]*(secret|password|passwd|token|credential|access_key|account_key|storage_key|private_key|sig)[a-z0-9_.-]*)("?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&]+)`), "${1}${3}" + Redacted},
}

// MaxMessage bounds a status message: the kubelet keeps at most 2048 bytes
// of a termination message, and a status is read by people.
const MaxMessage = 2048

// Redact removes the given secret values (those read from the Secrets the
// backup uses) and anything that looks like a credential, and keeps the
// last MaxMessage bytes, cut at a line start.
func Redact(message string, secrets []string) string {
	for _, s := range pieces(secrets) {
		message = strings.ReplaceAll(message, s, Redacted)
	}
	for _, p := range patterns {
		message = p.re.ReplaceAllString(message, p.with)
	}
	message = strings.TrimSpace(message)
	if len(message) > MaxMessage {
		cut := len(message) - MaxMessage
		atLineStart := message[cut-1] == '\n'
		message = message[cut:]
		if i := strings.IndexByte(message, '\n'); i >= 0 && !atLineStart {
			message = message[i+1:]
		}
		// Never start inside a UTF-8 character.
		for len(message) > 0 && !utf8.RuneStart(message[0]) {
			message = message[1:]
		}
	}
	return message
}

// pieces are the values to hide: each secret whole, and each line of a
// multi-line one (a credentials file) and the value of its key = value
// lines, longest first so a value is never half-replaced. Pieces shorter
// than 4 bytes would redact ordinary words and are left alone.
func pieces(secrets []string) []string {
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); len(s) >= 4 {
			out = append(out, s)
		}
	}
	for _, s := range secrets {
		add(s)
		for _, line := range strings.Split(s, "\n") {
			add(line)
			if _, v, ok := strings.Cut(line, "="); ok {
				add(v)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}
