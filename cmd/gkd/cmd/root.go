// Package cmd builds gkd's command tree: the standard Cosmos SDK node and
// client commands, autocli commands for every module, `gkd config`
// (confix: get, set, diff, migrate and view of app.toml, config.toml and
// client.toml) and `gkd devnet`.
package cmd

import (
	"io"
	"os"

	cmtcfg "github.com/cometbft/cometbft/config"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"cosmossdk.io/log"
	confixcmd "cosmossdk.io/tools/confix/cmd"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/config"
	"github.com/cosmos/cosmos-sdk/client/debug"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/keys"
	"github.com/cosmos/cosmos-sdk/client/pruning"
	"github.com/cosmos/cosmos-sdk/client/rpc"
	"github.com/cosmos/cosmos-sdk/client/snapshot"
	"github.com/cosmos/cosmos-sdk/server"
	serverconfig "github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	"github.com/cosmos/cosmos-sdk/version"
	authcmd "github.com/cosmos/cosmos-sdk/x/auth/client/cli"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	genutilcli "github.com/cosmos/cosmos-sdk/x/genutil/client/cli"

	"github.com/gatekeeper-net/gatekeeper/app"
	"github.com/gatekeeper-net/gatekeeper/internal/buildinfo"
)

// DefaultMinGasPrices is written to a new node's app.toml. A non-zero price
// keeps the mempool from being flooded for free; valid gatekeeper messages are
// exempt (see x/mq/ante).
const DefaultMinGasPrices = "0.001" + app.BondDenom

// NewRootCmd returns gkd's root command.
func NewRootCmd() *cobra.Command {
	app.SetAddressPrefixes()
	// What the SDK's `version --long` and node info report.
	version.Name, version.AppName = "gkd", "gkd"
	version.Version, version.Commit = buildinfo.Version(), buildinfo.Commit()
	// A throwaway app instance provides the codecs and module set the CLI needs.
	tempApp := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, false, simtestutil.EmptyAppOptions{})

	initClientCtx := client.Context{}.
		WithCodec(tempApp.AppCodec()).
		WithInterfaceRegistry(tempApp.InterfaceRegistry()).
		WithTxConfig(tempApp.TxConfig()).
		WithLegacyAmino(tempApp.LegacyAmino()).
		WithInput(os.Stdin).
		WithAccountRetriever(authtypes.AccountRetriever{}).
		WithHomeDir(app.DefaultNodeHome())

	rootCmd := &cobra.Command{
		Use:           app.Name,
		Short:         "Gatekeeper chain node and CLI",
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(cmd.OutOrStdout())
			cmd.SetErr(cmd.ErrOrStderr())
			// A fresh viper per invocation: viper accumulates config search
			// paths, and the first client.toml found would shadow --home's.
			clientCtx := initClientCtx.WithCmdContext(cmd.Context()).WithViper("GKD").WithOutput(cmd.OutOrStdout())
			clientCtx, err := client.ReadPersistentCommandFlags(clientCtx, cmd.Flags())
			if err != nil {
				return err
			}
			if clientCtx, err = config.ReadFromClientConfig(clientCtx); err != nil {
				return err
			}
			if err := client.SetCmdClientContextHandler(clientCtx, cmd); err != nil {
				return err
			}
			appTemplate, appConfig := initAppConfig()
			return server.InterceptConfigsPreRunHandler(cmd, appTemplate, appConfig, cmtcfg.DefaultConfig())
		},
	}

	basics := tempApp.BasicModuleManager
	rootCmd.AddCommand(
		genutilcli.InitCmd(basics, app.DefaultNodeHome()),
		debug.Cmd(),
		pruning.Cmd(newApp, app.DefaultNodeHome()),
		snapshot.Cmd(newApp),
		NewDevnetCmd(),
		NewTestnetCmd(),
	)
	server.AddCommands(rootCmd, app.DefaultNodeHome(), newApp, exportApp, func(*cobra.Command) {})
	replaceVersionCmd(rootCmd)
	rootCmd.AddCommand(
		server.StatusCommand(),
		genutilcli.Commands(tempApp.TxConfig(), basics, app.DefaultNodeHome()),
		queryCommand(),
		txCommand(),
		keys.Commands(),
		confixcmd.ConfigCommand(),
	)

	autoCliOpts := tempApp.AutoCLIOptions()
	autoCliOpts.ClientCtx = initClientCtx
	if err := autoCliOpts.EnhanceRootCommand(rootCmd); err != nil {
		panic(err)
	}
	return rootCmd
}

// initAppConfig returns app.toml defaults: a minimum gas price, and the REST
// and gRPC servers on, as an operator expects.
func initAppConfig() (string, any) {
	cfg := serverconfig.DefaultConfig()
	cfg.MinGasPrices = DefaultMinGasPrices
	cfg.API.Enable = true
	cfg.GRPC.Enable = true
	return serverconfig.DefaultConfigTemplate, cfg
}

func queryCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "query",
		Aliases:                    []string{"q"},
		Short:                      "Querying subcommands",
		DisableFlagParsing:         false,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(
		rpc.QueryEventForTxCmd(),
		server.QueryBlockCmd(),
		authcmd.QueryTxsByEventsCmd(),
		server.QueryBlocksCmd(),
		authcmd.QueryTxCmd(),
		server.QueryBlockResultsCmd(),
	)
	return cmd
}

func txCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "tx",
		Short:                      "Transactions subcommands",
		DisableFlagParsing:         false,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(
		authcmd.GetSignCommand(),
		authcmd.GetSignBatchCommand(),
		authcmd.GetMultiSignCommand(),
		authcmd.GetMultiSignBatchCmd(),
		authcmd.GetValidateSignaturesCommand(),
		flags.LineBreak,
		authcmd.GetBroadcastCommand(),
		authcmd.GetEncodeCommand(),
		authcmd.GetDecodeCommand(),
		authcmd.GetSimulateCmd(),
	)
	return cmd
}

func newApp(logger log.Logger, db dbm.DB, traceStore io.Writer, appOpts servertypes.AppOptions) servertypes.Application {
	a := app.New(logger, db, traceStore, true, appOpts, server.DefaultBaseappOptions(appOpts)...)
	// The node serves Prometheus's default registry when config.toml's
	// instrumentation.prometheus is true. A second app in one process
	// (in-process test networks) keeps the first one's metrics.
	if err := a.RegisterMetrics(prometheus.DefaultRegisterer); err != nil {
		logger.Info("module metrics not registered", "err", err)
	}
	return a
}

func exportApp(logger log.Logger, db dbm.DB, traceStore io.Writer, height int64, forZeroHeight bool,
	jailAllowedAddrs []string, appOpts servertypes.AppOptions, modulesToExport []string,
) (servertypes.ExportedApp, error) {
	a := app.New(logger, db, traceStore, false, appOpts)
	if height == -1 {
		if err := a.LoadLatestVersion(); err != nil {
			return servertypes.ExportedApp{}, err
		}
	} else if err := a.LoadHeight(height); err != nil {
		return servertypes.ExportedApp{}, err
	}
	return a.ExportAppStateAndValidators(forZeroHeight, jailAllowedAddrs, modulesToExport)
}

// replaceVersionCmd swaps the SDK's `version` for one that prints the commit
// too ("gkd VERSION (commit COMMIT)", as pruntime and pherry --version do);
// --long still prints the SDK's full report.
func replaceVersionCmd(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() == "version" {
			root.RemoveCommand(c)
		}
	}
	sdkVersion := version.NewVersionCommand()
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version and commit gkd was built from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if long, _ := cmd.Flags().GetBool("long"); long {
				sdkVersion.SetOut(cmd.OutOrStdout())
				sdkVersion.SetArgs([]string{"--long"})
				return sdkVersion.Execute()
			}
			cmd.Println(buildinfo.String("gkd"))
			return nil
		},
	}
	cmd.Flags().Bool("long", false, "print the SDK's long version report (dependencies, build tags)")
	root.AddCommand(cmd)
}
