package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

func TestOpenStateStore(t *testing.T) {
	cfg := pruntime.Config{DataDir: t.TempDir()}
	st, err := OpenStateStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.(*statestore.Dir); !ok {
		t.Fatalf("default store is a %T, want *statestore.Dir", st)
	}
}

func TestStateStoreFlagsExclusive(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main([]string{"run", "--data-dir", t.TempDir(), "--state-dir", t.TempDir(), "--state-store", "s3://gk-state?endpoint=h:1"}, &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "not both") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}
