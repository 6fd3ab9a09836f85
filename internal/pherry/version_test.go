package pherry_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/buildinfo"
	"github.com/gatekeeper-net/gatekeeper/internal/pherry"
)

// TestVersionFlag: pherry --version prints version and commit, needing no
// chain or keyring.
func TestVersionFlag(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := pherry.Main([]string{"--version"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if got, want := strings.TrimSpace(out.String()), buildinfo.String("pherry"); got != want {
		t.Fatalf("printed %q, want %q", got, want)
	}
}
