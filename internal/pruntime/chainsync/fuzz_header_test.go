package chainsync_test

import (
	"bytes"
	"errors"
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

// Fuzz targets for the header decoders and for decode+verify against the
// CometBFT-based reference. Seeds come from testdata/fuzz/<FuzzName>/ and
// from f.Add below.

// FuzzDecodeSignedHeader checks the signed header decoder: no panic, errors
// match ErrMalformedHeader, and what it accepts CometBFT decodes too, to the
// same encoding and hash.
func FuzzDecodeSignedHeader(f *testing.F) {
	for _, u := range []chainsync.HeaderUpdate{chainA.at(1), chainA.at(50), chainRotated.at(51)} {
		f.Add(u.SignedHeader.Marshal())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sh, err := chainsync.DecodeSignedHeader(b)
		if err != nil {
			if !errors.Is(err, chainsync.ErrMalformedHeader) {
				t.Fatalf("error %v does not match ErrMalformedHeader", err)
			}
			return
		}
		if !bytes.Equal(sh.Marshal(), b) {
			t.Fatal("accepted a non-canonical encoding")
		}
		var shp cmtproto.SignedHeader
		if err := gogoproto.Unmarshal(b, &shp); err != nil {
			t.Fatalf("accepted what CometBFT cannot unmarshal: %v", err)
		}
		csh, err := cmttypes.SignedHeaderFromProto(&shp)
		if err != nil {
			t.Fatalf("accepted what CometBFT rejects: %v", err)
		}
		if again, err := gogoproto.Marshal(csh.ToProto()); err != nil || !bytes.Equal(again, b) {
			t.Fatalf("CometBFT re-encodes differently (%v)", err)
		}
		if !bytes.Equal(sh.Hash(), csh.Hash()) {
			t.Fatalf("hash %X, CometBFT %X", sh.Hash(), csh.Hash())
		}
	})
}

// FuzzDecodeValidatorSet checks the validator set decoder as
// FuzzDecodeSignedHeader checks the header's.
func FuzzDecodeValidatorSet(f *testing.F) {
	for _, u := range []chainsync.HeaderUpdate{chainA.at(1), chainRotated.at(51)} {
		f.Add(u.Validators.Marshal())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		vs, err := chainsync.DecodeValidatorSet(b)
		if err != nil {
			if !errors.Is(err, chainsync.ErrMalformedHeader) {
				t.Fatalf("error %v does not match ErrMalformedHeader", err)
			}
			return
		}
		if !bytes.Equal(vs.Marshal(), b) {
			t.Fatal("accepted a non-canonical encoding")
		}
		var vp cmtproto.ValidatorSet
		if err := gogoproto.Unmarshal(b, &vp); err != nil {
			t.Fatalf("accepted what CometBFT cannot unmarshal: %v", err)
		}
		cvs, err := cmttypes.ValidatorSetFromProto(&vp)
		if err != nil {
			t.Fatalf("accepted what CometBFT rejects: %v", err)
		}
		if !bytes.Equal(vs.Hash(), cvs.Hash()) || vs.TotalVotingPower() != cvs.TotalVotingPower() {
			t.Fatal("hash or total power differs from CometBFT's")
		}
	})
}

// FuzzVerifyDifferential decodes and verifies the same update bytes with
// chainsync and with the CometBFT-based reference (reference_test.go), from
// one of two trusted states. chainsync must never accept what the reference
// rejects; it may reject what the reference accepts only for being stricter
// about the encoding (not CometBFT's canonical bytes); where both decode,
// the verdicts must match sentinel for sentinel.
func FuzzVerifyDifferential(f *testing.F) {
	for _, seed := range []struct {
		u     chainsync.HeaderUpdate
		which uint8
	}{
		{chainA.at(2), 0}, {chainA.at(60), 0}, {chainHalf.at(20), 1}, {chainRotated.at(51), 0},
		{hdr{height: 10, time: timeAt(10), vals: valsA, forgeWith: valsB}.build(), 0},
		{hdr{height: 10, time: timeAt(10), vals: valsA, signers: 2}.build(), 1},
	} {
		f.Add(seed.u.SignedHeader.Marshal(), seed.u.Validators.Marshal(), seed.which)
	}
	opts := chainsync.DefaultOptions()
	roots := []chainsync.HeaderUpdate{chainA.at(1), chainHalf.at(1)}
	var ours [2]chainsync.TrustedState
	var refs [2]refState
	for i, first := range roots {
		var err error
		if ours[i], err = chainsync.Init(testChainID, genesisRoot(valsA), first, opts); err != nil {
			f.Fatal(err)
		}
		if refs[i], err = refInit(testChainID, genesisRoot(valsA), refUpdate{SignedHeader: cmtSH(first.SignedHeader), Validators: cmtVals(first.Validators)}, opts); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, shb, vb []byte, which uint8) {
		i := which % 2
		u, derr := chainsync.DecodeHeaderUpdate(shb, vb)
		csh, cvals, cerr := cmtDecode(shb, vb)
		if derr == nil && cerr != nil {
			t.Fatalf("decoded what CometBFT rejects: %v", cerr)
		}
		if cerr != nil {
			return
		}
		rnext, rerr := refs[i].verify(refUpdate{SignedHeader: csh, Validators: cvals}, opts)
		if derr != nil {
			if rerr == nil && canonical(t, csh, cvals, shb, vb) {
				t.Fatalf("rejected canonical bytes the reference accepts: %v", derr)
			}
			return
		}
		next, err := ours[i].Verify(u, opts)
		if d := sameVerdict(err, rerr); d != "" {
			t.Fatal(d)
		}
		if err == nil && !bytes.Equal(next.Header.Hash(), rnext.Header.Hash()) {
			t.Fatal("verified states differ")
		}
	})
}

// canonical reports whether shb and vb are CometBFT's own encodings of what
// they decode to.
func canonical(t *testing.T, sh *cmttypes.SignedHeader, vals *cmttypes.ValidatorSet, shb, vb []byte) bool {
	if sh.Header == nil || sh.Commit == nil {
		return false
	}
	s, v := gogoBytes(t, sh, vals)
	return bytes.Equal(s, shb) && bytes.Equal(v, vb)
}
