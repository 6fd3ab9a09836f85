package devnet

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

func TestPrintRotation(t *testing.T) {
	t.Parallel()
	ws := []PRuntime{{Name: "gatekeeper-0"}, {Name: "gatekeeper-1"}, {Name: "worker-0"}}
	running := &gatekeepertypes.QueryRotationResponse{AckQuorum: 2, Rotation: &gatekeepertypes.Rotation{
		FromVersion: 0, ToVersion: 1, Phase: gatekeepertypes.ROTATION_PHASE_REENCRYPTING, StartHeight: 20,
		Gatekeepers: []gatekeepertypes.RotationGatekeeper{
			{IdentityKey: bytes.Repeat([]byte{1}, 32), AckedHeight: 22, Done: 5, Total: 10, ProgressHeight: 25},
			{IdentityKey: bytes.Repeat([]byte{2}, 32), AckedHeight: 23, Done: 7, Total: 7, Finished: true, ProgressHeight: 24},
		},
	}}
	infos := []api.Info{
		{Rotation: &api.RotationInfo{To: 1, Phase: "reencrypting", Range: 0, Ranges: 2, Done: 5, Total: 10, ETASeconds: 12}},
		{Rotation: &api.RotationInfo{To: 1, Phase: "reencrypting", Range: 1, Ranges: 2, Done: 7, Total: 7, Finished: true}},
		{},
	}
	var out bytes.Buffer
	printRotation(&out, Status{Rotation: running}, ws, infos)
	for _, want := range []string{"master key rotation v0 -> v1", "REENCRYPTING", "5/10", "gatekeeper-0: re-encrypting range 0/2: 5/10 [##########..........] ETA 12s"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("status lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "gatekeeper-1: re-encrypting") {
		t.Fatalf("a finished range shows a progress bar:\n%s", out.String())
	}

	out.Reset()
	done := &gatekeepertypes.QueryRotationResponse{Rotation: &gatekeepertypes.Rotation{FromVersion: 0, ToVersion: 1,
		Phase: gatekeepertypes.ROTATION_PHASE_DONE, ErasedHeight: 40}}
	printRotation(&out, Status{Rotation: done}, ws, infos)
	if got := out.String(); got != "last master key rotation: v0 -> v1, done; v0 erased at height 40\n" {
		t.Fatalf("finished rotation: %q", got)
	}
	out.Reset()
	printRotation(&out, Status{Rotation: &gatekeepertypes.QueryRotationResponse{}}, ws, infos)
	if out.Len() != 0 {
		t.Fatalf("no rotation printed %q", out.String())
	}
}
