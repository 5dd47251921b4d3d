package backup

import (
	"fmt"
	"strings"
	"testing"
)

const awsCredentials = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

func TestRedact(t *testing.T) {
	for _, tc := range []struct {
		name    string
		message string
		secrets []string
		want    string
	}{
		// Values of the Secrets the backup reads.
		{name: "a secret value, wherever it appears",
			message: "login failed with hunter2pass (hunter2pass)", secrets: []string{"hunter2pass"},
			want: "login failed with [redacted] ([redacted])"},
		{name: "a secret value is trimmed first",
			message: "login failed with hunter2pass", secrets: []string{"  hunter2pass\n"},
			want: "login failed with [redacted]"},
		{name: "a credentials file, whole",
			message: "read credentials:\n" + awsCredentials + "\ndone", secrets: []string{awsCredentials},
			want: "read credentials:\n[redacted]\ndone"},
		{name: "a credentials file, by its values",
			message: "Access Key Id wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY rejected", secrets: []string{awsCredentials},
			want: "Access Key Id [redacted] rejected"},
		{name: "a credentials file, by its lines",
			message: "unexpected line: aws_access_key_id = AKIAIOSFODNN7EXAMPLE\nat line 2", secrets: []string{awsCredentials},
			want: "unexpected line: [redacted]\nat line 2"},
		{name: "a credentials file, every line counts, [default] too",
			message: "no profile [default] in ~/.aws/credentials", secrets: []string{awsCredentials},
			want: "no profile [redacted] in ~/.aws/credentials"},
		{name: "longest first: a value is never half-replaced",
			message: "password123 and pass1", secrets: []string{"pass", "password123"},
			want: "[redacted] and [redacted]1"},
		{name: "several secrets",
			message: "account neo4jbackups key c2VjcmV0a2V5", secrets: []string{"neo4jbackups", "c2VjcmV0a2V5"},
			want: "account [redacted] key [redacted]"},

		// Short values would redact ordinary words.
		{name: "secrets under 4 bytes are left alone",
			message: "abc: the job abc failed", secrets: []string{"abc"},
			want: "abc: the job abc failed"},
		{name: "a 4-byte secret is replaced",
			message: "abcd: the job abcd failed", secrets: []string{"abcd"},
			want: "[redacted]: the job [redacted] failed"},
		{name: "empty and blank secrets are ignored",
			message: "hello world", secrets: []string{"", "   ", "\n"},
			want: "hello world"},
		{name: "short lines and values of a multi-line secret are left alone",
			message: "bob logged in as x", secrets: []string{"user = bob\npassword = x"},
			want: "bob logged in as x"},

		// Patterns, for values the operator does not know.
		{name: "AWS access key id",
			message: "The AWS Access Key Id AKIAIOSFODNN7EXAMPLE does not exist",
			want:    "The AWS Access Key Id [redacted] does not exist"},
		{name: "AWS temporary access key id",
			message: "key ASIAY34FZKBOKMUTVV7A expired",
			want:    "key [redacted] expired"},
		{name: "not an access key id: too short",
			message: "key AKIA1234 is not one",
			want:    "key AKIA1234 is not one"},
		{name: "not an access key id: inside a word",
			message: "XAKIAIOSFODNN7EXAMPLE",
			want:    "XAKIAIOSFODNN7EXAMPLE"},
		{name: "password=",
			message: "connect failed: password=hunter22, user=neo4j",
			want:    "connect failed: password=[redacted], user=neo4j"},
		{name: "key: value, any case",
			message: "PASSWORD: Hunter22 rejected",
			want:    "PASSWORD: [redacted] rejected"},
		{name: "quoted values",
			message: `client_secret='s3 cr3t' token: "abc def" done`,
			want:    "client_secret=[redacted] token: [redacted] done"},
		{name: "AZURE_STORAGE_ACCOUNT_KEY=",
			message: "AZURE_STORAGE_ACCOUNT_KEY=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq== is invalid",
			want:    "AZURE_STORAGE_ACCOUNT_KEY=[redacted] is invalid"},
		{name: "a presigned URL",
			message: "GET https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/s3/aws4_request&X-Amz-Signature=0123abcd 403",
			want:    "GET https://b.s3.amazonaws.com/k?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted] 403"},
		{name: "AZURE_STORAGE_KEY= (the variable Neo4j 2025.06 and later read)",
			message: "AZURE_STORAGE_KEY=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq== is invalid",
			want:    "AZURE_STORAGE_KEY=[redacted] is invalid"},
		{name: `JSON "token": "..."`,
			message: `response {"token": "eyJhbGciOiJIUzI1NiJ9.e30.sig"}`,
			want:    `response {"token": [redacted]}`},
		{name: "nothing to redact",
			message: "Backup of database 'neo4j' failed: connection refused",
			want:    "Backup of database 'neo4j' failed: connection refused"},
		{name: "surrounding blank space is trimmed",
			message: "  \n\terror: disk full \n\n",
			want:    "error: disk full"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Redact(tc.message, tc.secrets)
			if got != tc.want {
				t.Errorf("Redact(%q, %q) =\n%q\nwant\n%q", tc.message, tc.secrets, got, tc.want)
			}
		})
	}
}

func TestRedactTruncates(t *testing.T) {
	// 100 lines of 100 bytes: 10,099 bytes. The last 2,048 begin inside
	// line 79 (at byte 8,051); the message keeps lines 80 to 99.
	lines := make([]string, 100)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %04d %s", i, strings.Repeat("x", 90))
	}
	exactly := strings.Repeat("y", 2047) + "z"
	for _, tc := range []struct {
		name    string
		message string
		secrets []string
		want    string
	}{
		{name: "the last lines, cut at a line start",
			message: strings.Join(lines, "\n"), want: strings.Join(lines[80:], "\n")},
		{name: "exactly 2048 bytes are kept whole",
			message: exactly, want: exactly},
		{name: "2049 bytes whose window starts with a newline",
			message: "a\n" + strings.Repeat("b", 2047), want: strings.Repeat("b", 2047)},
		{name: "one long line: the last 2048 bytes",
			message: strings.Repeat("x", 3000) + "end", want: strings.Repeat("x", 2045) + "end"},
		{name: "trimmed before it is measured",
			message: "\n\n" + exactly + "\n\n", want: exactly},
		{name: "redacted before it is cut",
			message: strings.Repeat("x", 3000) + "hunter2pass", secrets: []string{"hunter2pass"},
			want: strings.Repeat("x", 2038) + "[redacted]"},
		{name: "the redaction of the cut-off part does not matter",
			message: "password=hunter22\n" + strings.Join(lines, "\n"), want: strings.Join(lines[80:], "\n")},
		{name: "a window that starts at a line start keeps that line",
			message: "first\n" + strings.Join(lines[:20], "\n") + "\n" + strings.Repeat("w", 28),
			want:    strings.Join(lines[:20], "\n") + "\n" + strings.Repeat("w", 28)},
		{name: "one long line of multi-byte text is cut at a character",
			message: strings.Repeat("€", 1000), want: strings.Repeat("€", 682)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Redact(tc.message, tc.secrets)
			if got != tc.want {
				t.Errorf("got %d bytes:\n%q\nwant %d bytes:\n%q", len(got), got, len(tc.want), tc.want)
			}
			if len(got) > MaxMessage {
				t.Errorf("%d bytes, more than %d", len(got), MaxMessage)
			}
		})
	}
}

func head(s string) string {
	if len(s) > 24 {
		return s[:24]
	}
	return s
}
