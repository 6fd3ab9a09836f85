package mq

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// AutoCLIOptions describes `gkd q mq` and `gkd tx mq`.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "Show the message queue params"},
				{
					RpcMethod: "Ingress", Use: "ingress [start]", Short: "List ingress log entries from an index",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "start"}},
				},
				{
					RpcMethod: "NextSequence", Use: "next-seq [origin]",
					Short:          "Show the next egress sequence expected from an origin (worker:<hex> or gatekeeper)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "origin"}},
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				// Egress is submitted by pherry, params by governance.
				{RpcMethod: "SyncMessages", Skip: true},
				{RpcMethod: "UpdateParams", Skip: true},
			},
		},
	}
}
