package gatekeeper

import (
	"bytes"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

// ErrMalformed: an ingress payload the role cannot take (proven ingress,
// so a version mismatch between chain and pRuntime).
var ErrMalformed = errors.New("gatekeeper: malformed payload")

// Core is what the gatekeeper role needs from the rest of the enclave.
type Core interface {
	// Log is the enclave's logger.
	Log() *slog.Logger
	// Self is this pRuntime's identity key; ChainID its chain's.
	Self() []byte
	ChainID() string
	// HasPredecessor: this pRuntime is a migration's successor
	// (Config.Predecessor).
	HasPredecessor() bool
	// Emit signs a worker egress message with the next sequence into next;
	// EmitGatekeeper signs a quorum message from origin at seq.
	Emit(next *state.State, topic string, payload []byte) error
	EmitGatekeeper(next *state.State, origin protocol.Origin, seq uint64, topic string, payload []byte) error
	// OpenSealed opens a transfer sealed to this pRuntime's receive key.
	OpenSealed(context string, what, sealed []byte) ([]byte, error)
	// KeyFault counts a key copy that failed verification; BeaconMismatch
	// an accepted beacon that differs from this gatekeeper's own.
	KeyFault(kind string)
	BeaconMismatch()
}

// Rotation is what the gatekeeper role needs from the rotation role: it
// tracks the cluster keys of a rotation's new version and checks a newly
// recorded master key version.
type Rotation interface {
	NoteClusterTask(tx *state.Tx, payload []byte)
	NoteClusterKey(tx *state.Tx, payload []byte) error
	OnActivated(tx *state.Tx, v uint32, pub []byte) error
}

// Role is the gatekeeper and cluster-member role.
type Role struct {
	core     Core
	rotation Rotation
	// rand draws master key v0 at a launch (crypto/rand).
	rand io.Reader
}

// New returns the gatekeeper role on core and rotation; rand is the
// randomness of a launch's master key.
func New(core Core, rotation Rotation, rand io.Reader) *Role {
	return &Role{core: core, rotation: rotation, rand: rand}
}

// Routes are the role's rows of the topic table.
func (r *Role) Routes() []ingress.Route {
	keys := ingress.Keys
	return []ingress.Route{
		{Topic: protocol.TopicGatekeeperLaunch, Role: ingress.RoleGatekeeper, Handle: keys(r.onLaunch)},
		{Topic: protocol.TopicMasterKey, Role: ingress.RoleGatekeeper, Handle: keys(r.onMasterKey)},
		{Topic: protocol.TopicMasterKeyRequest, Role: ingress.RoleGatekeeper, Handle: keys(r.onMasterKeyRequest)},
		{Topic: protocol.TopicMasterKeyCopy, Role: ingress.RoleGatekeeper, Handle: keys(r.onMasterKeyCopy)},
		{Topic: protocol.TopicClusterTask, Role: ingress.RoleGatekeeper, Handle: keys(r.onClusterTask)},
		{Topic: protocol.TopicBeaconTask, Role: ingress.RoleGatekeeper, Handle: keys(r.onBeaconTask)},
		{Topic: protocol.TopicBeacon, Role: ingress.RoleGatekeeper, Handle: keys(r.onBeacon)},
		{Topic: protocol.TopicClusterGrant, Role: ingress.RoleGatekeeper, Handle: keys(r.onClusterGrant)},
		{Topic: protocol.TopicClusterKeyCopy, Role: ingress.RoleGatekeeper, Handle: keys(r.onClusterKeyCopy)},
		{Topic: protocol.TopicClusterMemberRemoved, Role: ingress.RoleGatekeeper, Handle: keys(r.onClusterMemberRemoved)},
		{Topic: protocol.TopicClusterKey, Role: ingress.RoleGatekeeper, Handle: keys(r.onClusterKey)},
	}
}

// maxQueuedTasks bounds the tasks a designated gatekeeper queues before it
// holds the master key. A gatekeeper goes live a few blocks after it is
// designated; beyond this the oldest tasks are surely answered by others.
const maxQueuedTasks = 4096

// onClusterTask: a rotation notes the cluster keys of its new version the
// chain asked for, and the gatekeepers answer the task.
func (r *Role) onClusterTask(tx *state.Tx, payload []byte) error {
	r.rotation.NoteClusterTask(tx, payload)
	return r.onTask(tx, protocol.TopicClusterTask, payload)
}

func (r *Role) onBeaconTask(tx *state.Tx, payload []byte) error {
	return r.onTask(tx, protocol.TopicBeaconTask, payload)
}

// onClusterKey: workers learn the public key from their grant; a successor
// pRuntime records it to check the cluster keys it is handed; a rotation's
// re-encryption waits for the new versions.
func (r *Role) onClusterKey(tx *state.Tx, payload []byte) error {
	if r.core.HasPredecessor() {
		if err := r.noteKnownClusterKey(tx, payload); err != nil {
			return err
		}
	}
	return r.rotation.NoteClusterKey(tx, payload)
}

// OnGatekeeperRemoved stops the role and erases the master key history:
// a removed gatekeeper keeps no key it could later leak.
func (r *Role) OnGatekeeperRemoved(tx *state.Tx) {
	if tx.Next.GK.Live || tx.Master.Count() > 0 {
		r.core.Log().Info("removed from the gatekeeper set; erasing the master key history")
	}
	tx.Next.GK = state.Gatekeeper{}
	tx.Next.Rotation = nil
	tx.Master.Erase()
}

// onLaunch generates master key v0 if the chain named this gatekeeper.
func (r *Role) onLaunch(tx *state.Tx, payload []byte) error {
	if len(payload) != protocol.IdentityKeyLen {
		return fmt.Errorf("%w: launch payload is %d bytes", ErrMalformed, len(payload))
	}
	if !bytes.Equal(payload, r.core.Self()) || !tx.Next.IsGatekeeper(r.core.Self()) || len(tx.Next.MasterPubKeys) > 0 {
		return nil
	}
	// A v0 sealed by an earlier attempt whose announcement never committed
	// is reused: it was never announced, so either choice is safe, and
	// reusing it loses nothing.
	k := tx.Master.Get(0)
	if k == nil {
		var err error
		if k, err = crypto.GenerateMasterKey(r.rand, 0); err != nil {
			return err
		}
		tx.Master.Set(k)
	}
	tx.Next.GK.Launching = true
	r.core.Log().Info("launching: generated master key version 0", "master_pubkey", hex.EncodeToString(k.PublicKey()))
	return r.core.Emit(&tx.Next, protocol.TopicMasterKey, protocol.MasterKeyRecord{Version: 0, PublicKey: k.PublicKey()}.Encode())
}

// onMasterKey records a master key version the chain accepted.
func (r *Role) onMasterKey(tx *state.Tx, payload []byte) error {
	rec, err := protocol.DecodeMasterKeyRecord(payload)
	if err != nil {
		return err
	}
	if int(rec.Version) < len(tx.Next.MasterPubKeys) && bytes.Equal(tx.Next.MasterPubKeys[rec.Version], rec.PublicKey) {
		// A retained entry replayed after a bootstrap that read the version.
		return nil
	}
	if int(rec.Version) != len(tx.Next.MasterPubKeys) {
		return fmt.Errorf("gatekeeper: master key version %d recorded after %d versions", rec.Version, len(tx.Next.MasterPubKeys))
	}
	tx.Next.MasterPubKeys = append(tx.Next.MasterPubKeys, rec.PublicKey)
	if rec.Version > 0 {
		if err := r.rotation.OnActivated(tx, rec.Version, rec.PublicKey); err != nil {
			return err
		}
	}
	if !tx.Next.GK.Launching || rec.Version != 0 {
		return nil
	}
	tx.Next.GK.Launching = false
	k := tx.Master.Get(0)
	if k == nil || subtle.ConstantTimeCompare(k.PublicKey(), rec.PublicKey) != 1 {
		r.core.Log().Error("the master key recorded on chain is not the one this gatekeeper generated; not going live")
		tx.Master.Erase()
		return nil
	}
	return r.GoLive(tx)
}

// GoLive makes a gatekeeper that holds the whole history active: it tells
// the chain, then answers the tasks it queued.
func (r *Role) GoLive(tx *state.Tx) error {
	n := len(tx.Next.MasterPubKeys)
	tx.Next.GK.Live = true
	r.core.Log().Info("gatekeeper live", "master_versions", n, "master_pubkey", hex.EncodeToString(tx.Next.MasterPubKeys[n-1]))
	if err := r.core.Emit(&tx.Next, protocol.TopicGatekeeperLive, protocol.EncodeU32(uint32(n))); err != nil {
		return err
	}
	queued := tx.Next.GK.Tasks
	tx.Next.GK.Tasks = nil
	for _, t := range queued {
		if err := r.answerTask(tx, t); err != nil {
			return err
		}
	}
	return nil
}

// onMasterKeyRequest sends the history to a joining gatekeeper.
func (r *Role) onMasterKeyRequest(tx *state.Tx, payload []byte) error {
	req, err := protocol.DecodeKeyRequest(payload)
	if err != nil {
		return err
	}
	if !tx.Next.GK.Live || bytes.Equal(req.Identity, r.core.Self()) {
		return nil
	}
	// Erased versions are neither held nor sent (the chain would refuse a
	// copy that includes one): the joiner's history starts after them.
	n := uint32(len(tx.Next.MasterPubKeys))
	for first := tx.Next.MasterErasedBelow; first < n; first += protocol.MaxVersionsPerCopy {
		count := min(n-first, protocol.MaxVersionsPerCopy)
		c, err := SealMasterKeys(r.core.ChainID(), &tx.Master, req, first, count)
		if err != nil {
			return err
		}
		if err := r.core.Emit(&tx.Next, protocol.TopicMasterKeyCopy, c.Encode()); err != nil {
			return err
		}
	}
	r.core.Log().Info("sent the master key history to a joining gatekeeper", "gatekeeper", hex.EncodeToString(req.Identity), "versions", n)
	return nil
}

// SealMasterKeys seals versions [first, first+count) to req's receive key.
func SealMasterKeys(chainID string, h *state.MasterHistory, req protocol.KeyRequest, first, count uint32) (protocol.MasterKeyCopy, error) {
	keys := make([]*crypto.MasterKey, count)
	for i := range keys {
		if keys[i] = h.Get(first + uint32(i)); keys[i] == nil {
			return protocol.MasterKeyCopy{}, fmt.Errorf("gatekeeper: live gatekeeper lacks master key version %d", first+uint32(i))
		}
	}
	plain, err := crypto.EncodeSecrets(keys)
	if err != nil {
		return protocol.MasterKeyCopy{}, err
	}
	defer clear(plain)
	sealed, err := crypto.SealTo(req.ReceiveKey, crypto.Info{
		Context: protocol.ContextMasterKeyTransfer, ChainID: chainID,
		Recipient: req.ReceiveKey, What: protocol.MasterKeyCopyWhat(first, count),
	}, plain)
	if err != nil {
		return protocol.MasterKeyCopy{}, fmt.Errorf("gatekeeper: sealing master keys: %w", err)
	}
	return protocol.MasterKeyCopy{Recipient: req.Identity, First: first, Count: count, Sealed: sealed}, nil
}

// onMasterKeyCopy receives a range of the history. Every version is checked
// against its public key on chain before anything is kept; a copy that
// fails is reported on chain and dropped whole.
func (r *Role) onMasterKeyCopy(tx *state.Tx, payload []byte) error {
	rel, err := protocol.DecodeRelayed(payload)
	if err != nil {
		return err
	}
	c, err := protocol.DecodeMasterKeyCopy(rel.Body)
	if err != nil {
		return err
	}
	if !bytes.Equal(c.Recipient, r.core.Self()) || !tx.Next.IsGatekeeper(r.core.Self()) || tx.Next.GK.Live {
		return nil
	}
	keys, err := r.openMasterKeys(tx.Next.MasterPubKeys, c)
	if err != nil {
		r.core.KeyFault("master")
		r.core.Log().Warn("master key copy failed verification; reporting the sender, keeping nothing",
			"sender", hex.EncodeToString(rel.Sender), "first", c.First, "count", c.Count, "err", err)
		return r.core.Emit(&tx.Next, protocol.TopicKeyFault, protocol.KeyFault{
			Sender: rel.Sender, Kind: protocol.FaultMasterKeyCopy, Version: c.First,
		}.Encode())
	}
	for _, k := range keys {
		tx.Master.Set(k)
	}
	if tx.Master.HoldsAll(tx.Next.MasterErasedBelow, len(tx.Next.MasterPubKeys)) {
		return r.GoLive(tx)
	}
	return nil
}

func (r *Role) openMasterKeys(pubs [][]byte, c protocol.MasterKeyCopy) ([]*crypto.MasterKey, error) {
	if uint64(c.First)+uint64(c.Count) > uint64(len(pubs)) {
		return nil, fmt.Errorf("gatekeeper: versions %d+%d beyond the %d on chain", c.First, c.Count, len(pubs))
	}
	plain, err := r.core.OpenSealed(protocol.ContextMasterKeyTransfer, protocol.MasterKeyCopyWhat(c.First, c.Count), c.Sealed)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	return crypto.DecodeSecrets(c.First, plain, pubs[c.First:c.First+c.Count])
}

// onTask answers a gatekeeper task, or queues it while not yet live.
func (r *Role) onTask(tx *state.Tx, topic string, payload []byte) error {
	t, err := protocol.DecodeGatekeeperTask(payload)
	if err != nil {
		return err
	}
	if !tx.Next.IsGatekeeper(r.core.Self()) && !tx.Next.PendingGatekeeper() {
		return nil
	}
	return r.AnswerOrQueue(tx, state.QueuedTask{Topic: topic, Seq: t.Seq, Body: t.Body})
}

// AnswerOrQueue answers q now if this gatekeeper is live, or queues it.
func (r *Role) AnswerOrQueue(tx *state.Tx, q state.QueuedTask) error {
	if tx.Next.GK.Live {
		return r.answerTask(tx, q)
	}
	r.queueTask(tx, q)
	return nil
}

// queueTask keeps a task for when this designated gatekeeper goes live.
func (r *Role) queueTask(tx *state.Tx, q state.QueuedTask) {
	if len(tx.Next.GK.Tasks) >= maxQueuedTasks {
		r.core.Log().Warn("task queue full while waiting for the master key; dropping the oldest", "seq", tx.Next.GK.Tasks[0].Seq)
		tx.Next.GK.Tasks = tx.Next.GK.Tasks[1:]
	}
	tx.Next.GK.Tasks = append(tx.Next.GK.Tasks, q)
}

// answerTask computes a quorum output. It depends only on the task and the
// master key versions on chain, so every live gatekeeper signs the same bytes.
func (r *Role) answerTask(tx *state.Tx, t state.QueuedTask) error {
	var (
		topic   string
		payload []byte
	)
	switch t.Topic {
	case protocol.TopicClusterTask:
		id, err := protocol.DecodeClusterKeyID(t.Body)
		if err != nil {
			return err
		}
		k := tx.Master.Get(id.Version)
		if k == nil {
			r.core.Log().Error("cannot answer cluster task: master key version not held", "seq", t.Seq, "version", id.Version)
			return nil
		}
		ck := k.ClusterKey(id.Cluster)
		pub := crypto.ClusterPublicKey(ck)
		clear(ck[:])
		topic, payload = protocol.TopicClusterKey, protocol.ClusterPublicKey{ClusterKeyID: id, PublicKey: pub}.Encode()
	case protocol.TopicBeaconTask:
		height, err := protocol.DecodeU64("height", t.Body)
		if err != nil {
			return err
		}
		b, err := r.beacon(tx, height)
		if err != nil {
			return err
		}
		topic, payload = protocol.TopicBeacon, b.Encode()
	case protocol.TopicBlock:
		topic, payload = protocol.TopicSettlement, t.Reply
	default:
		return fmt.Errorf("gatekeeper: unknown task topic %q", t.Topic)
	}
	return r.core.EmitGatekeeper(&tx.Next, protocol.GatekeeperLane(t.Lane), t.Seq, topic, payload)
}

// beacon derives the beacon for height from the newest master key version
// on chain at this point of the ingress stream.
func (r *Role) beacon(tx *state.Tx, height uint64) (protocol.Beacon, error) {
	v := uint32(len(tx.Next.MasterPubKeys) - 1)
	k := tx.Master.Get(v)
	if k == nil {
		return protocol.Beacon{}, fmt.Errorf("gatekeeper: live gatekeeper lacks master key version %d", v)
	}
	return beaconFor(k, r.core.ChainID(), height)
}

func beaconFor(k *crypto.MasterKey, chainID string, height uint64) (protocol.Beacon, error) {
	val, err := k.Beacon(chainID, height)
	if err != nil {
		return protocol.Beacon{}, err
	}
	return protocol.Beacon{Height: height, Version: k.Version, Value: val[:]}, nil
}

// onBeacon records the accepted beacon; a live gatekeeper checks it.
func (r *Role) onBeacon(tx *state.Tx, payload []byte) error {
	b, err := protocol.DecodeBeacon(payload)
	if err != nil {
		return err
	}
	tx.Next.Beacon = &state.Beacon{Height: b.Height, Version: b.Version, Value: b.Value}
	if !tx.Next.GK.Live {
		return nil
	}
	k := tx.Master.Get(b.Version)
	if k == nil {
		return nil
	}
	own, err := beaconFor(k, r.core.ChainID(), b.Height)
	if err != nil {
		return err
	}
	if !bytes.Equal(own.Value, b.Value) {
		tx.Next.GK.BeaconMismatches++
		r.core.BeaconMismatch()
		r.core.Log().Error("accepted beacon differs from this gatekeeper's: a quorum of gatekeepers signed a wrong value",
			"height", b.Height, "version", b.Version)
	}
	return nil
}

// onClusterGrant: a live gatekeeper sends the worker its cluster key; the
// worker named in it records the public key to expect.
func (r *Role) onClusterGrant(tx *state.Tx, payload []byte) error {
	g, err := protocol.DecodeClusterGrant(payload)
	if err != nil {
		return err
	}
	if bytes.Equal(g.Worker, r.core.Self()) {
		tx.Next.ExpectClusterKey(g.ClusterKeyID, g.PublicKey)
	}
	if !tx.Next.GK.Live {
		return nil
	}
	k := tx.Master.Get(g.Version)
	if k == nil {
		r.core.Log().Error("cannot grant cluster key: master key version not held", "cluster", g.Cluster, "version", g.Version)
		return nil
	}
	// The payload is not retained past this call: keep copies of the keys.
	g.PublicKey, g.Worker, g.ReceiveKey = bytes.Clone(g.PublicKey), bytes.Clone(g.Worker), bytes.Clone(g.ReceiveKey)
	tx.Copies = append(tx.Copies, state.PendingCopy{Grant: g, Key: k})
	return nil
}

// SealCopies seals the cluster key copies of tx's grants, in parallel on
// every core (a cluster of many workers is granted in one block, and each
// copy is an independent HPKE encapsulation), and emits them in grant order.
func (r *Role) SealCopies(tx *state.Tx) error {
	if len(tx.Copies) == 0 {
		return nil
	}
	out := make([]protocol.ClusterKeyCopy, len(tx.Copies))
	errs := make([]error, len(tx.Copies))
	next := make(chan int, len(tx.Copies))
	for i := range tx.Copies {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(tx.Copies)) {
		wg.Go(func() {
			for i := range next {
				out[i], errs[i] = sealClusterKey(r.core.ChainID(), tx.Copies[i].Key, tx.Copies[i].Grant)
			}
		})
	}
	wg.Wait()
	tx.Copies = nil
	for i, c := range out {
		if errs[i] != nil {
			return errs[i]
		}
		if err := r.core.Emit(&tx.Next, protocol.TopicClusterKeyCopy, c.Encode()); err != nil {
			return err
		}
	}
	return nil
}

// sealClusterKey derives the cluster key version g names and seals it to
// the worker's receive key.
func sealClusterKey(chainID string, k *crypto.MasterKey, g protocol.ClusterGrant) (protocol.ClusterKeyCopy, error) {
	ck := k.ClusterKey(g.Cluster)
	defer clear(ck[:])
	sealed, err := crypto.SealTo(g.ReceiveKey, crypto.Info{
		Context: protocol.ContextClusterKeyTransfer, ChainID: chainID,
		Recipient: g.ReceiveKey, What: protocol.ClusterKeyCopyWhat(g.ClusterKeyID),
	}, ck[:])
	if err != nil {
		return protocol.ClusterKeyCopy{}, fmt.Errorf("gatekeeper: sealing cluster key: %w", err)
	}
	return protocol.ClusterKeyCopy{ClusterKeyID: g.ClusterKeyID, Recipient: g.Worker, Sealed: sealed}, nil
}

// onClusterKeyCopy keeps the first copy of an expected cluster key version
// that matches the public key on chain, and reports copies that do not.
func (r *Role) onClusterKeyCopy(tx *state.Tx, payload []byte) error {
	rel, err := protocol.DecodeRelayed(payload)
	if err != nil {
		return err
	}
	c, err := protocol.DecodeClusterKeyCopy(rel.Body)
	if err != nil {
		return err
	}
	if !bytes.Equal(c.Recipient, r.core.Self()) {
		return nil
	}
	slot := tx.Next.ClusterKeySlot(c.ClusterKeyID)
	if slot == nil || len(slot.Key) > 0 {
		return nil // not (or no longer) a member, or already held
	}
	key, err := r.openClusterKey(c, slot.PublicKey)
	if err != nil {
		r.core.KeyFault("cluster")
		r.core.Log().Warn("cluster key copy failed verification; reporting the sender, keeping nothing",
			"sender", hex.EncodeToString(rel.Sender), "cluster", c.Cluster, "version", c.Version, "err", err)
		return r.core.Emit(&tx.Next, protocol.TopicKeyFault, protocol.KeyFault{
			Sender: rel.Sender, Kind: protocol.FaultClusterKeyCopy, Cluster: c.Cluster, Version: c.Version,
		}.Encode())
	}
	slot.Key = key
	r.core.Log().Info("holding cluster key", "cluster", c.Cluster, "version", c.Version)
	// Acknowledge it in the same commit: from this commit on the app API
	// saves under this version (or a newer one), so once the chain has the
	// acknowledgement no blob of an older version can appear from this
	// worker, and a rotation may sweep and retire the older version.
	return r.core.Emit(&tx.Next, protocol.TopicClusterKeyAck, c.ClusterKeyID.Encode())
}

func (r *Role) openClusterKey(c protocol.ClusterKeyCopy, pub []byte) ([]byte, error) {
	plain, err := r.core.OpenSealed(protocol.ContextClusterKeyTransfer, protocol.ClusterKeyCopyWhat(c.ClusterKeyID), c.Sealed)
	if err != nil {
		return nil, err
	}
	if len(plain) != crypto.KeySize {
		clear(plain)
		return nil, fmt.Errorf("gatekeeper: cluster key is %d bytes, want %d", len(plain), crypto.KeySize)
	}
	var ck [crypto.KeySize]byte
	copy(ck[:], plain)
	defer clear(ck[:])
	if subtle.ConstantTimeCompare(crypto.ClusterPublicKey(ck), pub) != 1 {
		clear(plain)
		return nil, crypto.ErrKeyMismatch
	}
	return plain, nil
}

// onClusterMemberRemoved drops this worker's cluster keys when it leaves.
func (r *Role) onClusterMemberRemoved(tx *state.Tx, payload []byte) error {
	m, err := protocol.DecodeClusterMember(payload)
	if err != nil {
		return err
	}
	if bytes.Equal(m.Worker, r.core.Self()) && tx.Next.Cluster != nil && tx.Next.Cluster.ID == m.Cluster {
		r.core.Log().Info("removed from cluster; dropping its keys", "cluster", m.Cluster)
		tx.Next.Cluster = nil
	}
	return nil
}

func (r *Role) noteKnownClusterKey(tx *state.Tx, payload []byte) error {
	c, err := protocol.DecodeClusterPublicKey(payload)
	if err != nil {
		return err
	}
	if len(tx.Next.KnownClusterKeys) >= maxKnownClusterKeys {
		return nil
	}
	tx.Next.KnownClusterKeys = append(tx.Next.KnownClusterKeys, state.KnownClusterKey{Cluster: c.Cluster, Version: c.Version, PublicKey: bytes.Clone(c.PublicKey)})
	return nil
}

// maxKnownClusterKeys bounds what a successor records.
const maxKnownClusterKeys = 1 << 16
