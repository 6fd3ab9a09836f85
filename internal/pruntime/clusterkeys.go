package pruntime

import (
	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
)

// ClusterKeys is the runtime's cluster keys as the app API reads them
// (appapi.ClusterKeys). Its methods read the published view and never wait
// on sync work.
type ClusterKeys struct{ r *Runtime }

// ClusterKeys returns the app API's view of this worker's cluster keys.
func (r *Runtime) ClusterKeys() ClusterKeys { return ClusterKeys{r} }

// CurrentClusterKey returns this worker's cluster and its newest key version
// held.
func (k ClusterKeys) CurrentClusterKey() (cluster uint64, version uint32, key [crypto.KeySize]byte, ok bool) {
	c := k.r.view.Load().cluster
	if c == nil {
		return 0, 0, key, false
	}
	for i := len(c.keys) - 1; i >= 0; i-- {
		if len(c.keys[i].key) == crypto.KeySize {
			copy(key[:], c.keys[i].key)
			return c.id, c.keys[i].version, key, true
		}
	}
	return 0, 0, key, false
}

// NewerClusterKeyPending reports whether a key version of cluster above
// version was granted to this worker and has not arrived yet: the app API
// holds writes back until it has (see pendingClusterKeys).
func (k ClusterKeys) NewerClusterKeyPending(cluster uint64, version uint32) bool {
	c := k.r.view.Load().cluster
	if c == nil || c.id != cluster {
		return false
	}
	for _, k := range c.keys {
		if k.version > version && len(k.key) == 0 {
			return true
		}
	}
	return false
}

// ClusterKeyVersion returns a key version of this worker's cluster, for
// blobs saved under an older version.
func (k ClusterKeys) ClusterKeyVersion(cluster uint64, version uint32) (key [crypto.KeySize]byte, ok bool) {
	c := k.r.view.Load().cluster
	if c == nil || c.id != cluster {
		return key, false
	}
	for _, k := range c.keys {
		if k.version == version && len(k.key) == crypto.KeySize {
			copy(key[:], k.key)
			return key, true
		}
	}
	return key, false
}
