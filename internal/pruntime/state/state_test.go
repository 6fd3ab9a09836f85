package state

import (
	"reflect"
	"strings"
	"testing"
)

// TestStateRestoresPhases: the rotation's and the migration's phases, as
// enums, come back from a checkpoint's payload as they were written.
func TestStateRestoresPhases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		st   State
	}{
		{"no rotation", State{Version: SchemaVersion}},
		{"proposing, own proposal sent", State{Version: SchemaVersion, Rotation: &Rotation{From: 0, To: 1, Phase: RotationProposing, Copy: CopyProposed}}},
		{"acking, faulted", State{Version: SchemaVersion, Rotation: &Rotation{From: 0, To: 1, Phase: RotationAcking, Copy: CopyFaulted,
			Proposer: []byte("p"), PublicKey: []byte("k")}}},
		{"reencrypting, range lost", State{Version: SchemaVersion, Rotation: &Rotation{From: 1, To: 2, Phase: RotationReencrypting,
			Copy: CopyAcked, RangeState: RangeLost, Range: 2, Ranges: 3, Proposer: []byte("p"), PublicKey: []byte("k")}}},
		{"retiring", State{Version: SchemaVersion, Rotation: &Rotation{From: 1, To: 2, Phase: RotationRetiring, Copy: CopyAcked,
			RangeState: RangeAssigned, EraseHeight: 40, Proposer: []byte("p"), PublicKey: []byte("k")}}},
		{"migration scheduled", State{Version: SchemaVersion, Migration: &Migration{ID: 3, Activation: 9, Measurement: []byte("m"),
			Phase: MigrationScheduled, Parts: [][]byte{[]byte("a"), nil}}}},
		{"migration ready", State{Version: SchemaVersion, Migration: &Migration{ID: 3, Activation: 9, Measurement: []byte("m"),
			Phase: MigrationReady, WasGK: true, Handed: &MemberCluster{ID: 5, Keys: []ClusterKey{{Version: 1, PublicKey: []byte("pk"), Key: []byte("k")}}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := tc.st.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			got, err := Unmarshal(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.st) {
				t.Fatalf("restored\n%+v\nwant\n%+v", got, tc.st)
			}
		})
	}
}

// TestStateRefusesVersion1: a checkpoint of the boolean rotation state
// (version 1) is refused by its version, not half-read.
func TestStateRefusesVersion1(t *testing.T) {
	t.Parallel()
	_, err := Unmarshal([]byte(`{"version":1,"next_ingress":0,"registered":false,"next_egress_seq":0,"endpoint_sent":false,"gk":{},"computation":{},"checkpoint_seq":1,"checkpoint_height":0,"checkpoint_ingress":0}`))
	if err == nil || !strings.Contains(err.Error(), "version 1") {
		t.Fatalf("version 1 state: %v", err)
	}
	_, err = Unmarshal([]byte(`{"version":2,"rotation":{"from":0,"to":1,"taken":true}}`))
	if err == nil {
		t.Fatalf("a rotation with the old booleans: %v", err)
	}
}
