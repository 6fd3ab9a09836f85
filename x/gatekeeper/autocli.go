package gatekeeper

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// AutoCLIOptions describes `gkd q gatekeeper` and `gkd tx gatekeeper`.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			// rotation and migration are hand-written (they print tables); autocli adds
			// the rest to the module's custom command.
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "Show the gatekeeper module's params"},
				{RpcMethod: "Rotation", Skip: true},
				{RpcMethod: "Migration", Skip: true},
				{RpcMethod: "Gatekeepers", Use: "gatekeepers", Short: "List the gatekeepers"},
				{RpcMethod: "MasterKeys", Use: "master-keys", Short: "List the master key versions' public keys"},
				{RpcMethod: "Clusters", Use: "clusters", Short: "List the clusters"},
				{
					RpcMethod: "Cluster", Use: "cluster [id]", Short: "Show one cluster",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{RpcMethod: "Beacon", Use: "beacon", Short: "Show the latest random beacon of the gatekeepers"},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "UpdateParams", Skip: true},
				{
					RpcMethod: "AddGatekeeper", Use: "add-gatekeeper [identity-key-hex]",
					Short:          "Propose designating a registered worker as gatekeeper (governance proposal)",
					GovProposal:    true,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "identity_key"}},
				},
				{
					RpcMethod: "RemoveGatekeeper", Use: "remove-gatekeeper [identity-key-hex]",
					Short:          "Propose removing a gatekeeper (governance proposal)",
					GovProposal:    true,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "identity_key"}},
				},
				{
					RpcMethod: "RotateMasterKey", Use: "rotate-master-key",
					Short:       "Propose rotating the master key to a new version now (governance proposal)",
					GovProposal: true,
				},
				{
					RpcMethod: "ScheduleMigration", Use: "schedule-migration [tee-kind] [measurement-hex] [activation-height] [description]",
					Short: "Propose migrating a TEE kind's pRuntimes to a new measurement at a height (governance proposal)",
					Long: "Propose a pRuntime migration: the measurement is allowed at once, successors register naming their " +
						"predecessors and receive their keys and state, and at the activation height (an x/upgrade plan) the " +
						"successors take over and the kind's other measurements are removed. See docs/gatekeepers.md, \"State migration\".",
					GovProposal: true,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "tee_kind"}, {ProtoField: "measurement"}, {ProtoField: "activation_height"}, {ProtoField: "description"},
					},
				},
				{
					RpcMethod: "CreateCluster", Use: "create-cluster [worker-keys...]",
					Short:          "Create a cluster of registered workers you operate (identity keys in hex or base64), owned by you",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "workers", Varargs: true}},
				},
				{
					RpcMethod: "AddClusterWorker", Use: "add-cluster-worker [cluster-id] [worker]",
					Short:          "Add a registered worker you operate to a cluster you own (another operator's worker: invite-cluster-worker)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "cluster_id"}, {ProtoField: "worker"}},
				},
				{
					RpcMethod: "RemoveClusterWorker", Use: "remove-cluster-worker [cluster-id] [worker]",
					Short:          "Remove a worker from a cluster: signed by its operator (leave), or by the owner if the owner operates it",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "cluster_id"}, {ProtoField: "worker"}},
				},
				{
					RpcMethod: "InviteClusterWorker", Use: "invite-cluster-worker [cluster-id] [worker]",
					Short:          "Invite another operator's registered worker to a cluster you own; it joins when its operator accepts (join-cluster)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "cluster_id"}, {ProtoField: "worker"}},
				},
				{
					RpcMethod: "JoinCluster", Use: "join-cluster [cluster-id] [worker]",
					Short:          "Accept a cluster's invitation of a worker you operate",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "cluster_id"}, {ProtoField: "worker"}},
				},
				{
					RpcMethod: "CancelClusterInvite", Use: "cancel-cluster-invite [cluster-id] [worker]",
					Short:          "Withdraw (owner) or decline (the worker's operator) a pending cluster invitation",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "cluster_id"}, {ProtoField: "worker"}},
				},
			},
		},
	}
}
