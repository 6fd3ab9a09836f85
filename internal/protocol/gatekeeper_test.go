package protocol_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// gatekeeperCodecs are the decoders of every gatekeeper payload, each
// paired with the encoding of what it decoded, for the canonical check.
var gatekeeperCodecs = []struct {
	name   string
	decode func([]byte) ([]byte, error)
}{
	{"master key record", func(b []byte) ([]byte, error) { p, err := protocol.DecodeMasterKeyRecord(b); return p.Encode(), err }},
	{"key request", func(b []byte) ([]byte, error) { p, err := protocol.DecodeKeyRequest(b); return p.Encode(), err }},
	{"master key copy", func(b []byte) ([]byte, error) { p, err := protocol.DecodeMasterKeyCopy(b); return p.Encode(), err }},
	{"relayed", func(b []byte) ([]byte, error) { p, err := protocol.DecodeRelayed(b); return p.Encode(), err }},
	{"key fault", func(b []byte) ([]byte, error) { p, err := protocol.DecodeKeyFault(b); return p.Encode(), err }},
	{"task", func(b []byte) ([]byte, error) { p, err := protocol.DecodeGatekeeperTask(b); return p.Encode(), err }},
	{"cluster key id", func(b []byte) ([]byte, error) { p, err := protocol.DecodeClusterKeyID(b); return p.Encode(), err }},
	{"cluster public key", func(b []byte) ([]byte, error) { p, err := protocol.DecodeClusterPublicKey(b); return p.Encode(), err }},
	{"cluster grant", func(b []byte) ([]byte, error) { p, err := protocol.DecodeClusterGrant(b); return p.Encode(), err }},
	{"cluster key copy", func(b []byte) ([]byte, error) { p, err := protocol.DecodeClusterKeyCopy(b); return p.Encode(), err }},
	{"cluster member", func(b []byte) ([]byte, error) { p, err := protocol.DecodeClusterMember(b); return p.Encode(), err }},
	{"beacon", func(b []byte) ([]byte, error) { p, err := protocol.DecodeBeacon(b); return p.Encode(), err }},
	{"u32", func(b []byte) ([]byte, error) {
		v, err := protocol.DecodeU32("v", b)
		return protocol.EncodeU32(v), err
	}},
	{"u64", func(b []byte) ([]byte, error) {
		v, err := protocol.DecodeU64("v", b)
		return protocol.EncodeU64(v), err
	}},
	{"session started", func(b []byte) ([]byte, error) { p, err := protocol.DecodeSessionStarted(b); return p.Encode(), err }},
	{"session ref", func(b []byte) ([]byte, error) { p, err := protocol.DecodeSessionRef(b); return p.Encode(), err }},
	{"heartbeat", func(b []byte) ([]byte, error) { p, err := protocol.DecodeHeartbeat(b); return p.Encode(), err }},
	{"computation block", func(b []byte) ([]byte, error) { p, err := protocol.DecodeComputationBlock(b); return p.Encode(), err }},
	{"rotation start", func(b []byte) ([]byte, error) { p, err := protocol.DecodeRotationStart(b); return p.Encode(), err }},
	{"rotation proposal", func(b []byte) ([]byte, error) { p, err := protocol.DecodeRotationProposal(b); return p.Encode(), err }},
	{"rotation proposed", func(b []byte) ([]byte, error) { p, err := protocol.DecodeRotationProposed(b); return p.Encode(), err }},
	{"rotation rejected", func(b []byte) ([]byte, error) { p, err := protocol.DecodeRotationRejected(b); return p.Encode(), err }},
	{"reencrypt start", func(b []byte) ([]byte, error) { p, err := protocol.DecodeReencryptStart(b); return p.Encode(), err }},
	{"reencrypt progress", func(b []byte) ([]byte, error) { p, err := protocol.DecodeReencryptProgress(b); return p.Encode(), err }},
	{"master key retired", func(b []byte) ([]byte, error) { p, err := protocol.DecodeMasterKeyRetired(b); return p.Encode(), err }},
	{"reencrypt sweep", func(b []byte) ([]byte, error) { p, err := protocol.DecodeReencryptSweep(b); return p.Encode(), err }},
	{"reencrypt reassigned", func(b []byte) ([]byte, error) {
		p, err := protocol.DecodeReencryptReassigned(b)
		return p.Encode(), err
	}},
	{"migration scheduled", func(b []byte) ([]byte, error) { p, err := protocol.DecodeMigrationScheduled(b); return p.Encode(), err }},
	{"migration handover request", func(b []byte) ([]byte, error) {
		p, err := protocol.DecodeMigrationHandoverRequest(b)
		return p.Encode(), err
	}},
	{"migration handover", func(b []byte) ([]byte, error) { p, err := protocol.DecodeMigrationHandover(b); return p.Encode(), err }},
	{"migration pair ref", func(b []byte) ([]byte, error) { p, err := protocol.DecodeMigrationPairRef(b); return p.Encode(), err }},
	{"migration activated", func(b []byte) ([]byte, error) { p, err := protocol.DecodeMigrationActivated(b); return p.Encode(), err }},
	{"migration cancelled", func(b []byte) ([]byte, error) { p, err := protocol.DecodeMigrationCancelled(b); return p.Encode(), err }},
}

func filled(n int, c byte) []byte { return bytes.Repeat([]byte{c}, n) }

// validGatekeeperPayloads holds one valid encoding per codec, in order.
func validGatekeeperPayloads() [][]byte {
	id := protocol.ClusterKeyID{Cluster: 9, Version: 2}
	return [][]byte{
		protocol.MasterKeyRecord{Version: 3, PublicKey: filled(protocol.MasterPublicKeyLen, 2)}.Encode(),
		protocol.KeyRequest{Identity: filled(32, 1), ReceiveKey: filled(protocol.ReceiveKeyLen, 3)}.Encode(),
		protocol.MasterKeyCopy{Recipient: filled(32, 1), First: 0, Count: 5, Sealed: []byte("sealed")}.Encode(),
		protocol.Relayed{Sender: filled(32, 4), Body: []byte("body")}.Encode(),
		protocol.KeyFault{Sender: filled(32, 4), Kind: protocol.FaultClusterKeyCopy, Cluster: 9, Version: 2}.Encode(),
		protocol.GatekeeperTask{Seq: 12, Body: id.Encode()}.Encode(),
		id.Encode(),
		protocol.ClusterPublicKey{ClusterKeyID: id, PublicKey: filled(32, 5)}.Encode(),
		protocol.ClusterGrant{ClusterKeyID: id, PublicKey: filled(32, 5), Worker: filled(32, 6), ReceiveKey: filled(protocol.ReceiveKeyLen, 7)}.Encode(),
		protocol.ClusterKeyCopy{ClusterKeyID: id, Recipient: filled(32, 6), Sealed: []byte("sealed")}.Encode(),
		protocol.ClusterMember{Cluster: 9, Worker: filled(32, 6)}.Encode(),
		protocol.Beacon{Height: 100, Version: 1, Value: filled(32, 8)}.Encode(),
		protocol.EncodeU32(7),
		protocol.EncodeU64(7),
		protocol.SessionStarted{Worker: filled(32, 6), Session: 3, Score: 900, Level: 2, Stake: filled(protocol.FixedLen, 1)}.Encode(),
		protocol.SessionRef{Worker: filled(32, 6), Session: 3}.Encode(),
		protocol.Heartbeat{Session: 3, Challenge: 77, Iterations: 1 << 40}.Encode(),
		protocol.ComputationBlock{Height: 77, Time: 1_790_000_000_000, Seed: filled(32, 9)}.Encode(),
		validRotationStart().Encode(),
		validRotationProposal().Encode(),
		protocol.RotationProposed{Proposer: filled(32, 1), RotationProposal: validRotationProposal()}.Encode(),
		protocol.RotationRejected{ToVersion: 4, Proposer: filled(32, 1)}.Encode(),
		protocol.ReencryptStart{From: 3, To: 4, Ranges: 2}.Encode(),
		validReencryptProgress().Encode(),
		protocol.MasterKeyRetired{Version: 3, EraseHeight: 1234}.Encode(),
		protocol.ReencryptSweep{ToVersion: 4, SweepHeight: 99}.Encode(),
		protocol.ReencryptReassigned{ToVersion: 4, Range: 2, Assignee: filled(32, 1), Previous: filled(32, 2)}.Encode(),
		validMigrationScheduled().Encode(),
		validHandoverRequest().Encode(),
		validHandover().Encode(),
		protocol.MigrationPairRef{ID: 2, Predecessor: filled(32, 1)}.Encode(),
		validMigrationActivated().Encode(),
		protocol.MigrationCancelled{ID: 2, Reason: protocol.CancelPlanGone}.Encode(),
	}
}

func TestGatekeeperPayloadsRoundTrip(t *testing.T) {
	t.Parallel()
	if n, m := len(validGatekeeperPayloads()), len(gatekeeperCodecs); n != m {
		t.Fatalf("%d valid payloads for %d codecs: one each, in order", n, m)
	}
	for i, b := range validGatekeeperPayloads() {
		c := gatekeeperCodecs[i]
		again, err := c.decode(b)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("%s: %v, round trip %x != %x", c.name, err, again, b)
		}
		// Fixed-layout payloads reject a trailing byte and a truncation.
		if c.name == "relayed" || c.name == "task" {
			continue
		}
		if _, err := c.decode(append(bytes.Clone(b), 0)); !errors.Is(err, protocol.ErrMalformed) {
			t.Fatalf("%s with a trailing byte: %v", c.name, err)
		}
		if _, err := c.decode(b[:len(b)-1]); !errors.Is(err, protocol.ErrMalformed) {
			t.Fatalf("%s truncated: %v", c.name, err)
		}
	}
}

func TestGatekeeperPayloadBounds(t *testing.T) {
	t.Parallel()
	copyOf := func(first, count uint32) []byte {
		return protocol.MasterKeyCopy{Recipient: filled(32, 1), First: first, Count: count, Sealed: []byte("s")}.Encode()
	}
	for name, tc := range map[string]struct {
		err error
		b   []byte
	}{
		"copy of zero versions":    {protocol.ErrMalformed, copyOf(0, 0)},
		"copy over the bound":      {protocol.ErrMalformed, copyOf(0, protocol.MaxVersionsPerCopy+1)},
		"copy past version 2^32":   {protocol.ErrMalformed, copyOf(^uint32(0), 2)},
		"unknown fault kind":       {protocol.ErrMalformed, protocol.KeyFault{Sender: filled(32, 1), Kind: 9}.Encode()},
		"sealed longer than bound": {protocol.ErrTooLarge, append(append(filled(32, 1), 0, 0, 0, 0, 0, 0, 0, 1), 0xff, 0xff, 0xff, 0xff)},
		"relayed without sender":   {protocol.ErrMalformed, filled(31, 1)},
	} {
		var err error
		switch name {
		case "unknown fault kind":
			_, err = protocol.DecodeKeyFault(tc.b)
		case "relayed without sender":
			_, err = protocol.DecodeRelayed(tc.b)
		default:
			_, err = protocol.DecodeMasterKeyCopy(tc.b)
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", name, err, tc.err)
		}
	}
}

// FuzzDecodeGatekeeperPayload: the first byte picks a decoder, the rest is
// its input. Every decoder must not panic, must wrap ErrMalformed, and must
// be canonical.
func FuzzDecodeGatekeeperPayload(f *testing.F) {
	for i, b := range validGatekeeperPayloads() {
		f.Add(append([]byte{byte(i)}, b...))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		c := gatekeeperCodecs[int(in[0])%len(gatekeeperCodecs)]
		b := in[1:]
		again, err := c.decode(b)
		if err != nil {
			if !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("%s: error %v does not wrap ErrMalformed", c.name, err)
			}
			return
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("%s not canonical:\n  in %x\n out %x", c.name, b, again)
		}
	})
}
