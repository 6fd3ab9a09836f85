package registry

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// AutoCLIOptions describes `gkd q registry` and `gkd tx registry`.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "Show the registry params"},
				{RpcMethod: "Workers", Use: "workers", Short: "List registered workers"},
				{
					RpcMethod: "Worker", Use: "worker [identity-key-hex]", Short: "Show one worker and whether it is a gatekeeper",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "identity_key"}},
				},
				{RpcMethod: "Gatekeepers", Use: "gatekeepers", Short: "List the gatekeepers"},
				{RpcMethod: "Measurements", Use: "measurements", Short: "List allowed pRuntime measurements"},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				// pherry registers workers; it builds the attested info itself.
				{RpcMethod: "RegisterWorker", Skip: true},
				{RpcMethod: "UpdateParams", Skip: true},
				{
					RpcMethod: "AddMeasurement", Use: "add-measurement [tee-kind] [measurement-hex] [description]",
					Short:          "Propose allowing a pRuntime measurement (governance proposal)",
					GovProposal:    true,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "tee_kind"}, {ProtoField: "measurement"}, {ProtoField: "description"}},
				},
				{
					RpcMethod: "RemoveMeasurement", Use: "remove-measurement [tee-kind] [measurement-hex]",
					Short:          "Propose removing a pRuntime measurement (governance proposal)",
					GovProposal:    true,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "tee_kind"}, {ProtoField: "measurement"}},
				},
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
			},
		},
	}
}
