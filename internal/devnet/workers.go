package devnet

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/gatekeeper-net/gatekeeper/internal/pherry"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/cli"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/roles"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// The first pRuntime RPC and app API ports (plus the port offset).
const (
	pruntimeBasePort = 8000
	appAPIBasePort   = 8100
	// pherryMetricsBasePort is the first relayer's metrics port.
	pherryMetricsBasePort = 8200
)

// operatorKey is the keyring name of worker i's operator account.
func operatorKey(i int) string { return fmt.Sprintf("operator-%d", i) }

// genesisValidatorsHash reads the validators hash of the chain's first
// header: the trust root the devnet's pRuntimes start from. A real operator
// takes it from a source they trust; here the node is our own.
func genesisValidatorsHash(ctx context.Context, rpcAddr string) ([]byte, error) {
	c, err := rpchttp.New(rpcAddr, "/websocket")
	if err != nil {
		return nil, err
	}
	h := int64(1)
	for {
		res, err := c.Commit(ctx, &h)
		if err == nil {
			return res.SignedHeader.ValidatorsHash, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// runWorkers starts a pRuntime and its pherry relayer per worker in the
// manifest, in this process, and returns when ctx ends and all stopped.
//
// All pRuntimes share one state store, HOME/state: the workers' apps save
// their blobs there and the gatekeepers re-encrypt them during a master key
// rotation, as they would share an object store on a real network.
//
// The pRuntimes named in down are not started, and those in noRelayer run
// without their relayer (fault tests: a dead pRuntime, a lagging one).
func runWorkers(ctx context.Context, m Manifest, logs io.Writer, down, noRelayer []string) error {
	var wg sync.WaitGroup
	errc := make(chan error, 2*len(m.PRuntimes))
	stateDir := filepath.Join(m.Home, StateDir)
	store, err := statestore.OpenDir(stateDir)
	if err != nil {
		return fmt.Errorf("devnet: state store: %w", err)
	}
	for _, w := range m.PRuntimes {
		if slices.Contains(down, w.Name) {
			fmt.Fprintf(logs, "devnet: %s is down (not started)\n", w.Name)
			continue
		}
		t, err := pruntime.OpenSimTEE(w.DataDir, pruntime.DevnetMeasurement())
		if err != nil {
			return err
		}
		cfg := pruntime.DefaultConfig()
		cfg.DataDir = w.DataDir
		cfg.Listen = w.Listen
		cfg.ChainID = m.ChainID
		cfg.Operator = w.Operator
		cfg.PublicEndpoint = w.RPC
		cfg.TrustRoot = protocol.TrustRoot{Height: 0, Hash: m.trustHash()}
		cfg.AppListen = w.AppListen
		cfg.BenchmarkDuty = BenchmarkDuty
		cfg.StateDir = stateDir
		cfg.ReencryptReportInterval = time.Second
		logger := slog.New(slog.NewTextHandler(logs, nil)).With("worker", w.Name)
		rt, err := pruntime.New(cfg, t, logger.With("subsystem", "pruntime"), roles.All)
		if err != nil {
			return fmt.Errorf("devnet: %s: %w", w.Name, err)
		}
		ln, err := net.Listen("tcp", w.Listen)
		if err != nil {
			return fmt.Errorf("devnet: %s: %w", w.Name, err)
		}
		appLn, err := net.Listen("tcp", w.AppListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("devnet: %s: app API: %w", w.Name, err)
		}
		pcfg := pherry.DefaultConfig()
		pcfg.NodeRPC = m.Endpoints.CometRPC
		pcfg.PRuntime = w.RPC
		pcfg.ChainID = m.ChainID
		pcfg.KeyringDir = m.Home
		pcfg.KeyringBackend = KeyringBackend
		pcfg.KeyName = w.OperatorKey
		pcfg.PollInterval = 500 * time.Millisecond
		relayer, err := pherry.New(pcfg, logger.With("subsystem", "pherry"))
		if err != nil {
			ln.Close()
			appLn.Close()
			return fmt.Errorf("devnet: %s: %w", w.Name, err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); errc <- cli.ServeWithApp(ctx, rt, cfg, ln, appLn, store, logger) }()
		if slices.Contains(noRelayer, w.Name) {
			fmt.Fprintf(logs, "devnet: %s runs without its relayer\n", w.Name)
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); errc <- relayer.Run(ctx) }()
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A relayer without its metrics still relays: log, go on.
			if err := relayer.ServeMetrics(ctx, w.PherryMetricsListen); err != nil {
				logger.Error("pherry metrics", "addr", w.PherryMetricsListen, "err", err)
			}
		}()
	}
	wg.Wait()
	close(errc)
	var errs []error
	for err := range errc {
		if err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// workerManifests describes the gatekeeper pRuntimes, then the workers,
// under home.
func workerManifests(home string, gatekeepers, workers int, ports Ports, accounts []Account) ([]PRuntime, error) {
	n := gatekeepers + workers
	out := make([]PRuntime, 0, n)
	for i := range n {
		name := operatorKey(i)
		addr := ""
		for _, a := range accounts {
			if a.Name == name {
				addr = a.Address
			}
		}
		if addr == "" {
			return nil, fmt.Errorf("devnet: no funded account %q: this devnet was created with fewer pRuntimes; use a fresh --home", name)
		}
		port, appPort, metricsPort := ports.PRuntime+i, ports.AppAPI+i, ports.PherryMetrics+i
		role, label := RoleGatekeeper, fmt.Sprintf("gatekeeper-%d", i)
		if i >= gatekeepers {
			role, label = RoleWorker, fmt.Sprintf("worker-%d", i-gatekeepers)
		}
		out = append(out, PRuntime{
			Name:                label,
			Role:                role,
			RPC:                 fmt.Sprintf("http://127.0.0.1:%d", port),
			Listen:              fmt.Sprintf("127.0.0.1:%d", port),
			AppAPI:              fmt.Sprintf("http://127.0.0.1:%d", appPort),
			AppListen:           fmt.Sprintf("127.0.0.1:%d", appPort),
			PherryMetrics:       fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort),
			PherryMetricsListen: fmt.Sprintf("127.0.0.1:%d", metricsPort),
			DataDir:             filepath.Join(home, fmt.Sprintf("pruntime-%d", i)),
			Operator:            addr,
			OperatorKey:         name,
		})
	}
	return out, nil
}

// workerInfos reads each pRuntime's /get_info; a pRuntime that does not
// answer gets a zero Info.
func workerInfos(ctx context.Context, ws []PRuntime) []api.Info {
	infos := make([]api.Info, len(ws))
	for i, w := range ws {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		info, err := api.NewClient(w.RPC).Info(ctx)
		cancel()
		if err == nil {
			infos[i] = info
		}
	}
	return infos
}

func (m Manifest) trustHash() []byte {
	h, _ := hex.DecodeString(m.TrustRoot)
	return h
}
