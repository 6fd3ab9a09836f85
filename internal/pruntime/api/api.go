// Package api is the pRuntime's RPC interface: the JSON types of every
// endpoint and an HTTP client for them. The relayer (pherry) and operators
// use it; the runtime serves it. Binary fields are protobuf or canonical
// protocol encodings, base64 in JSON.
package api

// Endpoints of the pRuntime RPC.
const (
	PathInfo          = "/get_info"
	PathHealth        = "/health"
	PathReady         = "/ready"
	PathMetrics       = "/metrics"
	PathSyncInit      = "/sync/init"
	PathSyncHeader    = "/sync/header"
	PathSyncIngress   = "/sync/ingress"
	PathSyncEgressAck = "/sync/egress_ack"
	PathSyncBootstrap = "/sync/bootstrap"
	PathEgress        = "/egress"
	PathRegistration  = "/registration"
)

// MaxRequestBody bounds every request body the pRuntime reads.
const MaxRequestBody = 16 << 20

// MaxHeaderUpdateBody bounds the body of /sync/init and /sync/header: a
// header update at chainsync.MaxValidators (1,000) validators is about
// 300 KB of JSON.
const MaxHeaderUpdateBody = 1 << 20

// Role is the pRuntime's gatekeeper role.
type Role string

// Roles, as in the reference: none (a worker), dummy (designated but not
// live), active (a live gatekeeper).
const (
	RoleNone   Role = "none"
	RoleDummy  Role = "dummy"
	RoleActive Role = "active"
)

// Readiness is GET /ready: 200 when Ready, else 503 with the reasons.
// /health answers liveness only (the process serves requests).
type Readiness struct {
	Ready bool `json:"ready"`
	// Reasons name each condition that fails (NotReady* constants), in a
	// fixed order; empty when Ready.
	Reasons []string `json:"reasons,omitempty"`
}

// Reasons a pRuntime is not ready (docs/monitoring.md).
const (
	// NotReadyUninitialized: no header verified yet.
	NotReadyUninitialized = "not_initialized"
	// NotReadyLagging: the newest verified header is older than the
	// configured bound (pruntime --ready-max-lag) by the host clock.
	NotReadyLagging = "lagging"
	// NotReadyUnregistered: the chain has not registered this worker.
	NotReadyUnregistered = "not_registered"
	// NotReadyGatekeeperNotLive: designated a gatekeeper, without the
	// master key history (role dummy).
	NotReadyGatekeeperNotLive = "gatekeeper_not_live"
	// NotReadyRetired: a migration replaced this pRuntime's version.
	NotReadyRetired = "retired"
)

// Info is GET /get_info.
type Info struct {
	Initialized bool   `json:"initialized"`
	Registered  bool   `json:"registered"`
	Role        Role   `json:"role"`
	ChainID     string `json:"chain_id"`
	// TrustHeight is the trust root's height: 0 for the genesis validator
	// set, whose first header initializes the runtime.
	TrustHeight  uint64 `json:"trust_height"`
	SyncedHeight int64  `json:"synced_height"`
	// ProofHeight is the height whose state ingress proofs must be taken at
	// (SyncedHeight-1: header h carries the app hash of state h-1).
	ProofHeight int64  `json:"proof_height"`
	NextIngress uint64 `json:"next_ingress"`
	// IngressHead is the pRuntime's ingress head at NextIngress (hex), or
	// empty when it holds none and the next IngressRequest must carry Base.
	IngressHead string `json:"ingress_head,omitempty"`
	IdentityKey string `json:"identity_key"` // hex
	ReceiveKey  string `json:"receive_key"`  // hex
	// MasterPubkey is the newest master key version's public key on chain
	// (hex), as this pRuntime verified it; MasterVersions counts them.
	MasterPubkey   string `json:"master_pubkey,omitempty"`
	MasterVersions int    `json:"master_versions"`
	PendingEgress  int    `json:"pending_egress"`
	NextEgressSeq  uint64 `json:"next_egress_seq"`
	Version        string `json:"version"`
	TEEKind        string `json:"tee_kind"`
	Measurement    string `json:"measurement"` // hex
	Operator       string `json:"operator"`
	// Cluster is the cluster this worker belongs to, if any.
	Cluster *ClusterInfo `json:"cluster,omitempty"`
	// BeaconHeight is the height of the latest beacon the chain accepted.
	BeaconHeight uint64 `json:"beacon_height,omitempty"`
	// Score is the performance score this worker reported (0: not yet).
	Score uint32 `json:"score,omitempty"`
	// Session is this worker's computing session (0: not computing).
	Session uint64 `json:"session,omitempty"`
	// MasterErasedBelow is the number of leading master key versions the
	// chain ordered erased (0: none); a gatekeeper holds none of them.
	MasterErasedBelow uint32 `json:"master_erased_below,omitempty"`
	// Rotation is the master key rotation this pRuntime follows, if any.
	Rotation *RotationInfo `json:"rotation,omitempty"`
	// Retired: a migration replaced this pRuntime's version; it erased its
	// master and cluster keys and signs nothing more.
	Retired bool `json:"retired,omitempty"`
}

// RotationInfo is a pRuntime's view of a running master key rotation and,
// for a gatekeeper of its snapshot, of its own re-encryption range.
type RotationInfo struct {
	From uint32 `json:"from"`
	To   uint32 `json:"to"`
	// Phase is proposing, acking (a proposal was taken), reencrypting,
	// retiring (From retired, erased at EraseHeight).
	Phase string `json:"phase"`
	// Acked: this gatekeeper sealed version To and acknowledged it.
	Acked       bool   `json:"acked,omitempty"`
	EraseHeight uint64 `json:"erase_height,omitempty"`
	// Range/Ranges is this gatekeeper's re-encryption share, if any.
	Range  uint32 `json:"range"`
	Ranges uint32 `json:"ranges,omitempty"`
	// Done, Total, Failed are its re-encryption counts so far; Finished
	// says the range was verified complete and reported so.
	Done     uint64 `json:"done"`
	Total    uint64 `json:"total"`
	Failed   uint64 `json:"failed"`
	Finished bool   `json:"finished,omitempty"`
	// ETASeconds estimates the time left of the running job (-1: unknown).
	ETASeconds int64 `json:"eta_seconds,omitempty"`
}

// ClusterInfo is a worker's cluster membership.
type ClusterInfo struct {
	ID uint64 `json:"id"`
	// KeyVersions are the cluster key versions the worker holds (verified
	// against the public keys on chain); empty until the first copy arrives.
	KeyVersions []uint32 `json:"key_versions"`
}

// HeaderUpdate is a signed header with its validator set, as protobuf
// (cometbft.types.SignedHeader, cometbft.types.ValidatorSet).
type HeaderUpdate struct {
	SignedHeader []byte `json:"signed_header"`
	Validators   []byte `json:"validators"`
}

// ProofOps is cometbft.crypto.ProofOps as protobuf.
type ProofOps []byte

// IngressRequest is POST /sync/ingress: the ingress entries [Start, End),
// raw, with one proof at Info.ProofHeight of the ingress head at End
// (protocol.IngressHeadKey) that covers them all. The pRuntime recomputes
// the hash chain from its own head at Start over the entries and applies
// them only if it reaches the proven head.
type IngressRequest struct {
	// Start is the index of the first entry: Info.NextIngress.
	Start uint64 `json:"start"`
	// End is the index after the last entry, where Head is proven.
	End uint64 `json:"end"`
	// Entries are the values the chain stores at protocol.IngressKey(i)
	// for i in [Start, End), framed by chainsync.EncodeIngressEntries.
	Entries []byte `json:"entries"`
	// Head is the 32-byte ingress head at End with its proof.
	Head ProvenRead `json:"head"`
	// Base is the ingress head at Start with its proof, needed only when
	// the pRuntime holds none (Info.IngressHead is empty): after a
	// bootstrap, or from a checkpoint written before heads existed.
	Base *ProvenRead `json:"base,omitempty"`
}

// IngressResponse says how far the pRuntime got.
type IngressResponse struct {
	Applied     int    `json:"applied"`
	NextIngress uint64 `json:"next_ingress"`
}

// ProvenRead is a store value, or its absence (no value, a proof of
// non-membership), proven at Info.ProofHeight.
type ProvenRead struct {
	Value []byte   `json:"value,omitempty"`
	Proof ProofOps `json:"proof"`
}

// EgressAckRequest is POST /sync/egress_ack: the chain's next expected
// sequences (u64 big-endian, x/mq protocol.SequenceKey) proven at the proof
// height.
type EgressAckRequest struct {
	// Worker is this worker's next expected sequence.
	Worker ProvenRead `json:"worker"`
	// Gatekeeper is the gatekeeper task channel's next sequence; a
	// gatekeeper's relayer sends it so that delivered quorum messages are
	// dropped.
	Gatekeeper *ProvenRead `json:"gatekeeper,omitempty"`
	// Lanes are the next sequences of the gatekeeper lanes this gatekeeper
	// has pending messages on (at most MaxLaneAcks).
	Lanes []LaneAck `json:"lanes,omitempty"`
}

// MaxLaneAcks bounds EgressAckRequest.Lanes.
const MaxLaneAcks = 8

// LaneAck is a gatekeeper lane's proven next sequence.
type LaneAck struct {
	Lane string     `json:"lane"`
	Next ProvenRead `json:"next"`
}

// BootstrapRequest is POST /sync/bootstrap, for a pRuntime further behind
// than the chain's ingress retention: instead of replaying pruned entries it
// reads, with proofs, what they would have told it.
type BootstrapRequest struct {
	// FirstIngress is x/mq's oldest retained ingress index (u64 big-endian).
	FirstIngress ProvenRead `json:"first_ingress"`
	// Worker is this pRuntime's record in x/registry, or its absence.
	Worker ProvenRead `json:"worker"`
	// Gatekeeper is this pRuntime's gatekeeper record, or its absence.
	Gatekeeper ProvenRead `json:"gatekeeper"`
	// MasterKeys are the x/registry records of the master key versions the
	// pRuntime does not know yet (from Info.MasterVersions on, in order),
	// then a proof of absence of the next version: what the pruned
	// registry/master_key entries said. At most MaxBootstrapMasterKeys.
	MasterKeys []ProvenRead `json:"master_keys"`
	// Rotations are the x/registry records of the rotations to version n
	// and, if n ≥ 2, to n-1, present or absent, where n is the number of
	// master key versions on chain (what MasterKeys ends with).
	Rotations []ProvenRead `json:"rotations"`
	// RotationWorkers are the worker records of the running rotation's
	// snapshot, in its order, while it is not activated (phase PROPOSING or
	// ACKING); empty otherwise.
	RotationWorkers []ProvenRead `json:"rotation_workers"`
	// WorkerCluster is the id of the cluster this pRuntime is in, or its
	// absence; Cluster is that cluster's record when it is in one.
	WorkerCluster ProvenRead  `json:"worker_cluster"`
	Cluster       *ProvenRead `json:"cluster,omitempty"`
	// EgressSeq is x/mq's next expected sequence of this pRuntime's worker
	// origin, or its absence: a pRuntime that lost its checkpoints signs
	// its next messages from there, not at sequences already used.
	EgressSeq ProvenRead `json:"egress_seq"`
}

// MaxBootstrapMasterKeys bounds BootstrapRequest.MasterKeys.
const MaxBootstrapMasterKeys = 4096

// SignedMessage is a protocol.SignedMessage.
type SignedMessage struct {
	Body      []byte `json:"body"`
	Signer    []byte `json:"signer"`
	Signature []byte `json:"signature"`
}

// EgressResponse is GET /egress: pending messages in sequence order.
type EgressResponse struct {
	Messages []SignedMessage `json:"messages"`
}

// Registration is GET /registration: what MsgRegisterWorker carries.
type Registration struct {
	Info    []byte `json:"info"`
	TEEKind string `json:"tee_kind"`
	Quote   []byte `json:"quote"`
}

// Error is the body of every non-2xx response.
type Error struct {
	Error string `json:"error"`
}
