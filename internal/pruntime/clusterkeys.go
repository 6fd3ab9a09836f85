package pruntime

import (
	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
)

// CurrentClusterKey returns this worker's cluster and its newest key version
// held, for the app API. Like the other two below, it reads the published
// view and never waits on sync work.
func (r *Runtime) CurrentClusterKey() (cluster uint64, version uint32, key [crypto.KeySize]byte, ok bool) {
	c := r.view.Load().cluster
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
func (r *Runtime) NewerClusterKeyPending(cluster uint64, version uint32) bool {
	c := r.view.Load().cluster
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
func (r *Runtime) ClusterKeyVersion(cluster uint64, version uint32) (key [crypto.KeySize]byte, ok bool) {
	c := r.view.Load().cluster
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
