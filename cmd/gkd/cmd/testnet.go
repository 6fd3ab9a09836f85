package cmd

import (
	"encoding/hex"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gatekeeper-net/gatekeeper/internal/buildinfo"
	"github.com/gatekeeper-net/gatekeeper/internal/devnet"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/sim"
)

// NewTestnetCmd returns `gkd testnet` and `gkd testnet launch`.
func NewTestnetCmd() *cobra.Command {
	def := devnet.DefaultTestnetConfig()
	cfg := def
	var pruntimeBin, measurement, imageTag string
	var compose bool
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Write the files of a multi-process network: validator homes, pRuntime and relayer keys and command lines",
		Long: `Write the files of a network of --validators nodes and --gatekeepers plus
--workers pRuntimes (sim TEE), each with its pherry relayer, under --output-dir,
the shape of the SDK's "testnet init-files":

  nodeI/        a validator home (node and consensus keys, operator key in a
                test keyring, config.toml with every other node as persistent
                peer, the shared genesis.json)
  pruntimeJ/    pRuntime J's data dir and its relayer's operator key
  state/        the state store the pRuntimes share on one host
  testnet.json  every process with its command line (paths relative to
                --output-dir), the genesis validators hash the pRuntimes
                trust (computed from the gentxs, so nothing waits for block 1)
                and the allowed sim measurement

The genesis allows the sim measurement of the pruntime binary the network will
run: --pruntime (default: pruntime next to this gkd) is hashed as
"pruntime measurement" does, or give --sim-measurement. Ports: validator I uses
--base-port+10*I (+0 p2p, +1 RPC, +2 gRPC, +3 REST, +4 metrics), pRuntime J
--base-port+10*(validators+J) (+0 RPC, +1 app API, +2 relayer metrics).
With --compose it also writes docker-compose.yml (see
docs/running-a-network.md): "docker-compose up -d" in --output-dir starts the
network, "docker-compose run --rm launch" launches it.
Once all run, "gkd testnet launch --output-dir DIR" designates the gatekeepers
by governance and forms the workers' cluster.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case measurement != "":
				m, err := hex.DecodeString(measurement)
				if err != nil || len(m) != 32 {
					return fmt.Errorf("testnet: --sim-measurement must be 32 bytes of hex")
				}
				cfg.SimMeasurement = m
			default:
				if pruntimeBin == "" {
					self, err := os.Executable()
					if err != nil {
						return fmt.Errorf("testnet: %w", err)
					}
					pruntimeBin = filepath.Join(filepath.Dir(self), "pruntime")
				}
				m, err := sim.MeasureFile(pruntimeBin)
				if err != nil {
					return fmt.Errorf("testnet: %w (give --pruntime PATH or --sim-measurement HEX)", err)
				}
				cfg.SimMeasurement = m[:]
			}
			if compose {
				if len(cfg.Hostnames) != 0 {
					return fmt.Errorf("testnet: --compose names the hosts after its services; drop --hostnames")
				}
				cfg.Hostnames = devnet.ComposeHostnames(cfg.Validators, cfg.Gatekeepers+cfg.Workers)
			}
			tn, err := devnet.GenerateTestnet(cfg)
			if err != nil {
				return err
			}
			if compose {
				cc := devnet.ComposeConfig{ImageTag: imageTag}
				if uid := os.Getuid(); uid != 0 {
					cc.User = fmt.Sprintf("%d:%d", uid, os.Getgid())
				} else if err := devnet.ChownForImages(cfg.OutputDir); err != nil {
					return err
				}
				if err := devnet.WriteCompose(cfg.OutputDir, tn, cc); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "testnet %s: %d validators, %d pRuntimes in %s\n", tn.ChainID, len(tn.Nodes), len(tn.PRuntimes), cfg.OutputDir)
			fmt.Fprintf(out, "trust root (genesis validators hash): %s\nallowed sim measurement: %s\n", tn.TrustRoot, tn.Measurement)
			fmt.Fprintf(out, "command lines (run from %s) are in %s\n", cfg.OutputDir, devnet.TestnetFile)
			if compose {
				fmt.Fprintf(out, "containers (images gatekeeper/*:%s) are in %s\n", imageTag, filepath.Join(cfg.OutputDir, devnet.ComposeFile))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.OutputDir, "output-dir", "./testnet", "directory to write the network to (must not hold one)")
	f.StringVar(&cfg.ChainID, "chain-id", def.ChainID, "chain id")
	f.IntVar(&cfg.Validators, "validators", def.Validators, "validator nodes")
	f.IntVar(&cfg.Gatekeepers, "gatekeepers", def.Gatekeepers, "gatekeeper pRuntimes")
	f.IntVar(&cfg.Workers, "workers", def.Workers, "worker pRuntimes")
	f.IntVar(&cfg.BasePort, "base-port", def.BasePort, "first port; see above")
	f.StringSliceVar(&cfg.Hostnames, "hostnames", nil, "host of each validator, then of each pRuntime (default: all 127.0.0.1); a non-loopback host listens on 0.0.0.0")
	f.StringVar(&pruntimeBin, "pruntime", "", "pruntime binary whose sim measurement the genesis allows (default: pruntime next to gkd)")
	f.StringVar(&measurement, "sim-measurement", "", "hex sim measurement to allow instead of hashing --pruntime")
	f.DurationVar(&cfg.BlockTime, "block-time", def.BlockTime, "target time between blocks")
	f.DurationVar(&cfg.VotingPeriod, "voting-period", def.VotingPeriod, "governance voting period (the expedited one is half)")
	f.BoolVar(&compose, "compose", false, "also write docker-compose.yml: a container per node, pRuntime and relayer, hosts named after the services (node0.., pruntime0.., pherry0..)")
	f.StringVar(&imageTag, "image-tag", buildinfo.Version(), "tag of the images gatekeeper/{gkd,pruntime,pherry} the compose file runs (make images)")
	cmd.AddCommand(newTestnetLaunchCmd())
	return cmd
}

func newTestnetLaunchCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "launch",
		Short: "Designate a running testnet's gatekeepers (every validator votes) and form its workers' cluster",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return devnet.LaunchTestnet(ctx, dir, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&dir, "output-dir", "./testnet", "directory gkd testnet wrote")
	return cmd
}
