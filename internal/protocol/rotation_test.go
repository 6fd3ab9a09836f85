package protocol_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

func validRotationStart() protocol.RotationStart {
	return protocol.RotationStart{From: 3, To: 4, Gatekeepers: []protocol.RotationMember{
		{Identity: filled(32, 1), ReceiveKey: filled(protocol.ReceiveKeyLen, 7)},
		{Identity: filled(32, 2), ReceiveKey: filled(protocol.ReceiveKeyLen, 8)},
	}}
}

func validRotationProposal() protocol.RotationProposal {
	return protocol.RotationProposal{ToVersion: 4, PublicKey: filled(protocol.MasterPublicKeyLen, 2), Copies: [][]byte{[]byte("copy 1"), []byte("copy 2")}}
}

func validReencryptProgress() protocol.ReencryptProgress {
	return protocol.ReencryptProgress{ToVersion: 4, Range: 1, Done: 10, Total: 12, Failed: 2, VerifiedHeight: 7, FailedNames: []string{"cluster-1/app/a", "cluster-1/app/b"}}
}

// maxRotationMembers is a snapshot of MaxRotationGatekeepers gatekeepers.
func maxRotationMembers() []protocol.RotationMember {
	gks := make([]protocol.RotationMember, protocol.MaxRotationGatekeepers)
	for i := range gks {
		id := filled(32, 0)
		id[31] = byte(i + 1)
		gks[i] = protocol.RotationMember{Identity: id, ReceiveKey: filled(protocol.ReceiveKeyLen, 3)}
	}
	return gks
}

// The largest payloads of every rotation topic fit in one message, and the
// bounds agree with the formats they bound.
func TestRotationPayloadsFitAMessage(t *testing.T) {
	t.Parallel()
	copies := make([][]byte, protocol.MaxRotationGatekeepers)
	for i := range copies {
		copies[i] = filled(protocol.MaxRotationCopyLen, 9)
	}
	prop := protocol.RotationProposal{ToVersion: 1, PublicKey: filled(protocol.MasterPublicKeyLen, 2), Copies: copies}
	names := make([]string, protocol.MaxFailedNames)
	for i := range names {
		names[i] = string(rune('a'+i)) + strings.Repeat("x", protocol.MaxFailedNameLen-1)
	}
	for name, b := range map[string][]byte{
		"rotation start":     protocol.RotationStart{From: 0, To: 1, Gatekeepers: maxRotationMembers()}.Encode(),
		"rotation proposal":  prop.Encode(),
		"rotation proposed":  protocol.RotationProposed{Proposer: filled(32, 1), RotationProposal: prop}.Encode(),
		"reencrypt progress": protocol.ReencryptProgress{Failed: 100, Total: 100, FailedNames: names}.Encode(),
	} {
		if len(b) > protocol.MaxPayloadLen {
			t.Errorf("largest %s is %d bytes, above MaxPayloadLen %d", name, len(b), protocol.MaxPayloadLen)
		}
	}
	if _, err := protocol.DecodeRotationProposed(protocol.RotationProposed{Proposer: filled(32, 1), RotationProposal: prop}.Encode()); err != nil {
		t.Errorf("largest proposal: %v", err)
	}
	if got := crypto.SealOverhead + crypto.MasterSecretSize; got > protocol.MaxRotationCopyLen {
		t.Errorf("a sealed master key secret is %d bytes, above MaxRotationCopyLen %d", got, protocol.MaxRotationCopyLen)
	}
	if protocol.MaxFailedNameLen != statestore.MaxNameLen {
		t.Errorf("MaxFailedNameLen %d, statestore.MaxNameLen %d", protocol.MaxFailedNameLen, statestore.MaxNameLen)
	}
}

func TestRotationPayloadBounds(t *testing.T) {
	t.Parallel()
	start := func(edit func(*protocol.RotationStart)) []byte {
		p := validRotationStart()
		edit(&p)
		return p.Encode()
	}
	proposal := func(edit func(*protocol.RotationProposal)) []byte {
		p := validRotationProposal()
		edit(&p)
		return p.Encode()
	}
	progress := func(edit func(*protocol.ReencryptProgress)) []byte {
		p := validReencryptProgress()
		edit(&p)
		return p.Encode()
	}
	decStart := func(b []byte) error { _, err := protocol.DecodeRotationStart(b); return err }
	decProposal := func(b []byte) error { _, err := protocol.DecodeRotationProposal(b); return err }
	decProposed := func(b []byte) error { _, err := protocol.DecodeRotationProposed(b); return err }
	decReencrypt := func(b []byte) error { _, err := protocol.DecodeReencryptStart(b); return err }
	decProgress := func(b []byte) error { _, err := protocol.DecodeReencryptProgress(b); return err }
	tooLongCopy := validRotationProposal()
	tooLongCopy.Copies[1] = filled(protocol.MaxRotationCopyLen+1, 1)
	tests := []struct {
		name   string
		decode func([]byte) error
		b      []byte
		want   error
	}{
		{"start: to is not from+1", decStart, start(func(p *protocol.RotationStart) { p.To = 5 }), protocol.ErrMalformed},
		{"start: from is the last version", decStart, start(func(p *protocol.RotationStart) { p.From, p.To = ^uint32(0), 0 }), protocol.ErrMalformed},
		{"start: no gatekeeper", decStart, start(func(p *protocol.RotationStart) { p.Gatekeepers = nil }), protocol.ErrMalformed},
		{"start: gatekeepers out of order", decStart, start(func(p *protocol.RotationStart) {
			p.Gatekeepers[0], p.Gatekeepers[1] = p.Gatekeepers[1], p.Gatekeepers[0]
		}), protocol.ErrMalformed},
		{"start: a gatekeeper twice", decStart, start(func(p *protocol.RotationStart) { p.Gatekeepers[1] = p.Gatekeepers[0] }), protocol.ErrMalformed},
		{"start: too many gatekeepers", decStart, start(func(p *protocol.RotationStart) {
			p.Gatekeepers = append(maxRotationMembers(), protocol.RotationMember{Identity: filled(32, 0xff), ReceiveKey: filled(protocol.ReceiveKeyLen, 1)})
		}), protocol.ErrTooLarge},
		{"proposal: no copy", decProposal, proposal(func(p *protocol.RotationProposal) { p.Copies = nil }), protocol.ErrMalformed},
		{"proposal: empty copy", decProposal, proposal(func(p *protocol.RotationProposal) { p.Copies[0] = nil }), protocol.ErrMalformed},
		{"proposal: copy over the bound", decProposal, tooLongCopy.Encode(), protocol.ErrTooLarge},
		{"proposal: too many copies", decProposal, proposal(func(p *protocol.RotationProposal) {
			p.Copies = make([][]byte, protocol.MaxRotationGatekeepers+1)
			for i := range p.Copies {
				p.Copies[i] = []byte{1}
			}
		}), protocol.ErrTooLarge},
		{"proposed: without proposer", decProposed, validRotationProposal().Encode(), protocol.ErrMalformed},
		{"reencrypt start: no range", decReencrypt, protocol.ReencryptStart{From: 1, To: 2}.Encode(), protocol.ErrMalformed},
		{"reencrypt start: more ranges than gatekeepers", decReencrypt, protocol.ReencryptStart{From: 1, To: 2, Ranges: protocol.MaxRotationGatekeepers + 1}.Encode(), protocol.ErrMalformed},
		{"reencrypt start: versions not consecutive", decReencrypt, protocol.ReencryptStart{From: 1, To: 3, Ranges: 1}.Encode(), protocol.ErrMalformed},
		{"progress: finished byte 2", decProgress, func() []byte {
			b := validReencryptProgress().Encode()
			b[32] = 2
			return b
		}(), protocol.ErrMalformed},
		{"progress: too many names", decProgress, progress(func(p *protocol.ReencryptProgress) {
			p.FailedNames = nil
			for i := range protocol.MaxFailedNames + 1 {
				p.FailedNames = append(p.FailedNames, string(rune('a'+i)))
			}
		}), protocol.ErrTooLarge},
		{"progress: name over the bound", decProgress, progress(func(p *protocol.ReencryptProgress) {
			p.FailedNames = []string{strings.Repeat("a", protocol.MaxFailedNameLen+1)}
		}), protocol.ErrTooLarge},
		{"progress: empty name", decProgress, progress(func(p *protocol.ReencryptProgress) { p.FailedNames = []string{""} }), protocol.ErrMalformed},
		{"progress: name with a space", decProgress, progress(func(p *protocol.ReencryptProgress) { p.FailedNames = []string{"a b"} }), protocol.ErrMalformed},
		{"progress: name with a control byte", decProgress, progress(func(p *protocol.ReencryptProgress) { p.FailedNames = []string{"a\nb"} }), protocol.ErrMalformed},
		{"progress: names out of order", decProgress, progress(func(p *protocol.ReencryptProgress) { p.FailedNames = []string{"b", "a"} }), protocol.ErrMalformed},
		{"progress: a name twice", decProgress, progress(func(p *protocol.ReencryptProgress) { p.FailedNames = []string{"a", "a"} }), protocol.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := tc.decode(tc.b); !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}

// A proposal's copies survive the round trip byte for byte, in order, and
// the proposed form is the proposal with the proposer after the version.
func TestRotationProposedLayout(t *testing.T) {
	t.Parallel()
	p := validRotationProposal()
	proposed := protocol.RotationProposed{Proposer: filled(32, 5), RotationProposal: p}
	b := proposed.Encode()
	want := append(append(append([]byte(nil), p.Encode()[:4]...), filled(32, 5)...), p.Encode()[4:]...)
	if !bytes.Equal(b, want) {
		t.Fatalf("proposed %x, want %x", b, want)
	}
	got, err := protocol.DecodeRotationProposed(b)
	if err != nil || !bytes.Equal(got.Proposer, filled(32, 5)) || len(got.Copies) != 2 || !bytes.Equal(got.Copies[1], []byte("copy 2")) {
		t.Fatalf("decoded %+v, %v", got, err)
	}
}

// Every rotation topic is a valid registry topic, and no two are equal.
func TestRotationTopics(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, topic := range []string{
		protocol.TopicRotationStart, protocol.TopicRotationProposal, protocol.TopicRotationProposed,
		protocol.TopicRotationProposalRejected, protocol.TopicRotationAck, protocol.TopicReencryptStart,
		protocol.TopicReencryptProgress, protocol.TopicMasterKeyRetired, protocol.TopicMasterKeyErase,
	} {
		if err := protocol.ValidateTopic(topic); err != nil || protocol.TopicModule(topic) != "gatekeeper" || seen[topic] {
			t.Errorf("topic %q: %v (module %q, duplicate %v)", topic, err, protocol.TopicModule(topic), seen[topic])
		}
		seen[topic] = true
	}
}
