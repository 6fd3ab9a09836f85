package buildinfo

import (
	"strings"
	"testing"
)

// TestInjectedValuesWin: what the linker injects is what is printed.
func TestInjectedValuesWin(t *testing.T) {
	oldV, oldC := version, commit
	t.Cleanup(func() { version, commit = oldV, oldC })
	version, commit = "v1.2.3-4-gabcdef0", "abcdef0123456789abcdef0123456789abcdef01"
	if got, want := String("pherry"), "pherry v1.2.3-4-gabcdef0 (commit abcdef0123456789abcdef0123456789abcdef01)"; got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
}

// TestFallbacks: a plain go build (nothing injected) still prints a
// non-empty version and commit.
func TestFallbacks(t *testing.T) {
	oldV, oldC := version, commit
	t.Cleanup(func() { version, commit = oldV, oldC })
	version, commit = "", ""
	if Version() == "" || Commit() == "" || strings.Contains(String("x"), "()") {
		t.Fatalf("empty fallback: %q", String("x"))
	}
}
