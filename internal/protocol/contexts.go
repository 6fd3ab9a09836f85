package protocol

// Signing and derivation contexts. Each signed, encrypted or hashed object in
// the system has exactly one context, defined here once. Changing a context
// string is a breaking protocol change.
const (
	// ContextMQ signs egress messages (pRuntime → chain).
	ContextMQ = "gatekeeper/mq/v1"
	// ContextReportData binds registration info into an attestation's report data.
	ContextReportData = "gatekeeper/registration/v1"
	// ContextSimQuote is the simulated TEE platform key's signature over a sim quote.
	ContextSimQuote = "gatekeeper/tee/sim-quote/v1"
	// ContextIdentity is the seal label of a pRuntime's identity keys.
	ContextIdentity = "gatekeeper/pruntime/identity/v1"
	// ContextSimSeal is the HKDF salt of the simulated TEE's sealing keys.
	ContextSimSeal = "gatekeeper/tee/sim-seal/v1"
	// ContextCheckpoint is the tee.Seal label of the pRuntime's checkpoints.
	ContextCheckpoint = "gatekeeper/pruntime/checkpoint/v1"

	// ContextKDF is the HKDF salt of the key hierarchy (master → cluster → app
	// keys) in internal/crypto.
	ContextKDF = "gatekeeper/kdf/v1"
	// ContextBeacon is the HKDF salt of the gatekeepers' per-height randomness
	// derived from the master key.
	ContextBeacon = "gatekeeper/beacon/v1"
	// ContextMasterKeyTransfer is the HPKE info context of a master key version
	// sent to a gatekeeper's receive key (joining, rotation, migration).
	ContextMasterKeyTransfer = "gatekeeper/hpke/master-key/v1"
	// ContextClusterKeyTransfer is the HPKE info context of a cluster key sent
	// to a worker's receive key.
	ContextClusterKeyTransfer = "gatekeeper/hpke/cluster-key/v1"
	// ContextMigrationHandover is the HPKE info context of one part of a
	// pRuntime migration handover, sealed by the predecessor to its
	// successor's receive key (what = MigrationHandoverWhat).
	ContextMigrationHandover = "gatekeeper/hpke/migration/v1"
	// ContextMasterKeyHistory is the tee.Seal label of a gatekeeper's sealed
	// master key history.
	ContextMasterKeyHistory = "gatekeeper/pruntime/master-keys/v1"
	// ContextChallengeSeed prefixes the hash that derives a block's
	// heartbeat-challenge seed from the gatekeepers' beacon.
	ContextChallengeSeed = "gatekeeper/computation/challenge-seed/v1"
	// ContextReencryptJournal is the tee.Seal label of a gatekeeper's
	// re-encryption journal (internal/reencrypt).
	ContextReencryptJournal = "gatekeeper/pruntime/reencrypt-journal/v1"
	// ContextStateBlob is the AAD context of a saved state blob encrypted
	// under a cluster key (the worker app API's state store).
	ContextStateBlob = "gatekeeper/state-blob/v1"
	// ContextIngressHead prefixes every step of the ingress log's hash
	// chain (IngressHeadNext) and is the whole input of its seed.
	ContextIngressHead = "gatekeeper/mq/ingress-head/v1"
)
