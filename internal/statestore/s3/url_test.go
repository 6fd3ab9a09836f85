package s3_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/statestore/s3"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var creds = env(map[string]string{s3.EnvAccessKey: "ak", s3.EnvSecretKey: "sk-secret"})

func TestParseURL(t *testing.T) {
	c, err := s3.ParseURL("s3://gk-state/cluster-1/state?endpoint=10.0.0.5:7070&secure=false&region=us-east-1&timeout=5s", creds)
	if err != nil {
		t.Fatal(err)
	}
	want := s3.Config{Endpoint: "10.0.0.5:7070", Bucket: "gk-state", Prefix: "cluster-1/state", Region: "us-east-1", AccessKey: "ak", SecretKey: "sk-secret", Timeout: 5 * time.Second}
	if c != want {
		t.Fatalf("got %+v, want %+v", c, want)
	}
	c, err = s3.ParseURL("s3://gk-state?endpoint=s3.example.org:443", creds)
	if err != nil || !c.Secure || c.Prefix != "" {
		t.Fatalf("got %+v, %v: want secure, no prefix", c, err)
	}
}

func TestParseURLRejects(t *testing.T) {
	for _, raw := range []string{
		"",
		"http://gk-state?endpoint=h:1",
		"s3://ak:sk-secret@gk-state?endpoint=h:1",
		"s3://gk-state/a/../b?endpoint=h:1",
		"s3://gk-state/a/?endpoint=h:1",
		"s3://gk-state/a%2Fb?endpoint=h:1",
		"s3://gk-state",
		"s3://Bad_Bucket?endpoint=h:1",
		"s3://gk-state?endpoint=h:1&endpoint=g:2",
		"s3://gk-state?endpoint=h:1&secure=maybe",
		"s3://gk-state?endpoint=h:1&timeout=-1s",
		"s3://gk-state?endpoint=h:1&accesskey=x",
		"s3://gk-state?endpoint=http://h:1",
		"s3://gk-state?endpoint=h:1#frag",
		"s3://gk-state?endpoint=h:1&" + strings.Repeat("x", s3.MaxURLLen),
	} {
		if c, err := s3.ParseURL(raw, creds); err == nil {
			t.Errorf("ParseURL(%q) = %v, want an error", raw, c)
		} else if strings.Contains(err.Error(), "sk-secret") {
			t.Errorf("ParseURL(%q): error holds the secret: %v", raw, err)
		}
	}
	if _, err := s3.ParseURL("s3://gk-state?endpoint=h:1", env(nil)); err == nil || !strings.Contains(err.Error(), s3.EnvSecretKey) {
		t.Errorf("no credentials: %v", err)
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"s3://gk-state/p/q?endpoint=h:1&secure=false&timeout=1s", "s3://a@b?endpoint=h:1", "s3://gk-state?endpoint=%zz", "s3:///x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := s3.ParseURL(raw, creds)
		if err != nil {
			if strings.Contains(err.Error(), "sk-secret") {
				t.Fatalf("error holds the secret: %v", err)
			}
			return
		}
		if c.Bucket == "" || c.Endpoint == "" || strings.ContainsAny(c.Endpoint, "/@") || strings.HasSuffix(c.Prefix, "/") {
			t.Fatalf("accepted %q as %v", raw, c)
		}
	})
}
