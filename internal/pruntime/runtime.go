package pruntime

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/checkpoint"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// Version is the pRuntime version bound into registrations.
const Version = "0.1.0"

// Errors the RPC maps to client errors (HTTP 400/409).
var (
	ErrNotInitialized = errors.New("pruntime: not initialized: POST /sync/init first")
	ErrInitialized    = errors.New("pruntime: already initialized")
	ErrBadRequest     = errors.New("pruntime: bad request")
	ErrOutOfOrder     = errors.New("pruntime: ingress out of order")
	ErrNotBehind      = errors.New("pruntime: not behind the ingress retention")
	// ErrSyncBusy (HTTP 429) refuses a sync request while Config.SyncConcurrency
	// others are in progress, before its body is read: a flood of sync
	// requests costs at most that many cores.
	ErrSyncBusy = errors.New("pruntime: busy: too many sync requests in progress; retry shortly")
	// ErrSyncConflict (HTTP 409) means the trusted state moved twice while
	// a header was verified outside the lock (by concurrent sync calls);
	// the header was not applied and may be sent again.
	ErrSyncConflict = errors.New("pruntime: trusted state changed while the header was verified; retry")

	// errStorage marks failures of the runtime's own disk (HTTP 500).
	errStorage = state.ErrStorage
)

func isInternal(err error) bool { return errors.Is(err, errStorage) }

// Runtime is the enclave's state machine. Its methods are safe for
// concurrent use; each sync call is atomic.
type Runtime struct {
	cfg     Config
	tee     tee.TEE
	id      *Identity
	ckpt    *checkpoint.Store
	log     *slog.Logger
	metrics *metrics

	// now is the host clock, which only readiness reads (Ready).
	now func() time.Time

	// rand is the randomness of master key generation (crypto/rand).
	rand io.Reader

	// mu serializes state changes. Readers that serve the app API and
	// /get_info never take it: they read view, which every commit replaces
	// (see publish), so they never wait on sync work, a checkpoint write
	// or a signature check.
	mu      sync.Mutex
	st      state.State
	trusted *chainsync.TrustedState // decoded st.Trusted
	// master is the sealed master key history (gatekeepers only), kept in
	// step with st: both change only in commitIngress.
	master state.MasterHistory

	// computing mirrors st.Computation.Session != 0 for the benchmark loop;
	// iterations counts its iterations (RunBenchmark).
	computing  atomic.Bool
	iterations atomic.Uint64

	// reencWake wakes RunReencryption when a job is assigned; reenc is the
	// running job's progress.
	reencWake chan struct{}
	reenc     reencryptStatus

	// reg caches GET /registration's attestation (registration.go).
	reg registrationCache

	// view is the committed state as the readers see it.
	view atomic.Pointer[runtimeView]
	// syncSlots holds one token per sync request in progress (at most
	// cfg.SyncConcurrency); see syncSlot.
	syncSlots chan struct{}
	// syncWaiters counts sync requests waiting for a slot (takeSyncSlot).
	syncWaiters atomic.Int32
	// syncClock times refused sync requests (Config.SyncPenalty).
	syncClock syncClock
	// syncLn, when set (Config.SyncListen), serves the sync endpoints,
	// which the main listener then refuses.
	syncLn net.Listener
	// topics is the ingress topic table (package ingress), built once in New.
	topics *ingress.Table
	// rotation is the rotation role, which the core calls around commits.
	rotation Rotation
	// gatekeeper is the gatekeeper role, which the core calls around
	// commits and in a bootstrap.
	gatekeeper Gatekeeper
	// verifyHook, when set (by tests only), runs while SyncHeader verifies a
	// header, outside the lock.
	verifyHook func()

	dispatch  dispatcher
	boot      bootstrapper
	reencWork reencryptor
	rpcs      rpcServer
	sign      signer
	publisher publisher
	prover    prover
}

// publisher makes a committed state visible to the readers (the view) and
// the metrics.
type publisher struct {
	r *Runtime
}

// prover verifies proven reads of the chain's store against the latest
// verified header.
type prover struct {
	r *Runtime
}

// New opens the runtime in cfg.DataDir: it unseals (or creates) the
// identity and resumes from the newest checkpoint that verifies. roles
// builds the roles outside the core on its Enclave; the topic table is
// built once, from the core's rows and theirs.
func New(cfg Config, t tee.TEE, log *slog.Logger, roles Roles) (*Runtime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	id, created, err := loadOrCreateIdentity(cfg.DataDir, t, cfg)
	if err != nil {
		return nil, err
	}
	ckpt, err := checkpoint.Open(checkpoint.Config{Dir: cfg.DataDir + "/checkpoints", Keep: cfg.KeepCheckpoints}, t)
	if err != nil {
		return nil, err
	}
	r := &Runtime{cfg: cfg, tee: t, id: id, ckpt: ckpt, log: log, now: time.Now, rand: rand.Reader, st: state.State{Version: state.SchemaVersion},
		reencWake: make(chan struct{}, 1), syncSlots: make(chan struct{}, cfg.SyncConcurrency), syncClock: realSyncClock}
	r.metrics = newMetrics(t, r.Ready)
	r.dispatch = dispatcher{r: r}
	r.boot = bootstrapper{r: r}
	r.reencWork = reencryptor{r: r}
	r.rpcs = rpcServer{r: r}
	r.sign = signer{r: r}
	r.publisher = publisher{r: r}
	r.prover = prover{r: r}
	if r.topics, err = r.buildRoles(roles); err != nil {
		return nil, err
	}
	log.Info("identity", "created", created, "identity_key", hex.EncodeToString(id.PublicKey()), "tee", t.Kind())

	cp, skipped, err := ckpt.Latest()
	for _, s := range skipped {
		log.Warn("skipping unusable checkpoint", "file", s.File, "err", s.Err)
		r.metrics.checkpointsSkipped.Inc()
	}
	switch {
	case errors.Is(err, checkpoint.ErrNoCheckpoint):
		log.Info("no checkpoint; starting fresh")
	case err != nil:
		return nil, err
	default:
		st, err := state.Unmarshal(cp.Payload)
		if err != nil {
			return nil, err
		}
		if err := r.load(st); err != nil {
			return nil, err
		}
		log.Info("resumed from checkpoint", "file", cp.File, "height", r.height(), "next_ingress", st.NextIngress)
	}
	if r.master, err = state.LoadMasterHistory(cfg.DataDir, t); err != nil {
		return nil, err
	}
	// The sealing key never changes, so a host can put back a history it
	// copied before an erasure: drop what the checkpoint says was erased.
	if r.master.EraseBelow(r.st.MasterErasedBelow) {
		if err := state.SaveMasterHistory(cfg.DataDir, t, &r.master); err != nil {
			return nil, err
		}
		log.Warn("the sealed master key history held erased versions; erased them again", "erased_below", r.st.MasterErasedBelow)
	}
	// Versions below the oldest held may be missing: the chain ordered them
	// erased and a crash came between rewriting the history and committing
	// the state (the erasure is applied again); erasure only ever removes
	// the oldest versions.
	if r.st.GK.Live && !r.master.HoldsAll(max(r.st.MasterErasedBelow, r.master.Lowest()), len(r.st.MasterPubKeys)) {
		// The history is written before the state that relies on it, so this
		// means the file was lost or replaced behind the enclave's back.
		log.Error("checkpoint says live gatekeeper but the sealed master key history is incomplete; acting as a designated gatekeeper without keys",
			"versions_on_chain", len(r.st.MasterPubKeys), "versions_held", r.master.Count())
		r.st.GK.Live = false
	}
	r.publisher.updateGauges()
	r.publisher.publish()
	return r, nil
}

func (r *Runtime) load(st state.State) error {
	r.st = st
	r.computing.Store(st.Computation.Session != 0)
	r.trusted = nil
	if len(st.Trusted) > 0 {
		ts, err := chainsync.UnmarshalTrustedState(st.Trusted)
		if err != nil {
			return fmt.Errorf("pruntime: checkpoint: %w", err)
		}
		r.trusted = &ts
	}
	return nil
}

// height is the synced height (0 before init). Caller holds mu or is New.
func (r *Runtime) height() int64 {
	if r.trusted == nil {
		return 0
	}
	return r.trusted.Header.Height
}

// self is this pRuntime's identity key.
func (r *Runtime) self() []byte { return r.id.PublicKey() }

// Info reports the runtime's status, as of the last commit. It takes no
// lock the sync calls hold.
func (r *Runtime) Info() api.Info {
	v := r.view.Load()
	info := v.info
	if c := v.info.Cluster; c != nil {
		ci := *c
		ci.KeyVersions = slices.Clone(c.KeyVersions)
		info.Cluster = &ci
	}
	if v.info.Rotation != nil {
		ri := *v.info.Rotation
		if v.reencrypt {
			if job, p, ok := r.reenc.get(); ok && !ri.Finished && job.To == ri.To {
				ri.Done, ri.Total, ri.Failed = p.Done, p.Total, p.Failed
				ri.ETASeconds = -1
				if d, ok := p.ETA(); ok {
					ri.ETASeconds = int64(d.Seconds())
				}
			}
		}
		info.Rotation = &ri
	}
	return info
}

// runtimeView is an immutable copy of what the readers need from the
// committed state: Info, the cluster keys for the app API and the pending
// egress. publish replaces it whole.
type runtimeView struct {
	info api.Info // without the running re-encryption's progress
	// headerTime is the time in the newest verified header (zero before
	// init).
	headerTime time.Time
	// reencrypt: this gatekeeper re-encrypts a range of info.Rotation.
	reencrypt bool
	cluster   *clusterView
	egress    []protocol.SignedMessage
}

// clusterView is the worker's cluster and its key versions, ascending; key
// is empty for a version granted and not received (or retired).
type clusterView struct {
	id   uint64
	keys []clusterKeyView
}

type clusterKeyView struct {
	version uint32
	key     []byte
}

// publish makes the committed state visible to the readers. Caller holds
// mu (or is New). Everything in the view is copied: the state's slices may
// be shared with later clones.
func (pb *publisher) publish() {
	v := &runtimeView{egress: slices.Clone(pb.r.st.Egress)}
	role := api.RoleNone
	switch {
	case pb.r.st.IsGatekeeper(pb.r.id.PublicKey()) && pb.r.st.GK.Live:
		role = api.RoleActive
	case pb.r.st.IsGatekeeper(pb.r.id.PublicKey()):
		role = api.RoleDummy
	}
	h := pb.r.height()
	info := api.Info{
		Initialized:    pb.r.trusted != nil,
		Registered:     pb.r.st.Registered,
		Role:           role,
		ChainID:        pb.r.id.ChainID,
		TrustHeight:    pb.r.id.TrustRoot.Height,
		SyncedHeight:   h,
		ProofHeight:    max(h-1, 0),
		NextIngress:    pb.r.st.NextIngress,
		IngressHead:    hex.EncodeToString(pb.r.st.IngressHead),
		IdentityKey:    hex.EncodeToString(pb.r.id.PublicKey()),
		ReceiveKey:     hex.EncodeToString(pb.r.id.Receive.PublicKey().Bytes()),
		PendingEgress:  len(pb.r.st.Egress),
		NextEgressSeq:  pb.r.st.NextEgressSeq,
		Version:        Version,
		TEEKind:        pb.r.tee.Kind(),
		Measurement:    hex.EncodeToString(pb.r.tee.Measurement()),
		Operator:       pb.r.id.Operator,
		MasterVersions: len(pb.r.st.MasterPubKeys),
	}
	if n := len(pb.r.st.MasterPubKeys); n > 0 {
		info.MasterPubkey = hex.EncodeToString(pb.r.st.MasterPubKeys[n-1])
	}
	if c := pb.r.st.Cluster; c != nil {
		ci := &api.ClusterInfo{ID: c.ID}
		cv := &clusterView{id: c.ID}
		for _, k := range c.Keys {
			if len(k.Key) > 0 {
				ci.KeyVersions = append(ci.KeyVersions, k.Version)
			}
			cv.keys = append(cv.keys, clusterKeyView{version: k.Version, key: bytes.Clone(k.Key)})
		}
		info.Cluster = ci
		v.cluster = cv
	}
	if b := pb.r.st.Beacon; b != nil {
		info.BeaconHeight = b.Height
	}
	info.Score = pb.r.st.Computation.Score
	info.Session = pb.r.st.Computation.Session
	info.MasterErasedBelow = pb.r.st.MasterErasedBelow
	info.Retired = pb.r.st.Retired
	if rs := pb.r.st.Rotation; rs != nil {
		ri := &api.RotationInfo{From: rs.From, To: rs.To, Phase: rs.Phase.String(), Acked: rs.Copy == state.CopyAcked, EraseHeight: rs.EraseHeight,
			Done: rs.Done, Total: rs.Total, Failed: rs.Failed, Finished: rs.Finished}
		if rs.Reencrypts() {
			ri.Range, ri.Ranges = rs.Range, rs.Ranges
			v.reencrypt = true
		}
		info.Rotation = ri
	}
	if pb.r.trusted != nil {
		v.headerTime = pb.r.trusted.Header.Time
		pb.r.metrics.headerTime.Set(float64(v.headerTime.UnixNano()) / 1e9)
	}
	pb.r.metrics.setStatus(info)
	v.info = info
	pb.r.view.Store(v)
}

// InitChain establishes trust from the configured trust root with the
// header at the root (the chain's first header for a genesis root).
func (r *Runtime) InitChain(u api.HeaderUpdate) error {
	hu, err := decodeHeaderUpdate(u)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.trusted != nil {
		return ErrInitialized
	}
	ts, err := chainsync.Init(r.id.ChainID, r.id.TrustRoot, hu, chainsync.DefaultOptions())
	if err != nil {
		r.metrics.rejected.WithLabelValues("init").Inc()
		return err
	}
	next := r.st.Clone()
	if next.Trusted, err = ts.Marshal(); err != nil {
		return err
	}
	return r.commit(next, &ts, true)
}

// SyncHeader moves trust to a newer header. The header is verified
// outside the lock, against a snapshot of the trusted state, and committed
// only if the trusted state is still that snapshot; if a concurrent call
// moved it, the header is verified once more against the new one, then
// refused with ErrSyncConflict. Readers (Info, the app API) never wait on
// the verification, and neither do the other sync calls.
func (r *Runtime) SyncHeader(u api.HeaderUpdate) error {
	hu, err := decodeHeaderUpdate(u)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		r.mu.Lock()
		base := r.trusted
		r.mu.Unlock()
		if base == nil {
			return ErrNotInitialized
		}
		if r.verifyHook != nil {
			r.verifyHook()
		}
		// base is immutable (chainsync.TrustedState); Verify copies hu.
		ts, err := base.Verify(hu, chainsync.DefaultOptions())
		if err != nil {
			r.metrics.rejected.WithLabelValues("header").Inc()
			return err
		}
		done, err := r.commitHeader(base, &ts)
		if done || err != nil {
			return err
		}
		if attempt > 0 {
			return ErrSyncConflict
		}
	}
}

// commitHeader commits ts, verified against base, if base is still the
// trusted state; it reports whether it did.
func (r *Runtime) commitHeader(base, ts *chainsync.TrustedState) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.trusted != base {
		return false, nil
	}
	r.metrics.headers.Inc()
	next := r.st.Clone()
	var err error
	if next.Trusted, err = ts.Marshal(); err != nil {
		return true, err
	}
	if err := r.commit(next, ts, ts.Header.Height-next.CheckpointHeight >= r.cfg.CheckpointEvery); err != nil {
		return true, err
	}
	if r.rotation.ProposalDue(&r.st, r.height()) {
		// The gatekeepers before this one in the rotation's order let
		// their turns pass. The header is committed either way; a failed
		// proposal is tried again at the next header (a v+1 sealed but
		// not committed was never announced, so a new one is as good).
		if err := r.commitIngress(&state.Tx{Next: r.st.Clone(), Master: r.master.Clone()}, true); err != nil {
			r.log.Error("proposing the rotation's new master key version failed; retrying at the next header", "err", err)
		}
	}
	return true, nil
}

// SyncIngress applies the ingress entries [Start, End), given raw, if the
// hash chain from the runtime's head at Start over them reaches the head at
// End proven against the app hash of the latest verified header
// (chainsync.VerifyIngressRange). Either all entries apply or none.
func (r *Runtime) SyncIngress(req api.IngressRequest) (api.IngressResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.trusted == nil {
		return api.IngressResponse{}, ErrNotInitialized
	}
	if len(req.Entries) == 0 {
		// Nothing to apply (the relayer had nothing new): no proof needed.
		return api.IngressResponse{NextIngress: r.st.NextIngress}, nil
	}
	if req.Start != r.st.NextIngress {
		r.metrics.rejected.WithLabelValues("ingress").Inc()
		return api.IngressResponse{}, fmt.Errorf("%w: got index %d, expected %d", ErrOutOfOrder, req.Start, r.st.NextIngress)
	}
	msgs, head, err := r.verifyIngress(req)
	if err != nil {
		r.metrics.rejected.WithLabelValues("ingress").Inc()
		return api.IngressResponse{}, fmt.Errorf("pruntime: ingress %d..%d: %w", req.Start, req.End, err)
	}
	tx := &state.Tx{Next: r.st.Clone(), Master: r.master.Clone()}
	next := &tx.Next
	wasRegistered := r.st.Registered
	force := false
	for _, m := range msgs {
		gk, err := r.dispatch.applyEntry(tx, next.NextIngress, m)
		if err != nil {
			return api.IngressResponse{}, err
		}
		force = force || gk
		next.NextIngress++
	}
	next.IngressHead = head[:]
	// Checkpoint new egress, registration and key changes at once, and
	// applied ingress every CheckpointEveryEntries, so that a pRuntime that
	// keeps crashing still moves forward through a long backlog.
	force = force || len(next.Egress) != len(r.st.Egress) || next.Registered != wasRegistered ||
		next.NextIngress-next.CheckpointIngress >= r.cfg.CheckpointEveryEntries
	if err := r.commitIngress(tx, force); err != nil {
		return api.IngressResponse{}, err
	}
	if r.st.Registered && !wasRegistered {
		r.log.Info("registered on chain", "next_ingress", r.st.NextIngress)
	}
	r.metrics.ingress.Add(float64(len(msgs)))
	return api.IngressResponse{Applied: len(msgs), NextIngress: r.st.NextIngress}, nil
}

// verifyIngress checks req against the latest verified header, from the
// runtime's head at req.Start or, when it holds none, from req.Base proven.
// The caller holds mu.
func (r *Runtime) verifyIngress(req api.IngressRequest) ([]protocol.Message, protocol.IngressHead, error) {
	appHash := r.trusted.Header.AppHash
	entries, err := chainsync.DecodeIngressEntries(req.Entries)
	if err != nil {
		return nil, protocol.IngressHead{}, err
	}
	var base protocol.IngressHead
	if len(r.st.IngressHead) > 0 {
		if base, err = protocol.ParseIngressHead(r.st.IngressHead); err != nil {
			return nil, protocol.IngressHead{}, err
		}
	} else {
		if req.Base == nil {
			return nil, protocol.IngressHead{}, fmt.Errorf("%w: the runtime holds no ingress head at %d: send it proven as base", ErrBadRequest, req.Start)
		}
		ops, err := decodeProof(req.Base.Proof)
		if err != nil {
			return nil, protocol.IngressHead{}, err
		}
		if base, err = chainsync.VerifyIngressHead(appHash, req.Start, req.Base.Value, ops); err != nil {
			return nil, protocol.IngressHead{}, fmt.Errorf("base head at %d: %w", req.Start, err)
		}
	}
	ops, err := decodeProof(req.Head.Proof)
	if err != nil {
		return nil, protocol.IngressHead{}, err
	}
	return chainsync.VerifyIngressRange(appHash, req.Start, base, entries, req.End, req.Head.Value, ops)
}

// commitIngress seals a changed master key history, then commits the state.
// In that order: the state (and the egress in it, which may announce a key)
// never refers to a history that is not on disk. If the commit fails after
// the history was written, the entries are applied again on retry and
// produce the same history, or a new v0 that was never announced.
func (r *Runtime) commitIngress(tx *state.Tx, force bool) error {
	if err := r.rotation.MaybePropose(tx); err != nil {
		return err
	}
	if len(tx.Copies) > 0 {
		if err := r.gatekeeper.SealCopies(tx); err != nil {
			return err
		}
		force = true
	}
	if tx.Master.Dirty {
		if err := state.SaveMasterHistory(r.cfg.DataDir, r.tee, &tx.Master); err != nil {
			return err
		}
		tx.Master.Dirty = false
		force = true
	}
	if tx.Erased || tx.RotationDone {
		force = true
	}
	if err := r.commit(tx.Next, r.trusted, force); err != nil {
		return err
	}
	r.master = tx.Master
	if tx.Erased {
		// The checkpoint just written holds no erased key; the older ones
		// may. Forward secrecy outweighs falling back to them.
		if err := r.ckpt.RemoveBefore(r.st.CheckpointSeq); err != nil {
			r.log.Error("erased keys: removing older checkpoints failed; retried at the next erasure", "err", err)
		}
	}
	if tx.RotationDone {
		r.reencWork.removeReencryptJournal()
	}
	return nil
}

// becomeRegistered records the registration and announces the public
// endpoint, once.
func (dp *dispatcher) becomeRegistered(next *state.State) error {
	next.Registered = true
	if dp.r.cfg.PublicEndpoint != "" && !next.EndpointSent {
		next.EndpointSent = true
		if err := dp.r.sign.emit(next, protocol.TopicWorkerEndpoint, []byte(dp.r.cfg.PublicEndpoint)); err != nil {
			return err
		}
	}
	if next.Computation.Score == 0 {
		next.Computation.Score = performanceScore()
		dp.r.log.Info("performance test", "score", next.Computation.Score)
		return dp.r.sign.emit(next, protocol.TopicBenchmark, protocol.EncodeU32(next.Computation.Score))
	}
	return nil
}

// SyncEgressAck drops pending egress messages that the chain has accepted,
// as proven by the next expected sequences in x/mq at the proof height: this
// worker's, and the gatekeeper channel's when the request carries it (a
// gatekeeper's quorum messages are done once the channel moved past them).
func (r *Runtime) SyncEgressAck(req api.EgressAckRequest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.trusted == nil {
		return ErrNotInitialized
	}
	workerNext, err := r.prover.provenSeq(protocol.WorkerOrigin(r.id.PublicKey()), req.Worker)
	if err != nil {
		return err
	}
	// Next sequence per gatekeeper channel (task channel ""), unproven ones 0.
	gkNext := map[string]uint64{}
	if req.Gatekeeper != nil {
		if gkNext[""], err = r.prover.provenSeq(protocol.GatekeeperOrigin(), *req.Gatekeeper); err != nil {
			return err
		}
	}
	if len(req.Lanes) > api.MaxLaneAcks {
		return fmt.Errorf("%w: egress ack: %d lanes, at most %d", ErrBadRequest, len(req.Lanes), api.MaxLaneAcks)
	}
	for _, l := range req.Lanes {
		o := protocol.GatekeeperLane(l.Lane)
		if err := o.Validate(); err != nil || l.Lane == "" {
			return fmt.Errorf("%w: egress ack: lane %q is not a lane name", ErrBadRequest, l.Lane)
		}
		if gkNext[l.Lane], err = r.prover.provenSeq(o, l.Next); err != nil {
			return err
		}
	}
	next := r.st.Clone()
	next.Egress = slices.DeleteFunc(next.Egress, func(sm protocol.SignedMessage) bool {
		m, err := protocol.DecodeMessage(sm.Body)
		if err != nil {
			return false // our own encoding; cannot happen
		}
		if m.Origin.Kind == protocol.OriginGatekeeper {
			return m.Seq < gkNext[m.Origin.Lane()]
		}
		return m.Seq < workerNext
	})
	if len(next.Egress) == len(r.st.Egress) {
		return nil
	}
	return r.commit(next, r.trusted, true)
}

// provenSeq verifies a proven read of origin's next expected sequence.
func (pv *prover) provenSeq(o protocol.Origin, read api.ProvenRead) (uint64, error) {
	present, err := pv.verifyRead(protocol.MQStoreName, protocol.SequenceKey(o), read)
	if err != nil {
		pv.r.metrics.rejected.WithLabelValues("egress_ack").Inc()
		return 0, fmt.Errorf("pruntime: egress ack: %s: %w", o, err)
	}
	if !present {
		return 0, nil
	}
	seq, err := u64Value(read.Value)
	if err != nil {
		return 0, fmt.Errorf("pruntime: egress ack: %s: %w", o, err)
	}
	return seq, nil
}

// Bootstrap catches up a pRuntime that is further behind than the chain's
// ingress retention: the entries it missed are pruned, so it reads, with
// proofs at the proof height, what they would have told it — the first
// retained index, its own registration, its own gatekeeper status and the
// master key versions recorded meanwhile, the rotation and the cluster it
// is in (bootstrap.go) — and continues from the first retained entry.
// Knowledge of other gatekeepers is not carried over; it is rebuilt from
// later ingress.
func (r *Runtime) Bootstrap(req api.BootstrapRequest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.trusted == nil {
		return ErrNotInitialized
	}
	self := r.id.PublicKey()
	present, err := r.prover.verifyRead(protocol.MQStoreName, protocol.FirstIngressKey(), req.FirstIngress)
	if err == nil && !present {
		err = fmt.Errorf("%w: first ingress index is absent", ErrBadRequest)
	}
	var first uint64
	if err == nil {
		first, err = u64Value(req.FirstIngress.Value)
	}
	if err != nil {
		r.metrics.rejected.WithLabelValues("bootstrap").Inc()
		return fmt.Errorf("pruntime: bootstrap: first ingress: %w", err)
	}
	if first <= r.st.NextIngress {
		return fmt.Errorf("%w: the chain still retains ingress %d (first retained %d); sync ingress instead", ErrNotBehind, r.st.NextIngress, first)
	}
	registered, err := r.prover.verifyRead(protocol.RegistryStoreName, protocol.WorkerKey(self), req.Worker)
	if err != nil {
		r.metrics.rejected.WithLabelValues("bootstrap").Inc()
		return fmt.Errorf("pruntime: bootstrap: worker record: %w", err)
	}
	isGK, err := r.prover.verifyRead(protocol.GatekeeperStoreName, protocol.GatekeeperKey(self), req.Gatekeeper)
	if err != nil {
		r.metrics.rejected.WithLabelValues("bootstrap").Inc()
		return fmt.Errorf("pruntime: bootstrap: gatekeeper record: %w", err)
	}
	pubs, err := r.boot.verifyMasterKeys(req.MasterKeys)
	if err != nil {
		r.metrics.rejected.WithLabelValues("bootstrap").Inc()
		return fmt.Errorf("pruntime: bootstrap: master keys: %w", err)
	}
	view, err := r.boot.verifyBootstrapView(req, uint32(len(r.st.MasterPubKeys)+len(pubs)))
	if err != nil {
		r.metrics.rejected.WithLabelValues("bootstrap").Inc()
		return fmt.Errorf("pruntime: bootstrap: %w", err)
	}
	return r.boot.bootstrapFrom(provenState{first: first, registered: registered, gatekeeper: isGK, masterPubKeys: pubs, view: view})
}

// verifyMasterKeys checks proven reads of the master key records from the
// first version this pRuntime does not know, ending with a proof that the
// next version is absent, and returns the new versions' public keys.
func (bt *bootstrapper) verifyMasterKeys(reads []api.ProvenRead) ([][]byte, error) {
	if len(reads) == 0 || len(reads) > api.MaxBootstrapMasterKeys {
		return nil, fmt.Errorf("%w: %d reads, want 1-%d", ErrBadRequest, len(reads), api.MaxBootstrapMasterKeys)
	}
	known := uint32(len(bt.r.st.MasterPubKeys))
	var pubs [][]byte
	for i, read := range reads {
		v := known + uint32(i)
		present, err := bt.r.prover.verifyRead(protocol.GatekeeperStoreName, protocol.MasterKeyKey(v), read)
		if err != nil {
			return nil, fmt.Errorf("version %d: %w", v, err)
		}
		last := i == len(reads)-1
		switch {
		case last && present:
			return nil, fmt.Errorf("%w: version %d exists: the reads must end with the first absent version", ErrBadRequest, v)
		case !last && !present:
			return nil, fmt.Errorf("%w: version %d is absent but more reads follow", ErrBadRequest, v)
		case last:
			return pubs, nil
		}
		pub, err := masterKeyRecordPublicKey(read.Value, v)
		if err != nil {
			return nil, err
		}
		pubs = append(pubs, pub)
	}
	return pubs, nil
}

// verifyRead checks a proven read of key in store against the app hash of
// the latest verified header; it reports whether the key is present.
func (pv *prover) verifyRead(store string, key []byte, read api.ProvenRead) (bool, error) {
	ops, err := decodeProof(read.Proof)
	if err != nil {
		return false, err
	}
	if len(read.Value) == 0 {
		return false, chainsync.VerifyNonMembership(pv.r.trusted.Header.AppHash, store, key, ops)
	}
	return true, chainsync.VerifyMembership(pv.r.trusted.Header.AppHash, store, key, read.Value, ops)
}

func u64Value(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: value is %d bytes, want a u64", ErrBadRequest, len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// PendingEgress returns the signed messages not yet acknowledged.
func (r *Runtime) PendingEgress() []protocol.SignedMessage {
	return slices.Clone(r.view.Load().egress)
}

// commit makes next the current state, checkpointing first when force is
// set or enough blocks passed. Caller holds mu.
func (r *Runtime) commit(next state.State, ts *chainsync.TrustedState, force bool) error {
	h := int64(0)
	if ts != nil {
		h = ts.Header.Height
	}
	if force {
		next.CheckpointSeq++
		next.CheckpointHeight = h
		next.CheckpointIngress = next.NextIngress
		payload, err := next.Marshal()
		if err != nil {
			return err
		}
		if err := r.ckpt.Save(next.CheckpointSeq, payload); err != nil {
			if !errors.Is(err, checkpoint.ErrPrune) {
				return fmt.Errorf("%w: checkpoint: %w", errStorage, err)
			}
			// Committed all the same; the next Save prunes again. Failing
			// here would keep the old state and retry this checkpoint's
			// number, which is now taken, forever.
			r.log.Warn("checkpoint saved; removing old ones failed", "err", err)
		}
		r.metrics.checkpoints.Inc()
	}
	r.st = next
	r.computing.Store(next.Computation.Session != 0)
	r.trusted = ts
	r.publisher.updateGauges()
	r.publisher.publish()
	return nil
}

// Checkpoint writes a checkpoint now (on shutdown).
func (r *Runtime) Checkpoint() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.commit(r.st.Clone(), r.trusted, true)
}

func (pb *publisher) updateGauges() {
	pb.r.metrics.height.Set(float64(pb.r.height()))
	pb.r.metrics.nextIngress.Set(float64(pb.r.st.NextIngress))
	pb.r.metrics.pendingEgress.Set(float64(len(pb.r.st.Egress)))
	pb.r.metrics.masterVersion.Set(float64(len(pb.r.st.MasterPubKeys) - 1))
}

func decodeHeaderUpdate(u api.HeaderUpdate) (chainsync.HeaderUpdate, error) {
	hu, err := chainsync.DecodeHeaderUpdate(u.SignedHeader, u.Validators)
	if err != nil {
		return chainsync.HeaderUpdate{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return hu, nil
}

func decodeProof(b []byte) (*chainsync.ProofOps, error) {
	ops, err := chainsync.DecodeProofOps(b)
	if err != nil {
		return nil, fmt.Errorf("%w: proof: %w", ErrBadRequest, err)
	}
	return ops, nil
}
