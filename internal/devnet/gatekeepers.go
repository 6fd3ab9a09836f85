package devnet

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"

	"github.com/gatekeeper-net/gatekeeper/app"
	"github.com/gatekeeper-net/gatekeeper/internal/pherry"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	computationtypes "github.com/gatekeeper-net/gatekeeper/x/computation/types"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// Gas of the devnet's own transactions.
const (
	gasProposal = 400_000
	gasVote     = 200_000
	gasCluster  = 600_000
	gasStart    = 400_000
	devnetGas   = "0.001" + app.BondDenom
)

// launchGatekeepers brings the devnet's gatekeepers and demo cluster up the
// way an operator and governance would on a real network:
//
//  1. wait until every pRuntime registered itself (its pherry did that);
//  2. the validator proposes, by governance, to designate the gatekeeper
//     pRuntimes, and votes yes; the first one named launches the master key;
//  3. wait until master key version 0 is on chain;
//  4. the operator account creates a cluster of the worker pRuntimes; the
//     gatekeepers publish its key and send it to each worker.
//
// Every step first checks the chain, so a resumed devnet skips what is done.
func launchGatekeepers(ctx context.Context, m Manifest, out io.Writer) error {
	a := newTempApp()
	kr, err := keyring.New(sdk.KeyringServiceName(), KeyringBackend, m.Home, nil, a.AppCodec())
	if err != nil {
		return fmt.Errorf("devnet: keyring: %w", err)
	}
	signer := func(name string) (*pherry.Signer, error) {
		return pherry.NewSigner(m.Endpoints.CometRPC, m.ChainID, kr, name, devnetGas, a.AppCodec(), a.TxConfig())
	}
	return Launch(ctx, LaunchConfig{
		NodeRPC: m.Endpoints.CometRPC, PRuntimes: m.PRuntimes, Signer: signer, Voters: []string{ValidatorKey},
	}, out)
}

// LaunchConfig is what Launch needs: a node, the pRuntimes (gatekeepers and
// workers) and who signs: Voters (validator keys; the first proposes) and
// each pRuntime's OperatorKey.
type LaunchConfig struct {
	NodeRPC   string
	PRuntimes []PRuntime
	Signer    func(keyName string) (*pherry.Signer, error)
	Voters    []string
}

// Launch designates the gatekeepers and forms the demo cluster of the
// workers, as launchGatekeepers describes; `gkd testnet launch` runs it on
// a generated network.
func Launch(ctx context.Context, lc LaunchConfig, out io.Writer) error {
	m := Manifest{PRuntimes: lc.PRuntimes}
	gks, workers := m.byRole(RoleGatekeeper), m.byRole(RoleWorker)
	if len(gks) == 0 {
		return nil
	}
	if len(lc.Voters) == 0 {
		return fmt.Errorf("devnet: launch: no validator key to propose and vote")
	}
	node, err := rpchttp.New(lc.NodeRPC, "/websocket")
	if err != nil {
		return err
	}
	ids, err := waitRegistered(ctx, lc.PRuntimes)
	if err != nil {
		return err
	}
	signer := lc.Signer

	var onChain gatekeepertypes.QueryGatekeepersResponse
	if err := abciQuery(ctx, node, "/gatekeeper.gatekeeper.v1.Query/Gatekeepers", &gatekeepertypes.QueryGatekeepersRequest{}, &onChain); err != nil {
		return err
	}
	if len(onChain.Gatekeepers) == 0 {
		voters := make([]*pherry.Signer, len(lc.Voters))
		for i, name := range lc.Voters {
			if voters[i], err = signer(name); err != nil {
				return err
			}
		}
		if err := proposeGatekeepers(ctx, node, voters, idsOf(ids, gks), out); err != nil {
			return err
		}
	}
	pub, err := waitMasterKey(ctx, node)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "devnet: master key version 0 is on chain: %s\n", pub)

	if len(workers) == 0 {
		return nil
	}
	var clusters gatekeepertypes.QueryClustersResponse
	if err := abciQuery(ctx, node, "/gatekeeper.gatekeeper.v1.Query/Clusters", &gatekeepertypes.QueryClustersRequest{}, &clusters); err != nil {
		return err
	}
	if len(clusters.Clusters) == 0 {
		if err := createDemoCluster(ctx, node, lc.PRuntimes, ids, workers, signer, out); err != nil {
			return err
		}
	}
	return startComputing(ctx, node, lc.PRuntimes, ids, workers, signer, out)
}

// createDemoCluster puts every worker into one cluster the way distinct
// operators would, each consenting for its own worker: the first worker's
// operator creates the cluster of its worker and invites the others, and
// each other worker's operator accepts once the invitation is on chain. One
// account cannot put another operator's worker into its cluster.
func createDemoCluster(ctx context.Context, node *rpchttp.HTTP, ps []PRuntime, ids []string, workers []int,
	signer func(string) (*pherry.Signer, error), out io.Writer,
) error {
	first := ps[workers[0]]
	owner, err := signer(first.OperatorKey)
	if err != nil {
		return err
	}
	if _, err := owner.Send(ctx, gasCluster, &gatekeepertypes.MsgCreateCluster{Owner: owner.Address().String(), Workers: []string{ids[workers[0]]}}); err != nil {
		return fmt.Errorf("devnet: creating the demo cluster: %w", err)
	}
	// The devnet creates no other cluster: the first one on chain is it.
	id, err := poll(ctx, func() (uint64, bool, error) {
		var clusters gatekeepertypes.QueryClustersResponse
		err := abciQuery(ctx, node, "/gatekeeper.gatekeeper.v1.Query/Clusters", &gatekeepertypes.QueryClustersRequest{}, &clusters)
		if err != nil || len(clusters.Clusters) == 0 {
			return 0, false, nil
		}
		return clusters.Clusters[0].Id, true, nil
	})
	if err != nil {
		return err
	}
	for _, i := range workers[1:] {
		invite := &gatekeepertypes.MsgInviteClusterWorker{Owner: owner.Address().String(), ClusterId: id, Worker: ids[i]}
		if _, err := owner.Send(ctx, gasCluster, invite); err != nil {
			return fmt.Errorf("devnet: inviting %s to the demo cluster: %w", ps[i].Name, err)
		}
	}
	if _, err := poll(ctx, func() (bool, bool, error) {
		var c gatekeepertypes.QueryClusterResponse
		err := abciQuery(ctx, node, "/gatekeeper.gatekeeper.v1.Query/Cluster", &gatekeepertypes.QueryClusterRequest{Id: id}, &c)
		return true, err == nil && len(c.Invitations) == len(workers)-1, nil
	}); err != nil {
		return err
	}
	for _, i := range workers[1:] {
		op, err := signer(ps[i].OperatorKey)
		if err != nil {
			return err
		}
		join := &gatekeepertypes.MsgJoinCluster{Operator: op.Address().String(), ClusterId: id, Worker: ids[i]}
		if _, err := op.Send(ctx, gasCluster, join); err != nil {
			return fmt.Errorf("devnet: %s joining the demo cluster: %w", ps[i].Name, err)
		}
	}
	fmt.Fprintf(out, "devnet: created cluster %d of %d workers, owned by %s (%s's operator); the other workers' operators accepted its invitations\n",
		id, len(workers), first.OperatorKey, first.Name)
	return nil
}

// startComputing has each worker's operator start a computing session with
// twice the minimum stake, once the gatekeepers' first beacon is on chain.
func startComputing(ctx context.Context, node *rpchttp.HTTP, ps []PRuntime, ids []string, workers []int,
	signer func(string) (*pherry.Signer, error), out io.Writer,
) error {
	if _, err := poll(ctx, func() (bool, bool, error) {
		var b gatekeepertypes.QueryBeaconResponse
		err := abciQuery(ctx, node, "/gatekeeper.gatekeeper.v1.Query/Beacon", &gatekeepertypes.QueryBeaconRequest{}, &b)
		return true, err == nil && b.Beacon != nil, nil
	}); err != nil {
		return err
	}
	var params computationtypes.QueryParamsResponse
	if err := abciQuery(ctx, node, "/gatekeeper.computation.v1.Query/Params", &computationtypes.QueryParamsRequest{}, &params); err != nil {
		return err
	}
	engine, err := params.Params.Engine()
	if err != nil {
		return err
	}
	for _, i := range workers {
		var bench computationtypes.QueryBenchmarkResponse
		if _, err := poll(ctx, func() (bool, bool, error) {
			err := abciQuery(ctx, node, "/gatekeeper.computation.v1.Query/Benchmark", &computationtypes.QueryBenchmarkRequest{Worker: ids[i]}, &bench)
			return true, err == nil, nil
		}); err != nil {
			return err
		}
		var sess computationtypes.QuerySessionResponse
		if abciQuery(ctx, node, "/gatekeeper.computation.v1.Query/Session", &computationtypes.QuerySessionRequest{Worker: ids[i]}, &sess) == nil {
			continue // already computing (a resumed devnet)
		}
		tokens := engine.MinStake(bench.Benchmark.Score).Floor()*2 + 1
		stake := sdk.NewCoin(params.Params.Denom, math.NewIntFromUint64(tokens).Mul(math.NewIntFromUint64(params.Params.UnitsPerToken)))
		op, err := signer(ps[i].OperatorKey)
		if err != nil {
			return err
		}
		msg := &computationtypes.MsgStartComputing{Operator: op.Address().String(), Worker: ids[i], Stake: stake}
		if _, err := op.Send(ctx, gasStart, msg); err != nil {
			return fmt.Errorf("devnet: %s: start computing: %w", ps[i].Name, err)
		}
		fmt.Fprintf(out, "devnet: %s computing (score %d, stake %s)\n", ps[i].Name, bench.Benchmark.Score, stake)
	}
	return nil
}

// proposeGatekeepers submits one expedited proposal designating every
// gatekeeper, in order (the first launches the master key); every voter
// (the first is the proposer) votes yes.
func proposeGatekeepers(ctx context.Context, node *rpchttp.HTTP, voters []*pherry.Signer, ids []string, out io.Writer) error {
	val := voters[0]
	authority := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	msgs := make([]sdk.Msg, len(ids))
	for i, id := range ids {
		msgs[i] = &gatekeepertypes.MsgAddGatekeeper{Authority: authority, IdentityKey: id}
	}
	prop, err := govv1.NewMsgSubmitProposal(msgs, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 20_000_000)),
		val.Address().String(), "", "Designate the devnet gatekeepers",
		fmt.Sprintf("Designates %d registered devnet pRuntimes as gatekeepers.", len(ids)), true)
	if err != nil {
		return err
	}
	if _, err := val.Send(ctx, gasProposal+uint64(len(ids))*50_000, prop); err != nil {
		return fmt.Errorf("devnet: gatekeeper proposal: %w", err)
	}
	id, err := waitProposal(ctx, node, val.Address().String())
	if err != nil {
		return err
	}
	for _, v := range voters {
		if _, err := v.Send(ctx, gasVote, govv1.NewMsgVote(v.Address(), id, govv1.OptionYes, "")); err != nil {
			return fmt.Errorf("devnet: vote on proposal %d: %w", id, err)
		}
	}
	fmt.Fprintf(out, "devnet: proposal %d designates %d gatekeepers; %d validators voted yes\n", id, len(ids), len(voters))
	return nil
}

// waitProposal returns the newest proposal proposer deposited on, once it
// is in state.
func waitProposal(ctx context.Context, node *rpchttp.HTTP, proposer string) (uint64, error) {
	return poll(ctx, func() (uint64, bool, error) {
		var props govv1.QueryProposalsResponse
		if err := abciQuery(ctx, node, "/cosmos.gov.v1.Query/Proposals", &govv1.QueryProposalsRequest{Depositor: proposer}, &props); err != nil {
			return 0, false, nil // not yet indexed
		}
		if n := len(props.Proposals); n > 0 {
			return props.Proposals[n-1].Id, true, nil
		}
		return 0, false, nil
	})
}

// waitMasterKey returns the hex public key of master key version 0.
func waitMasterKey(ctx context.Context, node *rpchttp.HTTP) (string, error) {
	return poll(ctx, func() (string, bool, error) {
		var keys gatekeepertypes.QueryMasterKeysResponse
		if err := abciQuery(ctx, node, "/gatekeeper.gatekeeper.v1.Query/MasterKeys", &gatekeepertypes.QueryMasterKeysRequest{}, &keys); err != nil {
			return "", false, err
		}
		if len(keys.MasterKeys) == 0 {
			return "", false, nil
		}
		return hex.EncodeToString(keys.MasterKeys[0].PublicKey), true, nil
	})
}

// waitRegistered returns every pRuntime's identity key once all of them
// report that they saw their registration on chain.
func waitRegistered(ctx context.Context, ps []PRuntime) ([]string, error) {
	return poll(ctx, func() ([]string, bool, error) {
		infos := workerInfos(ctx, ps)
		ids := make([]string, len(ps))
		for i, in := range infos {
			if !in.Registered {
				return nil, false, nil
			}
			ids[i] = in.IdentityKey
		}
		return ids, true, nil
	})
}

// poll calls f every half second until it reports done or fails, or ctx ends.
func poll[T any](ctx context.Context, f func() (T, bool, error)) (T, error) {
	for {
		v, done, err := f()
		if err != nil || done {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// idsOf picks the identity keys of the pRuntimes at idx.
func idsOf(ids []string, idx []int) []string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = ids[j]
	}
	return out
}

// clusterCell describes a pRuntime's cluster membership for the status table.
func clusterCell(in api.Info) string {
	switch c := in.Cluster; {
	case c == nil:
		return "-"
	case len(c.KeyVersions) == 0:
		return fmt.Sprintf("%d (waiting for key)", c.ID)
	default:
		return fmt.Sprintf("%d key v%d", c.ID, c.KeyVersions[len(c.KeyVersions)-1])
	}
}
