package computation

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/gatekeeper-net/gatekeeper/x/computation/types"
)

// AutoCLIOptions describes `gkd q computation` and `gkd tx computation`.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "Show the computation params (tokenomics, cooldown, denom)"},
				{RpcMethod: "Sessions", Use: "sessions", Short: "List computing sessions (V, score, state, total paid)"},
				{
					RpcMethod: "Session", Use: "session [worker]", Short: "Show a worker's session (identity key in hex or base64)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "worker"}},
				},
				{
					RpcMethod: "Benchmark", Use: "benchmark [worker]", Short: "Show a worker's recorded performance score",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "worker"}},
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "StartComputing", Use: "start [worker] [stake]",
					Short:          "Start computing with a registered worker you operate, staking e.g. 1000000000stake",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "worker"}, {ProtoField: "stake"}},
				},
				{
					RpcMethod: "StopComputing", Use: "stop [worker]",
					Short:          "Stop computing; the stake is returned after cooldown_blocks",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "worker"}},
				},
				{RpcMethod: "UpdateParams", Skip: true},
			},
		},
	}
}
