package protocol_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

func validMigrationScheduled() protocol.MigrationScheduled {
	return protocol.MigrationScheduled{ID: 2, ActivationHeight: 500, TEEKind: "tdx", Measurement: filled(240, 9),
		Replaced: [][]byte{filled(240, 1), filled(240, 2)}}
}

func validHandoverRequest() protocol.MigrationHandoverRequest {
	return protocol.MigrationHandoverRequest{ID: 2, Predecessor: filled(32, 1), Successor: filled(32, 2),
		ReceiveKey: filled(protocol.ReceiveKeyLen, 3), Measurement: filled(48, 9)}
}

func validHandover() protocol.MigrationHandover {
	return protocol.MigrationHandover{ID: 2, Successor: filled(32, 2), Index: 1, Count: 3, Sealed: []byte("sealed part")}
}

func validMigrationActivated() protocol.MigrationActivated {
	return protocol.MigrationActivated{ID: 2, Pairs: []protocol.MigrationPair{
		{Predecessor: filled(32, 1), Successor: filled(32, 5)},
		{Predecessor: filled(32, 2), Successor: filled(32, 6)},
	}}
}

// The largest payload of every migration topic fits in one message.
func TestMigrationPayloadsFitAMessage(t *testing.T) {
	t.Parallel()
	replaced := make([][]byte, protocol.MaxReplacedMeasurements)
	for i := range replaced {
		replaced[i] = filled(protocol.MaxMeasurementLen, byte(i))
	}
	pairs := make([]protocol.MigrationPair, protocol.MaxMigrationPairs)
	for i := range pairs {
		pairs[i] = protocol.MigrationPair{Predecessor: filled(32, 0), Successor: filled(32, 0xff)}
		pairs[i].Predecessor[30], pairs[i].Predecessor[31] = byte(i>>8), byte(i)
		pairs[i].Successor[30], pairs[i].Successor[31] = byte(i>>8), byte(i)
	}
	largest := map[string][]byte{
		"scheduled": protocol.MigrationScheduled{ID: 1, TEEKind: string(filled(protocol.MaxTEEKindLen, 'k')),
			Measurement: filled(protocol.MaxMeasurementLen, 0xee), Replaced: replaced}.Encode(),
		"handover request": protocol.MigrationHandoverRequest{ID: 1, Predecessor: filled(32, 1), Successor: filled(32, 2),
			ReceiveKey: filled(protocol.ReceiveKeyLen, 3), Measurement: filled(protocol.MaxMeasurementLen, 4)}.Encode(),
		"handover": protocol.MigrationHandover{ID: 1, Successor: filled(32, 2), Count: protocol.MaxHandoverParts,
			Index: protocol.MaxHandoverParts - 1, Sealed: filled(protocol.MaxHandoverSealedLen, 5)}.Encode(),
		"activated": protocol.MigrationActivated{ID: 1, Pairs: pairs}.Encode(),
	}
	// The relayed handover carries the predecessor's key in front.
	largest["relayed handover"] = protocol.Relayed{Sender: filled(32, 1), Body: largest["handover"]}.Encode()
	for name, b := range largest {
		if len(b) > protocol.MaxPayloadLen {
			t.Errorf("largest %s is %d bytes, above MaxPayloadLen %d", name, len(b), protocol.MaxPayloadLen)
		}
	}
	for name, decode := range map[string]func([]byte) error{
		"scheduled": func(b []byte) error { _, err := protocol.DecodeMigrationScheduled(b); return err },
		"handover":  func(b []byte) error { _, err := protocol.DecodeMigrationHandover(b); return err },
		"activated": func(b []byte) error { _, err := protocol.DecodeMigrationActivated(b); return err },
	} {
		if err := decode(largest[name]); err != nil {
			t.Errorf("largest %s does not decode: %v", name, err)
		}
	}
	if protocol.MaxHandoverSealedLen < crypto.SealOverhead+32*protocol.MaxVersionsPerCopy {
		t.Errorf("a handover part (%d bytes) cannot carry what one master key copy carries", protocol.MaxHandoverSealedLen)
	}
}

func TestMigrationPayloadBounds(t *testing.T) {
	t.Parallel()
	scheduled := func(edit func(*protocol.MigrationScheduled)) []byte {
		p := validMigrationScheduled()
		edit(&p)
		return p.Encode()
	}
	handover := func(edit func(*protocol.MigrationHandover)) []byte {
		p := validHandover()
		edit(&p)
		return p.Encode()
	}
	activated := func(edit func(*protocol.MigrationActivated)) []byte {
		p := validMigrationActivated()
		edit(&p)
		return p.Encode()
	}
	request := func(edit func(*protocol.MigrationHandoverRequest)) []byte {
		p := validHandoverRequest()
		edit(&p)
		return p.Encode()
	}
	decScheduled := func(b []byte) error { _, err := protocol.DecodeMigrationScheduled(b); return err }
	decHandover := func(b []byte) error { _, err := protocol.DecodeMigrationHandover(b); return err }
	decActivated := func(b []byte) error { _, err := protocol.DecodeMigrationActivated(b); return err }
	decRequest := func(b []byte) error { _, err := protocol.DecodeMigrationHandoverRequest(b); return err }
	decCancelled := func(b []byte) error { _, err := protocol.DecodeMigrationCancelled(b); return err }
	tests := []struct {
		name   string
		decode func([]byte) error
		in     []byte
		also   error
	}{
		{"empty tee kind", decScheduled, scheduled(func(p *protocol.MigrationScheduled) { p.TEEKind = "" }), nil},
		{"long tee kind", decScheduled, scheduled(func(p *protocol.MigrationScheduled) { p.TEEKind = string(filled(protocol.MaxTEEKindLen+1, 'k')) }), protocol.ErrTooLarge},
		{"empty measurement", decScheduled, scheduled(func(p *protocol.MigrationScheduled) { p.Measurement = nil }), nil},
		{"long measurement", decScheduled, scheduled(func(p *protocol.MigrationScheduled) { p.Measurement = filled(protocol.MaxMeasurementLen+1, 9) }), protocol.ErrTooLarge},
		{"nothing replaced", decScheduled, scheduled(func(p *protocol.MigrationScheduled) { p.Replaced = nil }), nil},
		{"too many replaced", decScheduled, scheduled(func(p *protocol.MigrationScheduled) {
			p.Replaced = make([][]byte, protocol.MaxReplacedMeasurements+1)
			for i := range p.Replaced {
				p.Replaced[i] = []byte{byte(i)}
			}
		}), protocol.ErrTooLarge},
		{"replaced not ascending", decScheduled, scheduled(func(p *protocol.MigrationScheduled) { p.Replaced[0], p.Replaced[1] = p.Replaced[1], p.Replaced[0] }), nil},
		{"replaced twice", decScheduled, scheduled(func(p *protocol.MigrationScheduled) { p.Replaced[1] = p.Replaced[0] }), nil},
		{"successor replaced", decScheduled, scheduled(func(p *protocol.MigrationScheduled) { p.Replaced[1] = p.Measurement }), nil},
		{"request to itself", decRequest, request(func(p *protocol.MigrationHandoverRequest) { p.Successor = p.Predecessor }), nil},
		{"request without measurement", decRequest, request(func(p *protocol.MigrationHandoverRequest) { p.Measurement = nil }), nil},
		{"handover of no parts", decHandover, handover(func(p *protocol.MigrationHandover) { p.Count, p.Index = 0, 0 }), nil},
		{"handover part past count", decHandover, handover(func(p *protocol.MigrationHandover) { p.Index = p.Count }), nil},
		{"handover of too many parts", decHandover, handover(func(p *protocol.MigrationHandover) { p.Count = protocol.MaxHandoverParts + 1 }), nil},
		{"empty handover part", decHandover, handover(func(p *protocol.MigrationHandover) { p.Sealed = nil }), nil},
		{"handover part too large", decHandover, handover(func(p *protocol.MigrationHandover) {
			p.Sealed = filled(protocol.MaxHandoverSealedLen+1, 1)
		}), protocol.ErrTooLarge},
		{"activated pairs not ascending", decActivated, activated(func(p *protocol.MigrationActivated) { p.Pairs[0], p.Pairs[1] = p.Pairs[1], p.Pairs[0] }), nil},
		{"activated successor twice", decActivated, activated(func(p *protocol.MigrationActivated) { p.Pairs[1].Successor = p.Pairs[0].Successor }), nil},
		{"activated successor is a predecessor", decActivated, activated(func(p *protocol.MigrationActivated) { p.Pairs[1].Successor = p.Pairs[0].Predecessor }), nil},
		{"activated pair with itself", decActivated, activated(func(p *protocol.MigrationActivated) { p.Pairs[0].Successor = p.Pairs[0].Predecessor }), nil},
		{"activated too many pairs", decActivated, append(protocol.EncodeU64(2), 0xff, 0xff), protocol.ErrTooLarge},
		{"cancelled for no reason", decCancelled, protocol.MigrationCancelled{ID: 1}.Encode(), nil},
		{"cancelled for an unknown reason", decCancelled, protocol.MigrationCancelled{ID: 1, Reason: 3}.Encode(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.decode(tc.in)
			if !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if tc.also != nil && !errors.Is(err, tc.also) {
				t.Fatalf("err = %v, want it to match %v too", err, tc.also)
			}
		})
	}
}

// The HPKE "what" of every handover part is distinct, so a part cannot be
// replayed as another part, of another count or another migration.
func TestMigrationHandoverWhatDistinct(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, w := range [][]byte{
		protocol.MigrationHandoverWhat(1, 0, 2), protocol.MigrationHandoverWhat(1, 1, 2),
		protocol.MigrationHandoverWhat(1, 0, 1), protocol.MigrationHandoverWhat(2, 0, 2),
		protocol.MigrationHandoverWhat(11, 0, 2), protocol.MasterKeyCopyWhat(1, 2),
	} {
		if seen[string(w)] {
			t.Errorf("what %q twice", w)
		}
		seen[string(w)] = true
	}
	if !bytes.Equal(protocol.MigrationHandoverWhat(3, 1, 4), []byte("migration/3/1+4")) {
		t.Errorf("what %q", protocol.MigrationHandoverWhat(3, 1, 4))
	}
}
