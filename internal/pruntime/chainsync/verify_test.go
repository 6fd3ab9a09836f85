package chainsync_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/cometbft/cometbft/light"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

var (
	valsA = newValSet("a", 4)
	valsB = newValSet("b", 4)
	// valsHalf shares two of valsA's four validators: half the power, above
	// the 1/3 trust level.
	valsHalf = valSetOf(append(valsA.privKeys()[:2], valsB.privKeys()[:2]...)...)
	// vals3 has three validators: two signatures are exactly 2/3, not more.
	vals3 = newValSet("three", 3)

	chainA       = newTestChain(testChainID, 101, constantVals(valsA))
	chainRotated = newTestChain(testChainID, 100, rotateAt(51, valsA, valsB))
	chainHalf    = newTestChain(testChainID, 20, rotateAt(11, valsA, valsHalf))
	chainOther   = newTestChain("other-chain-1", 20, constantVals(valsA))
)

// floodVals is a large validator set that none of the test chains trusts.
var floodVals = newValSet("flood", chainsync.MaxValidators)

// badSigs replaces every commit signature of u by an invalid one, except
// those of the validators in keep.
func badSigs(u chainsync.HeaderUpdate, keep *valSet) chainsync.HeaderUpdate {
	for i := range u.SignedHeader.Commit.Signatures {
		cs := &u.SignedHeader.Commit.Signatures[i]
		if keep != nil && keep.keys[string(cs.ValidatorAddress)] != nil {
			continue
		}
		cs.Signature = bytes.Repeat([]byte{0x5a}, 64)
	}
	return u
}

// TestVerifyForgedSetCostsNoSignature performs the attack of issue 12,
// point 2: skipping headers whose large validator set the trusted set did
// not sign (or signed too little of), every signature of the new set
// invalid. Verify must answer ErrNeedIntermediate, the relayer's cue to
// bisect: had it checked a single signature of the new set first, it would
// have found it bad and answered ErrBadCommit (as it did before the cheap
// checks were put first). The trusted validators' own signatures, at most
// the trusted set's size, are all it may check.
func TestVerifyForgedSetCostsNoSignature(t *testing.T) {
	t.Parallel()
	s1 := mustInit(t, genesisRoot(valsA), chainA.at(1))
	// One trusted validator of four (power 10 of 40, the trust level needs
	// more than 13) signs validly among 999 forged ones.
	one := valSetOf(valsA.privKeys()[0])
	mixed := valSetOf(append(one.privKeys(), newValSet("flood", chainsync.MaxValidators-1).privKeys()...)...)
	for _, tc := range []struct {
		name string
		to   chainsync.HeaderUpdate
	}{
		{"no trusted validator", badSigs(hdr{height: 10, time: timeAt(10), vals: floodVals}.build(), nil)},
		{"one trusted validator", badSigs(hdr{height: 10, time: timeAt(10), vals: mixed}.build(), &one)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := s1.Verify(tc.to, chainsync.DefaultOptions())
			if !errors.Is(err, chainsync.ErrNeedIntermediate) || errors.Is(err, chainsync.ErrBadCommit) {
				t.Fatalf("Verify: %v, want ErrNeedIntermediate and no signature of the new set checked", err)
			}
		})
	}
}

func mustInit(t testing.TB, root protocol.TrustRoot, first chainsync.HeaderUpdate) chainsync.TrustedState {
	t.Helper()
	s, err := chainsync.Init(testChainID, root, first, chainsync.DefaultOptions())
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	return s
}

func genesisRoot(vs valSet) protocol.TrustRoot {
	return protocol.TrustRoot{Height: 0, Hash: vs.set.Hash()}
}

func headerRoot(u chainsync.HeaderUpdate) protocol.TrustRoot {
	return protocol.TrustRoot{Height: uint64(u.SignedHeader.Height), Hash: u.SignedHeader.Hash()}
}

// withVals returns u carrying another validator set.
func withVals(u chainsync.HeaderUpdate, vs valSet) chainsync.HeaderUpdate {
	u.Validators = oursVals(vs.set)
	return u
}

func TestInit(t *testing.T) {
	t.Parallel()
	h1, h5 := chainA.at(1), chainA.at(5)
	cases := []struct {
		name    string
		chainID string
		root    protocol.TrustRoot
		first   chainsync.HeaderUpdate
		opts    func(*chainsync.Options)
		want    error // nil: success
		also    error // a second sentinel the error must match
	}{
		{name: "genesis root", root: genesisRoot(valsA), first: h1},
		{name: "trusted header root", root: headerRoot(h5), first: h5},
		{name: "genesis root, wrong validator set hash", root: genesisRoot(valsB), first: h1, want: chainsync.ErrTrustRoot},
		{name: "genesis root, validators of another set", root: genesisRoot(valsB), first: withVals(h1, valsB), want: chainsync.ErrValidatorsHash},
		{name: "genesis root, not the first header", root: genesisRoot(valsA), first: h5, want: chainsync.ErrTrustRoot},
		{name: "header root, wrong hash", root: protocol.TrustRoot{Height: 5, Hash: hash32("x", 5)}, first: h5, want: chainsync.ErrTrustRoot},
		{name: "header root, wrong height", root: protocol.TrustRoot{Height: 6, Hash: h5.SignedHeader.Hash()}, first: h5, want: chainsync.ErrTrustRoot},
		{name: "header root, short hash", root: protocol.TrustRoot{Height: 5, Hash: h5.SignedHeader.Hash()[:31]}, first: h5, want: chainsync.ErrTrustRoot},
		{name: "header root, height beyond int64", root: protocol.TrustRoot{Height: 1 << 63, Hash: h5.SignedHeader.Hash()}, first: h5, want: chainsync.ErrTrustRoot},
		{name: "header root, validators do not match header", root: headerRoot(h5), first: withVals(h5, valsB), want: chainsync.ErrValidatorsHash},
		{name: "other chain id", chainID: "other-chain-1", root: genesisRoot(valsA), first: h1, want: chainsync.ErrChainID},
		{name: "header of another chain", root: genesisRoot(valsA), first: chainOther.at(1), want: chainsync.ErrChainID},
		{name: "empty chain id", chainID: "-", root: genesisRoot(valsA), first: h1, want: chainsync.ErrChainID},
		{
			name: "forged header, bad signatures", root: genesisRoot(valsA),
			first: hdr{height: 1, time: genesisTime, vals: valsA, forgeWith: valsB}.build(),
			want:  chainsync.ErrBadCommit,
		},
		{
			name:  "forged trusted header, bad signatures",
			root:  headerRoot(hdr{height: 5, time: timeAt(5), vals: valsA, forgeWith: valsB}.build()),
			first: hdr{height: 5, time: timeAt(5), vals: valsA, forgeWith: valsB}.build(),
			want:  chainsync.ErrBadCommit,
		},
		{
			name: "half the signatures", root: genesisRoot(valsA),
			first: hdr{height: 1, time: genesisTime, vals: valsA, signers: 2}.build(),
			want:  chainsync.ErrNotEnoughPower, also: chainsync.ErrBadCommit,
		},
		{
			name: "exactly two thirds", root: genesisRoot(vals3),
			first: hdr{height: 1, time: genesisTime, vals: vals3, signers: 2}.build(),
			want:  chainsync.ErrNotEnoughPower,
		},
		{name: "three of four signatures", root: genesisRoot(valsA), first: hdr{height: 1, time: genesisTime, vals: valsA, signers: 3}.build()},
		{name: "missing validators", root: genesisRoot(valsA), first: chainsync.HeaderUpdate{SignedHeader: h1.SignedHeader}, want: chainsync.ErrInvalidHeader},
		{name: "missing header", root: genesisRoot(valsA), first: chainsync.HeaderUpdate{Validators: oursVals(valsA.set)}, want: chainsync.ErrInvalidHeader},
		{
			name: "invalid options", root: genesisRoot(valsA), first: h1,
			opts: func(o *chainsync.Options) { o.TrustingPeriod = 0 }, want: chainsync.ErrInvalidOptions,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			chainID := tc.chainID
			switch chainID {
			case "":
				chainID = testChainID
			case "-":
				chainID = ""
			}
			opts := chainsync.DefaultOptions()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			s, err := chainsync.Init(chainID, tc.root, tc.first, opts)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Init: %v", err)
				}
				if s.Height() != tc.first.SignedHeader.Height || !bytes.Equal(s.Header.Hash(), tc.first.SignedHeader.Hash()) {
					t.Fatalf("trusted %d %X, want the first header", s.Height(), s.Header.Hash())
				}
				return
			}
			if !errors.Is(err, tc.want) || (tc.also != nil && !errors.Is(err, tc.also)) {
				t.Fatalf("Init error %v, want %v", err, tc.want)
			}
		})
	}
}

// verifyCase is one hop from a trusted state.
type verifyCase struct {
	name  string
	from  chainsync.TrustedState
	to    chainsync.HeaderUpdate
	opts  func(*chainsync.Options)
	want  error // nil: success
	also  error // a second sentinel the error must match
	not   error // a sentinel the error must not match
	light bool  // also run CometBFT's light.Verify and require the same verdict
}

func verifyCases(t *testing.T) []verifyCase {
	s1 := mustInit(t, genesisRoot(valsA), chainA.at(1))
	s5 := mustInit(t, headerRoot(chainA.at(5)), chainA.at(5))
	r1 := mustInit(t, genesisRoot(valsA), chainRotated.at(1))
	h1 := mustInit(t, genesisRoot(valsA), chainHalf.at(1))
	at := func(h int64, tm time.Time) hdr { return hdr{height: h, time: tm, vals: valsA} }
	return []verifyCase{
		{name: "adjacent", from: s1, to: chainA.at(2), light: true},
		{name: "skipping across 100 heights", from: s1, to: chainA.at(101), light: true},
		{name: "skipping with half the set changed", from: h1, to: chainHalf.at(20), light: true},
		{name: "adjacent into a changed set", from: mustInit(t, headerRoot(chainRotated.at(50)), chainRotated.at(50)), to: chainRotated.at(51), light: true},
		{name: "same height", from: s5, to: chainA.at(5), want: chainsync.ErrNotNewer, light: true},
		{name: "lower height", from: s5, to: chainA.at(3), want: chainsync.ErrNotNewer, light: true},
		{name: "other chain id", from: s1, to: chainOther.at(10), want: chainsync.ErrChainID, light: true},
		{name: "forged skipping header", from: s1, to: hdr{height: 10, time: timeAt(10), vals: valsA, forgeWith: valsB}.build(), want: chainsync.ErrBadCommit, light: true},
		{name: "forged adjacent header", from: s1, to: hdr{height: 2, time: timeAt(2), vals: valsA, forgeWith: valsB}.build(), want: chainsync.ErrBadCommit, light: true},
		{
			name: "forged header with its own validator set", from: s1,
			to:   hdr{height: 10, time: timeAt(10), vals: valsB}.build(),
			want: chainsync.ErrNeedIntermediate, not: chainsync.ErrBadCommit, light: true,
		},
		{name: "half the signatures, skipping", from: s1, to: hdr{height: 10, time: timeAt(10), vals: valsA, signers: 2}.build(), want: chainsync.ErrNotEnoughPower, also: chainsync.ErrBadCommit, light: true},
		{name: "half the signatures, adjacent", from: s1, to: hdr{height: 2, time: timeAt(2), vals: valsA, signers: 2}.build(), want: chainsync.ErrNotEnoughPower, light: true},
		{
			name: "one signature of four, skipping", from: s1,
			to:   hdr{height: 10, time: timeAt(10), vals: valsA, signers: 1}.build(),
			want: chainsync.ErrNotEnoughPower, not: chainsync.ErrNeedIntermediate, light: true,
		},
		{name: "three signatures of four", from: s1, to: hdr{height: 10, time: timeAt(10), vals: valsA, signers: 3}.build(), light: true},
		{name: "time going backwards", from: s5, to: at(10, timeAt(4)).build(), want: chainsync.ErrTimeNotAfter, light: true},
		{name: "time standing still", from: s5, to: at(10, timeAt(5)).build(), want: chainsync.ErrTimeNotAfter, light: true},
		{name: "validators do not match header", from: s1, to: withVals(chainA.at(10), valsB), want: chainsync.ErrValidatorsHash, light: true},
		{
			name: "adjacent header with a set the trusted header did not name", from: s1,
			to:   hdr{height: 2, time: timeAt(2), vals: valsB}.build(),
			want: chainsync.ErrValidatorsHash, light: true,
		},
		{
			// The flood of issue 12, point 2. Had one signature of the new
			// set been checked, the verdict would be ErrBadCommit.
			name: "forged skipping header of 1,000 validators, every signature invalid", from: s1,
			to:   badSigs(hdr{height: 10, time: timeAt(10), vals: floodVals}.build(), nil),
			want: chainsync.ErrNeedIntermediate, not: chainsync.ErrBadCommit, light: true,
		},
		{
			name: "validator set over MaxValidators", from: s1,
			to:   hdr{height: 10, time: timeAt(10), vals: newValSet("over", chainsync.MaxValidators+1)}.build(),
			want: chainsync.ErrInvalidHeader,
		},
		{name: "validator set rotated completely", from: r1, to: chainRotated.at(100), want: chainsync.ErrNeedIntermediate, light: true},
		{
			name: "skipping hop longer than the trusting period", from: s1,
			to:   at(10, genesisTime.Add(15*24*time.Hour)).build(),
			want: chainsync.ErrNeedIntermediate, also: chainsync.ErrTrustExpired, light: true,
		},
		{
			name: "adjacent hop longer than the trusting period", from: s1,
			to:   at(2, genesisTime.Add(15*24*time.Hour)).build(),
			want: chainsync.ErrTrustExpired, not: chainsync.ErrNeedIntermediate, light: true,
		},
		{
			name: "hop just inside the trusting period", from: s1,
			to: at(10, genesisTime.Add(14*24*time.Hour-time.Second)).build(), light: true,
		},
		{
			name: "hop of exactly the trusting period", from: s1,
			to:   at(10, genesisTime.Add(14*24*time.Hour)).build(),
			want: chainsync.ErrTrustExpired, light: true,
		},
		{
			name: "trust level 2/3 refuses half the set changed", from: h1, to: chainHalf.at(20),
			opts: func(o *chainsync.Options) { o.TrustLevel = chainsync.Fraction{Numerator: 2, Denominator: 3} },
			want: chainsync.ErrNeedIntermediate, light: true,
		},
		{name: "missing validators", from: s1, to: chainsync.HeaderUpdate{SignedHeader: chainA.at(2).SignedHeader}, want: chainsync.ErrInvalidHeader},
		{name: "missing commit", from: s1, to: chainsync.HeaderUpdate{SignedHeader: &chainsync.SignedHeader{Header: chainA.at(2).SignedHeader.Header}, Validators: oursVals(valsA.set)}, want: chainsync.ErrInvalidHeader},
		{name: "empty trusted state", from: chainsync.TrustedState{}, to: chainA.at(2), want: chainsync.ErrInvalidState},
		{
			name: "trust level below 1/3", from: s1, to: chainA.at(2),
			opts: func(o *chainsync.Options) { o.TrustLevel = chainsync.Fraction{Numerator: 1, Denominator: 4} },
			want: chainsync.ErrInvalidOptions,
		},
		{
			name: "zero clock drift", from: s1, to: chainA.at(2),
			opts: func(o *chainsync.Options) { o.MaxClockDrift = 0 }, want: chainsync.ErrInvalidOptions,
		},
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	for _, tc := range verifyCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := chainsync.DefaultOptions()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			next, err := tc.from.Verify(tc.to, opts)
			if tc.light {
				// chainsync must never accept what the reference light
				// client rejects, and on these inputs (whose signatures are
				// all valid or all forged) the verdicts must agree.
				lerr := light.Verify(cmtSH(tc.from.Header), cmtVals(tc.from.Validators), cmtSH(tc.to.SignedHeader), cmtVals(tc.to.Validators),
					opts.TrustingPeriod, tc.to.SignedHeader.Time, opts.MaxClockDrift, cmtFraction(opts.TrustLevel))
				if (err == nil) != (lerr == nil) {
					t.Errorf("chainsync: %v; light.Verify: %v", err, lerr)
				}
				// Where light cannot trust the new set, chainsync asks for an
				// intermediate header — unless the header is not even
				// signed by 2/3 of its own set, which it reports instead.
				var cant light.ErrNewValSetCantBeTrusted
				if errors.As(lerr, &cant) && !errors.Is(err, chainsync.ErrNeedIntermediate) && !errors.Is(err, chainsync.ErrNotEnoughPower) {
					t.Errorf("light.Verify says %v, chainsync %v: want ErrNeedIntermediate", lerr, err)
				}
			}
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if next.Height() != tc.to.SignedHeader.Height || !bytes.Equal(next.Header.Hash(), tc.to.SignedHeader.Hash()) {
					t.Fatalf("trusted %d, want header %d", next.Height(), tc.to.SignedHeader.Height)
				}
				if !next.Time().Equal(tc.to.SignedHeader.Time) || !bytes.Equal(next.AppHash(), tc.to.SignedHeader.AppHash) {
					t.Fatal("Time or AppHash do not come from the new header")
				}
				return
			}
			if !errors.Is(err, tc.want) || (tc.also != nil && !errors.Is(err, tc.also)) {
				t.Fatalf("Verify error %v, want %v", err, tc.want)
			}
			if tc.not != nil && errors.Is(err, tc.not) {
				t.Fatalf("Verify error %v must not match %v", err, tc.not)
			}
			if next.Header != nil {
				t.Fatal("failed Verify returned a state")
			}
		})
	}
}

// TestVerifyIntermediate follows a chain whose validator set was replaced
// entirely: the direct hop fails, the hops through the handover succeed.
func TestVerifyIntermediate(t *testing.T) {
	t.Parallel()
	opts := chainsync.DefaultOptions()
	s := mustInit(t, genesisRoot(valsA), chainRotated.at(1))
	if _, err := s.Verify(chainRotated.at(100), opts); !errors.Is(err, chainsync.ErrNeedIntermediate) {
		t.Fatalf("direct hop: %v, want ErrNeedIntermediate", err)
	}
	// Height 51 is the first signed by valsB; 50 named it as next.
	if _, err := s.Verify(chainRotated.at(51), opts); !errors.Is(err, chainsync.ErrNeedIntermediate) {
		t.Fatalf("hop to 51: %v, want ErrNeedIntermediate", err)
	}
	for _, h := range []int64{50, 51, 100} {
		next, err := s.Verify(chainRotated.at(h), opts)
		if err != nil {
			t.Fatalf("hop %d → %d: %v", s.Height(), h, err)
		}
		s = next
	}
	if !bytes.Equal(s.Validators.Hash(), valsB.set.Hash()) {
		t.Fatal("trusted validators are not the new set")
	}
}

// TestVerifyOwnsItsInput checks that a trusted state does not alias the
// caller's header or validators: changing them afterwards changes nothing.
func TestVerifyOwnsItsInput(t *testing.T) {
	t.Parallel()
	u := hdr{height: 1, time: genesisTime, vals: newValSet("own", 4)}.build()
	s, err := chainsync.Init(testChainID, protocol.TrustRoot{Hash: u.Validators.Hash()}, u, chainsync.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := s.Header.Hash()
	u.SignedHeader.AppHash[0] ^= 1
	u.SignedHeader.Commit.Signatures[0].Signature[0] ^= 1
	u.Validators.Validators[0].VotingPower = 1000
	if !bytes.Equal(s.Header.Hash(), want) || s.Header.Commit.Signatures[0].Signature[0] == u.SignedHeader.Commit.Signatures[0].Signature[0] ||
		s.Validators.Validators[0].VotingPower != 10 {
		t.Fatal("trusted state changed with the caller's input")
	}
	a := s.AppHash()
	a[0] ^= 1
	if bytes.Equal(a, s.Header.AppHash) {
		t.Fatal("AppHash returns the state's own slice")
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		edit func(*chainsync.Options)
		ok   bool
	}{
		{name: "default", edit: func(*chainsync.Options) {}, ok: true},
		{name: "trust level 1", edit: func(o *chainsync.Options) { o.TrustLevel = chainsync.Fraction{Numerator: 1, Denominator: 1} }, ok: true},
		{name: "negative trusting period", edit: func(o *chainsync.Options) { o.TrustingPeriod = -time.Hour }},
		{name: "negative drift", edit: func(o *chainsync.Options) { o.MaxClockDrift = -1 }},
		{name: "trust level above 1", edit: func(o *chainsync.Options) { o.TrustLevel = chainsync.Fraction{Numerator: 4, Denominator: 3} }},
		{name: "zero denominator", edit: func(o *chainsync.Options) { o.TrustLevel = chainsync.Fraction{} }},
		{name: "overflowing trust level", edit: func(o *chainsync.Options) {
			o.TrustLevel = chainsync.Fraction{Numerator: 1 << 62, Denominator: 1 << 63}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := chainsync.DefaultOptions()
			tc.edit(&o)
			err := o.Validate()
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, chainsync.ErrInvalidOptions)) {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}
