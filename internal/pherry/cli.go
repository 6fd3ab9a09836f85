package pherry

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gatekeeper-net/gatekeeper/internal/buildinfo"
	"github.com/gatekeeper-net/gatekeeper/internal/cliconfig"
)

// cliLayers reads each flag also from PHERRY_<FLAG> and from --config.
// The operator's mnemonic is never a flag value: --mnemonic-env names the
// variable holding it, so neither the file nor the process list has it.
var cliLayers = cliconfig.Layers{EnvPrefix: "PHERRY"}

// Main is the pherry command. It returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-version" || args[0] == "version") {
		fmt.Fprintln(stdout, buildinfo.String("pherry"))
		return 0
	}
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("pherry", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.NodeRPC, "node", "tcp://127.0.0.1:26657", "CometBFT RPC of a chain node")
	fs.StringVar(&cfg.PRuntime, "pruntime", "http://127.0.0.1:8000", "pRuntime RPC")
	fs.StringVar(&cfg.ChainID, "chain-id", "", "chain id")
	fs.StringVar(&cfg.KeyringDir, "home", "", "directory holding the operator keyring (as gkd --home)")
	fs.StringVar(&cfg.KeyringBackend, "keyring-backend", cfg.KeyringBackend, "keyring backend: os, file, test")
	fs.StringVar(&cfg.KeyName, "from", cfg.KeyName, "operator key name in the keyring")
	passFile := fs.String("keyring-passphrase-file", "", "file whose first line is the file keyring's passphrase (default: read from stdin, unechoed on a terminal)")
	passEnv := fs.String("keyring-passphrase-env", "", "name of an environment variable holding the file keyring's passphrase")
	mnemonicEnv := fs.String("mnemonic-env", "", "name of an environment variable holding the operator mnemonic (instead of a keyring)")
	fs.StringVar(&cfg.GasPrices, "gas-prices", cfg.GasPrices, "gas prices for worker transactions")
	fs.DurationVar(&cfg.PollInterval, "poll", cfg.PollInterval, "wait between rounds when idle")
	fs.DurationVar(&cfg.ProgressInterval, "progress-interval", cfg.ProgressInterval, "how often progress is logged")
	fs.IntVar(&cfg.IngressBatch, "ingress-batch", cfg.IngressBatch, "ingress entries per sync request (1-1000)")
	fs.IntVar(&cfg.EgressBatch, "egress-batch", cfg.EgressBatch, "egress messages per transaction (1-256)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	metricsListen := fs.String("metrics-listen", "", "serve Prometheus /metrics and /health on this address (off when empty)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: pherry [flags]\n\n%s\n\nflags:\n", cliconfig.Precedence("PHERRY"))
		fs.PrintDefaults()
	}
	if err := cliLayers.Parse(fs, args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		fmt.Fprintln(stderr, "pherry:", err)
		return 2
	}
	if *logFormat != "text" && *logFormat != "json" {
		fmt.Fprintf(stderr, "pherry: --log-format: %q, want text or json\n", *logFormat)
		return 2
	}
	in, err := passphraseInput(*passFile, *passEnv, os.Stdin)
	if err != nil {
		fmt.Fprintln(stderr, "pherry:", err)
		return 2
	}
	cfg.KeyringInput = in
	if *mnemonicEnv != "" {
		cfg.Mnemonic = strings.TrimSpace(os.Getenv(*mnemonicEnv))
		if cfg.Mnemonic == "" {
			fmt.Fprintf(stderr, "pherry: --mnemonic-env: environment variable %s is empty\n", *mnemonicEnv)
			return 2
		}
	}
	log := slog.New(slog.NewTextHandler(stdout, nil))
	if *logFormat == "json" {
		log = slog.New(slog.NewJSONHandler(stdout, nil))
	}
	log = log.With("subsystem", "pherry")
	r, err := New(cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *metricsListen != "" {
		go func() {
			if err := r.ServeMetrics(ctx, *metricsListen); err != nil {
				log.Error("metrics server", "err", err)
			}
		}()
	}
	log.Info("relaying", "node", cfg.NodeRPC, "pruntime", cfg.PRuntime, "operator", r.Operator().String())
	if err := r.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("exiting", "err", err)
		return 1
	}
	return 0
}
