package e2e

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/crypto"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/privval"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/gatekeeper-net/gatekeeper/internal/e2etest"
	"github.com/gatekeeper-net/gatekeeper/internal/pherry"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/roles"
)

// TestPruntimeRejectsHostileRelayer plays the relayer as an attacker against
// a pRuntime following the devnet: it takes what an honest relayer would
// send — real headers, real entries with real proofs — and forges, replays,
// reorders or garbles it. Every request must be refused with a 4xx naming
// the problem, and leave the pRuntime's state and checkpoints exactly as
// they were. At the end the honest requests still go through.
func TestPruntimeRejectsHostileRelayer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gkd and runs a devnet")
	}
	c := startChain(t)
	c.registerSimWorkers(t, c.sender(t, "faucet"), 6)
	// Blocks after the entries landed, so that they can be proven at an
	// older height than the one the pRuntime will trust.
	c.waitHeight(t, c.height(t)+2)

	dataDir := t.TempDir()
	tee, err := pruntime.OpenSimTEE(dataDir, pruntime.DevnetMeasurement())
	if err != nil {
		t.Fatal(err)
	}
	cfg := pruntime.DefaultConfig()
	cfg.DataDir = dataDir
	cfg.ChainID = c.chainID
	cfg.Operator = c.accounts["operator"]
	cfg.TrustRoot = protocol.TrustRoot{Height: 0, Hash: c.trustRoot}
	logs := &syncBuffer{}
	rt, err := pruntime.New(cfg, tee, slog.New(slog.NewTextHandler(logs, nil)), roles.All)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pruntime log:\n%s", e2etest.Tail(logs.String(), 40))
		}
	})
	client := api.NewClient(srv.URL)
	ctx := t.Context()
	header := func(h int64) api.HeaderUpdate {
		t.Helper()
		u, err := pherry.FetchHeaderUpdate(ctx, c.node, h)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	fetch := func(start uint64, n int, proofHeight int64) pherry.IngressBatch {
		t.Helper()
		b, err := pherry.FetchIngress(ctx, c.node, start, n, proofHeight)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Entries) != n {
			t.Fatalf("chain holds %d entries from %d at height %d, want %d", len(b.Entries), start, proofHeight, n)
		}
		return b
	}

	// Honest start: init at header 1, trust the latest header, apply two
	// entries. The entries after them are what the attacks are about.
	if _, err := client.SyncInit(ctx, header(1)); err != nil {
		t.Fatal(err)
	}
	trusted := c.height(t)
	info, err := client.SyncHeader(ctx, header(trusted))
	if err != nil {
		t.Fatal(err)
	}
	proofHeight := info.ProofHeight
	// A fresh pRuntime holds no ingress head: the first range comes with
	// the head at its start proven.
	first := fetch(info.NextIngress, 2, proofHeight)
	base, err := pherry.FetchProvenRead(ctx, c.node, protocol.MQStoreName, protocol.IngressHeadKey(first.Start), proofHeight)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.SyncIngress(ctx, first.Request(&base)); err != nil {
		t.Fatal(err)
	}
	c.waitHeight(t, trusted+2)
	info = infoAt(t, srv.URL)
	n := info.NextIngress
	identity, err := hex.DecodeString(info.IdentityKey)
	if err != nil {
		t.Fatal(err)
	}

	adjacent := header(trusted + 1) // verified against the trusted next validators
	skipping := header(trusted + 2) // verified by skipping
	valKey := privval.LoadFilePVEmptyState(filepath.Join(c.home, "config", "priv_validator_key.json"), "").Key.PrivKey
	const otherChain = "gatekeeper-other"
	// The devnet's own validator signs a copy of the next header with only
	// the chain id changed: a header of another chain the same validators
	// run, perfectly signed. Checked here so that the pRuntime's refusal
	// can only be about the chain id.
	otherChainHeader := editHeader(t, skipping, func(sh *cmttypes.SignedHeader, vals *cmttypes.ValidatorSet) {
		sh.ChainID = otherChain
		resign(t, sh, valKey)
		if err := vals.VerifyCommitLightAllSignatures(otherChain, sh.Commit.BlockID, sh.Height, sh.Commit); err != nil {
			t.Fatalf("re-signed header of %s does not verify: %v", otherChain, err)
		}
	})

	next := fetch(n, 3, proofHeight) // entries n, n+1, n+2 and the head at n+3
	// edited is next with its entries copied and then changed by edit.
	edited := func(edit func(b *pherry.IngressBatch)) pherry.IngressBatch {
		b := next
		b.Entries = make([][]byte, len(next.Entries))
		for i, e := range next.Entries {
			b.Entries[i] = bytes.Clone(e)
		}
		edit(&b)
		return b
	}
	ack, err := pherry.FetchProvenRead(ctx, c.node, protocol.MQStoreName,
		protocol.SequenceKey(protocol.WorkerOrigin(identity)), proofHeight)
	if err != nil {
		t.Fatal(err)
	}
	if len(ack.Value) != 0 {
		t.Fatalf("chain holds an egress sequence for an unregistered worker: %x", ack.Value)
	}
	forgedAck := ack
	forgedAck.Value = binary.BigEndian.AppendUint64(nil, 7)

	ingress := func(b pherry.IngressBatch) []byte { return mustJSON(t, b.Request(nil)) }
	headerBody := func(u api.HeaderUpdate) []byte { return mustJSON(t, u) }
	outOfOrder := func(got uint64) string {
		return fmt.Sprintf("ingress out of order: got index %d, expected %d", got, n)
	}
	oversized := append([]byte(`{"start":0,"entries":"`), bytes.Repeat([]byte("A"), api.MaxRequestBody)...)
	oversized = append(oversized, `"}`...)

	tests := []struct {
		name   string
		path   string
		body   []byte
		status int
		want   string
	}{
		// Headers.
		{"forged header: a commit signature byte flipped", api.PathSyncHeader,
			headerBody(editHeader(t, skipping, func(sh *cmttypes.SignedHeader, _ *cmttypes.ValidatorSet) {
				sh.Commit.Signatures[0].Signature[0] ^= 0x01
			})), http.StatusBadRequest, "commit does not verify"},
		{"forged adjacent header: a commit signature byte flipped", api.PathSyncHeader,
			headerBody(editHeader(t, adjacent, func(sh *cmttypes.SignedHeader, _ *cmttypes.ValidatorSet) {
				sh.Commit.Signatures[0].Signature[10] ^= 0x80
			})), http.StatusBadRequest, "commit does not verify"},
		{"forged header: app hash changed under the real commit", api.PathSyncHeader,
			headerBody(editHeader(t, skipping, func(sh *cmttypes.SignedHeader, _ *cmttypes.ValidatorSet) {
				sh.AppHash = bytes.Repeat([]byte{0xAA}, 32)
				sh.Commit.BlockID.Hash = sh.Hash() // the commit claims the forged header
			})), http.StatusBadRequest, "commit does not verify"},
		{"too few signatures: the only validator absent", api.PathSyncHeader,
			headerBody(editHeader(t, skipping, func(sh *cmttypes.SignedHeader, _ *cmttypes.ValidatorSet) {
				sh.Commit.Signatures[0] = cmttypes.NewCommitSigAbsent()
			})), http.StatusBadRequest, "not enough voting power signed"},
		{"too few signatures: the only validator's vote turned into a nil vote", api.PathSyncHeader,
			headerBody(editHeader(t, adjacent, func(sh *cmttypes.SignedHeader, _ *cmttypes.ValidatorSet) {
				sh.Commit.Signatures[0].BlockIDFlag = cmttypes.BlockIDFlagNil
			})), http.StatusBadRequest, "not enough voting power signed"},
		{"too few signatures: the only signature removed", api.PathSyncHeader,
			headerBody(editHeader(t, skipping, func(sh *cmttypes.SignedHeader, _ *cmttypes.ValidatorSet) {
				sh.Commit.Signatures = nil
			})), http.StatusBadRequest, "commit: no signatures"},
		// Issue 12, point 2: a set that the trusted validator did not sign
		// must cost no signature check; had one been checked, the answer
		// would be 400 "commit does not verify", not 422.
		{"forged skipping header: 1,000 validators of its own, every signature invalid", api.PathSyncHeader,
			headerBody(floodHeader(t, skipping, chainsync.MaxValidators)), http.StatusUnprocessableEntity, "need an intermediate header"},
		{"forged skipping header: more validators than the bound", api.PathSyncHeader,
			headerBody(floodHeader(t, skipping, chainsync.MaxValidators+1)), http.StatusBadRequest,
			fmt.Sprintf("more than %d signatures", chainsync.MaxValidators)},
		{"header of another chain, signed by the same validator", api.PathSyncHeader,
			headerBody(otherChainHeader), http.StatusBadRequest, "wrong chain id"},
		{"header with a validator set it does not commit to", api.PathSyncHeader,
			headerBody(editHeader(t, skipping, func(_ *cmttypes.SignedHeader, vals *cmttypes.ValidatorSet) {
				*vals = *cmttypes.NewValidatorSet([]*cmttypes.Validator{cmttypes.NewValidator(cmted25519.GenPrivKey().PubKey(), 10)})
			})), http.StatusBadRequest, "validator set hash mismatch"},
		{"trusted header replayed", api.PathSyncHeader,
			headerBody(header(trusted)), http.StatusBadRequest, "not newer than trusted header"},
		{"older header", api.PathSyncHeader,
			headerBody(header(trusted - 1)), http.StatusBadRequest, "not newer than trusted header"},
		{"init again", api.PathSyncInit,
			headerBody(header(1)), http.StatusConflict, "already initialized"},

		// Ingress: raw entries in bulk, one proven head after them.
		{"tampered entry: one byte of an entry flipped, head kept", api.PathSyncIngress,
			ingress(edited(func(b *pherry.IngressBatch) { b.Entries[1][len(b.Entries[1])-1] ^= 0x01 })),
			http.StatusBadRequest, "do not match the proven head"},
		{"entry missing from the page", api.PathSyncIngress,
			ingress(edited(func(b *pherry.IngressBatch) { b.Entries = slices.Delete(b.Entries, 1, 2) })),
			http.StatusBadRequest, "ingress entry missing"},
		{"entry missing, head claimed one lower", api.PathSyncIngress,
			ingress(edited(func(b *pherry.IngressBatch) {
				b.Entries = slices.Delete(b.Entries, 1, 2)
				b.End, b.Head = n+2, fetch(n, 2, proofHeight).Head
			})), http.StatusBadRequest, "ingress entry missing"},
		{"extra entry in the page", api.PathSyncIngress,
			ingress(edited(func(b *pherry.IngressBatch) { b.Entries = append(b.Entries, bytes.Clone(b.Entries[2])) })),
			http.StatusBadRequest, "more ingress entries than the proven head covers"},
		{"reordered entries", api.PathSyncIngress,
			ingress(edited(func(b *pherry.IngressBatch) { b.Entries[0], b.Entries[1] = b.Entries[1], b.Entries[0] })),
			http.StatusBadRequest, "ingress entries out of order"},
		{"head from one height below the proof height", api.PathSyncIngress,
			ingress(fetch(n, 1, proofHeight-1)), http.StatusBadRequest, "state proof does not verify"},
		{"head from a height above the trusted header's", api.PathSyncIngress,
			ingress(fetch(n, 1, proofHeight+1)), http.StatusBadRequest, "state proof does not verify"},
		{"head proof of another index", api.PathSyncIngress,
			ingress(edited(func(b *pherry.IngressBatch) { b.Head = fetch(n, 2, proofHeight).Head })),
			http.StatusBadRequest, "malformed state proof"},
		{"entries not framed", api.PathSyncIngress,
			mustJSON(t, api.IngressRequest{Start: n, End: n + 1, Entries: []byte{0, 0, 0, 9, 1}, Head: next.Head}),
			http.StatusBadRequest, "malformed ingress entries"},
		{"skipped entry: starts at next_ingress+1", api.PathSyncIngress,
			ingress(edited(func(b *pherry.IngressBatch) { b.Start, b.Entries = n+1, b.Entries[1:] })),
			http.StatusConflict, outOfOrder(n + 1)},
		{"replayed entry", api.PathSyncIngress,
			ingress(fetch(n-1, 1, proofHeight)), http.StatusConflict, "got index " + fmt.Sprint(n-1)},

		// Egress acknowledgements.
		{"forged ack: a sequence claimed with a proof of absence", api.PathSyncEgressAck,
			mustJSON(t, api.EgressAckRequest{Worker: forgedAck}), http.StatusBadRequest, "not an existence proof"},
		{"forged ack: the gatekeeper channel's sequence claimed with a proof of absence", api.PathSyncEgressAck,
			mustJSON(t, api.EgressAckRequest{Worker: ack, Gatekeeper: &forgedAck}), http.StatusBadRequest, "egress ack: gatekeeper: chainsync: malformed state proof"},
		{"forged ack: a gatekeeper lane's sequence claimed with a proof of absence", api.PathSyncEgressAck,
			mustJSON(t, api.EgressAckRequest{Worker: ack, Lanes: []api.LaneAck{{Lane: protocol.LaneComputation, Next: forgedAck}}}),
			http.StatusBadRequest, "egress ack: gatekeeper:computation: chainsync: malformed state proof"},
		{"ack for a lane that is no lane name", api.PathSyncEgressAck,
			mustJSON(t, api.EgressAckRequest{Worker: ack, Lanes: []api.LaneAck{{Lane: "Computation", Next: ack}}}),
			http.StatusBadRequest, `lane "Computation" is not a lane name`},
		{"ack for too many lanes", api.PathSyncEgressAck,
			mustJSON(t, api.EgressAckRequest{Worker: ack, Lanes: make([]api.LaneAck, api.MaxLaneAcks+1)}),
			http.StatusBadRequest, "9 lanes, at most 8"},

		// Malformed bodies.
		{"not JSON", api.PathSyncIngress, []byte("entries: 1"), http.StatusBadRequest, "request body: strictjson: invalid JSON: invalid character"},
		// Bodies two JSON parsers would read differently (issue 12 point 7).
		{"duplicate key", api.PathSyncHeader, []byte(`{"signed_header":"","validators":"","validators":"AA=="}`),
			http.StatusBadRequest, `duplicate key "validators"`},
		{"key matching a field only case-insensitively", api.PathSyncIngress, []byte(`{"Entries":""}`),
			http.StatusBadRequest, "field names are case-sensitive"},
		{"invalid UTF-8 in a lane name", api.PathSyncEgressAck, []byte("{\"worker\":{\"proof\":\"\"},\"lanes\":[{\"lane\":\"gatekeeper\xff\",\"next\":{\"proof\":\"\"}}]}"),
			http.StatusBadRequest, "invalid UTF-8"},
		{"unknown field", api.PathSyncIngress, []byte(`{"entries":"","trusted":true}`),
			http.StatusBadRequest, `unknown field "trusted"`},
		{"unknown field in a header update", api.PathSyncHeader, []byte(`{"signed_header":"","validators":"","height":9}`),
			http.StatusBadRequest, `unknown field "height"`},
		{"trailing data", api.PathSyncIngress, []byte(`{"entries":""} {"entries":""}`),
			http.StatusBadRequest, "trailing data"},
		{"signed header not protobuf", api.PathSyncHeader, []byte(`{"signed_header":"/////w==","validators":""}`),
			http.StatusBadRequest, "signed header"},
		{"proof not protobuf", api.PathSyncIngress,
			ingress(edited(func(b *pherry.IngressBatch) { b.Head.Proof = []byte{0xff, 0xff, 0xff} })),
			http.StatusBadRequest, "proof"},
		{"body over the limit", api.PathSyncIngress, oversized,
			http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", api.MaxRequestBody)},
	}
	ckptDir := filepath.Join(dataDir, "checkpoints")
	// Sequential: every case runs against the same pRuntime and checks that
	// it is left exactly as the previous case left it.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, beforeCkpt := infoAt(t, srv.URL), dirDigest(t, ckptDir)
			status, msg := postRaw(t, srv.URL, tc.path, tc.body)
			if status != tc.status || !strings.Contains(msg, tc.want) {
				t.Errorf("POST %s: HTTP %d %q; want HTTP %d containing %q", tc.path, status, msg, tc.status, tc.want)
			}
			if after := infoAt(t, srv.URL); after != before {
				t.Errorf("state changed:\nbefore %+v\nafter  %+v", before, after)
			}
			if after := dirDigest(t, ckptDir); !maps.Equal(after, beforeCkpt) {
				t.Errorf("checkpoints changed:\nbefore %v\nafter  %v", beforeCkpt, after)
			}
			t.Logf("HTTP %d: %s", status, msg)
		})
	}

	// The honest requests still go through: the newest header, then every
	// entry up to the chain's next index at the new proof height.
	info, err = client.SyncHeader(ctx, skipping)
	if err != nil {
		t.Fatalf("honest header after the attacks: %v", err)
	}
	want := c.ingressNext(t, info.ProofHeight)
	resp, err := client.SyncIngress(ctx, fetch(n, int(want-n), info.ProofHeight).Request(nil))
	if err != nil {
		t.Fatalf("honest ingress after the attacks: %v", err)
	}
	if resp.NextIngress != want {
		t.Fatalf("next_ingress %d after the honest batch, chain's next index %d", resp.NextIngress, want)
	}
}

// floodHeader is u with a validator set of n fresh validators, none of them
// the chain's, committing to it, every signature of the commit invalid.
func floodHeader(t *testing.T, u api.HeaderUpdate, n int) api.HeaderUpdate {
	t.Helper()
	return editHeader(t, u, func(sh *cmttypes.SignedHeader, vals *cmttypes.ValidatorSet) {
		vs := make([]*cmttypes.Validator, n)
		for i := range vs {
			vs[i] = cmttypes.NewValidator(cmted25519.GenPrivKey().PubKey(), 10)
		}
		*vals = *cmttypes.NewValidatorSet(vs)
		sh.ValidatorsHash, sh.NextValidatorsHash = vals.Hash(), vals.Hash()
		sh.ProposerAddress = vals.Validators[0].Address
		sh.Commit.BlockID.Hash = sh.Hash()
		sh.Commit.Signatures = make([]cmttypes.CommitSig, n)
		for i, v := range vals.Validators {
			sh.Commit.Signatures[i] = cmttypes.CommitSig{BlockIDFlag: cmttypes.BlockIDFlagCommit, ValidatorAddress: v.Address,
				Timestamp: sh.Time, Signature: bytes.Repeat([]byte{0x5a}, 64)}
		}
	})
}

// editHeader decodes u, lets edit change the signed header and validator
// set, and encodes the result.
func editHeader(t *testing.T, u api.HeaderUpdate, edit func(*cmttypes.SignedHeader, *cmttypes.ValidatorSet)) api.HeaderUpdate {
	t.Helper()
	var shp cmtproto.SignedHeader
	if err := proto.Unmarshal(u.SignedHeader, &shp); err != nil {
		t.Fatal(err)
	}
	sh, err := cmttypes.SignedHeaderFromProto(&shp)
	if err != nil {
		t.Fatal(err)
	}
	var vsp cmtproto.ValidatorSet
	if err := proto.Unmarshal(u.Validators, &vsp); err != nil {
		t.Fatal(err)
	}
	vals, err := cmttypes.ValidatorSetFromProto(&vsp)
	if err != nil {
		t.Fatal(err)
	}
	edit(sh, vals)
	shb, err := proto.Marshal(sh.ToProto())
	if err != nil {
		t.Fatal(err)
	}
	vp, err := vals.ToProto()
	if err != nil {
		t.Fatal(err)
	}
	vb, err := proto.Marshal(vp)
	if err != nil {
		t.Fatal(err)
	}
	return api.HeaderUpdate{SignedHeader: shb, Validators: vb}
}

// resign points sh's commit at sh's current hash and replaces every commit
// signature with key's precommit for it, under sh's chain id.
func resign(t *testing.T, sh *cmttypes.SignedHeader, key crypto.PrivKey) {
	t.Helper()
	sh.Commit.BlockID.Hash = sh.Hash()
	for i, cs := range sh.Commit.Signatures {
		if cs.BlockIDFlag != cmttypes.BlockIDFlagCommit {
			continue
		}
		vote := cmttypes.Vote{
			Type: cmtproto.PrecommitType, Height: sh.Height, Round: sh.Commit.Round,
			BlockID: sh.Commit.BlockID, Timestamp: cs.Timestamp,
			ValidatorAddress: cs.ValidatorAddress, ValidatorIndex: int32(i),
		}
		sig, err := key.Sign(cmttypes.VoteSignBytes(sh.ChainID, vote.ToProto()))
		if err != nil {
			t.Fatal(err)
		}
		sh.Commit.Signatures[i].Signature = sig
	}
}
