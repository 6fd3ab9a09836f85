package protocol

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// OriginKind says who sent a queue message.
type OriginKind uint8

const (
	// OriginModule is an on-chain module; only the chain itself emits it.
	OriginModule OriginKind = 1
	// OriginWorker is a pRuntime, identified by its ed25519 identity key.
	OriginWorker OriginKind = 2
	// OriginGatekeeper is the gatekeeper collective; accepted at quorum. Its
	// ID names a lane (see GatekeeperLane); empty is the task channel.
	OriginGatekeeper OriginKind = 3
	// OriginCluster is a worker cluster, identified by its on-chain id.
	OriginCluster OriginKind = 4
	// OriginAccount is a chain account, identified by its address bytes.
	OriginAccount OriginKind = 5
)

// MaxModuleNameLen bounds a module origin's name and a topic's first segment.
const MaxModuleNameLen = 32

// Origin is the sender of a message. ID's form depends on Kind: a module name,
// a 32-byte ed25519 key, a lane name or nothing, an 8-byte big-endian cluster
// id, or a 20- or 32-byte account address.
type Origin struct {
	Kind OriginKind
	ID   []byte
}

// ModuleOrigin returns the origin of an on-chain module.
func ModuleOrigin(name string) Origin { return Origin{Kind: OriginModule, ID: []byte(name)} }

// WorkerOrigin returns the origin of a worker identified by its identity key.
func WorkerOrigin(pub ed25519.PublicKey) Origin {
	return Origin{Kind: OriginWorker, ID: append([]byte(nil), pub...)}
}

// GatekeeperOrigin returns the origin of the gatekeeper collective's task
// channel: every message on it answers a task the chain allocated its
// sequence to (x/mq PushGatekeeperTask).
func GatekeeperOrigin() Origin { return Origin{Kind: OriginGatekeeper} }

// GatekeeperLane returns the origin of one of the gatekeeper collective's
// lanes: a quorum channel of its own, with its own sequence, owned by the
// module named lane (its messages are on that module's topics). A lane
// carries messages the gatekeepers decide to send by a deterministic rule
// over the ingress, numbered by that rule, with no task per message: the
// computation lane carries a settlement only for blocks that have one, so
// a quiet block costs the chain nothing. Lane "" is the task channel.
func GatekeeperLane(lane string) Origin { return Origin{Kind: OriginGatekeeper, ID: []byte(lane)} }

// Lane is a gatekeeper origin's lane ("" for the task channel).
func (o Origin) Lane() string {
	if o.Kind != OriginGatekeeper {
		return ""
	}
	return string(o.ID)
}

// ClusterOrigin returns the origin of a cluster.
func ClusterOrigin(id uint64) Origin {
	return Origin{Kind: OriginCluster, ID: binary.BigEndian.AppendUint64(nil, id)}
}

// AccountOrigin returns the origin of a chain account.
func AccountOrigin(addr []byte) Origin {
	return Origin{Kind: OriginAccount, ID: append([]byte(nil), addr...)}
}

// Validate checks that ID has the form Kind requires.
func (o Origin) Validate() error {
	switch o.Kind {
	case OriginModule:
		if !validSegment(string(o.ID), MaxModuleNameLen) {
			return fmt.Errorf("%w: origin: module name %q must be 1-%d chars of [a-z0-9_]", ErrMalformed, o.ID, MaxModuleNameLen)
		}
	case OriginWorker:
		if len(o.ID) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: origin: worker key is %d bytes, want %d", ErrMalformed, len(o.ID), ed25519.PublicKeySize)
		}
	case OriginGatekeeper:
		if len(o.ID) != 0 && !validSegment(string(o.ID), MaxModuleNameLen) {
			return fmt.Errorf("%w: origin: gatekeeper lane %q must be empty or 1-%d chars of [a-z0-9_]", ErrMalformed, o.ID, MaxModuleNameLen)
		}
	case OriginCluster:
		if len(o.ID) != 8 {
			return fmt.Errorf("%w: origin: cluster id is %d bytes, want 8", ErrMalformed, len(o.ID))
		}
	case OriginAccount:
		if len(o.ID) != 20 && len(o.ID) != 32 {
			return fmt.Errorf("%w: origin: account address is %d bytes, want 20 or 32", ErrMalformed, len(o.ID))
		}
	default:
		return fmt.Errorf("%w: origin: unknown kind %d", ErrMalformed, o.Kind)
	}
	return nil
}

// Key is the canonical byte form of the origin (kind || id), used as a store key.
func (o Origin) Key() []byte { return append([]byte{byte(o.Kind)}, o.ID...) }

// OriginFromKey parses the output of Key.
func OriginFromKey(key []byte) (Origin, error) {
	if len(key) == 0 {
		return Origin{}, fmt.Errorf("%w: origin: empty key", ErrMalformed)
	}
	o := Origin{Kind: OriginKind(key[0]), ID: append([]byte(nil), key[1:]...)}
	return o, o.Validate()
}

// Equal reports whether two origins are the same sender.
func (o Origin) Equal(p Origin) bool { return o.Kind == p.Kind && string(o.ID) == string(p.ID) }

// String renders the origin for logs and CLI output: "module:registry",
// "worker:<hex>", "gatekeeper", "cluster:<n>", "account:<hex>".
func (o Origin) String() string {
	switch o.Kind {
	case OriginModule:
		return "module:" + string(o.ID)
	case OriginWorker:
		return "worker:" + hex.EncodeToString(o.ID)
	case OriginGatekeeper:
		if len(o.ID) > 0 {
			return "gatekeeper:" + string(o.ID)
		}
		return "gatekeeper"
	case OriginCluster:
		if len(o.ID) == 8 {
			return "cluster:" + strconv.FormatUint(binary.BigEndian.Uint64(o.ID), 10)
		}
	case OriginAccount:
		return "account:" + hex.EncodeToString(o.ID)
	}
	return fmt.Sprintf("invalid(%d:%x)", o.Kind, o.ID)
}

// ParseOrigin parses the output of String for the origins that send egress or
// are queried by operators: "worker:<hex key>", "gatekeeper", "cluster:<n>",
// "account:<hex>", "module:<name>".
func ParseOrigin(s string) (Origin, error) {
	kind, arg, _ := strings.Cut(s, ":")
	var o Origin
	switch kind {
	case "gatekeeper":
		o = GatekeeperLane(arg)
	case "module":
		o = ModuleOrigin(arg)
	case "worker", "account":
		id, err := hex.DecodeString(arg)
		if err != nil {
			return Origin{}, fmt.Errorf("%w: origin: %q: id is not hex", ErrMalformed, s)
		}
		o = Origin{Kind: OriginWorker, ID: id}
		if kind == "account" {
			o.Kind = OriginAccount
		}
	case "cluster":
		id, err := strconv.ParseUint(arg, 10, 64)
		if err != nil {
			return Origin{}, fmt.Errorf("%w: origin: %q: cluster id is not a number", ErrMalformed, s)
		}
		o = ClusterOrigin(id)
	default:
		return Origin{}, fmt.Errorf("%w: origin: %q: want worker:<hex>, gatekeeper, cluster:<n>, account:<hex> or module:<name>", ErrMalformed, s)
	}
	return o, o.Validate()
}
