package cli_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/client/cli"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
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

func TestFormatMigration(t *testing.T) {
	t.Parallel()
	key := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	resp := &types.QueryMigrationResponse{Migration: &types.Migration{
		Id: 1, TeeKind: "tdx", Measurement: []byte{0xaa, 0xbb}, Description: "pruntime v2",
		ReplacedMeasurements: [][]byte{{0x01}}, ActivationHeight: 100, Phase: types.MIGRATION_PHASE_DONE,
		ScheduledHeight: 10, PlanName: "pruntime-migration-1", ActivatedHeight: 100, RetiredWorkers: 3,
		LostGatekeepers: [][]byte{key(3)},
		Pairs: []types.MigrationPair{
			{Predecessor: key(1), Successor: key(11), PairedHeight: 20, HandoverParts: 2, HandoverHeight: 21, ReadyHeight: 22, Gatekeeper: true, ClusterId: 4, Replaced: true},
			{Predecessor: key(3), Successor: key(13), PairedHeight: 20, Faults: 1},
		},
	}}
	var out bytes.Buffer
	if err := cli.FormatMigration(&out, resp); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"pRuntime migration 1 (tdx): pruntime v2\n",
		"phase:       DONE\n",
		"successor:   aabb\n",
		"replaces:    01\n",
		"heights:     scheduled 10, activation 100, activated 100, cancelled -\n",
		"pairs:       1 ready of 2\n",
		"retired:     3 workers of the old version, 1 gatekeepers lost\n",
		"lost:        " + strings.Repeat("03", 32),
		strings.Repeat("01", 32) + "  " + strings.Repeat("0b", 32) + "  20      2 parts, last at 21  at 22  0       replaced (gatekeeper, cluster 4)",
		"retired, not replaced",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	out.Reset()
	resp.Migration.Phase, resp.Migration.ActivatedHeight = types.MIGRATION_PHASE_SCHEDULED, 0
	if err := cli.FormatMigration(&out, resp); err != nil || !strings.Contains(out.String(), "NOT pending") {
		t.Errorf("pending migration without its plan: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := cli.FormatMigration(&out, &types.QueryMigrationResponse{}); err != nil || out.String() != "no pRuntime migration yet\n" {
		t.Errorf("no migration: %q, %v", out.String(), err)
	}
}
