package pherry

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// bootstrapState adds to req the proven reads of the rotation and cluster
// state a bootstrapping pRuntime rebuilds (issue 12 point 6; see
// internal/pruntime/bootstrap.go): the rotation records to version n and
// n-1 (n = master key versions on chain), the running rotation's snapshot
// worker records while it is not activated, and the pRuntime's cluster. The
// pRuntime checks every read against its verified header; this side only
// picks the keys. It also proves the pRuntime's next egress sequence.
func (r *Relayer) bootstrapState(ctx context.Context, req *api.BootstrapRequest, id []byte, n uint32, height int64) error {
	var tos []uint32
	if n >= 1 {
		tos = append(tos, n)
	}
	if n >= 2 {
		tos = append(tos, n-1)
	}
	var running *gatekeepertypes.Rotation
	for _, to := range tos {
		read, err := FetchProvenRead(ctx, r.node, protocol.GatekeeperStoreName, protocol.RotationKey(to), height)
		if err != nil {
			return err
		}
		req.Rotations = append(req.Rotations, read)
		if len(read.Value) == 0 || running != nil {
			continue
		}
		var rot gatekeepertypes.Rotation
		if err := rot.Unmarshal(read.Value); err != nil {
			return fmt.Errorf("pherry: rotation to %d: %w", to, err)
		}
		if rot.Phase != gatekeepertypes.ROTATION_PHASE_DONE {
			running = &rot
		}
	}
	if running != nil && running.Phase <= gatekeepertypes.ROTATION_PHASE_ACKING {
		for _, g := range running.Gatekeepers {
			read, err := FetchProvenRead(ctx, r.node, protocol.RegistryStoreName, protocol.WorkerKey(g.IdentityKey), height)
			if err != nil {
				return err
			}
			req.RotationWorkers = append(req.RotationWorkers, read)
		}
	}
	var err error
	if req.EgressSeq, err = FetchProvenRead(ctx, r.node, protocol.MQStoreName, protocol.SequenceKey(protocol.WorkerOrigin(id)), height); err != nil {
		return err
	}
	if req.WorkerCluster, err = FetchProvenRead(ctx, r.node, protocol.GatekeeperStoreName, protocol.WorkerClusterKey(id), height); err != nil {
		return err
	}
	if v := req.WorkerCluster.Value; len(v) == 8 {
		c, err := FetchProvenRead(ctx, r.node, protocol.GatekeeperStoreName, protocol.ClusterKey(binary.BigEndian.Uint64(v)), height)
		if err != nil {
			return err
		}
		req.Cluster = &c
	}
	return nil
}
