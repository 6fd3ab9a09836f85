// Package cli is the pruntime program: it parses the command line into a
// pruntime.Config, opens the TEE backend and runs the runtime
// (`pruntime run`), or dumps a registration attestation (`pruntime attest`).
// cmd/pruntime/main.go only calls Main.
package cli

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/buildinfo"
	"github.com/gatekeeper-net/gatekeeper/internal/cliconfig"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/gramine"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/sim"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/snp"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/tdx"
)

// Main is the pruntime command: `pruntime run [flags]` or
// `pruntime attest --dump DIR [flags]`. It returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "attest":
			return attestMain(args[1:], stdout, stderr)
		case "measurement":
			return measurementMain(args[1:], stdout, stderr)
		case "version", "--version", "-version":
			fmt.Fprintln(stdout, buildinfo.String("pruntime"))
			return 0
		}
	}
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(stderr, "usage: pruntime run --data-dir DIR --chain-id ID --operator ADDR (--genesis-validators-hash HEX | --trust-height N --trust-hash HEX) [flags]")
		fmt.Fprintln(stderr, "       pruntime attest --dump DIR (same identity flags as run)")
		fmt.Fprintln(stderr, "       pruntime measurement: the measurement of this build for each TEE kind")
		fmt.Fprintln(stderr, "       pruntime --version: version and commit")
		fmt.Fprintln(stderr, "       pruntime run --help, pruntime attest --help: the flags")
		if len(args) == 1 && (args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	cfg := pruntime.DefaultConfig()
	fs := flag.NewFlagSet("pruntime run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := identityFlags(fs, &cfg)
	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "RPC listen address")
	fs.StringVar(&cfg.PublicEndpoint, "endpoint", "", "public RPC URL to announce on chain after registration")
	fs.IntVar(&cfg.KeepCheckpoints, "keep-checkpoints", cfg.KeepCheckpoints, "checkpoints kept on disk")
	fs.StringVar(&cfg.AppListen, "app-listen", cfg.AppListen, "worker app API listen address, loopback only (empty: off)")
	fs.StringVar(&cfg.StateDir, "state-dir", "", "state store directory of the app API (default: DATA_DIR/state)")
	fs.StringVar(&cfg.StateStore, "state-store", "", "S3-compatible state store instead of --state-dir: s3://BUCKET[/PREFIX]?endpoint=HOST:PORT[&secure=false][&region=R][&timeout=30s], credentials in $GK_S3_ACCESS_KEY and $GK_S3_SECRET_KEY; only in a build with -tags s3 (make build-s3)")
	fs.Func("state-policy", `how the app API writes state, and what a key rotation does to it: "reencrypt" (default; forward secret) or "rewrap" (per-blob data keys; rotations rewrap them only)`, func(s string) error {
		cfg.StatePolicy = pruntime.StatePolicy(s)
		return nil
	})
	fs.Func("predecessor", "successor of a scheduled migration: hex identity key of the registered pRuntime this one replaces", func(s string) error {
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != protocol.IdentityKeyLen {
			return fmt.Errorf("want %d hex-encoded bytes", protocol.IdentityKeyLen)
		}
		cfg.Predecessor = b
		return nil
	})
	fs.StringVar(&cfg.SyncListen, "sync-listen", "", "second RPC address serving the relayer's /sync/* endpoints, which --listen then refuses (empty: --listen serves them)")
	fs.IntVar(&cfg.SyncConcurrency, "sync-concurrency", cfg.SyncConcurrency, "sync requests (/sync/*) served at once; more get 429 (1-16)")
	fs.IntVar(&cfg.SyncPenalty, "sync-penalty", cfg.SyncPenalty, "a sync request refused as the sender's fault keeps its slot this many times its own handling time (0-100; 0 off)")
	fs.IntVar(&cfg.BenchmarkDuty, "benchmark-duty", cfg.BenchmarkDuty, "percent of one core the benchmark uses while computing (1-100); the tokenomics pays for the speed it measures")
	fs.DurationVar(&cfg.ReadyMaxLag, "ready-max-lag", cfg.ReadyMaxLag, "GET /ready answers 503 (lagging) when the newest verified header is older than this by the host clock")
	fs.Int64Var(&cfg.CheckpointEvery, "checkpoint-every", cfg.CheckpointEvery, "blocks between checkpoints while nothing else changed")
	fs.Uint64Var(&cfg.CheckpointEveryEntries, "checkpoint-every-entries", cfg.CheckpointEveryEntries, "checkpoint after this many applied ingress entries")
	fs.Int64Var(&cfg.RotationProposeBlocks, "rotation-propose-blocks", cfg.RotationProposeBlocks, "gatekeeper: blocks to wait for the previous gatekeeper's rotation proposal before proposing")
	fs.Int64Var(&cfg.ReencryptDelayBlocks, "reencrypt-delay-blocks", cfg.ReencryptDelayBlocks, "gatekeeper: blocks to wait after a rotation's new keys are on chain before re-encrypting state")
	fs.DurationVar(&cfg.ReencryptReportInterval, "reencrypt-report-interval", cfg.ReencryptReportInterval, "gatekeeper: how often a re-encryption reports progress on chain")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	if code, done := parseLayered(fs, args[1:], stderr); done {
		return code
	}
	if *logFormat != "text" && *logFormat != "json" {
		fmt.Fprintf(stderr, "pruntime: --log-format: %q, want text or json\n", *logFormat)
		return 2
	}
	if cfg.StateStore != "" && cfg.StateDir != "" {
		fmt.Fprintln(stderr, "pruntime: give --state-dir or --state-store, not both")
		return 2
	}
	t, code := id.open(&cfg, stderr)
	if t == nil {
		return code
	}
	log := newLogger(stdout, *logFormat)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, cfg, t, log); err != nil {
		log.Error("exiting", "err", err)
		return 1
	}
	return 0
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
		return pruntime.OpenSimTEE(dataDir, m)
	case attest.KindTDX:
		// No sealing key source exists yet on TDX (see package tee/tdx):
		// the backend refuses to seal rather than use a host-readable key.
		return tdx.Open(tdx.Config{})
	case attest.KindSEVSNP:
		return snp.Open(snp.Config{})
	case attest.KindSGX:
		// SGX through Gramine: /dev/attestation (package tee/gramine).
		return gramine.Open(gramine.Config{})
	default:
		return nil, fmt.Errorf("pruntime: --tee %q: want sim, tdx, sev-snp or sgx", kind)
	}
}

// idFlags are the flags `run` and `attest` share: what the identity is
// bound to (data dir, chain, operator, trust root) and the TEE backend.
type idFlags struct {
	genesisVals, trustHash, teeKind, simMeasurement *string
	trustHeight                                     *uint64
}

func identityFlags(fs *flag.FlagSet, cfg *pruntime.Config) *idFlags {
	fs.StringVar(&cfg.DataDir, "data-dir", "", "directory for the sealed identity and checkpoints (created if missing)")
	fs.StringVar(&cfg.ChainID, "chain-id", "", "chain to follow")
	fs.StringVar(&cfg.Operator, "operator", "", "operator account (bech32) that registers this worker")
	return &idFlags{
		genesisVals:    fs.String("genesis-validators-hash", "", "trust root: hex hash of the genesis validator set"),
		trustHeight:    fs.Uint64("trust-height", 0, "trust root: height of a trusted header"),
		trustHash:      fs.String("trust-hash", "", "trust root: hex hash of the header at --trust-height"),
		teeKind:        fs.String("tee", "sim", "TEE backend: sim, tdx, sev-snp or sgx (tdx and sev-snp need the kernel's configfs-tsm; sgx runs under gramine-sgx with DCAP attestation)"),
		simMeasurement: fs.String("sim-measurement", "", "sim TEE only: hex measurement to report instead of the binary's SHA-256"),
	}
}

// open completes cfg with the trust root, validates it, creates the data
// dir and opens the TEE. On failure it reports to stderr and returns a nil
// TEE with the exit code (2: bad flags, 1: the machine).
func (f *idFlags) open(cfg *pruntime.Config, stderr io.Writer) (tee.TEE, int) {
	root, err := parseTrustRoot(*f.genesisVals, *f.trustHeight, *f.trustHash)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, 2
	}
	cfg.TrustRoot = root
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return nil, 2
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		fmt.Fprintln(stderr, "pruntime:", err)
		return nil, 1
	}
	t, err := openTEE(*f.teeKind, cfg.DataDir, *f.simMeasurement)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, 1
	}
	return t, 0
}

// Files `pruntime attest --dump DIR` writes.
const (
	DumpQuoteFile       = "quote.bin"
	DumpInfoFile        = "registration_info.bin"
	DumpReportDataFile  = "report_data.hex"
	DumpMeasurementFile = "measurement.hex"
	DumpKindFile        = "tee_kind"
)

// attestMain makes a registration attestation exactly as the running
// pRuntime would and writes it to files, so that an operator can inspect
// the quote (e.g. with Intel's or AMD's tools) and the measurement to
// allow-list before proposing it.
func attestMain(args []string, stdout, stderr io.Writer) int {
	cfg := pruntime.DefaultConfig()
	fs := flag.NewFlagSet("pruntime attest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dump := fs.String("dump", "", "directory to write the quote and registration info to (created)")
	idf := identityFlags(fs, &cfg)
	if code, done := parseLayered(fs, args, stderr); done {
		return code
	}
	if *dump == "" {
		fmt.Fprintln(stderr, "pruntime attest: --dump DIR is required")
		return 2
	}
	t, code := idf.open(&cfg, stderr)
	if t == nil {
		return code
	}
	id, err := pruntime.OpenIdentity(cfg, t)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	info := id.RegistrationInfo(pruntime.Version)
	enc, err := info.Encode()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	rd := protocol.ReportData(id.ChainID, enc)
	quote, err := t.Quote(rd)
	if err != nil {
		fmt.Fprintln(stderr, "pruntime: quote:", err)
		return 1
	}
	if err := os.MkdirAll(*dump, 0o755); err != nil {
		fmt.Fprintln(stderr, "pruntime:", err)
		return 1
	}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{DumpQuoteFile, quote},
		{DumpInfoFile, enc},
		{DumpReportDataFile, []byte(hex.EncodeToString(rd[:]) + "\n")},
		{DumpMeasurementFile, []byte(hex.EncodeToString(t.Measurement()) + "\n")},
		{DumpKindFile, []byte(t.Kind() + "\n")},
	} {
		if err := os.WriteFile(filepath.Join(*dump, f.name), f.data, 0o644); err != nil {
			fmt.Fprintln(stderr, "pruntime:", err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "tee kind:     %s\nmeasurement:  %x\nidentity key: %x\nreport data:  %x\nquote:        %d bytes\nwritten to %s\n",
		t.Kind(), t.Measurement(), info.IdentityKey, rd, len(quote), *dump)
	return 0
}

// measurementMain prints the measurement this build has under each TEE
// kind, with no chain, data dir or TEE device needed: what to put in a
// genesis allow-list or a MsgAddMeasurement proposal. Only the sim
// measurement is a function of this binary (its SHA-256, so a reproducible
// build gives it on every machine); a TDX or SEV-SNP measurement is that of
// the whole guest image the binary runs in, which `pruntime attest --dump`
// reads on the TEE host.
func measurementMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pruntime measurement", flag.ContinueOnError)
	fs.SetOutput(stderr)
	binary := fs.String("binary", "", "measure this pruntime binary instead of the running one")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "pruntime measurement: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	var (
		m   [32]byte
		err error
	)
	if *binary != "" {
		m, err = sim.MeasureFile(*binary)
	} else {
		m, err = sim.ExecutableMeasurement()
	}
	if err != nil {
		fmt.Fprintln(stderr, "pruntime:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\t%x\n", attest.KindSim, m)
	fmt.Fprintf(stdout, "%s\t(the guest image's MRTD and RTMRs, not this binary's: run pruntime attest --dump DIR --tee tdx in the TD)\n", attest.KindTDX)
	fmt.Fprintf(stdout, "%s\t(the enclave's MRENCLAVE, which gramine-sgx-sign prints for the signed manifest, not this binary's hash)\n", attest.KindSGX)
	fmt.Fprintf(stdout, "%s\t(the guest image's launch digest, not this binary's: run pruntime attest --dump DIR --tee sev-snp in the guest)\n", attest.KindSEVSNP)
	return 0
}

// cliLayers reads each flag of run and attest also from
// PRUNTIME_<FLAG> and from --config. No pruntime flag carries a secret:
// the identity's keys are made and sealed inside the TEE.
var cliLayers = cliconfig.Layers{EnvPrefix: "PRUNTIME"}

// parseLayered parses fs from args, the environment and --config. done
// reports that the command ends now with code (0 after --help).
func parseLayered(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, done bool) {
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s [flags]\n\n%s\n\nflags:\n", fs.Name(), cliconfig.Precedence(cliLayers.EnvPrefix))
		fs.PrintDefaults()
	}
	if err := cliLayers.Parse(fs, args); errors.Is(err, flag.ErrHelp) {
		return 0, true
	} else if err != nil {
		fmt.Fprintln(stderr, "pruntime:", err)
		return 2, true
	}
	return 0, false
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil)).With("subsystem", "pruntime")
	}
	return slog.New(slog.NewTextHandler(w, nil)).With("subsystem", "pruntime")
}
