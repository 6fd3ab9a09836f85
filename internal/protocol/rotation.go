package protocol

import (
	"bytes"
	"fmt"
)

// Master key rotation (DESIGN §6 "Rotation", issue 5; docs/gatekeepers.md
// "Rotation"). The chain runs the state machine (x/registry): a rotation
// from version v = From to v+1 = To starts, a gatekeeper of the snapshot
// proposes v+1, a quorum of the snapshot acknowledges it, it activates, the
// snapshot re-encrypts the saved state in ranges, v retires and, after
// key_retention blocks, is erased. Every payload below has a fixed layout:
// big-endian integers, fixed-size keys, u8 counts and u16 lengths, each
// bounded; decoders are strict (exact sizes, canonical order, no trailing
// bytes).
//
// Directions are as in gatekeeper.go. The egress topics take the worker
// origin of a gatekeeper's own identity key (like registry/gatekeeper_live
// and registry/master_key_copy): what one gatekeeper reports is its own
// claim, checked by the chain against the rotation's state.
const (
	// TopicRotationStart (ingress): a RotationStart. A rotation began; the
	// live gatekeepers of its snapshot may propose version To.
	TopicRotationStart = "gatekeeper/rotation_start"
	// TopicRotationProposal (egress, worker origin, a live gatekeeper of the
	// snapshot): a RotationProposal of version To. The chain takes the first
	// valid one.
	TopicRotationProposal = "gatekeeper/rotation_proposal"
	// TopicRotationProposed (ingress): a RotationProposed, the proposal the
	// chain took, with its proposer. Each snapshot gatekeeper opens its copy,
	// checks it against PublicKey, seals it (not yet active) and acknowledges
	// on TopicRotationAck; a copy that does not open or does not match is
	// reported on TopicKeyFault (FaultMasterKeyCopy, Sender = the proposer,
	// Version = To).
	TopicRotationProposed = "gatekeeper/rotation_proposed"
	// TopicRotationProposalRejected (ingress): a RotationRejected. So many
	// snapshot gatekeepers reported the taken proposal faulty that a quorum
	// can no longer acknowledge it: every pRuntime drops the proposed
	// version To it may have sealed, and the rotation is PROPOSING again
	// (the rejected proposer may not propose again in this rotation).
	TopicRotationProposalRejected = "gatekeeper/rotation_proposal_rejected"
	// TopicRotationAck (egress, worker origin, a live gatekeeper of the
	// snapshot): u32 To (EncodeU32), sent after the gatekeeper sealed the
	// proposed version To. Version To activates when a quorum of the
	// snapshot acknowledged it; the chain republishes its MasterKeyRecord on
	// TopicMasterKey then, as for v0.
	TopicRotationAck = "gatekeeper/rotation_ack"
	// TopicReencryptStart (ingress): a ReencryptStart, right after version
	// To was activated (TopicMasterKey) and every cluster was given key
	// version To (a cluster task each). The i-th gatekeeper of the
	// RotationStart snapshot re-encrypts range i of Ranges.
	TopicReencryptStart = "gatekeeper/reencrypt_start"
	// TopicReencryptProgress (egress, worker origin, the gatekeeper the range
	// is assigned to): a ReencryptProgress.
	TopicReencryptProgress = "gatekeeper/reencrypt_progress"
	// TopicClusterKeyAck (egress, worker origin, a cluster member): a
	// ClusterKeyID the worker holds, sent in the commit that stores the key.
	// From then on it saves state only under that version or a newer one;
	// the chain retires a rotation's old version only once every member
	// acknowledged the new one.
	TopicClusterKeyAck = "gatekeeper/cluster_key_ack"
	// TopicReencryptSweep (ingress, from x/registry): a ReencryptSweep. The
	// last cluster member acknowledged the new version after some ranges
	// were verified: their assignees verify them again.
	TopicReencryptSweep = "gatekeeper/reencrypt_sweep"
	// TopicReencryptReassigned (ingress, from x/registry): a
	// ReencryptReassigned. A range's assignee made no progress for
	// reencrypt_stall_blocks; the range goes to another gatekeeper.
	TopicReencryptReassigned = "gatekeeper/reencrypt_reassigned"
	// TopicMasterKeyRetired (ingress): a MasterKeyRetired. Every range
	// finished without failures; version From is no longer used for
	// anything new and is erased at EraseHeight.
	TopicMasterKeyRetired = "gatekeeper/master_key_retired"
	// TopicMasterKeyErase (ingress): u32 version (EncodeU32). Every
	// gatekeeper erases that master key version from its sealed history and
	// every worker the cluster keys of that version, durably, before it
	// commits the ingress that carried it. No live gatekeeper ever sends
	// that version again (the chain refuses master key copies that include
	// an erased version).
	TopicMasterKeyErase = "gatekeeper/master_key_erase"
)

// Bounds of the rotation payloads. They keep the largest RotationStart and
// RotationProposed within MaxPayloadLen (a test checks it).
const (
	// MaxRotationGatekeepers bounds a rotation's snapshot: the chain does not
	// start a rotation of a larger gatekeeper set.
	MaxRotationGatekeepers = 32
	// MaxRotationCopyLen bounds one sealed copy of a proposal. A copy is the
	// crypto.SealTo of one master key secret (32 bytes), 1,169 bytes today
	// (crypto.SealOverhead + 32); the bound leaves room for the seal format.
	MaxRotationCopyLen = 1536
	// MaxFailedNames bounds how many failed object names one
	// ReencryptProgress carries; Failed counts them all.
	MaxFailedNames = 16
	// MaxFailedNameLen bounds one failed object name (statestore.MaxNameLen).
	MaxFailedNameLen = 512
)

// RotationMember is a gatekeeper of a rotation's snapshot: its identity key
// and the receive key its copy of the new version is sealed to.
type RotationMember struct {
	Identity   []byte // IdentityKeyLen
	ReceiveKey []byte // ReceiveKeyLen
}

// RotationStart announces a rotation from version From to To = From+1 and
// its snapshot of the gatekeeper set, in ascending identity key order. The
// snapshot is the rotation's gatekeeper set from start to retirement (the
// chain refuses gatekeeper-set changes until re-encryption ends): proposals
// carry one copy per member in this order, the acknowledgement quorum is
// counted over it, and member i re-encrypts range i.
type RotationStart struct {
	From, To    uint32
	Gatekeepers []RotationMember // 1..MaxRotationGatekeepers
}

// Encode returns u32 from || u32 to || u8 n || n × (identity || receive key).
func (p RotationStart) Encode() []byte {
	w := writer{buf: make([]byte, 0, 9+len(p.Gatekeepers)*(IdentityKeyLen+ReceiveKeyLen))}
	w.u32(p.From)
	w.u32(p.To)
	w.u8(uint8(len(p.Gatekeepers)))
	for _, g := range p.Gatekeepers {
		w.raw(g.Identity)
		w.raw(g.ReceiveKey)
	}
	return w.buf
}

// DecodeRotationStart parses RotationStart.Encode. It requires To = From+1
// and strictly ascending identity keys.
func DecodeRotationStart(b []byte) (RotationStart, error) {
	r := reader{buf: b}
	p := RotationStart{From: r.u32("from"), To: r.u32("to")}
	r.versionStep(p.From, p.To)
	n := r.count("gatekeepers", 1, MaxRotationGatekeepers)
	for i := 0; r.err == nil && i < n; i++ {
		g := RotationMember{Identity: r.take("identity", IdentityKeyLen), ReceiveKey: r.take("receive key", ReceiveKeyLen)}
		if r.err == nil && i > 0 && bytes.Compare(p.Gatekeepers[i-1].Identity, g.Identity) >= 0 {
			r.fail("gatekeepers", "identity %d is not above the previous one (want ascending, unique)", i)
		}
		p.Gatekeepers = append(p.Gatekeepers, g)
	}
	if err := r.done(); err != nil {
		return RotationStart{}, err
	}
	return p, nil
}

// RotationProposal is a gatekeeper's proposal of master key version
// ToVersion: its public key and the secret sealed to every gatekeeper of
// the snapshot, including the proposer itself.
//
// Copies[i] is for the i-th gatekeeper of the RotationStart snapshot: exactly
// the sealed message a MasterKeyCopy of that one version carries, i.e.
// crypto.SealTo(receive key_i, crypto.Info{Context:
// ContextMasterKeyTransfer, ChainID: chain id, Recipient: receive key_i,
// What: MasterKeyCopyWhat(ToVersion, 1)}, crypto.EncodeSecrets([v+1])). It
// carries exactly version ToVersion, whose public key must be PublicKey:
// a copy that does not open, or opens to another key, is a fault of the
// proposer. The chain checks the shape only (count, sizes), never the
// ciphertexts.
type RotationProposal struct {
	ToVersion uint32
	PublicKey []byte   // MasterPublicKeyLen, compressed secp256k1 as MasterKeyRecord
	Copies    [][]byte // one per snapshot gatekeeper, each 1..MaxRotationCopyLen bytes
}

// Encode returns u32 to_version || public key || u8 n || n × (u16 len || copy).
func (p RotationProposal) Encode() []byte {
	w := writer{buf: make([]byte, 0, p.encodedLen())}
	p.appendTo(&w, nil)
	return w.buf
}

func (p RotationProposal) encodedLen() int {
	n := 4 + MasterPublicKeyLen + 1
	for _, c := range p.Copies {
		n += 2 + len(c)
	}
	return n
}

// appendTo writes the proposal, with proposer (if any) after the version:
// the RotationProposed layout.
func (p RotationProposal) appendTo(w *writer, proposer []byte) {
	w.u32(p.ToVersion)
	w.raw(proposer)
	w.raw(p.PublicKey)
	w.u8(uint8(len(p.Copies)))
	for _, c := range p.Copies {
		w.bytes16(c)
	}
}

// readProposalBody reads public key || u8 n || copies.
func (r *reader) readProposalBody(p *RotationProposal) {
	p.PublicKey = r.take("public key", MasterPublicKeyLen)
	n := r.count("copies", 1, MaxRotationGatekeepers)
	for i := 0; r.err == nil && i < n; i++ {
		c := r.bytes16("copy", MaxRotationCopyLen)
		if r.err == nil && len(c) == 0 {
			r.fail("copy", "copy %d is empty", i)
		}
		p.Copies = append(p.Copies, c)
	}
}

// DecodeRotationProposal parses RotationProposal.Encode.
func DecodeRotationProposal(b []byte) (RotationProposal, error) {
	r := reader{buf: b}
	p := RotationProposal{ToVersion: r.u32("to version")}
	r.readProposalBody(&p)
	if err := r.done(); err != nil {
		return RotationProposal{}, err
	}
	return p, nil
}

// RotationProposed is the proposal the chain took, with its proposer.
type RotationProposed struct {
	Proposer []byte // IdentityKeyLen
	RotationProposal
}

// Encode returns u32 to_version || proposer || public key || u8 n ||
// n × (u16 len || copy).
func (p RotationProposed) Encode() []byte {
	w := writer{buf: make([]byte, 0, IdentityKeyLen+p.encodedLen())}
	p.appendTo(&w, p.Proposer)
	return w.buf
}

// DecodeRotationProposed parses RotationProposed.Encode.
func DecodeRotationProposed(b []byte) (RotationProposed, error) {
	r := reader{buf: b}
	p := RotationProposed{RotationProposal: RotationProposal{ToVersion: r.u32("to version")}}
	p.Proposer = r.take("proposer", IdentityKeyLen)
	r.readProposalBody(&p.RotationProposal)
	if err := r.done(); err != nil {
		return RotationProposed{}, err
	}
	return p, nil
}

// RotationRejected names a dropped proposal of version ToVersion.
type RotationRejected struct {
	ToVersion uint32
	Proposer  []byte // IdentityKeyLen
}

// Encode returns u32 to_version || proposer.
func (p RotationRejected) Encode() []byte {
	w := writer{buf: make([]byte, 0, 4+IdentityKeyLen)}
	w.u32(p.ToVersion)
	w.raw(p.Proposer)
	return w.buf
}

// DecodeRotationRejected parses RotationRejected.Encode.
func DecodeRotationRejected(b []byte) (RotationRejected, error) {
	r := reader{buf: b}
	p := RotationRejected{ToVersion: r.u32("to version"), Proposer: r.take("proposer", IdentityKeyLen)}
	return p, r.done()
}

// ReencryptStart starts the re-encryption of a rotation: every saved state
// blob under a cluster key of version From is rewritten under version To.
// The key space is split in Ranges ranges (internal/reencrypt.Range: the
// object names whose SHA-256 prefix, mod Ranges, is the index); the i-th
// gatekeeper of the snapshot takes range i.
type ReencryptStart struct {
	From, To uint32
	Ranges   uint32 // 1..MaxRotationGatekeepers: the snapshot's size
}

// Encode returns u32 from || u32 to || u32 ranges.
func (p ReencryptStart) Encode() []byte {
	w := writer{buf: make([]byte, 0, 12)}
	w.u32(p.From)
	w.u32(p.To)
	w.u32(p.Ranges)
	return w.buf
}

// DecodeReencryptStart parses ReencryptStart.Encode. It requires To =
// From+1 and 1 ≤ Ranges ≤ MaxRotationGatekeepers.
func DecodeReencryptStart(b []byte) (ReencryptStart, error) {
	r := reader{buf: b}
	p := ReencryptStart{From: r.u32("from"), To: r.u32("to"), Ranges: r.u32("ranges")}
	r.versionStep(p.From, p.To)
	if r.err == nil && (p.Ranges == 0 || p.Ranges > MaxRotationGatekeepers) {
		r.fail("ranges", "%d, want 1-%d", p.Ranges, MaxRotationGatekeepers)
	}
	return p, r.done()
}

// ReencryptProgress is a gatekeeper's report on its re-encryption range,
// the counts of internal/reencrypt.Progress for the whole job (resumes
// included). The chain requires Done + Failed ≤ Total, Finished only when
// Done + Failed = Total, at most Failed names, and on a range already
// reported finished, only finished reports with Done not below the last.
// The chain retires version To-1 when every range is Finished with Failed
// = 0; a range with failures holds retirement back until a later report of
// it (after the failures were retried) says Failed = 0.
type ReencryptProgress struct {
	ToVersion uint32
	Range     uint32 // the sender's index in the snapshot
	Done      uint64 // objects now under version ToVersion
	Total     uint64 // objects in the range
	Failed    uint64 // objects that could not be brought to ToVersion
	// Finished: the job is complete and its verify pass succeeded.
	Finished bool
	// VerifiedHeight is the sender's synced height when the verify pass a
	// finished report rests on began (0 when not finished). The chain counts
	// the range finished only if it is at or above the rotation's sweep
	// height (every cluster member acknowledged the new version by then).
	VerifiedHeight uint64
	// FailedNames are at most MaxFailedNames of the failed objects' names
	// (the first in name order), each 1..MaxFailedNameLen bytes of printable
	// ASCII without spaces, strictly ascending.
	FailedNames []string
}

// Encode returns u32 to_version || u32 range || u64 done || u64 total ||
// u64 failed || u8 finished (0 or 1) || u64 verified height || u8 n ||
// n × (u16 len || name).
func (p ReencryptProgress) Encode() []byte {
	n := 4 + 4 + 24 + 2 + 8
	for _, s := range p.FailedNames {
		n += 2 + len(s)
	}
	w := writer{buf: make([]byte, 0, n)}
	w.u32(p.ToVersion)
	w.u32(p.Range)
	w.u64(p.Done)
	w.u64(p.Total)
	w.u64(p.Failed)
	if p.Finished {
		w.u8(1)
	} else {
		w.u8(0)
	}
	w.u64(p.VerifiedHeight)
	w.u8(uint8(len(p.FailedNames)))
	for _, s := range p.FailedNames {
		w.bytes16([]byte(s))
	}
	return w.buf
}

// DecodeReencryptProgress parses ReencryptProgress.Encode.
func DecodeReencryptProgress(b []byte) (ReencryptProgress, error) {
	r := reader{buf: b}
	p := ReencryptProgress{ToVersion: r.u32("to version"), Range: r.u32("range"),
		Done: r.u64("done"), Total: r.u64("total"), Failed: r.u64("failed")}
	switch f := r.u8("finished"); {
	case r.err != nil:
	case f > 1:
		r.fail("finished", "%d, want 0 or 1", f)
	default:
		p.Finished = f == 1
	}
	p.VerifiedHeight = r.u64("verified height")
	n := r.count("failed names", 0, MaxFailedNames)
	for i := 0; r.err == nil && i < n; i++ {
		name := r.bytes16("failed name", MaxFailedNameLen)
		if r.err != nil {
			break
		}
		if err := validFailedName(name); err != nil {
			r.fail("failed name", "%d: %v", i, err)
			break
		}
		if i > 0 && p.FailedNames[i-1] >= string(name) {
			r.fail("failed name", "%d is not above the previous one (want ascending, unique)", i)
			break
		}
		p.FailedNames = append(p.FailedNames, string(name))
	}
	if err := r.done(); err != nil {
		return ReencryptProgress{}, err
	}
	return p, nil
}

func validFailedName(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("empty")
	}
	for i, c := range b {
		if c < 0x21 || c > 0x7e {
			return fmt.Errorf("byte %#02x at offset %d (want printable ASCII without spaces)", c, i)
		}
	}
	return nil
}

// MasterKeyRetired says master key version Version is retired and will be
// erased at the end of block EraseHeight.
type MasterKeyRetired struct {
	Version     uint32
	EraseHeight uint64
}

// Encode returns u32 version || u64 erase height.
func (p MasterKeyRetired) Encode() []byte {
	w := writer{buf: make([]byte, 0, 12)}
	w.u32(p.Version)
	w.u64(p.EraseHeight)
	return w.buf
}

// DecodeMasterKeyRetired parses MasterKeyRetired.Encode.
func DecodeMasterKeyRetired(b []byte) (MasterKeyRetired, error) {
	r := reader{buf: b}
	p := MasterKeyRetired{Version: r.u32("version"), EraseHeight: r.u64("erase height")}
	return p, r.done()
}

// count reads a u8 count and requires min ≤ n ≤ max.
func (r *reader) count(field string, min, max int) int {
	n := int(r.u8(field))
	if r.err == nil && (n < min || n > max) {
		if n > max {
			r.tooLarge(field, n, max)
		} else {
			r.fail(field, "count %d, want %d-%d", n, min, max)
		}
	}
	if r.err != nil {
		return 0
	}
	return n
}

// versionStep requires to = from + 1.
func (r *reader) versionStep(from, to uint32) {
	if r.err == nil && (from == ^uint32(0) || to != from+1) {
		r.fail("to", "version %d after %d, want the next version", to, from)
	}
}

// ReencryptSweep asks the assignees of the ranges of the rotation to
// ToVersion to verify them again, with a verify pass that begins at or
// after SweepHeight.
type ReencryptSweep struct {
	ToVersion   uint32
	SweepHeight uint64
}

// Encode returns u32 to_version || u64 sweep height.
func (p ReencryptSweep) Encode() []byte {
	w := writer{buf: make([]byte, 0, 12)}
	w.u32(p.ToVersion)
	w.u64(p.SweepHeight)
	return w.buf
}

// DecodeReencryptSweep parses ReencryptSweep.Encode.
func DecodeReencryptSweep(b []byte) (ReencryptSweep, error) {
	r := reader{buf: b}
	p := ReencryptSweep{ToVersion: r.u32("to version"), SweepHeight: r.u64("sweep height")}
	return p, r.done()
}

// ReencryptReassigned moves range Range of the rotation to ToVersion from
// gatekeeper Previous to gatekeeper Assignee, which resumes it: objects
// already under the new version are only checked, not rewritten.
type ReencryptReassigned struct {
	ToVersion uint32
	Range     uint32
	Assignee  []byte // IdentityKeyLen
	Previous  []byte // IdentityKeyLen
}

// Encode returns u32 to_version || u32 range || assignee || previous.
func (p ReencryptReassigned) Encode() []byte {
	w := writer{buf: make([]byte, 0, 8+2*IdentityKeyLen)}
	w.u32(p.ToVersion)
	w.u32(p.Range)
	w.raw(p.Assignee)
	w.raw(p.Previous)
	return w.buf
}

// DecodeReencryptReassigned parses ReencryptReassigned.Encode.
func DecodeReencryptReassigned(b []byte) (ReencryptReassigned, error) {
	r := reader{buf: b}
	p := ReencryptReassigned{ToVersion: r.u32("to version"), Range: r.u32("range")}
	p.Assignee = bytes.Clone(r.take("assignee", IdentityKeyLen))
	p.Previous = bytes.Clone(r.take("previous", IdentityKeyLen))
	if r.err == nil && p.Range >= MaxRotationGatekeepers {
		r.fail("range", "%d, want below %d", p.Range, MaxRotationGatekeepers)
	}
	if err := r.done(); err != nil {
		return ReencryptReassigned{}, err
	}
	return p, nil
}
