package cli_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/x/registry/client/cli"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

func TestFormatRotation(t *testing.T) {
	t.Parallel()
	key := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	resp := &types.QueryRotationResponse{
		AckQuorum:           2,
		NextAutomaticHeight: 500,
		Rotation: &types.Rotation{
			FromVersion: 0, ToVersion: 1, Phase: types.ROTATION_PHASE_REENCRYPTING, StartHeight: 20,
			Proposer: key(2), PublicKey: bytes.Repeat([]byte{3}, 33), ProposedHeight: 21, ActivatedHeight: 23,
			Gatekeepers: []types.RotationGatekeeper{
				{IdentityKey: key(1), AckedHeight: 22, Done: 50, Total: 200, ProgressHeight: 30},
				{IdentityKey: key(2), AckedHeight: 23, Done: 9, Failed: 1, Total: 10, Finished: true, ProgressHeight: 31, FailedNames: []string{"cluster-1/app/x"}},
				{IdentityKey: key(4), FaultedHeight: 22},
			},
		},
	}
	var out bytes.Buffer
	if err := cli.FormatRotation(&out, resp); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"master key rotation v0 -> v1 (rotation_interval)",
		"phase:      REENCRYPTING",
		"proposer:   " + strings.Repeat("02", 32),
		"heights:    started 20, proposed 21, activated 23, retired -, erase at -, erased -",
		"acks:       2 of 3 (quorum 2)",
		"next automatic rotation: at or after height 500",
		"range 1 failed: cluster-1/app/x\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	// One row per gatekeeper: range, key, ack, progress, percent, failed, finished.
	rows := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.Contains(f[0], "/3") {
			rows[f[0]] = strings.Join(f[1:], " ")
		}
	}
	for r, want := range map[string]string{
		"0/3": strings.Repeat("01", 32) + " at 22 50/200 25.0% 0 no",
		"1/3": strings.Repeat("02", 32) + " at 23 9/10 90.0% 1 yes",
		"2/3": strings.Repeat("04", 32) + " fault at 22 - - 0 no",
	} {
		if rows[r] != want {
			t.Errorf("row %s: %q, want %q", r, rows[r], want)
		}
	}

	out.Reset()
	if err := cli.FormatRotation(&out, &types.QueryRotationResponse{}); err != nil {
		t.Fatal(err)
	}
	if want := "no master key rotation yet\nnext automatic rotation: off (rotation_interval 0)\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}
