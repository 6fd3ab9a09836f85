package pherry

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	errorsmod "cosmossdk.io/errors"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// minProofHeight is the lowest height the SDK proves state at ("cannot
// query with proof when height <= 1"): a pRuntime that verified only header
// 2 waits for the next one.
const minProofHeight = 2

const (
	// gasPerEgressMessage covers the heaviest handler's writes: the master
	// key launch records the key and pushes an ingress entry per
	// gatekeeper, each with its hash-chain head (x/mq since v2), which put
	// a one-message launch at 201,479 gas against 40,000 here.
	gasPerEgressMessage = 60_000
	// gasPerEgressByte covers what a message's size costs: the tx bytes,
	// and the payload written again to state (an ingress entry the chain
	// republishes, a rotation record). A rotation proposal carries a
	// sealed copy per gatekeeper, kilobytes, where most messages are tens
	// of bytes.
	gasPerEgressByte = 100
	gasBase          = 150_000
	gasRegister      = 400_000
	// maxBatchesPerStep bounds the ingress of one round, so that egress and
	// acknowledgements are not starved during a long catch-up.
	maxBatchesPerStep = 20
	// registerRetryBlocks is how long to wait for a registration to show up
	// in ingress before submitting it again.
	registerRetryBlocks = 10
)

// Relayer feeds one pRuntime from one node and carries its egress.
type Relayer struct {
	cfg    Config
	node   *rpchttp.HTTP
	pr     *api.Client
	signer *signer
	log    *slog.Logger

	reg      registration
	progress progress
	metrics  *metrics

	// Test seams; nil means the pRuntime, the signer and the node.
	fetchRegistration func(context.Context) (api.Registration, error)
	send              func(context.Context, uint64, ...sdk.Msg) (string, error)
	deliverResult     func(context.Context, string) (*TxError, error)
	nodeProbe         func(context.Context) error
}

// Sentinel errors of a relay round, for the caller to tell an unreachable
// component from a round that failed.
var (
	// ErrNodeUnreachable: the node did not answer.
	ErrNodeUnreachable = errors.New("pherry: node unreachable")
	// ErrPRuntimeUnreachable: the pRuntime did not answer its status.
	ErrPRuntimeUnreachable = errors.New("pherry: pruntime unreachable")
)

// nodeRPCTimeoutSeconds bounds every call to the node's RPC. Without it a
// call on a connection that a network cut left half-open blocks for good
// (seen on Docker: after "docker network disconnect" and reconnect, pherry
// waited forever and its pRuntime stopped following the chain).
const nodeRPCTimeoutSeconds = 30

// New connects to the node and the pRuntime and loads the operator key.
func New(cfg Config, log *slog.Logger) (*Relayer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	node, err := rpchttp.NewWithTimeout(cfg.NodeRPC, "/websocket", nodeRPCTimeoutSeconds)
	if err != nil {
		return nil, fmt.Errorf("pherry: node %s: %w", cfg.NodeRPC, err)
	}
	cdc, txCfg, err := Codec()
	if err != nil {
		return nil, err
	}
	var kr keyring.Keyring
	name := cfg.KeyName
	if cfg.Mnemonic != "" {
		kr = keyring.NewInMemory(cdc)
		name = "operator"
		if _, err := kr.NewAccount(name, cfg.Mnemonic, keyring.DefaultBIP39Passphrase, sdk.FullFundraiserPath, hd.Secp256k1); err != nil {
			return nil, errors.New("pherry: the operator mnemonic is not valid") // never echo the mnemonic
		}
	} else if kr, err = keyring.New(sdk.KeyringServiceName(), cfg.KeyringBackend, cfg.KeyringDir, keyringInput(cfg.KeyringInput), cdc); err != nil {
		return nil, fmt.Errorf("pherry: keyring: %w", err)
	}
	rec, err := kr.Key(name)
	if err != nil {
		return nil, fmt.Errorf("pherry: operator key %q: %w", name, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return nil, err
	}
	prices, _ := sdk.ParseDecCoins(cfg.GasPrices)
	return &Relayer{
		cfg:  cfg,
		node: node,
		pr:   api.NewClient(cfg.PRuntime),
		signer: &signer{cdc: cdc, txCfg: txCfg, kr: kr, name: name, addr: addr, chainID: cfg.ChainID,
			node: node, gasPrice: prices},
		log:     log,
		metrics: newMetrics(),
	}, nil
}

// Operator returns the operator account.
func (r *Relayer) Operator() sdk.AccAddress { return r.signer.addr }

// Send signs msgs with the operator key and broadcasts them as one
// transaction with the given gas limit, paying Config.GasPrices, the way the
// relayer sends its own. It returns the transaction hash once the node's
// CheckTx accepted it (a rejection is a *TxError); it does not wait for a
// block. It is for operator tooling and tests, and must not be called while
// Run or Step is running: they share the account's sequence.
func (r *Relayer) Send(ctx context.Context, gas uint64, msgs ...sdk.Msg) (string, error) {
	return r.signer.send(ctx, gas, msgs...)
}

// Run relays until ctx ends. A round that fails is logged and retried after
// a backoff (backoffBase doubling to backoffCap, reset by a round that
// succeeds); an idle round waits Config.PollInterval.
func (r *Relayer) Run(ctx context.Context) error {
	return r.run(ctx, r.Step, sleepCtx)
}

// run is Run with the round and the sleep injected.
func (r *Relayer) run(ctx context.Context, step func(context.Context) (bool, error), sleep func(context.Context, time.Duration) error) error {
	r.progress.start = time.Now()
	var bo backoff
	for {
		busy, err := step(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := r.cfg.PollInterval
		if err != nil {
			r.metrics.roundErrors.Inc()
			wait = bo.failed()
			msg := "relay round failed; retrying"
			switch {
			case errors.Is(err, ErrNodeUnreachable):
				msg = "node down; retrying"
			case errors.Is(err, ErrPRuntimeUnreachable):
				msg = "pruntime down; retrying"
			}
			r.progress.stalled = msg
			r.log.Warn(msg, "err", err, "retry_in", wait)
		} else {
			bo.reset()
			r.progress.stalled = ""
		}
		r.progress.maybeLog(r.log, r.cfg.ProgressInterval)
		if busy && err == nil {
			continue
		}
		if sleep(ctx, wait) != nil {
			return nil
		}
	}
}

// Step does one round: headers, ingress, egress, acknowledgements,
// registration. It reports whether there may be more to do right away.
func (r *Relayer) Step(ctx context.Context) (bool, error) {
	info, err := r.pr.Info(ctx)
	if err != nil {
		return false, fmt.Errorf("%w (%s): %w", ErrPRuntimeUnreachable, r.cfg.PRuntime, err)
	}
	if info.ChainID != r.cfg.ChainID {
		return false, fmt.Errorf("pherry: pruntime follows chain %q, not %q", info.ChainID, r.cfg.ChainID)
	}
	if !info.Initialized {
		h := int64(max(info.TrustHeight, 1))
		u, err := headerUpdate(ctx, r.node, h)
		if err != nil {
			return false, err
		}
		if info, err = r.pr.SyncInit(ctx, u); err != nil {
			return false, fmt.Errorf("pherry: init pruntime at height %d: %w", h, err)
		}
		r.log.Info("pruntime initialized", "height", info.SyncedHeight)
	}
	status, err := r.node.Status(ctx)
	if err != nil {
		return false, fmt.Errorf("%w (%s): %w", ErrNodeUnreachable, r.cfg.NodeRPC, err)
	}
	latest := status.SyncInfo.LatestBlockHeight
	r.progress.chainHeight = latest
	r.metrics.chainHeight.Set(float64(latest))
	if latest > info.SyncedHeight {
		if info, err = r.syncHeader(ctx, info.SyncedHeight, latest); err != nil {
			return false, err
		}
	}
	r.progress.synced(info.SyncedHeight)
	r.metrics.syncedHeight.Set(float64(info.SyncedHeight))

	more, _, err := r.syncIngress(ctx, info)
	if err != nil {
		return false, err
	}
	// Ingress may have changed what the pRuntime knows (its registration,
	// new egress): decide the rest on its current status.
	if info, err = r.pr.Info(ctx); err != nil {
		return false, fmt.Errorf("%w (%s): %w", ErrPRuntimeUnreachable, r.cfg.PRuntime, err)
	}
	if err := r.relayEgress(ctx, info); err != nil {
		return more, err
	}
	if !more {
		if err := r.maybeRegister(ctx, info, latest); err != nil {
			return false, err
		}
	}
	return more, nil
}

// A header refused busy (429) is sent again after busyRetryDelay, at most
// maxBusyRetries times in one syncHeader; then the round fails and the
// relay loop retries it.
const (
	busyRetryDelay = 100 * time.Millisecond
	maxBusyRetries = 50
)

// syncHeader moves the pRuntime's trust to target, bisecting when the
// validator set changed too much for one hop.
func (r *Relayer) syncHeader(ctx context.Context, from, target int64) (api.Info, error) {
	busy := 0
	for {
		u, err := headerUpdate(ctx, r.node, target)
		if err != nil {
			return api.Info{}, err
		}
		info, err := r.pr.SyncHeader(ctx, u)
		var se *api.StatusError
		if errors.As(err, &se) && se.Code == http.StatusTooManyRequests && busy < maxBusyRetries {
			// The pRuntime's sync slots are taken, or held a while after a
			// refused request (its SyncPenalty, e.g. after our own 422).
			busy++
			select {
			case <-ctx.Done():
				return api.Info{}, ctx.Err()
			case <-time.After(busyRetryDelay):
			}
			continue
		}
		if errors.As(err, &se) && se.Code == http.StatusUnprocessableEntity && target-from > 1 {
			target = from + (target-from)/2
			r.log.Info("validator set changed too much; bisecting", "to", target)
			continue
		}
		if err != nil {
			return api.Info{}, fmt.Errorf("pherry: header %d: %w", target, err)
		}
		return info, nil
	}
}

// syncIngress feeds one batch of proven ingress entries. It reports whether
// more entries are waiting.
func (r *Relayer) syncIngress(ctx context.Context, info api.Info) (bool, api.Info, error) {
	if info.ProofHeight < minProofHeight {
		return false, info, nil
	}
	batch, err := FetchIngress(ctx, r.node, info.NextIngress, r.cfg.IngressBatch, info.ProofHeight)
	if err != nil {
		return false, info, err
	}
	if batch.FirstIndex > info.NextIngress {
		r.log.Info("pruntime is behind the ingress retention; bootstrapping from proven state",
			"next_ingress", info.NextIngress, "first_retained", batch.FirstIndex)
		info, err := r.bootstrap(ctx, info)
		return err == nil, info, err
	}
	r.progress.ingressTotal = batch.NextIndex
	type fetched struct {
		batch IngressBatch
		err   error
	}
	// A pRuntime without a head (fresh, bootstrapped, or from an older
	// checkpoint) needs the head at its next index proven once.
	var base *api.ProvenRead
	if info.IngressHead == "" && len(batch.Entries) > 0 {
		b, err := FetchProvenRead(ctx, r.node, protocol.MQStoreName, protocol.IngressHeadKey(batch.Start), info.ProofHeight)
		if err != nil {
			return false, info, fmt.Errorf("pherry: ingress head at %d: %w", batch.Start, err)
		}
		base = &b
	}
	for n := 1; len(batch.Entries) > 0; n++ {
		end := batch.End
		// Fetching proofs costs more than verifying them: fetch the next
		// batch while the pRuntime verifies this one.
		var ahead chan fetched
		if end < batch.NextIndex && n < maxBatchesPerStep {
			ahead = make(chan fetched, 1)
			go func() {
				b, err := FetchIngress(ctx, r.node, end, r.cfg.IngressBatch, info.ProofHeight)
				ahead <- fetched{b, err}
			}()
		}
		resp, err := r.pr.SyncIngress(ctx, batch.Request(base))
		base = nil
		if err != nil {
			if ahead != nil {
				<-ahead
			}
			return false, info, fmt.Errorf("pherry: ingress %d..%d: %w", info.NextIngress, end-1, err)
		}
		r.progress.applied(resp.Applied)
		r.metrics.ingress.Add(float64(resp.Applied))
		info.NextIngress = resp.NextIngress
		if ahead == nil || resp.NextIngress != end {
			if ahead != nil {
				<-ahead
			}
			return info.NextIngress < batch.NextIndex, info, nil
		}
		f := <-ahead
		if f.err != nil {
			return false, info, f.err
		}
		batch = f.batch
	}
	return false, info, nil
}

// relayEgress submits pending egress not yet on chain, then proves the
// chain's sequences back to the pRuntime so it can drop what was accepted.
// Worker messages and the gatekeeper votes of each channel (the task channel
// and each lane) go in separate transactions: a vote the chain cannot take
// yet (beyond its channel's window) must not hold up the others.
func (r *Relayer) relayEgress(ctx context.Context, info api.Info) error {
	if info.PendingEgress == 0 || info.ProofHeight < minProofHeight {
		return nil
	}
	key, err := hex.DecodeString(info.IdentityKey)
	if err != nil {
		return fmt.Errorf("pherry: pruntime identity key: %w", err)
	}
	origin := protocol.WorkerOrigin(key)
	workerNext, err := r.nextSeq(ctx, origin)
	if err != nil {
		return err
	}
	pending, err := r.pr.Egress(ctx)
	if err != nil {
		return err
	}
	var workerBatch []mqtypes.SignedMessage
	votes := map[string][]mqtypes.SignedMessage{} // by lane, "" the task channel
	gkNext := map[string]uint64{}
	for _, sm := range pending.Messages {
		m, err := protocol.DecodeMessage(sm.Body)
		if err != nil {
			return fmt.Errorf("pherry: pruntime egress: %w", err)
		}
		out := mqtypes.SignedMessage{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature}
		switch {
		case m.Origin.Kind != protocol.OriginGatekeeper:
			if m.Seq >= workerNext {
				workerBatch = append(workerBatch, out)
			}
		default:
			lane := m.Origin.Lane()
			next, ok := gkNext[lane]
			if !ok {
				if next, err = r.nextSeq(ctx, m.Origin); err != nil {
					return err
				}
				gkNext[lane] = next
				votes[lane] = nil
			}
			if m.Seq < next {
				continue
			}
			voted, err := r.hasVote(ctx, m.Origin, m.Seq, sm.Signer)
			if err != nil {
				return err
			}
			if !voted {
				votes[lane] = append(votes[lane], out)
			}
		}
	}
	lanes := slices.Sorted(maps.Keys(votes))
	if registeredOnChain(info) {
		// Another relayer (or this one, last round) may have got there
		// first; the acknowledgement below sorts that out.
		if err := r.submit(ctx, workerBatch, mqtypes.ErrStaleSequence); err != nil {
			return err
		}
		for _, lane := range lanes {
			if err := r.submit(ctx, votes[lane], mqtypes.ErrStaleSequence, mqtypes.ErrDuplicateVote, mqtypes.ErrSequenceGap); err != nil {
				return err
			}
		}
	}
	return r.ackEgress(ctx, info, origin, lanes)
}

// egressGas is the gas limit of a batch of egress messages.
func egressGas(msgs []mqtypes.SignedMessage) uint64 {
	gas := uint64(gasBase)
	for _, m := range msgs {
		gas += gasPerEgressMessage + gasPerEgressByte*uint64(len(m.Body))
	}
	return gas
}

// submit sends msgs in batches; an error with one of the codes in done ends
// it quietly (the chain already has, or cannot yet take, the rest).
func (r *Relayer) submit(ctx context.Context, msgs []mqtypes.SignedMessage, done ...*errorsmod.Error) error {
	for len(msgs) > 0 {
		n := min(len(msgs), r.cfg.EgressBatch)
		msg := &mqtypes.MsgSyncMessages{Submitter: r.signer.addr.String(), Messages: msgs[:n]}
		if _, err := r.signer.send(ctx, egressGas(msgs[:n]), msg); err != nil {
			var txErr *TxError
			if asTxError(err, &txErr) {
				for _, d := range done {
					if txErr.is(mqtypes.ModuleName, d.ABCICode()) {
						r.log.Debug("egress batch not taken; retrying after acknowledgement", "reason", txErr.Error())
						return nil
					}
				}
			}
			return err
		}
		r.progress.sent(n)
		r.metrics.egress.Add(float64(n))
		msgs = msgs[n:]
	}
	return nil
}

// nextSeq asks the node for origin's next expected egress sequence.
func (r *Relayer) nextSeq(ctx context.Context, o protocol.Origin) (uint64, error) {
	var next mqtypes.QueryNextSequenceResponse
	if err := abciQuery(ctx, r.node, "/gatekeeper.mq.v1.Query/NextSequence",
		&mqtypes.QueryNextSequenceRequest{Origin: o.String()}, &next, 0); err != nil {
		return 0, err
	}
	return next.NextSeq, nil
}

// hasVote reports whether signer's vote at seq of gatekeeper origin o is on
// chain (an unproven read: it only saves a rejected transaction).
func (r *Relayer) hasVote(ctx context.Context, o protocol.Origin, seq uint64, signer []byte) (bool, error) {
	res, err := r.node.ABCIQuery(ctx, "/store/"+protocol.MQStoreName+"/key", protocol.VoteKey(o, seq, signer))
	if err != nil {
		return false, fmt.Errorf("pherry: vote query: %w", err)
	}
	if res.Response.Code != 0 {
		return false, fmt.Errorf("pherry: vote query: %s", res.Response.Log)
	}
	return len(res.Response.Value) > 0, nil
}

func registeredOnChain(info api.Info) bool { return info.Registered }

// bootstrap proves the first retained ingress index, the pRuntime's own
// registry records, the master key versions, the rotation and its cluster
// at the proof height.
func (r *Relayer) bootstrap(ctx context.Context, info api.Info) (api.Info, error) {
	id, err := hex.DecodeString(info.IdentityKey)
	if err != nil {
		return info, fmt.Errorf("pherry: pruntime identity key: %w", err)
	}
	reads := make([]api.ProvenRead, 3)
	for i, k := range []struct {
		store string
		key   []byte
	}{
		{protocol.MQStoreName, protocol.FirstIngressKey()},
		{protocol.RegistryStoreName, protocol.WorkerKey(id)},
		{protocol.GatekeeperStoreName, protocol.GatekeeperKey(id)},
	} {
		if reads[i], err = FetchProvenRead(ctx, r.node, k.store, k.key, info.ProofHeight); err != nil {
			return info, err
		}
	}
	masterKeys, err := r.masterKeyReads(ctx, info)
	if err != nil {
		return info, err
	}
	req := api.BootstrapRequest{FirstIngress: reads[0], Worker: reads[1], Gatekeeper: reads[2], MasterKeys: masterKeys}
	if err := r.bootstrapState(ctx, &req, id, uint32(info.MasterVersions+len(masterKeys)-1), info.ProofHeight); err != nil {
		return info, err
	}
	info, err = r.pr.SyncBootstrap(ctx, req)
	if err != nil {
		return info, fmt.Errorf("pherry: bootstrap: %w", err)
	}
	return info, nil
}

// masterKeyReads proves, at the proof height, the master key records the
// pRuntime does not know and the absence of the next version.
func (r *Relayer) masterKeyReads(ctx context.Context, info api.Info) ([]api.ProvenRead, error) {
	var keys gatekeepertypes.QueryMasterKeysResponse
	if err := abciQuery(ctx, r.node, "/gatekeeper.gatekeeper.v1.Query/MasterKeys", &gatekeepertypes.QueryMasterKeysRequest{}, &keys, info.ProofHeight); err != nil {
		return nil, fmt.Errorf("pherry: master keys at %d: %w", info.ProofHeight, err)
	}
	known, count := info.MasterVersions, len(keys.MasterKeys)
	if known > count || count-known+1 > api.MaxBootstrapMasterKeys {
		return nil, fmt.Errorf("pherry: pruntime knows %d master key versions, the chain has %d", known, count)
	}
	storeKeys := make([][]byte, 0, count-known+1)
	for v := known; v <= count; v++ {
		storeKeys = append(storeKeys, protocol.MasterKeyKey(uint32(v)))
	}
	proofs, err := proveKeys(ctx, r.node, protocol.GatekeeperStoreName, storeKeys, info.ProofHeight)
	if err != nil {
		return nil, err
	}
	out := make([]api.ProvenRead, len(proofs))
	for i, p := range proofs {
		out[i] = api.ProvenRead{Value: p.Value, Proof: p.ProofOps}
	}
	return out, nil
}

// ackEgress proves this worker's sequence, and the sequences of the
// gatekeeper channels it has votes pending on (lane "" is the task
// channel), at the proof height to the pRuntime.
func (r *Relayer) ackEgress(ctx context.Context, info api.Info, origin protocol.Origin, lanes []string) error {
	var req api.EgressAckRequest
	var err error
	if req.Worker, err = FetchProvenRead(ctx, r.node, protocol.MQStoreName, protocol.SequenceKey(origin), info.ProofHeight); err != nil {
		return err
	}
	for _, lane := range lanes {
		gk, err := FetchProvenRead(ctx, r.node, protocol.MQStoreName, protocol.SequenceKey(protocol.GatekeeperLane(lane)), info.ProofHeight)
		if err != nil {
			return err
		}
		if lane == "" {
			req.Gatekeeper = &gk
		} else if len(req.Lanes) < api.MaxLaneAcks {
			req.Lanes = append(req.Lanes, api.LaneAck{Lane: lane, Next: gk})
		}
	}
	_, err = r.pr.SyncEgressAck(ctx, req)
	return err
}

// keyringInput is in, or an empty input: the SDK's file keyring reads its
// passphrase from this reader and panics on a nil one.
func keyringInput(in io.Reader) io.Reader {
	if in == nil {
		return strings.NewReader("")
	}
	return in
}
