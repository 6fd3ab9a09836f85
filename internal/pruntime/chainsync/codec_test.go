package chainsync_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

func mustMarshal(t testing.TB, s chainsync.TrustedState) []byte {
	t.Helper()
	b, err := s.Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return b
}

// stateParts splits a Marshal encoding into its fields.
func stateParts(t testing.TB, b []byte) (chainID string, header, vals []byte) {
	t.Helper()
	n := int(b[1])
	chainID = string(b[2 : 2+n])
	rest := b[2+n:]
	hl := binary.BigEndian.Uint32(rest)
	header = rest[4 : 4+hl]
	rest = rest[4+hl:]
	vl := binary.BigEndian.Uint32(rest)
	vals = rest[4 : 4+vl]
	if len(rest) != int(4+vl) {
		t.Fatal("bad test encoding")
	}
	return chainID, header, vals
}

// joinState assembles an encoding from its fields.
func joinState(version byte, chainID string, header, vals []byte) []byte {
	b := append([]byte{version, byte(len(chainID))}, chainID...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(header)))
	b = append(b, header...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(vals)))
	return append(b, vals...)
}

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	opts := chainsync.DefaultOptions()
	s1 := mustInit(t, genesisRoot(valsA), chainA.at(1))
	rotated := mustInit(t, headerRoot(chainRotated.at(50)), chainRotated.at(50))
	rotated, err := rotated.Verify(chainRotated.at(51), opts)
	if err != nil {
		t.Fatal(err)
	}
	big := newValSet("big", 100)
	bigChain := newTestChain(testChainID, 3, constantVals(big))
	cases := []struct {
		name string
		s    chainsync.TrustedState
		next chainsync.HeaderUpdate // a header the decoded state must verify
	}{
		{name: "genesis state", s: s1, next: chainA.at(101)},
		{name: "after a validator set change", s: rotated, next: chainRotated.at(100)},
		{name: "100 validators", s: mustInit(t, genesisRoot(big), bigChain.at(1)), next: bigChain.at(3)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := mustMarshal(t, tc.s)
			got, err := chainsync.UnmarshalTrustedState(b)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if got.ChainID != tc.s.ChainID || got.Height() != tc.s.Height() ||
				!bytes.Equal(got.Header.Hash(), tc.s.Header.Hash()) ||
				!bytes.Equal(got.Validators.Hash(), tc.s.Validators.Hash()) ||
				!got.Time().Equal(tc.s.Time()) {
				t.Fatal("decoded state differs")
			}
			if again := mustMarshal(t, got); !bytes.Equal(again, b) {
				t.Fatal("re-encoding differs")
			}
			if _, err := got.Verify(tc.next, opts); err != nil {
				t.Fatalf("decoded state does not verify header %d: %v", tc.next.SignedHeader.Height, err)
			}
		})
	}
}

func TestUnmarshalRejects(t *testing.T) {
	t.Parallel()
	good := mustMarshal(t, mustInit(t, genesisRoot(valsA), chainA.at(1)))
	chainID, header, vals := stateParts(t, good)

	var vp cmtproto.ValidatorSet
	if err := vp.Unmarshal(vals); err != nil {
		t.Fatal(err)
	}
	vp.TotalVotingPower = 40
	valsWithTotal, err := vp.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	otherVals, err := valsB.set.ToProto()
	if err != nil {
		t.Fatal(err)
	}
	otherValsBytes, err := otherVals.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// Field 99, varint 1: an unknown field the decoder would skip.
	unknownField := []byte{0x98, 0x06, 0x01}
	badState := func(u chainsync.HeaderUpdate) []byte {
		return mustMarshal(t, chainsync.TrustedState{ChainID: testChainID, Header: u.SignedHeader, Validators: u.Validators})
	}

	cases := []struct {
		name string
		b    []byte
		also error
	}{
		{name: "empty", b: nil},
		{name: "unknown version", b: joinState(2, chainID, header, vals)},
		{name: "trailing byte", b: append(bytes.Clone(good), 0)},
		{name: "truncated", b: good[:len(good)-1]},
		{name: "oversized", b: make([]byte, chainsync.MaxTrustedStateLen+1)},
		{name: "length prefix beyond input", b: append([]byte{1, 1, 'x'}, 0xff, 0xff, 0xff, 0xff)},
		{name: "empty chain id", b: joinState(1, "", header, vals)},
		{name: "chain id differs from header", b: joinState(1, "gatekeeper-test-2", header, vals), also: chainsync.ErrInvalidHeader},
		{name: "header not a proto message", b: joinState(1, chainID, []byte{0xff}, vals)},
		{name: "empty header", b: joinState(1, chainID, nil, vals)},
		{name: "unknown field in header", b: joinState(1, chainID, append(bytes.Clone(header), unknownField...), vals)},
		{name: "unknown field in validators", b: joinState(1, chainID, header, append(bytes.Clone(vals), unknownField...))},
		{name: "total voting power written", b: joinState(1, chainID, header, valsWithTotal)},
		{name: "empty validator set", b: joinState(1, chainID, header, nil)},
		{name: "validators of another set", b: joinState(1, chainID, header, otherValsBytes), also: chainsync.ErrValidatorsHash},
		{name: "half the signatures", b: badState(hdr{height: 1, time: genesisTime, vals: valsA, signers: 2}.build()), also: chainsync.ErrNotEnoughPower},
		{name: "forged signatures", b: badState(hdr{height: 1, time: genesisTime, vals: valsA, forgeWith: valsB}.build()), also: chainsync.ErrBadCommit},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := chainsync.UnmarshalTrustedState(tc.b)
			if !errors.Is(err, chainsync.ErrMalformedState) || (tc.also != nil && !errors.Is(err, tc.also)) {
				t.Fatalf("Unmarshal error %v, want ErrMalformedState", err)
			}
			if s.Header != nil {
				t.Fatal("rejected encoding returned a state")
			}
		})
	}

	t.Run("every truncation", func(t *testing.T) {
		t.Parallel()
		for n := range len(good) {
			if _, err := chainsync.UnmarshalTrustedState(good[:n]); !errors.Is(err, chainsync.ErrMalformedState) {
				t.Fatalf("prefix of %d bytes: %v", n, err)
			}
		}
	})
}

func TestMarshalRejectsInvalidState(t *testing.T) {
	t.Parallel()
	s := mustInit(t, genesisRoot(valsA), chainA.at(1))
	cases := []struct {
		name string
		s    chainsync.TrustedState
	}{
		{name: "zero value", s: chainsync.TrustedState{}},
		{name: "no validators", s: chainsync.TrustedState{ChainID: s.ChainID, Header: s.Header}},
		{name: "chain id differs from header", s: chainsync.TrustedState{ChainID: "x", Header: s.Header, Validators: s.Validators}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tc.s.Marshal(); !errors.Is(err, chainsync.ErrInvalidState) {
				t.Fatalf("Marshal error %v, want ErrInvalidState", err)
			}
		})
	}
}
