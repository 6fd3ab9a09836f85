package pruntime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/sim"
)

// Main is the pruntime command: `pruntime run [flags]`. It returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(stderr, "usage: pruntime run --data-dir DIR --chain-id ID --operator ADDR (--genesis-validators-hash HEX | --trust-height N --trust-hash HEX) [flags]")
		return 2
	}
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("pruntime run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data-dir", "", "directory for the sealed identity and checkpoints")
	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "RPC listen address")
	fs.StringVar(&cfg.ChainID, "chain-id", "", "chain to follow")
	fs.StringVar(&cfg.Operator, "operator", "", "operator account (bech32) that registers this worker")
	fs.StringVar(&cfg.PublicEndpoint, "endpoint", "", "public RPC URL to announce on chain after registration")
	fs.IntVar(&cfg.KeepCheckpoints, "keep-checkpoints", cfg.KeepCheckpoints, "checkpoints kept on disk")
	fs.StringVar(&cfg.AppListen, "app-listen", cfg.AppListen, "worker app API listen address, loopback only (empty: off)")
	fs.StringVar(&cfg.StateDir, "state-dir", "", "state store directory of the app API (default: DATA_DIR/state)")
	genesisVals := fs.String("genesis-validators-hash", "", "trust root: hex hash of the genesis validator set")
	trustHeight := fs.Uint64("trust-height", 0, "trust root: height of a trusted header")
	trustHash := fs.String("trust-hash", "", "trust root: hex hash of the header at --trust-height")
	teeKind := fs.String("tee", "sim", "TEE backend (sim)")
	simMeasurement := fs.String("sim-measurement", "", "sim TEE only: hex measurement to report instead of the binary's SHA-256")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	root, err := parseTrustRoot(*genesisVals, *trustHeight, *trustHash)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	cfg.TrustRoot = root
	log := newLogger(stdout, *logFormat)
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		fmt.Fprintln(stderr, "pruntime:", err)
		return 1
	}
	t, err := openTEE(*teeKind, cfg.DataDir, *simMeasurement)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, cfg, t, log); err != nil {
		log.Error("exiting", "err", err)
		return 1
	}
	return 0
}

// Run opens the runtime and serves its RPC until ctx ends.
func Run(ctx context.Context, cfg Config, t tee.TEE, log *slog.Logger) error {
	r, err := New(cfg, t, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("pruntime: %w", err)
	}
	if cfg.AppListen == "" {
		return r.Serve(ctx, ln)
	}
	store, err := statestore.OpenDir(cfg.StateStoreDir())
	if err != nil {
		ln.Close()
		return err
	}
	appLn, err := net.Listen("tcp", cfg.AppListen)
	if err != nil {
		ln.Close()
		return fmt.Errorf("pruntime: app API: %w", err)
	}
	return r.ServeWithApp(ctx, ln, appLn, store)
}

func parseTrustRoot(genesisVals string, height uint64, hash string) (protocol.TrustRoot, error) {
	switch {
	case genesisVals != "" && (height != 0 || hash != ""):
		return protocol.TrustRoot{}, errors.New("pruntime: give either --genesis-validators-hash or --trust-height with --trust-hash")
	case genesisVals != "":
		h, err := hex.DecodeString(genesisVals)
		if err != nil || len(h) != 32 {
			return protocol.TrustRoot{}, errors.New("pruntime: --genesis-validators-hash must be 32 bytes of hex")
		}
		return protocol.TrustRoot{Height: 0, Hash: h}, nil
	case height > 0:
		h, err := hex.DecodeString(hash)
		if err != nil || len(h) != 32 {
			return protocol.TrustRoot{}, errors.New("pruntime: --trust-hash must be 32 bytes of hex")
		}
		return protocol.TrustRoot{Height: height, Hash: h}, nil
	}
	return protocol.TrustRoot{}, errors.New("pruntime: a trust root is required: --genesis-validators-hash, or --trust-height and --trust-hash")
}

// OpenSimTEE opens the sim backend under dataDir/tee with an explicit
// measurement (nil: the SHA-256 of the running binary).
func OpenSimTEE(dataDir string, measurement []byte) (tee.TEE, error) {
	cfg := sim.DefaultConfig()
	cfg.Dir = filepath.Join(dataDir, "tee")
	cfg.Measurement = measurement
	return sim.Open(cfg)
}

// DevnetMeasurement is the sim measurement devnet pRuntimes report: derived
// from the pRuntime version, not the binary, so that rebuilding gkd does not
// orphan a devnet's sealed state.
func DevnetMeasurement() []byte {
	m := sha256.Sum256([]byte("gatekeeper devnet pruntime " + Version))
	return m[:]
}

func openTEE(kind, dataDir, simMeasurement string) (tee.TEE, error) {
	switch kind {
	case "sim":
		var m []byte
		if simMeasurement != "" {
			var err error
			if m, err = hex.DecodeString(simMeasurement); err != nil || len(m) != 32 {
				return nil, errors.New("pruntime: --sim-measurement must be 32 bytes of hex")
			}
		}
		return OpenSimTEE(dataDir, m)
	default:
		return nil, fmt.Errorf("pruntime: --tee %q: this build supports only sim", kind)
	}
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil)).With("subsystem", "pruntime")
	}
	return slog.New(slog.NewTextHandler(w, nil)).With("subsystem", "pruntime")
}
