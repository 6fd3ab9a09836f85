package protocol

import (
	"bytes"
	"fmt"
)

// State migration to a new pRuntime version (DESIGN §6 "State migration",
// issue 5 point 6; docs/gatekeepers.md "State migration"). Governance
// schedules a successor measurement of one TEE kind and an activation
// height (x/registry MsgScheduleMigration, applied by an x/upgrade plan at
// that height). Before it, successor pRuntimes register naming their
// predecessor (RegistrationInfo.Predecessor); the chain pairs them and asks
// the predecessor to hand over (TopicMigrationHandoverRequest); the
// predecessor seals its key history and state to the successor's attested
// receive key (TopicMigrationHandover, relayed by the chain); the
// successor verifies, seals and reports ready (TopicMigrationReady). At
// the activation height every ready successor takes its predecessor's
// place, every pRuntime of a replaced measurement stops, and the replaced
// measurements are removed (TopicMigrationActivated).
//
// Layouts as in rotation.go: big-endian integers, fixed-size keys, bounded
// counts and lengths; decoders are strict (exact sizes, canonical order, no
// trailing bytes). Egress topics take the sender's worker origin.
const (
	// TopicMigrationScheduled (ingress): a MigrationScheduled. Every
	// pRuntime whose TEE kind is TEEKind and whose own measurement is one of
	// Replaced now runs the old version: it keeps working until the
	// activation height and hands over when asked.
	TopicMigrationScheduled = "gatekeeper/migration_scheduled"
	// TopicMigrationHandoverRequest (ingress): a MigrationHandoverRequest,
	// pushed when a successor registered naming Predecessor, and again after
	// the successor reported the handover faulty (TopicMigrationFault). The
	// chain verified the successor's attestation against the scheduled
	// measurement, that it has the predecessor's operator, and that the
	// predecessor runs a replaced measurement; the predecessor's pRuntime
	// checks ID, Predecessor (itself) and Measurement against the
	// MigrationScheduled it saw, then sends TopicMigrationHandover.
	TopicMigrationHandoverRequest = "gatekeeper/migration_handover_request"
	// TopicMigrationHandover: egress (worker origin, the predecessor): a
	// MigrationHandover, one per part. Ingress: Relayed{predecessor,
	// MigrationHandover}, read by the successor it names.
	TopicMigrationHandover = "gatekeeper/migration_handover"
	// TopicMigrationReady (egress, worker origin, the successor): a
	// MigrationPairRef. The successor opened every part, verified what it
	// holds against the chain (each master key version against its public
	// key on chain, each cluster key against its cluster public key) and
	// sealed it durably. From now on the pair is ready: at activation the
	// successor takes the predecessor's place, live.
	TopicMigrationReady = "gatekeeper/migration_ready"
	// TopicMigrationFault (egress, worker origin, the successor): a
	// MigrationPairRef. A part did not open, did not parse, or held a key
	// that does not match the chain; the successor keeps nothing from this
	// handover. The chain counts it against the predecessor and pushes the
	// MigrationHandoverRequest again, so the predecessor sends a new
	// handover (all parts).
	TopicMigrationFault = "gatekeeper/migration_fault"
	// TopicMigrationActivated (ingress): a MigrationActivated, appended by
	// the x/upgrade handler at the activation height, before anything else
	// of that block. Every pRuntime of a replaced measurement stops (it
	// signs nothing after this entry); every pRuntime applies each pair as
	// "successor replaces predecessor" in the gatekeeper set and in cluster
	// membership; a successor listed goes live with what it was handed.
	TopicMigrationActivated = "gatekeeper/migration_activated"
	// TopicMigrationCancelled (ingress): a MigrationCancelled. The old
	// version stays; successors erase what they were handed and hold no
	// role from it.
	TopicMigrationCancelled = "gatekeeper/migration_cancelled"
)

// Bounds of the migration payloads. A test checks that the largest of each
// fits in MaxPayloadLen.
const (
	// MaxTEEKindLen bounds a TEE kind name ("sim", "tdx", "sev-snp").
	MaxTEEKindLen = 32
	// MaxMeasurementLen bounds a measurement (TDX: MRTD ‖ RTMR0..3, 240 bytes).
	MaxMeasurementLen = 256
	// MaxReplacedMeasurements bounds how many allowed measurements of one
	// TEE kind one migration replaces.
	MaxReplacedMeasurements = 32
	// MaxMigrationPairs bounds the pairs of one migration.
	MaxMigrationPairs = 256
	// MaxHandoverParts bounds the parts of one handover.
	MaxHandoverParts = 4096
	// MaxHandoverSealedLen bounds one sealed part, leaving room for the
	// payload's header and the message envelope within MaxPayloadLen.
	MaxHandoverSealedLen = MaxPayloadLen - 256
)

// Migration fault and cancellation reasons.
const (
	// CancelPlanGone: the migration's x/upgrade plan was cancelled or
	// replaced by governance, or skipped by the nodes, before it ran.
	CancelPlanGone uint8 = 1
	// CancelTooFewGatekeepers: at the activation height fewer gatekeepers
	// would be live after the migration than the old set's quorum, so the
	// chain kept the old version rather than risk the master key.
	CancelTooFewGatekeepers uint8 = 2
)

// MigrationScheduled announces migration ID: pRuntimes of TEE kind TEEKind
// with a measurement in Replaced are succeeded by pRuntimes with
// Measurement at ActivationHeight.
type MigrationScheduled struct {
	ID               uint64
	ActivationHeight uint64
	TEEKind          string   // 1..MaxTEEKindLen bytes
	Measurement      []byte   // 1..MaxMeasurementLen bytes
	Replaced         [][]byte // 1..MaxReplacedMeasurements, each 1..MaxMeasurementLen, ascending
}

// Encode returns u64 id || u64 activation height || u8 len || tee kind ||
// u16 len || measurement || u8 n || n × (u16 len || replaced measurement).
func (p MigrationScheduled) Encode() []byte {
	n := 8 + 8 + 1 + len(p.TEEKind) + 2 + len(p.Measurement) + 1
	for _, m := range p.Replaced {
		n += 2 + len(m)
	}
	w := writer{buf: make([]byte, 0, n)}
	w.u64(p.ID)
	w.u64(p.ActivationHeight)
	w.bytes8([]byte(p.TEEKind))
	w.bytes16(p.Measurement)
	w.u8(uint8(len(p.Replaced)))
	for _, m := range p.Replaced {
		w.bytes16(m)
	}
	return w.buf
}

// DecodeMigrationScheduled parses MigrationScheduled.Encode. The replaced
// measurements are strictly ascending and none equals Measurement.
func DecodeMigrationScheduled(b []byte) (MigrationScheduled, error) {
	r := reader{buf: b}
	p := MigrationScheduled{ID: r.u64("id"), ActivationHeight: r.u64("activation height")}
	p.TEEKind = string(r.nonEmpty8("tee kind", MaxTEEKindLen))
	p.Measurement = r.measurement("measurement")
	n := r.count("replaced", 1, MaxReplacedMeasurements)
	for i := 0; r.err == nil && i < n; i++ {
		m := r.measurement("replaced")
		if r.err != nil {
			break
		}
		if i > 0 && bytes.Compare(p.Replaced[i-1], m) >= 0 {
			r.fail("replaced", "measurement %d is not above the previous one (want ascending, unique)", i)
		}
		if bytes.Equal(m, p.Measurement) {
			r.fail("replaced", "measurement %d is the successor measurement", i)
		}
		p.Replaced = append(p.Replaced, m)
	}
	if err := r.done(); err != nil {
		return MigrationScheduled{}, err
	}
	return p, nil
}

// MigrationHandoverRequest asks Predecessor to hand its keys and sealed
// state to Successor, sealed to ReceiveKey (Successor's attested receive
// key). Measurement is the successor's attested measurement, the one the
// migration scheduled.
type MigrationHandoverRequest struct {
	ID          uint64
	Predecessor []byte // IdentityKeyLen
	Successor   []byte // IdentityKeyLen
	ReceiveKey  []byte // ReceiveKeyLen
	Measurement []byte // 1..MaxMeasurementLen
}

// Encode returns u64 id || predecessor || successor || receive key ||
// u16 len || measurement.
func (p MigrationHandoverRequest) Encode() []byte {
	w := writer{buf: make([]byte, 0, 8+2*IdentityKeyLen+ReceiveKeyLen+2+len(p.Measurement))}
	w.u64(p.ID)
	w.raw(p.Predecessor)
	w.raw(p.Successor)
	w.raw(p.ReceiveKey)
	w.bytes16(p.Measurement)
	return w.buf
}

// DecodeMigrationHandoverRequest parses MigrationHandoverRequest.Encode.
func DecodeMigrationHandoverRequest(b []byte) (MigrationHandoverRequest, error) {
	r := reader{buf: b}
	p := MigrationHandoverRequest{ID: r.u64("id"), Predecessor: r.take("predecessor", IdentityKeyLen),
		Successor: r.take("successor", IdentityKeyLen), ReceiveKey: r.take("receive key", ReceiveKeyLen)}
	p.Measurement = r.measurement("measurement")
	r.distinct(p.Predecessor, p.Successor)
	if err := r.done(); err != nil {
		return MigrationHandoverRequest{}, err
	}
	return p, nil
}

// MigrationHandover is part Index of Count of a predecessor's handover to
// Successor in migration ID. Each part is sealed on its own:
//
//	crypto.SealTo(successor receive key, crypto.Info{Context:
//	ContextMigrationHandover, ChainID: chain id, Recipient: successor
//	receive key, What: MigrationHandoverWhat(ID, Index, Count)}, part)
//
// What the parts carry, once opened and concatenated in index order, is the
// pRuntimes' business (the master key history of a gatekeeper, cluster keys,
// sealed checkpoint state); the chain checks only the pairing and the
// bounds. A successor that received every part of one Count verifies and
// seals the whole, then reports TopicMigrationReady.
type MigrationHandover struct {
	ID        uint64
	Successor []byte // IdentityKeyLen
	Index     uint16 // < Count
	Count     uint16 // 1..MaxHandoverParts
	Sealed    []byte // 1..MaxHandoverSealedLen
}

// Encode returns u64 id || successor || u16 index || u16 count || u32 len ||
// sealed.
func (p MigrationHandover) Encode() []byte {
	w := writer{buf: make([]byte, 0, 8+IdentityKeyLen+8+len(p.Sealed))}
	w.u64(p.ID)
	w.raw(p.Successor)
	w.u16(p.Index)
	w.u16(p.Count)
	w.bytes32(p.Sealed)
	return w.buf
}

// DecodeMigrationHandover parses MigrationHandover.Encode.
func DecodeMigrationHandover(b []byte) (MigrationHandover, error) {
	r := reader{buf: b}
	p := MigrationHandover{ID: r.u64("id"), Successor: r.take("successor", IdentityKeyLen), Index: r.u16("index"), Count: r.u16("count")}
	if r.err == nil && (p.Count == 0 || p.Count > MaxHandoverParts) {
		r.fail("count", "%d parts, want 1-%d", p.Count, MaxHandoverParts)
	}
	if r.err == nil && p.Index >= p.Count {
		r.fail("index", "part %d of %d", p.Index, p.Count)
	}
	p.Sealed = r.bytes32("sealed", MaxHandoverSealedLen)
	if r.err == nil && len(p.Sealed) == 0 {
		r.fail("sealed", "empty")
	}
	if err := r.done(); err != nil {
		return MigrationHandover{}, err
	}
	return p, nil
}

// MigrationHandoverWhat is the HPKE "what" of part index of count of a
// handover in migration id.
func MigrationHandoverWhat(id uint64, index, count uint16) []byte {
	return fmt.Appendf(nil, "migration/%d/%d+%d", id, index, count)
}

// MigrationPairRef names the pair of Predecessor in migration ID; the
// successor sends it (TopicMigrationReady, TopicMigrationFault).
type MigrationPairRef struct {
	ID          uint64
	Predecessor []byte // IdentityKeyLen
}

// Encode returns u64 id || predecessor.
func (p MigrationPairRef) Encode() []byte {
	w := writer{buf: make([]byte, 0, 8+IdentityKeyLen)}
	w.u64(p.ID)
	w.raw(p.Predecessor)
	return w.buf
}

// DecodeMigrationPairRef parses MigrationPairRef.Encode.
func DecodeMigrationPairRef(b []byte) (MigrationPairRef, error) {
	r := reader{buf: b}
	p := MigrationPairRef{ID: r.u64("id"), Predecessor: r.take("predecessor", IdentityKeyLen)}
	if err := r.done(); err != nil {
		return MigrationPairRef{}, err
	}
	return p, nil
}

// MigrationPair is a predecessor and the successor that took its place.
type MigrationPair struct {
	Predecessor []byte // IdentityKeyLen
	Successor   []byte // IdentityKeyLen
}

// MigrationActivated says migration ID took effect: each ready pair's
// successor replaced its predecessor (predecessors ascending); every other
// pRuntime of a replaced measurement was retired without a successor.
type MigrationActivated struct {
	ID    uint64
	Pairs []MigrationPair // 0..MaxMigrationPairs
}

// Encode returns u64 id || u16 n || n × (predecessor || successor).
func (p MigrationActivated) Encode() []byte {
	w := writer{buf: make([]byte, 0, 10+len(p.Pairs)*2*IdentityKeyLen)}
	w.u64(p.ID)
	w.u16(uint16(len(p.Pairs)))
	for _, pr := range p.Pairs {
		w.raw(pr.Predecessor)
		w.raw(pr.Successor)
	}
	return w.buf
}

// DecodeMigrationActivated parses MigrationActivated.Encode. Predecessors
// are strictly ascending and no key is both a predecessor and a successor.
func DecodeMigrationActivated(b []byte) (MigrationActivated, error) {
	r := reader{buf: b}
	p := MigrationActivated{ID: r.u64("id")}
	n := int(r.u16("pairs"))
	if r.err == nil && n > MaxMigrationPairs {
		r.tooLarge("pairs", n, MaxMigrationPairs)
	}
	seen := make(map[string]bool)
	for i := 0; r.err == nil && i < n; i++ {
		pr := MigrationPair{Predecessor: r.take("predecessor", IdentityKeyLen), Successor: r.take("successor", IdentityKeyLen)}
		if r.err != nil {
			break
		}
		if i > 0 && bytes.Compare(p.Pairs[i-1].Predecessor, pr.Predecessor) >= 0 {
			r.fail("pairs", "predecessor %d is not above the previous one (want ascending, unique)", i)
		}
		for _, k := range [][]byte{pr.Predecessor, pr.Successor} {
			if seen[string(k)] {
				r.fail("pairs", "key %x appears twice", k)
			}
			seen[string(k)] = true
		}
		p.Pairs = append(p.Pairs, pr)
	}
	if err := r.done(); err != nil {
		return MigrationActivated{}, err
	}
	return p, nil
}

// MigrationCancelled says migration ID will not take effect (Reason:
// CancelPlanGone or CancelTooFewGatekeepers).
type MigrationCancelled struct {
	ID     uint64
	Reason uint8
}

// Encode returns u64 id || u8 reason.
func (p MigrationCancelled) Encode() []byte {
	w := writer{buf: make([]byte, 0, 9)}
	w.u64(p.ID)
	w.u8(p.Reason)
	return w.buf
}

// DecodeMigrationCancelled parses MigrationCancelled.Encode.
func DecodeMigrationCancelled(b []byte) (MigrationCancelled, error) {
	r := reader{buf: b}
	p := MigrationCancelled{ID: r.u64("id"), Reason: r.u8("reason")}
	if r.err == nil && p.Reason != CancelPlanGone && p.Reason != CancelTooFewGatekeepers {
		r.fail("reason", "unknown reason %d", p.Reason)
	}
	if err := r.done(); err != nil {
		return MigrationCancelled{}, err
	}
	return p, nil
}

// nonEmpty8 reads a u8-length field of 1..max bytes.
func (r *reader) nonEmpty8(field string, max int) []byte {
	b := r.bytes8(field, max)
	if r.err == nil && len(b) == 0 {
		r.fail(field, "empty")
	}
	return b
}

// measurement reads a u16-length measurement of 1..MaxMeasurementLen bytes.
func (r *reader) measurement(field string) []byte {
	b := r.bytes16(field, MaxMeasurementLen)
	if r.err == nil && len(b) == 0 {
		r.fail(field, "empty")
	}
	return b
}

// distinct requires a predecessor and a successor to differ.
func (r *reader) distinct(predecessor, successor []byte) {
	if r.err == nil && bytes.Equal(predecessor, successor) {
		r.fail("successor", "same key as the predecessor")
	}
}
