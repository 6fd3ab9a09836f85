package pruntime

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// The x/registry records a bootstrap reads besides the master keys (issue 12
// point 6): the rotations, a cluster, the cluster a worker is in, and a
// worker's receive key. The enclave imports nothing of the chain, so it
// parses their protobuf wire format itself (the layouts are pinned to the
// module's types by records_test.go).
//
// The bytes are proven against a verified app hash, so they are the chain's
// own encoding, not an attacker's: the parsing guards against a protocol
// mismatch. Known fields must have their wire type and, unless repeated,
// appear at most once; values are range-checked where the enclave relies on
// them. Unknown fields are skipped (masterKeyRecordPublicKey too):
// these records grow with the protocol (a newer chain adding a field to a
// rotation must not make every bootstrap fail), and the enclave acts only on
// the fields it reads.

// fieldSpec is a known field's wire type and whether it may repeat.
type fieldSpec struct {
	typ      protowire.Type
	repeated bool
}

// walkRecord calls fn for each known field of the protobuf message b:
// with the varint value v for varint fields, the bytes for length-delimited
// ones. The bytes alias b.
func walkRecord(what string, b []byte, spec map[protowire.Number]fieldSpec, fn func(num protowire.Number, v uint64, bs []byte) error) error {
	seen := map[protowire.Number]bool{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %s record: bad tag", ErrBadRequest, what)
		}
		b = b[n:]
		s, known := spec[num]
		if !known {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return fmt.Errorf("%w: %s record: field %d truncated", ErrBadRequest, what, num)
			}
			b = b[n:]
			continue
		}
		if typ != s.typ {
			return fmt.Errorf("%w: %s record: field %d has wire type %d, want %d", ErrBadRequest, what, num, typ, s.typ)
		}
		if seen[num] && !s.repeated {
			return fmt.Errorf("%w: %s record: field %d repeated", ErrBadRequest, what, num)
		}
		seen[num] = true
		var (
			v  uint64
			bs []byte
		)
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			bs, n = protowire.ConsumeBytes(b)
		default:
			return fmt.Errorf("%w: %s record: field %d: unsupported wire type %d", ErrBadRequest, what, num, typ)
		}
		if n < 0 {
			return fmt.Errorf("%w: %s record: field %d truncated", ErrBadRequest, what, num)
		}
		b = b[n:]
		if err := fn(num, v, bs); err != nil {
			return err
		}
	}
	return nil
}

// Rotation phases (gatekeeper.registry.v1.RotationPhase).
const (
	rotationProposing    = 1
	rotationAcking       = 2
	rotationReencrypting = 3
	rotationRetiring     = 4
	rotationDone         = 5
)

// rotationRecord is what the enclave reads of an x/registry Rotation.
type rotationRecord struct {
	From, To    uint32
	Phase       uint64
	Gatekeepers []rotationRow
	Proposer    []byte
	PublicKey   []byte
	Rejected    [][]byte
	EraseHeight uint64
}

// rotationRow is one snapshot gatekeeper's row (RotationGatekeeper).
type rotationRow struct {
	Identity      []byte
	AckedHeight   uint64
	FaultedHeight uint64
	Done, Total   uint64
	Failed        uint64
	Finished      bool
	// Assignee is who holds the range since the chain reassigned it (a
	// stalled range); empty: the member itself.
	Assignee []byte
}

var (
	rotationSpec = map[protowire.Number]fieldSpec{
		1: {typ: protowire.VarintType}, 2: {typ: protowire.VarintType}, 3: {typ: protowire.VarintType},
		6: {typ: protowire.BytesType, repeated: true}, 7: {typ: protowire.BytesType}, 8: {typ: protowire.BytesType},
		10: {typ: protowire.BytesType, repeated: true}, 13: {typ: protowire.VarintType},
	}
	rotationRowSpec = map[protowire.Number]fieldSpec{
		1: {typ: protowire.BytesType}, 2: {typ: protowire.VarintType}, 3: {typ: protowire.VarintType},
		4: {typ: protowire.VarintType}, 5: {typ: protowire.VarintType}, 6: {typ: protowire.VarintType},
		8: {typ: protowire.VarintType}, 20: {typ: protowire.BytesType},
	}
)

// parseRotationRecord parses the Rotation record stored under
// RotationKey(to): 1 from_version, 2 to_version, 3 phase, 6 gatekeepers
// (RotationGatekeeper: 1 identity_key, 2 acked_height, 3 faulted_height,
// 4 done, 5 total, 6 failed, 8 finished, 20 assignee), 7 proposer, 8 public_key,
// 10 rejected_proposers, 13 erase_height.
func parseRotationRecord(b []byte, to uint32) (rotationRecord, error) {
	var rec rotationRecord
	var from, gotTo uint64
	err := walkRecord("rotation", b, rotationSpec, func(num protowire.Number, v uint64, bs []byte) error {
		switch num {
		case 1:
			from = v
		case 2:
			gotTo = v
		case 3:
			rec.Phase = v
		case 6:
			if len(rec.Gatekeepers) == protocol.MaxRotationGatekeepers {
				return fmt.Errorf("%w: rotation record: more than %d gatekeepers", ErrBadRequest, protocol.MaxRotationGatekeepers)
			}
			row, err := parseRotationRow(bs)
			if err != nil {
				return err
			}
			if n := len(rec.Gatekeepers); n > 0 && bytes.Compare(rec.Gatekeepers[n-1].Identity, row.Identity) >= 0 {
				return fmt.Errorf("%w: rotation record: gatekeeper %d is not above the previous one", ErrBadRequest, n)
			}
			rec.Gatekeepers = append(rec.Gatekeepers, row)
		case 7:
			rec.Proposer = bytes.Clone(bs)
		case 8:
			rec.PublicKey = bytes.Clone(bs)
		case 10:
			if len(bs) != protocol.IdentityKeyLen || len(rec.Rejected) == protocol.MaxRotationGatekeepers {
				return fmt.Errorf("%w: rotation record: bad rejected proposer", ErrBadRequest)
			}
			rec.Rejected = append(rec.Rejected, bytes.Clone(bs))
		case 13:
			rec.EraseHeight = v
		}
		return nil
	})
	if err != nil {
		return rotationRecord{}, err
	}
	switch {
	case gotTo != uint64(to) || from+1 != gotTo:
		return rotationRecord{}, fmt.Errorf("%w: rotation record: from %d to %d, want to %d = from+1", ErrBadRequest, from, gotTo, to)
	case rec.Phase < rotationProposing || rec.Phase > rotationDone:
		return rotationRecord{}, fmt.Errorf("%w: rotation record: phase %d", ErrBadRequest, rec.Phase)
	case len(rec.Gatekeepers) == 0:
		return rotationRecord{}, fmt.Errorf("%w: rotation record: no gatekeepers", ErrBadRequest)
	case rec.Phase >= rotationAcking && (len(rec.Proposer) != protocol.IdentityKeyLen || len(rec.PublicKey) != protocol.MasterPublicKeyLen):
		return rotationRecord{}, fmt.Errorf("%w: rotation record: phase %d with a %d-byte proposer and a %d-byte public key",
			ErrBadRequest, rec.Phase, len(rec.Proposer), len(rec.PublicKey))
	}
	rec.From, rec.To = uint32(from), to
	return rec, nil
}

func parseRotationRow(b []byte) (rotationRow, error) {
	var row rotationRow
	err := walkRecord("rotation gatekeeper", b, rotationRowSpec, func(num protowire.Number, v uint64, bs []byte) error {
		switch num {
		case 1:
			row.Identity = bytes.Clone(bs)
		case 2:
			row.AckedHeight = v
		case 3:
			row.FaultedHeight = v
		case 4:
			row.Done = v
		case 5:
			row.Total = v
		case 6:
			row.Failed = v
		case 8:
			row.Finished = v != 0
		case 20:
			if len(bs) != protocol.IdentityKeyLen {
				return fmt.Errorf("%w: rotation gatekeeper record: %d-byte assignee", ErrBadRequest, len(bs))
			}
			row.Assignee = bytes.Clone(bs)
		}
		return nil
	})
	if err == nil && len(row.Identity) != protocol.IdentityKeyLen {
		err = fmt.Errorf("%w: rotation gatekeeper record: %d-byte identity key", ErrBadRequest, len(row.Identity))
	}
	return row, err
}

// clusterRecord is what the enclave reads of an x/registry Cluster: its
// current key version and that version's public key (empty until the
// gatekeepers published it).
type clusterRecord struct {
	ID        uint64
	Version   uint32
	PublicKey []byte
}

var clusterSpec = map[protowire.Number]fieldSpec{
	1: {typ: protowire.VarintType}, 4: {typ: protowire.VarintType}, 5: {typ: protowire.BytesType},
}

// parseClusterRecord parses the Cluster record stored under ClusterKey(id):
// 1 id, 4 key_version, 5 public_key.
func parseClusterRecord(b []byte, id uint64) (clusterRecord, error) {
	var (
		rec     clusterRecord
		gotID   uint64
		version uint64
	)
	err := walkRecord("cluster", b, clusterSpec, func(num protowire.Number, v uint64, bs []byte) error {
		switch num {
		case 1:
			gotID = v
		case 4:
			version = v
		case 5:
			rec.PublicKey = bytes.Clone(bs)
		}
		return nil
	})
	switch {
	case err != nil:
		return clusterRecord{}, err
	case gotID != id || version > uint64(^uint32(0)):
		return clusterRecord{}, fmt.Errorf("%w: cluster record: id %d version %d, want id %d", ErrBadRequest, gotID, version, id)
	case len(rec.PublicKey) != 0 && len(rec.PublicKey) != protocol.ClusterPublicKeyLen:
		return clusterRecord{}, fmt.Errorf("%w: cluster record: %d-byte public key", ErrBadRequest, len(rec.PublicKey))
	}
	rec.ID, rec.Version = id, uint32(version)
	return rec, nil
}

// parseWorkerCluster parses the value under WorkerClusterKey: the u64
// big-endian id of the worker's cluster (ids start at 1).
func parseWorkerCluster(b []byte) (uint64, error) {
	if len(b) != 8 || binary.BigEndian.Uint64(b) == 0 {
		return 0, fmt.Errorf("%w: worker cluster: %x is not a cluster id", ErrBadRequest, b)
	}
	return binary.BigEndian.Uint64(b), nil
}

var workerSpec = map[protowire.Number]fieldSpec{1: {typ: protowire.BytesType}, 2: {typ: protowire.BytesType}}

// parseWorkerReceiveKey reads the receive key out of the Worker record
// stored under WorkerKey(identity): 1 identity_key, 2 receive_key.
func parseWorkerReceiveKey(b, identity []byte) ([]byte, error) {
	var id, rk []byte
	err := walkRecord("worker", b, workerSpec, func(num protowire.Number, _ uint64, bs []byte) error {
		if num == 1 {
			id = bs
		} else {
			rk = bytes.Clone(bs)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case !bytes.Equal(id, identity) || len(rk) != protocol.ReceiveKeyLen:
		return nil, fmt.Errorf("%w: worker record: identity %x with a %d-byte receive key, want %x", ErrBadRequest, id, len(rk), identity)
	}
	return rk, nil
}
