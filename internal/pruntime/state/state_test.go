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

// TestStateIngressHead: a version 3 checkpoint keeps the ingress head; a
// version 2 one (before heads) loads as version 3 without one, which the
// next ingress sync proves; a head of the wrong size is refused.
func TestStateIngressHead(t *testing.T) {
	t.Parallel()
	head := strings.Repeat("ab", 32)
	st := State{Version: SchemaVersion, NextIngress: 7, IngressHead: []byte(strings.Repeat("h", 32))}
	b, err := st.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unmarshal(b)
	if err != nil || !reflect.DeepEqual(got, st) {
		t.Fatalf("version 3 round trip: %+v, %v", got, err)
	}
	v2 := `{"version":2,"next_ingress":7,"registered":true,"next_egress_seq":0,"endpoint_sent":false,"gk":{},"computation":{},"checkpoint_seq":1,"checkpoint_height":0,"checkpoint_ingress":0}`
	got, err = Unmarshal([]byte(v2))
	if err != nil {
		t.Fatalf("version 2 state: %v", err)
	}
	if got.Version != SchemaVersion || got.IngressHead != nil || got.NextIngress != 7 || !got.Registered {
		t.Fatalf("version 2 state loaded as %+v", got)
	}
	for name, body := range map[string]string{
		"version 2 with a head": `{"version":2,"ingress_head":"` + head + `"}`,
		"31-byte head":          `{"version":3,"ingress_head":"` + strings.Repeat("A", 40) + `AA=="}`,
	} {
		if _, err := Unmarshal([]byte(body)); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}
