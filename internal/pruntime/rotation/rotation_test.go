package rotation_test

import (
	"bytes"
	"crypto/hpke"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/rotation"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

// fakeCore is the enclave as the rotation role sees it. A copy "sealed"
// to this pRuntime is its plaintext; badCopy does not open.
type fakeCore struct {
	self    []byte
	height  int64
	emitted []string
	faults  []string
	invalid []error
}

var badCopy = []byte("bad copy")

func (f *fakeCore) Log() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func (f *fakeCore) Self() []byte      { return f.self }
func (f *fakeCore) ChainID() string   { return "test-chain" }
func (f *fakeCore) Height() int64     { return f.height }
func (f *fakeCore) Emit(next *state.State, topic string, _ []byte) error {
	f.emitted = append(f.emitted, topic)
	next.NextEgressSeq++
	return nil
}
func (f *fakeCore) OpenSealed(_ string, _, sealed []byte) ([]byte, error) {
	if bytes.Equal(sealed, badCopy) {
		return nil, errors.New("fake: does not open")
	}
	return bytes.Clone(sealed), nil
}
func (f *fakeCore) InvalidTransition(_ string, err error) error {
	f.invalid = append(f.invalid, err)
	return nil
}
func (f *fakeCore) KeyFault(kind string) { f.faults = append(f.faults, kind) }
func (f *fakeCore) WakeReencrypt()       {}
func (f *fakeCore) ProposeBlocks() int64 { return 5 }

func receiveKey(t *testing.T) []byte {
	t.Helper()
	k, err := hpke.MLKEM768X25519().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey().Bytes()
}

// fixture is a live gatekeeper holding v0, in a two-member snapshot.
type fixture struct {
	core  *fakeCore
	role  *rotation.Role
	rows  map[string]ingress.Handler
	tx    *state.Tx
	other []byte
	start protocol.RotationStart
}

func newFixture(t *testing.T, selfFirst bool) *fixture {
	t.Helper()
	self, other := bytes.Repeat([]byte{1}, protocol.IdentityKeyLen), bytes.Repeat([]byte{2}, protocol.IdentityKeyLen)
	if !selfFirst {
		self, other = other, self
	}
	core := &fakeCore{self: self, height: 10}
	role := rotation.New(core, rand.Reader)
	rows := map[string]ingress.Handler{}
	for _, r := range role.Routes() {
		if r.Role != ingress.RoleRotation {
			t.Fatalf("%s routed to %s", r.Topic, r.Role)
		}
		rows[r.Topic] = r.Handle
	}
	v0, err := crypto.GenerateMasterKey(rand.Reader, 0)
	if err != nil {
		t.Fatal(err)
	}
	tx := &state.Tx{Next: state.State{Version: state.SchemaVersion, MasterPubKeys: [][]byte{v0.PublicKey()}}}
	tx.Next.AddGatekeeper(self)
	tx.Next.GK.Live = true
	tx.Master.Set(v0)
	members := []protocol.RotationMember{{Identity: self, ReceiveKey: receiveKey(t)}, {Identity: other, ReceiveKey: receiveKey(t)}}
	slices.SortFunc(members, func(a, b protocol.RotationMember) int { return bytes.Compare(a.Identity, b.Identity) })
	return &fixture{core: core, role: role, rows: rows, tx: tx, other: other, start: protocol.RotationStart{From: 0, To: 1, Gatekeepers: members}}
}

func (f *fixture) apply(t *testing.T, topic string, payload []byte) {
	t.Helper()
	keys, err := f.rows[topic](f.tx, payload)
	if err != nil || !keys {
		t.Fatalf("%s: keys %v, err %v", topic, keys, err)
	}
}

// TestRotationRole drives the rotation's handlers through a fake core.
func TestRotationRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t *testing.T, f *fixture)
	}{
		{"the first proposer proposes at the start", func(t *testing.T, f *fixture) {
			f.apply(t, protocol.TopicRotationStart, f.start.Encode())
			if !f.role.ProposalDue(&f.tx.Next, f.core.height) {
				t.Fatal("the first proposer's turn is not due at the start")
			}
			if err := f.role.MaybePropose(f.tx); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.core.emitted, []string{protocol.TopicRotationProposal}) || f.tx.Master.Get(1) == nil {
				t.Fatalf("emitted %v, v1 held %v", f.core.emitted, f.tx.Master.Get(1) != nil)
			}
			if f.tx.Next.Rotation.Phase != state.RotationProposing || f.tx.Next.Rotation.Copy != state.CopyProposed {
				t.Fatalf("phase %s, copy %d", f.tx.Next.Rotation.Phase, f.tx.Next.Rotation.Copy)
			}
		}},
		{"a good copy is sealed and acknowledged", func(t *testing.T, f *fixture) {
			f.apply(t, protocol.TopicRotationStart, f.start.Encode())
			v1, err := crypto.GenerateMasterKey(rand.Reader, 1)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := crypto.EncodeSecrets([]*crypto.MasterKey{v1})
			if err != nil {
				t.Fatal(err)
			}
			p := protocol.RotationProposed{Proposer: f.other, RotationProposal: protocol.RotationProposal{
				ToVersion: 1, PublicKey: v1.PublicKey(), Copies: [][]byte{plain, plain}}}
			f.apply(t, protocol.TopicRotationProposed, p.Encode())
			if !slices.Equal(f.core.emitted, []string{protocol.TopicRotationAck}) || f.tx.Next.Rotation.Copy != state.CopyAcked {
				t.Fatalf("emitted %v, copy %d", f.core.emitted, f.tx.Next.Rotation.Copy)
			}
			if k := f.tx.Master.Get(1); k == nil || !bytes.Equal(k.PublicKey(), v1.PublicKey()) {
				t.Fatal("the acknowledged version is not held")
			}
		}},
		{"a bad copy is a key fault, not an ack", func(t *testing.T, f *fixture) {
			f.apply(t, protocol.TopicRotationStart, f.start.Encode())
			v1, err := crypto.GenerateMasterKey(rand.Reader, 1)
			if err != nil {
				t.Fatal(err)
			}
			p := protocol.RotationProposed{Proposer: f.other, RotationProposal: protocol.RotationProposal{
				ToVersion: 1, PublicKey: v1.PublicKey(), Copies: [][]byte{badCopy, badCopy}}}
			f.apply(t, protocol.TopicRotationProposed, p.Encode())
			if !slices.Equal(f.core.faults, []string{"master"}) || !slices.Equal(f.core.emitted, []string{protocol.TopicKeyFault}) {
				t.Fatalf("faults %v, emitted %v", f.core.faults, f.core.emitted)
			}
			if f.tx.Master.Get(1) != nil || f.tx.Next.Rotation.Copy != state.CopyFaulted {
				t.Fatal("a bad copy was kept")
			}
		}},
		{"a retirement before re-encryption is an invalid transition", func(t *testing.T, f *fixture) {
			f.apply(t, protocol.TopicRotationStart, f.start.Encode())
			f.apply(t, protocol.TopicMasterKeyRetired, protocol.MasterKeyRetired{Version: 0, EraseHeight: 20}.Encode())
			if len(f.core.invalid) != 1 || f.tx.Next.Rotation.Phase != state.RotationProposing {
				t.Fatalf("invalid transitions %v, phase %s", f.core.invalid, f.tx.Next.Rotation.Phase)
			}
		}},
		{"erasing the old version ends the rotation", func(t *testing.T, f *fixture) {
			f.apply(t, protocol.TopicRotationStart, f.start.Encode())
			f.apply(t, protocol.TopicMasterKeyErase, protocol.EncodeU32(0))
			if f.tx.Next.Rotation != nil || !f.tx.RotationDone || !f.tx.Erased || f.tx.Master.Get(0) != nil || f.tx.Next.MasterErasedBelow != 1 {
				t.Fatalf("after erase: rotation %v, done %v, erased %v", f.tx.Next.Rotation, f.tx.RotationDone, f.tx.Erased)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The snapshot is in key order: self first proposes, self
			// second receives the other's proposal.
			tc.run(t, newFixture(t, tc.name == "the first proposer proposes at the start"))
		})
	}
}
