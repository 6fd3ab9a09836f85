package cmd

import (
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client/flags"
	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/gatekeeper-net/gatekeeper/app"
	"github.com/gatekeeper-net/gatekeeper/internal/devnet"
)

// NewDevnetCmd returns `gkd devnet`.
func NewDevnetCmd() *cobra.Command {
	def := devnet.DefaultConfig()
	cfg := def
	cmd := &cobra.Command{
		Use:   "devnet",
		Short: "Run a local Gatekeeper network: one validator, gatekeepers and workers in-process, sim TEE",
		Long: `Run a local Gatekeeper network in this process.

The first run creates the chain under --home (default ~/.gkd-devnet): validator
and account keys (test keyring), a genesis that allows the simulated TEE and has
20-second governance votes, and devnet.json listing the chain id, accounts and
every endpoint. It runs --gatekeepers plus --workers pRuntimes (sim TEE), each
with its pherry relayer; once they registered, the validator designates the
gatekeepers by a governance proposal (the first launches master key version 0,
the others receive it), and the operator account creates a cluster of the
workers, which then receive its key. Running it again with the same --home
resumes the chain. Ctrl-C stops it cleanly.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, _ := cmd.Flags().GetString(flags.FlagHome)
			if !cmd.Flags().Changed(flags.FlagHome) {
				home = defaultDevnetHome()
			}
			cfg.Home = home
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return devnet.Run(ctx, cfg, startNode, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&cfg.ChainID, "chain-id", def.ChainID, "chain id of a new devnet")
	cmd.Flags().IntVar(&cfg.Workers, "workers", def.Workers, "worker pRuntimes (sim TEE) with pherry relayers to run and register; with gatekeepers they form a demo cluster")
	cmd.Flags().IntVar(&cfg.Gatekeepers, "gatekeepers", def.Gatekeepers, "gatekeeper pRuntimes to run, register and designate by governance; the first launches the master key")
	cmd.Flags().Uint64Var(&cfg.IngressRetention, "ingress-retention", 0, "ingress log retention in blocks of a new devnet (0: module default, 100000)")
	cmd.Flags().Uint64Var(&cfg.RotationInterval, "rotation-interval", 0, "rotate the master key every this many blocks, a registry param of a new devnet (0: off; governance can still rotate)")
	cmd.Flags().Uint64Var(&cfg.KeyRetention, "key-retention", 0, "blocks from a retired master key version to its erasure, a registry param of a new devnet (0: module default, 100)")
	cmd.Flags().Uint64Var(&cfg.ReencryptStallBlocks, "reencrypt-stall-blocks", 0, "blocks without progress after which a re-encryption range moves to another gatekeeper, a registry param of a new devnet (0: module default, 600)")
	cmd.Flags().StringSliceVar(&cfg.Down, "down", nil, "pRuntimes (by name, e.g. gatekeeper-0) not to start in this run: a dead pRuntime, for fault tests")
	cmd.Flags().StringSliceVar(&cfg.NoRelayer, "no-relayer", nil, "pRuntimes (by name) to run without their pherry relayer in this run: a lagging pRuntime, for fault tests")
	cmd.Flags().IntVar(&cfg.PortOffset, "port-offset", def.PortOffset, "added to every default port (26656, 26657, 9090, 1317, 26660, 8000+i)")
	cmd.Flags().DurationVar(&cfg.BlockTime, "block-time", def.BlockTime, "target time between blocks")
	cmd.Flags().DurationVar(&cfg.VotingPeriod, "voting-period", def.VotingPeriod, "governance voting period of a new devnet")
	cmd.Flags().DurationVar(&cfg.StatusInterval, "status-interval", def.StatusInterval, "how often to print the status table (0: once)")
	return cmd
}

func defaultDevnetHome() string { return app.DefaultNodeHome() + "-devnet" }

// startNode runs `gkd start --home home` in this process, with a fresh
// command tree so that the node gets its own server context.
func startNode(home string, logOut io.Writer) error {
	root := NewRootCmd()
	root.SetOut(logOut)
	root.SetErr(logOut)
	root.SetArgs([]string{"start", "--home", home, "--log_no_color"})
	return svrcmd.Execute(root, "GKD", home)
}
