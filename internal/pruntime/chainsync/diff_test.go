package chainsync_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

// The differential tests hold chainsync's decoding, hashing, sign bytes and
// verdicts equal to CometBFT's on randomly generated signed headers and
// validator sets, valid and invalid. The reference for whole hops is
// reference_test.go (chainsync as it was over CometBFT's types); for commits
// it is CometBFT's VerifyCommitLightAllSignatures and
// VerifyCommitLightTrusting themselves.

// diffKeys are the validator keys the generated sets draw from.
var diffKeys = func() []cmtcrypto.PrivKey {
	keys := make([]cmtcrypto.PrivKey, 12)
	for i := range keys {
		keys[i] = cmted25519.GenPrivKeyFromSecret(fmt.Appendf(nil, "diff/%d", i))
	}
	return keys
}()

// keyOf finds the key of a validator address among diffKeys.
func keyOf(addr []byte) cmtcrypto.PrivKey {
	for _, k := range diffKeys {
		if bytes.Equal(k.PubKey().Address(), addr) {
			return k
		}
	}
	panic("no key")
}

// randomSet draws 1 to 6 validators of diffKeys with powers 1 to 50.
func randomSet(r *rand.Rand) *cmttypes.ValidatorSet {
	perm := r.Perm(len(diffKeys))[:1+r.IntN(6)]
	vals := make([]*cmttypes.Validator, len(perm))
	for i, k := range perm {
		vals[i] = cmttypes.NewValidator(diffKeys[k].PubKey(), 1+r.Int64N(50))
	}
	return cmttypes.NewValidatorSet(vals)
}

// overlapping keeps some of vs's validators (with new powers) and adds others.
func overlapping(r *rand.Rand, vs *cmttypes.ValidatorSet) *cmttypes.ValidatorSet {
	var vals []*cmttypes.Validator
	in := map[string]bool{}
	for _, v := range vs.Validators {
		if r.IntN(2) == 0 {
			vals = append(vals, cmttypes.NewValidator(v.PubKey, 1+r.Int64N(50)))
			in[string(v.Address)] = true
		}
	}
	for _, k := range diffKeys {
		if !in[string(k.PubKey().Address())] && r.IntN(4) == 0 {
			vals = append(vals, cmttypes.NewValidator(k.PubKey(), 1+r.Int64N(50)))
		}
	}
	if len(vals) == 0 {
		vals = append(vals, cmttypes.NewValidator(diffKeys[0].PubKey(), 7))
	}
	return cmttypes.NewValidatorSet(vals)
}

// signHeader builds the header at height with its commit: each slot is
// flagged commit (mostly), nil or absent, and signed for chain signAs.
func signHeader(r *rand.Rand, chainID, signAs string, height int64, tm time.Time, vals, next *cmttypes.ValidatorSet, nilRate int) *cmttypes.SignedHeader {
	h := &cmttypes.Header{
		Version:            cmtversion.Consensus{Block: version.BlockProtocol, App: 1},
		ChainID:            chainID,
		Height:             height,
		Time:               tm,
		LastBlockID:        cmttypes.BlockID{Hash: hash32("last", height), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: hash32("lastparts", height)}},
		LastCommitHash:     hash32("last commit", height),
		DataHash:           hash32("data", height),
		ValidatorsHash:     vals.Hash(),
		NextValidatorsHash: next.Hash(),
		ConsensusHash:      hash32("consensus", 0),
		AppHash:            hash32("app", height),
		LastResultsHash:    hash32("results", height),
		EvidenceHash:       hash32("evidence", height),
		ProposerAddress:    vals.Validators[0].Address,
	}
	c := &cmttypes.Commit{
		Height:  height,
		Round:   int32(r.IntN(3)),
		BlockID: cmttypes.BlockID{Hash: h.Hash(), PartSetHeader: cmttypes.PartSetHeader{Total: 1 + uint32(r.IntN(4)), Hash: hash32("parts", height)}},
	}
	for i, v := range vals.Validators {
		flag := cmttypes.BlockIDFlagCommit
		switch n := r.IntN(100); {
		case n < nilRate:
			flag = cmttypes.BlockIDFlagNil
		case n < nilRate+10:
			flag = cmttypes.BlockIDFlagAbsent
		}
		if flag == cmttypes.BlockIDFlagAbsent {
			c.Signatures = append(c.Signatures, cmttypes.NewCommitSigAbsent())
			continue
		}
		c.Signatures = append(c.Signatures, cmttypes.CommitSig{
			BlockIDFlag: flag, ValidatorAddress: v.Address,
			Timestamp: tm.Add(time.Duration(1+r.IntN(1e6)) * time.Microsecond),
		})
		sig, err := keyOf(v.Address).Sign(c.VoteSignBytes(signAs, int32(i)))
		if err != nil {
			panic(err)
		}
		c.Signatures[i].Signature = sig
	}
	return &cmttypes.SignedHeader{Header: h, Commit: c}
}

// diffCase is one hop to compare: a trusted header with its validators and
// an update, possibly broken in the way name says.
type diffCase struct {
	name           string
	trusted        *cmttypes.SignedHeader
	tvals          *cmttypes.ValidatorSet
	update         *cmttypes.SignedHeader
	uvals          *cmttypes.ValidatorSet
	trustNum       uint64 // trust level numerator over 3
	trustedVerdict bool
}

// commitSlots returns the indices of the update's slots flagged commit.
func commitSlots(c *cmttypes.Commit) []int {
	var out []int
	for i, cs := range c.Signatures {
		if cs.BlockIDFlag == cmttypes.BlockIDFlagCommit {
			out = append(out, i)
		}
	}
	return out
}

// randomCase generates one hop: a trusted header at a random height, a new
// set equal to, overlapping or disjoint from the trusted one, an adjacent
// or skipping update, and one of the breakages below (or none).
func randomCase(r *rand.Rand) diffCase {
	tvals := randomSet(r)
	var uvals *cmttypes.ValidatorSet
	switch r.IntN(3) {
	case 0:
		uvals = tvals
	case 1:
		uvals = overlapping(r, tvals)
	default:
		uvals = randomSet(r)
	}
	h0 := 1 + r.Int64N(100)
	t0 := genesisTime.Add(time.Duration(h0) * blockInterval)
	next := uvals
	if r.IntN(5) == 0 {
		next = randomSet(r)
	}
	trusted := signHeader(r, testChainID, testChainID, h0, t0, tvals, next, 0)
	// Make the trusted header verifiable on its own: all slots signed.
	trusted = signAll(trusted, tvals)
	height := h0 + 1
	if r.IntN(2) == 0 {
		height += 1 + r.Int64N(50)
	}
	tm := t0.Add(time.Duration(height-h0) * blockInterval)
	nilRate := 5
	dc := diffCase{trusted: trusted, tvals: tvals, uvals: uvals, trustNum: 1}
	if r.IntN(6) == 0 {
		dc.trustNum = 2 + uint64(r.IntN(2))
	}
	kind := r.IntN(18)
	switch kind {
	case 1:
		nilRate = 60
		dc.name = "mostly nil votes"
	case 2:
		tm = t0
		dc.name = "time not after"
	case 3:
		tm = t0.Add(15 * 24 * time.Hour)
		dc.name = "beyond the trusting period"
	case 4:
		height = h0
		dc.name = "same height"
	}
	signAs := testChainID
	if kind == 5 {
		signAs = "other-chain"
		dc.name = "signed for another chain"
	}
	chainID := testChainID
	if kind == 6 {
		chainID = "other-chain"
		dc.name = "header of another chain"
	}
	if kind == 7 {
		// Reordered set, header and commit built for that order: valid to
		// CometBFT, which does not check the order.
		rev := make([]*cmttypes.Validator, len(uvals.Validators))
		for i, v := range uvals.Validators {
			rev[len(rev)-1-i] = v.Copy()
		}
		uvals = &cmttypes.ValidatorSet{Validators: rev, Proposer: uvals.Proposer.Copy()}
		dc.uvals = uvals
		dc.name = "reordered set"
	}
	if kind == 8 {
		// The same validator twice.
		dup := append([]*cmttypes.Validator{uvals.Validators[0].Copy()}, uvals.Validators...)
		uvals = &cmttypes.ValidatorSet{Validators: dup, Proposer: uvals.Proposer.Copy()}
		dc.uvals = uvals
		dc.name = "duplicate validator"
	}
	if kind == 9 {
		zero := append([]*cmttypes.Validator{}, uvals.Validators...)
		v := zero[len(zero)-1].Copy()
		v.VotingPower = 0
		zero[len(zero)-1] = v
		uvals = &cmttypes.ValidatorSet{Validators: zero, Proposer: uvals.Proposer.Copy()}
		dc.uvals = uvals
		dc.name = "zero-power validator"
	}
	u := signHeader(r, chainID, signAs, height, tm, uvals, randomSet(r), nilRate)
	slots := commitSlots(u.Commit)
	pick := func() *cmttypes.CommitSig {
		if len(slots) == 0 {
			return nil
		}
		return &u.Commit.Signatures[slots[r.IntN(len(slots))]]
	}
	switch kind {
	case 10:
		if cs := pick(); cs != nil {
			cs.Signature[r.IntN(len(cs.Signature))] ^= 1 << r.IntN(8)
		}
		dc.name = "bad signature"
	case 11:
		u.AppHash = hash32("forged app", height)
		dc.name = "altered header"
	case 12:
		u.AppHash = hash32("forged app", height)
		u.Commit.BlockID.Hash = u.Hash()
		dc.name = "altered header, block id recomputed"
	case 13:
		u.Commit.BlockID.PartSetHeader.Total++
		dc.name = "wrong block id"
	case 14:
		if cs := pick(); cs != nil {
			cs.Signature = cs.Signature[:10]
		}
		dc.name = "short signature"
	case 15:
		if len(slots) >= 2 {
			a, b := &u.Commit.Signatures[slots[0]], &u.Commit.Signatures[slots[1]]
			a.ValidatorAddress, b.ValidatorAddress = b.ValidatorAddress, a.ValidatorAddress
		}
		dc.name = "slots swapped"
	case 16:
		if cs := pick(); cs != nil {
			cs.BlockIDFlag = cmttypes.BlockIDFlagAbsent
		}
		dc.name = "absent flag with a signature"
	case 17:
		if len(uvals.Validators) > 1 {
			rev := make([]*cmttypes.Validator, len(uvals.Validators))
			for i, v := range uvals.Validators {
				rev[len(rev)-1-i] = v
			}
			dc.uvals = &cmttypes.ValidatorSet{Validators: rev, Proposer: uvals.Proposer}
		}
		dc.name = "set reordered after signing"
	}
	if dc.name == "" {
		dc.name = "valid"
	}
	dc.update = u
	return dc
}

// signAll flags every slot of sh commit and signs it.
func signAll(sh *cmttypes.SignedHeader, vals *cmttypes.ValidatorSet) *cmttypes.SignedHeader {
	for i, v := range vals.Validators {
		sh.Commit.Signatures[i] = cmttypes.CommitSig{BlockIDFlag: cmttypes.BlockIDFlagCommit, ValidatorAddress: v.Address, Timestamp: sh.Time.Add(time.Millisecond)}
		sig, err := keyOf(v.Address).Sign(sh.Commit.VoteSignBytes(sh.ChainID, int32(i)))
		if err != nil {
			panic(err)
		}
		sh.Commit.Signatures[i].Signature = sig
	}
	return sh
}

// sentinels are the errors whose matching must agree.
var sentinels = []error{
	chainsync.ErrInvalidState, chainsync.ErrTrustRoot, chainsync.ErrChainID, chainsync.ErrInvalidHeader,
	chainsync.ErrValidatorsHash, chainsync.ErrNotNewer, chainsync.ErrTimeNotAfter, chainsync.ErrBadCommit,
	chainsync.ErrNotEnoughPower, chainsync.ErrTrustExpired, chainsync.ErrNeedIntermediate,
}

// sameVerdict reports how two verification errors differ, or "".
func sameVerdict(ours, ref error) string {
	if (ours == nil) != (ref == nil) {
		return fmt.Sprintf("chainsync: %v; reference: %v", ours, ref)
	}
	for _, s := range sentinels {
		if errors.Is(ours, s) != errors.Is(ref, s) {
			return fmt.Sprintf("match %v differs: chainsync: %v; reference: %v", s, ours, ref)
		}
	}
	return ""
}

// gogoBytes is the update as the relayer encodes it.
func gogoBytes(t testing.TB, sh *cmttypes.SignedHeader, vals *cmttypes.ValidatorSet) (shb, vb []byte) {
	t.Helper()
	shb, err := gogoproto.Marshal(sh.ToProto())
	if err != nil {
		t.Fatal(err)
	}
	vp, err := vals.ToProto()
	if err != nil {
		t.Fatal(err)
	}
	if vb, err = gogoproto.Marshal(vp); err != nil {
		t.Fatal(err)
	}
	return shb, vb
}

// cmtDecode is how the runtime decoded updates before chainsync had its
// own types.
func cmtDecode(shb, vb []byte) (*cmttypes.SignedHeader, *cmttypes.ValidatorSet, error) {
	var shp cmtproto.SignedHeader
	if err := gogoproto.Unmarshal(shb, &shp); err != nil {
		return nil, nil, err
	}
	sh, err := cmttypes.SignedHeaderFromProto(&shp)
	if err != nil {
		return nil, nil, err
	}
	var vp cmtproto.ValidatorSet
	if err := gogoproto.Unmarshal(vb, &vp); err != nil {
		return nil, nil, err
	}
	vals, err := cmttypes.ValidatorSetFromProto(&vp)
	if err != nil {
		return nil, nil, err
	}
	return sh, vals, nil
}

func TestDifferentialAgainstCometBFT(t *testing.T) {
	t.Parallel()
	const n = 1500
	r := rand.New(rand.NewPCG(16, 4))
	kinds := map[string]int{}
	verdicts := map[string]int{}
	for i := range n {
		dc := randomCase(r)
		kinds[dc.name]++
		name := fmt.Sprintf("%d/%s", i, dc.name)
		verdicts[checkCase(t, name, dc)]++
	}
	t.Logf("cases: %v", kinds)
	t.Logf("verdicts: %v", verdicts)
	// The generator must exercise acceptance and each kind of rejection,
	// or agreement means little.
	for _, v := range []string{"accepted", "bad commit", "not enough power", "need intermediate", "invalid header", "validators hash"} {
		if verdicts[v] < 10 {
			t.Errorf("only %d cases %s", verdicts[v], v)
		}
	}
}

// checkCase compares one hop and returns chainsync's verdict, coarsely.
func checkCase(t *testing.T, name string, dc diffCase) string {
	t.Helper()
	opts := chainsync.DefaultOptions()
	opts.TrustLevel = chainsync.Fraction{Numerator: dc.trustNum, Denominator: 3}
	root := protocol.TrustRoot{Height: uint64(dc.trusted.Height), Hash: dc.trusted.Hash()}

	// The trusted state, both ways.
	ref, rerr := refInit(testChainID, root, refUpdate{SignedHeader: dc.trusted, Validators: dc.tvals}, opts)
	ours, oerr := chainsync.Init(testChainID, root, chainsync.HeaderUpdate{SignedHeader: oursSH(dc.trusted), Validators: oursVals(dc.tvals)}, opts)
	if d := sameVerdict(oerr, rerr); d != "" || rerr != nil {
		t.Fatalf("%s: Init: %s (reference error %v)", name, d, rerr)
	}

	// Decoding, hashes and sign bytes of the update.
	shb, vb := gogoBytes(t, dc.update, dc.uvals)
	csh, cvals, cerr := cmtDecode(shb, vb)
	u, derr := chainsync.DecodeHeaderUpdate(shb, vb)
	if (cerr == nil) != (derr == nil) {
		t.Fatalf("%s: decode: chainsync %v, CometBFT %v", name, derr, cerr)
	}
	if derr == nil {
		if !errors.Is(derr, chainsync.ErrMalformedHeader) && derr != nil {
			t.Fatalf("%s: decode error %v is not ErrMalformedHeader", name, derr)
		}
		if !bytes.Equal(u.SignedHeader.Marshal(), shb) || !bytes.Equal(u.Validators.Marshal(), vb) {
			t.Fatalf("%s: re-encoding differs from CometBFT's", name)
		}
		if !bytes.Equal(u.SignedHeader.Hash(), csh.Hash()) {
			t.Fatalf("%s: header hash %X, CometBFT %X", name, u.SignedHeader.Hash(), csh.Hash())
		}
		if !bytes.Equal(u.Validators.Hash(), cvals.Hash()) {
			t.Fatalf("%s: validator set hash %X, CometBFT %X", name, u.Validators.Hash(), cvals.Hash())
		}
		for _, i := range commitSlots(csh.Commit) {
			for _, chainID := range []string{testChainID, "other-chain"} {
				if got, want := chainsync.VoteSignBytes(chainID, u.SignedHeader.Commit, i), csh.Commit.VoteSignBytes(chainID, int32(i)); !bytes.Equal(got, want) {
					t.Fatalf("%s: sign bytes of slot %d:\n  %X\nCometBFT\n  %X", name, i, got, want)
				}
			}
		}
		checkCommits(t, name, dc, u, csh, cvals, opts)
	}

	// The hop, both ways.
	rnext, rerr := ref.verify(refUpdate{SignedHeader: dc.update, Validators: dc.uvals}, opts)
	onext, oerr := ours.Verify(chainsync.HeaderUpdate{SignedHeader: oursSH(dc.update), Validators: oursVals(dc.uvals)}, opts)
	if d := sameVerdict(oerr, rerr); d != "" {
		t.Fatalf("%s: Verify: %s", name, d)
	}
	if oerr == nil && (!bytes.Equal(onext.Header.Hash(), rnext.Header.Hash()) || !bytes.Equal(onext.Validators.Hash(), rnext.Validators.Hash())) {
		t.Fatalf("%s: verified states differ", name)
	}
	switch {
	case oerr == nil:
		return "accepted"
	case errors.Is(oerr, chainsync.ErrNotEnoughPower):
		return "not enough power"
	case errors.Is(oerr, chainsync.ErrNeedIntermediate):
		return "need intermediate"
	case errors.Is(oerr, chainsync.ErrBadCommit):
		return "bad commit"
	case errors.Is(oerr, chainsync.ErrValidatorsHash):
		return "validators hash"
	case errors.Is(oerr, chainsync.ErrInvalidHeader):
		return "invalid header"
	}
	return "other"
}

// checkCommits compares the commit verifications with CometBFT's on the
// update's commit, where CometBFT's decoding accepted it.
func checkCommits(t *testing.T, name string, dc diffCase, u chainsync.HeaderUpdate, csh *cmttypes.SignedHeader, cvals *cmttypes.ValidatorSet, opts chainsync.Options) {
	t.Helper()
	if len(cvals.Validators) == len(csh.Commit.Signatures) {
		got := chainsync.VerifyCommitAll(testChainID, u.Validators, u.SignedHeader.Commit)
		want := cvals.VerifyCommitLightAllSignatures(testChainID, csh.Commit.BlockID, csh.Height, csh.Commit)
		sameCommitVerdict(t, name+": all signatures", got, want)
	}
	got := chainsync.VerifyCommitTrusting(testChainID, oursVals(dc.tvals), u.SignedHeader.Commit, opts.TrustLevel)
	want := dc.tvals.VerifyCommitLightTrusting(testChainID, csh.Commit, cmtFraction(opts.TrustLevel))
	sameCommitVerdict(t, name+": trusting", got, want)
}

func sameCommitVerdict(t *testing.T, name string, got chainsync.CommitVerdict, want error) {
	t.Helper()
	var short cmttypes.ErrNotEnoughVotingPowerSigned
	isShort := errors.As(want, &short)
	switch {
	case (got.Err == nil) != (want == nil):
		t.Fatalf("%s: chainsync %v, CometBFT %v", name, got.Err, want)
	case got.Short != isShort:
		t.Fatalf("%s: chainsync %v, CometBFT %v (too little power in one only)", name, got.Err, want)
	case isShort && (got.Got != short.Got || got.Needed != short.Needed):
		t.Fatalf("%s: chainsync counted %d of %d, CometBFT %d of %d", name, got.Got, got.Needed, short.Got, short.Needed)
	}
}
