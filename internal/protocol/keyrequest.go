package protocol

// Key requests (issue 12 point 6). A pRuntime that bootstraps from proven
// state past the ingress retention may have missed, with the pruned
// entries, the messages that would have given it its keys: a worker its
// cluster grant and copies, a gatekeeper the copies of its master key
// history or of a rotation's new version. It reads from proven state what
// it should hold and asks the chain for what it lacks; the chain turns the
// request into the ingress message the gatekeepers already answer (a
// cluster grant, a master key request), for the sender only, only while the
// request is valid, and at most once per version or per
// KeyRequestIntervalBlocks blocks for each sender, so that a request cannot
// be used to make the gatekeepers seal copies without end.
const (
	// TopicClusterKeyRequest (egress, worker origin, a current cluster
	// member): a ClusterKeyID, the cluster's current key version, whose
	// public key the chain has published. The chain grants that version to
	// the sender again (TopicClusterGrant).
	TopicClusterKeyRequest = "gatekeeper/cluster_key_request"
	// TopicMasterKeyRefetch (egress, worker origin, a current gatekeeper):
	// u32 number of master key versions on chain (EncodeU32), as the
	// sender's pRuntime knows them. The chain marks the gatekeeper not live
	// and asks the live ones for its history (TopicMasterKeyRequest); a
	// good copy makes it live again (TopicGatekeeperLive).
	TopicMasterKeyRefetch = "gatekeeper/master_key_refetch"
)

// KeyRequestIntervalBlocks is how many blocks a sender waits before it may
// repeat a key request for the same version.
const KeyRequestIntervalBlocks = 100
