package protocol

import (
	"crypto/ed25519"
	"fmt"
)

// Gatekeeper protocol (DESIGN §6, replicated mode). Every payload below has a
// fixed layout of big-endian integers and fixed-size keys, except the sealed
// ciphertexts, which carry a u32 length. Decoders are strict: exact sizes, no
// trailing bytes.
//
// Directions: "ingress" topics are appended by x/registry and read by every
// pRuntime; "egress" topics are sent by pRuntimes. A topic used both ways
// (registry/master_key, registry/cluster_key, registry/beacon) carries the same
// payload in both directions: the chain republishes what it accepted.
const (
	// TopicGatekeeperLaunch (ingress): payload = identity key (32 bytes) of
	// the gatekeeper that must generate master key version 0.
	TopicGatekeeperLaunch = "gatekeeper/gatekeeper_launch"
	// TopicMasterKey: a MasterKeyRecord. Egress (worker origin, the
	// launching gatekeeper only): the public key of version 0, which it
	// generated and sealed. Ingress: a version the chain recorded — v0 from
	// the launcher, and each later version when its rotation activates
	// (rotation.go).
	TopicMasterKey = "gatekeeper/master_key"
	// TopicMasterKeyRequest (ingress): a KeyRequest. Every live gatekeeper
	// answers with TopicMasterKeyCopy to the named gatekeeper.
	TopicMasterKeyRequest = "gatekeeper/master_key_request"
	// TopicMasterKeyCopy: egress (worker origin, a gatekeeper): a
	// MasterKeyCopy. Ingress: Relayed{sender, MasterKeyCopy}.
	TopicMasterKeyCopy = "gatekeeper/master_key_copy"
	// TopicGatekeeperLive (egress, worker origin): a gatekeeper holds and has
	// verified the whole master key history; payload = u32 number of versions.
	TopicGatekeeperLive = "gatekeeper/gatekeeper_live"
	// TopicKeyFault (egress, worker origin): a KeyFault, the receiver's
	// report of a key copy that failed verification.
	TopicKeyFault = "gatekeeper/key_fault"

	// TopicClusterTask (ingress): a GatekeeperTask whose body is a ClusterKeyID:
	// the gatekeepers must publish that cluster key's public key at the
	// task's sequence on TopicClusterKey.
	TopicClusterTask = "gatekeeper/cluster_task"
	// TopicClusterKey: a ClusterPublicKey. Egress: gatekeeper-origin quorum
	// message. Ingress: the public key the chain recorded.
	TopicClusterKey = "gatekeeper/cluster_key"
	// TopicClusterGrant (ingress): a ClusterGrant; every live gatekeeper
	// sends the worker the cluster key on TopicClusterKeyCopy.
	TopicClusterGrant = "gatekeeper/cluster_grant"
	// TopicClusterKeyCopy: egress (worker origin, a gatekeeper): a
	// ClusterKeyCopy. Ingress: Relayed{sender, ClusterKeyCopy}.
	TopicClusterKeyCopy = "gatekeeper/cluster_key_copy"
	// TopicClusterMemberRemoved (ingress): a ClusterMember; the worker drops
	// the cluster's keys and gatekeepers send it no new versions.
	TopicClusterMemberRemoved = "gatekeeper/cluster_member_removed"

	// TopicBeaconTask (ingress): a GatekeeperTask whose body is the u64
	// height the beacon is for.
	TopicBeaconTask = "gatekeeper/beacon_task"
	// TopicBeacon: a Beacon. Egress: gatekeeper-origin quorum message.
	// Ingress: the beacon the chain accepted, which every gatekeeper checks
	// against its own.
	TopicBeacon = "gatekeeper/beacon"
)

// Sizes of gatekeeper protocol fields.
const (
	// IdentityKeyLen is the size of an ed25519 identity key.
	IdentityKeyLen = ed25519.PublicKeySize
	// MasterPublicKeyLen is the size of a compressed secp256k1 public key.
	MasterPublicKeyLen = 33
	// ClusterPublicKeyLen is the size of a cluster's ed25519 public key.
	ClusterPublicKeyLen = ed25519.PublicKeySize
	// BeaconLen is the size of a beacon value.
	BeaconLen = 32
	// MaxSealedKeyLen bounds a sealed key copy inside a payload.
	MaxSealedKeyLen = MaxPayloadLen - 256
	// MaxVersionsPerCopy bounds how many master key versions one
	// MasterKeyCopy carries (32 bytes each sealed, well inside MaxSealedKeyLen);
	// a longer history is sent in several copies.
	MaxVersionsPerCopy = 1024
)

// MasterKeyRecord is one master key version's public key.
type MasterKeyRecord struct {
	Version   uint32
	PublicKey []byte // MasterPublicKeyLen bytes
}

// Encode returns u32 version || public key.
func (p MasterKeyRecord) Encode() []byte {
	w := writer{buf: make([]byte, 0, 4+MasterPublicKeyLen)}
	w.u32(p.Version)
	w.raw(p.PublicKey)
	return w.buf
}

// DecodeMasterKeyRecord parses MasterKeyRecord.Encode.
func DecodeMasterKeyRecord(b []byte) (MasterKeyRecord, error) {
	r := reader{buf: b}
	p := MasterKeyRecord{Version: r.u32("version"), PublicKey: r.take("public key", MasterPublicKeyLen)}
	return p, r.done()
}

// KeyRequest names a gatekeeper that needs the master key history.
type KeyRequest struct {
	Identity   []byte // IdentityKeyLen
	ReceiveKey []byte // ReceiveKeyLen
}

// Encode returns identity || receive key.
func (p KeyRequest) Encode() []byte {
	return append(append(make([]byte, 0, IdentityKeyLen+ReceiveKeyLen), p.Identity...), p.ReceiveKey...)
}

// DecodeKeyRequest parses KeyRequest.Encode.
func DecodeKeyRequest(b []byte) (KeyRequest, error) {
	r := reader{buf: b}
	p := KeyRequest{Identity: r.take("identity", IdentityKeyLen), ReceiveKey: r.take("receive key", ReceiveKeyLen)}
	return p, r.done()
}

// MasterKeyCopy is a range of master key versions [First, First+Count)
// HPKE-sealed to a gatekeeper's receive key (protocol.ContextMasterKeyTransfer,
// what = MasterKeyCopyWhat(First, Count)).
type MasterKeyCopy struct {
	Recipient []byte // identity key, IdentityKeyLen
	First     uint32
	Count     uint32 // 1..MaxVersionsPerCopy
	Sealed    []byte
}

// Encode returns recipient || u32 first || u32 count || u32 len || sealed.
func (p MasterKeyCopy) Encode() []byte {
	w := writer{buf: make([]byte, 0, IdentityKeyLen+12+len(p.Sealed))}
	w.raw(p.Recipient)
	w.u32(p.First)
	w.u32(p.Count)
	w.bytes32(p.Sealed)
	return w.buf
}

// DecodeMasterKeyCopy parses MasterKeyCopy.Encode.
func DecodeMasterKeyCopy(b []byte) (MasterKeyCopy, error) {
	r := reader{buf: b}
	p := MasterKeyCopy{Recipient: r.take("recipient", IdentityKeyLen), First: r.u32("first"), Count: r.u32("count")}
	p.Sealed = r.bytes32("sealed", MaxSealedKeyLen)
	if r.err == nil && (p.Count == 0 || p.Count > MaxVersionsPerCopy) {
		r.fail("count", "%d, want 1-%d", p.Count, MaxVersionsPerCopy)
	}
	if r.err == nil && uint64(p.First)+uint64(p.Count) > 1<<32 {
		r.fail("count", "versions %d+%d overflow", p.First, p.Count)
	}
	return p, r.done()
}

// MasterKeyCopyWhat is the HPKE "what" of a MasterKeyCopy.
func MasterKeyCopyWhat(first, count uint32) []byte {
	return fmt.Appendf(nil, "master/%d+%d", first, count)
}

// Relayed is an egress message the chain republishes on ingress: the
// sender's identity key and the payload it sent.
type Relayed struct {
	Sender []byte // IdentityKeyLen
	Body   []byte
}

// Encode returns sender || body.
func (p Relayed) Encode() []byte {
	return append(append(make([]byte, 0, IdentityKeyLen+len(p.Body)), p.Sender...), p.Body...)
}

// DecodeRelayed parses Relayed.Encode; the body is not copied.
func DecodeRelayed(b []byte) (Relayed, error) {
	r := reader{buf: b}
	p := Relayed{Sender: r.take("sender", IdentityKeyLen)}
	if r.err != nil {
		return Relayed{}, r.err
	}
	p.Body = r.buf
	return p, nil
}

// KeyFault kinds.
const (
	// FaultMasterKeyCopy: a master key copy did not open or a version did
	// not match its public key on chain.
	FaultMasterKeyCopy uint8 = 1
	// FaultClusterKeyCopy: a cluster key copy did not open or did not match
	// the cluster public key on chain.
	FaultClusterKeyCopy uint8 = 2
)

// KeyFault reports a gatekeeper whose key copy failed verification.
type KeyFault struct {
	Sender  []byte // the faulty copy's sender, IdentityKeyLen
	Kind    uint8
	Cluster uint64 // FaultClusterKeyCopy only
	// Version is the first version of the copy; for a copy from a
	// RotationProposed (Sender = its proposer), the proposed version.
	Version uint32
}

// Encode returns sender || u8 kind || u64 cluster || u32 version.
func (p KeyFault) Encode() []byte {
	w := writer{buf: make([]byte, 0, IdentityKeyLen+13)}
	w.raw(p.Sender)
	w.u8(p.Kind)
	w.u64(p.Cluster)
	w.u32(p.Version)
	return w.buf
}

// DecodeKeyFault parses KeyFault.Encode.
func DecodeKeyFault(b []byte) (KeyFault, error) {
	r := reader{buf: b}
	p := KeyFault{Sender: r.take("sender", IdentityKeyLen), Kind: r.u8("kind"), Cluster: r.u64("cluster"), Version: r.u32("version")}
	if r.err == nil && p.Kind != FaultMasterKeyCopy && p.Kind != FaultClusterKeyCopy {
		r.fail("kind", "unknown fault kind %d", p.Kind)
	}
	return p, r.done()
}

// GatekeeperTask is an ingress message the gatekeepers must answer with one
// gatekeeper-origin message at sequence Seq. The chain allocates the
// sequences, so every gatekeeper answers every task at the same sequence no
// matter when it joined.
type GatekeeperTask struct {
	Seq  uint64
	Body []byte
}

// Encode returns u64 seq || body.
func (t GatekeeperTask) Encode() []byte {
	w := writer{buf: make([]byte, 0, 8+len(t.Body))}
	w.u64(t.Seq)
	w.raw(t.Body)
	return w.buf
}

// DecodeGatekeeperTask parses GatekeeperTask.Encode; the body is not copied.
func DecodeGatekeeperTask(b []byte) (GatekeeperTask, error) {
	r := reader{buf: b}
	t := GatekeeperTask{Seq: r.u64("seq")}
	if r.err != nil {
		return GatekeeperTask{}, r.err
	}
	t.Body = r.buf
	return t, nil
}

// ClusterKeyID names one version of a cluster's key (the master key version
// it is derived from).
type ClusterKeyID struct {
	Cluster uint64
	Version uint32
}

// Encode returns u64 cluster || u32 version.
func (p ClusterKeyID) Encode() []byte {
	w := writer{buf: make([]byte, 0, 12)}
	w.u64(p.Cluster)
	w.u32(p.Version)
	return w.buf
}

// DecodeClusterKeyID parses ClusterKeyID.Encode.
func DecodeClusterKeyID(b []byte) (ClusterKeyID, error) {
	r := reader{buf: b}
	p := ClusterKeyID{Cluster: r.u64("cluster"), Version: r.u32("version")}
	return p, r.done()
}

// ClusterPublicKey is a cluster key version's ed25519 public key.
type ClusterPublicKey struct {
	ClusterKeyID
	PublicKey []byte // ClusterPublicKeyLen
}

// Encode returns u64 cluster || u32 version || public key.
func (p ClusterPublicKey) Encode() []byte { return append(p.ClusterKeyID.Encode(), p.PublicKey...) }

// DecodeClusterPublicKey parses ClusterPublicKey.Encode.
func DecodeClusterPublicKey(b []byte) (ClusterPublicKey, error) {
	r := reader{buf: b}
	p := ClusterPublicKey{ClusterKeyID: ClusterKeyID{Cluster: r.u64("cluster"), Version: r.u32("version")}}
	p.PublicKey = r.take("public key", ClusterPublicKeyLen)
	return p, r.done()
}

// ClusterGrant asks the gatekeepers to send a member worker a cluster key.
// It carries the cluster public key the chain recorded, so that the worker
// can check the copies it receives without having tracked the cluster.
type ClusterGrant struct {
	ClusterKeyID
	PublicKey  []byte // ClusterPublicKeyLen, as on chain
	Worker     []byte // identity key
	ReceiveKey []byte // ReceiveKeyLen
}

// Encode returns u64 cluster || u32 version || public key || worker || receive key.
func (p ClusterGrant) Encode() []byte {
	b := append(p.ClusterKeyID.Encode(), p.PublicKey...)
	return append(append(b, p.Worker...), p.ReceiveKey...)
}

// DecodeClusterGrant parses ClusterGrant.Encode.
func DecodeClusterGrant(b []byte) (ClusterGrant, error) {
	r := reader{buf: b}
	p := ClusterGrant{ClusterKeyID: ClusterKeyID{Cluster: r.u64("cluster"), Version: r.u32("version")}}
	p.PublicKey = r.take("public key", ClusterPublicKeyLen)
	p.Worker = r.take("worker", IdentityKeyLen)
	p.ReceiveKey = r.take("receive key", ReceiveKeyLen)
	return p, r.done()
}

// ClusterKeyCopy is a cluster key HPKE-sealed to a member worker's receive
// key (protocol.ContextClusterKeyTransfer, what = ClusterKeyCopyWhat).
type ClusterKeyCopy struct {
	ClusterKeyID
	Recipient []byte // identity key
	Sealed    []byte
}

// Encode returns u64 cluster || u32 version || recipient || u32 len || sealed.
func (p ClusterKeyCopy) Encode() []byte {
	w := writer{buf: p.ClusterKeyID.Encode()}
	w.raw(p.Recipient)
	w.bytes32(p.Sealed)
	return w.buf
}

// DecodeClusterKeyCopy parses ClusterKeyCopy.Encode.
func DecodeClusterKeyCopy(b []byte) (ClusterKeyCopy, error) {
	r := reader{buf: b}
	p := ClusterKeyCopy{ClusterKeyID: ClusterKeyID{Cluster: r.u64("cluster"), Version: r.u32("version")}}
	p.Recipient = r.take("recipient", IdentityKeyLen)
	p.Sealed = r.bytes32("sealed", MaxSealedKeyLen)
	return p, r.done()
}

// ClusterKeyCopyWhat is the HPKE "what" of a ClusterKeyCopy.
func ClusterKeyCopyWhat(id ClusterKeyID) []byte {
	return fmt.Appendf(nil, "cluster/%d/v%d", id.Cluster, id.Version)
}

// ClusterMember names a worker of a cluster.
type ClusterMember struct {
	Cluster uint64
	Worker  []byte // identity key
}

// Encode returns u64 cluster || worker.
func (p ClusterMember) Encode() []byte {
	w := writer{buf: make([]byte, 0, 8+IdentityKeyLen)}
	w.u64(p.Cluster)
	w.raw(p.Worker)
	return w.buf
}

// DecodeClusterMember parses ClusterMember.Encode.
func DecodeClusterMember(b []byte) (ClusterMember, error) {
	r := reader{buf: b}
	p := ClusterMember{Cluster: r.u64("cluster"), Worker: r.take("worker", IdentityKeyLen)}
	return p, r.done()
}

// Beacon is the gatekeepers' random value for a height, derived from the
// master key version Version (crypto.MasterKey.Beacon).
type Beacon struct {
	Height  uint64
	Version uint32
	Value   []byte // BeaconLen
}

// Encode returns u64 height || u32 version || value.
func (p Beacon) Encode() []byte {
	w := writer{buf: make([]byte, 0, 12+BeaconLen)}
	w.u64(p.Height)
	w.u32(p.Version)
	w.raw(p.Value)
	return w.buf
}

// DecodeBeacon parses Beacon.Encode.
func DecodeBeacon(b []byte) (Beacon, error) {
	r := reader{buf: b}
	p := Beacon{Height: r.u64("height"), Version: r.u32("version"), Value: r.take("value", BeaconLen)}
	return p, r.done()
}

// EncodeU32 encodes a u32 payload (TopicGatekeeperLive's version count).
func EncodeU32(v uint32) []byte { w := writer{}; w.u32(v); return w.buf }

// DecodeU32 parses EncodeU32; field names the value in errors.
func DecodeU32(field string, b []byte) (uint32, error) {
	r := reader{buf: b}
	v := r.u32(field)
	return v, r.done()
}

// EncodeU64 encodes a u64 payload (a beacon task's height).
func EncodeU64(v uint64) []byte { w := writer{}; w.u64(v); return w.buf }

// DecodeU64 parses EncodeU64; field names the value in errors.
func DecodeU64(field string, b []byte) (uint64, error) {
	r := reader{buf: b}
	v := r.u64(field)
	return v, r.done()
}
