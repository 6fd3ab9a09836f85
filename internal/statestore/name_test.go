package statestore_test

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore/statestoretest"
)

func TestValidateName(t *testing.T) {
	t.Parallel()
	valid := []string{
		"a", "A", "0", "-", "_", "a.b", "...", "..a", "a..", ".a/b.", "cluster-7/app-1/state/v1",
		strings.Repeat("s", statestore.MaxSegmentLen),
		strings.Repeat("ab/", 170) + "ab", // 512 bytes
	}
	for _, name := range valid {
		if err := statestore.ValidateName(name); err != nil {
			t.Errorf("ValidateName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range statestoretest.InvalidNames {
		if err := statestore.ValidateName(name); !errors.Is(err, statestore.ErrInvalidName) {
			t.Errorf("ValidateName(%q) = %v, want ErrInvalidName", name, err)
		}
	}
}

// reference is ValidateName written the obvious way, to check it against.
var segmentRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

func reference(name string) bool {
	if len(name) == 0 || len(name) > statestore.MaxNameLen {
		return false
	}
	for seg := range strings.SplitSeq(name, "/") {
		if !segmentRE.MatchString(seg) || seg == "." || seg == ".." || len(seg) > statestore.MaxSegmentLen {
			return false
		}
	}
	return true
}

// FuzzValidateName: ValidateName agrees with the reference, and every name it
// accepts is a local path that filepath.Clean leaves unchanged, so joining it
// to a root can never leave the root. Seeds: testdata/fuzz/FuzzValidateName
// and the conformance suite's invalid names.
func FuzzValidateName(f *testing.F) {
	for _, n := range statestoretest.InvalidNames {
		f.Add(n)
	}
	f.Add("cluster-1/app/name")
	f.Fuzz(func(t *testing.T, name string) {
		err := statestore.ValidateName(name)
		if ok := reference(name); ok != (err == nil) {
			t.Fatalf("ValidateName(%q) = %v, reference says valid=%v", name, err, ok)
		}
		if err != nil {
			if !errors.Is(err, statestore.ErrInvalidName) {
				t.Fatalf("error does not match ErrInvalidName: %v", err)
			}
			return
		}
		p := filepath.FromSlash(name)
		if !filepath.IsLocal(p) || filepath.Clean(p) != p || containsDotDot(name) {
			t.Fatalf("accepted %q, which is not a clean local path", name)
		}
	})
}

func containsDotDot(name string) bool {
	for seg := range strings.SplitSeq(name, "/") {
		if seg == ".." {
			return true
		}
	}
	return false
}
