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
				{RpcMethod: "Measurements", Use: "measurements", Short: "List allowed pRuntime measurements"},
				{RpcMethod: "Collaterals", Use: "collaterals", Short: "List the stored TDX and SEV-SNP verification collateral"},
				{
					RpcMethod: "Collateral", Use: "collateral [tee-kind] [platform-id]",
					Short:          "Show the collateral of one platform (tdx FMSPC in hex, or sev-snp product line)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "tee_kind"}, {ProtoField: "platform_id"}},
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			// set-collateral is hand-written (it reads files); autocli adds
			// the rest to the module's custom command.
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				// pherry registers workers; it builds the attested info itself.
				{RpcMethod: "RegisterWorker", Skip: true},
				{RpcMethod: "UpdateParams", Skip: true},
				{RpcMethod: "SetCollateral", Skip: true},
				{
					RpcMethod: "RemoveCollateral", Use: "remove-collateral [tee-kind] [platform-id]",
					Short:          "Propose removing stored collateral (governance proposal)",
					GovProposal:    true,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "tee_kind"}, {ProtoField: "platform_id"}},
				},
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
			},
		},
	}
}
