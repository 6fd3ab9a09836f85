package devnet

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// StartFunc runs the node on home, in-process, until the process receives
// SIGINT or SIGTERM; the node writes its log to logOut.
type StartFunc func(home string, logOut io.Writer) error

// Run creates the devnet under cfg.Home if it does not exist yet, then runs
// it until interrupted, printing a status table to w (redrawn in place when
// w is a terminal). The chain id of an
// existing devnet wins over cfg.ChainID.
func Run(ctx context.Context, cfg Config, start StartFunc, w io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	out := newLiveWriter(w)
	home, err := filepath.Abs(cfg.Home)
	if err != nil {
		return fmt.Errorf("devnet: home: %w", err)
	}
	cfg.Home = home
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("devnet: %w", err)
	}

	var m Manifest
	if isInitialized(home) {
		if m, err = ReadManifest(home); err != nil {
			return fmt.Errorf("devnet: %s holds a chain but no readable %s; use a fresh --home: %w", home, ManifestFile, err)
		}
		if m.ChainID != cfg.ChainID {
			fmt.Fprintf(out, "devnet: resuming chain %s (ignoring --chain-id %s)\n", m.ChainID, cfg.ChainID)
		}
		cfg.ChainID = m.ChainID
		// The devnet owns its config files: rewrite them so that a new
		// --port-offset or --block-time takes effect on resume.
		if err := writeConfigs(cfg); err != nil {
			return err
		}
		m.Endpoints = endpointsFor(cfg.Ports())
		fmt.Fprintf(out, "devnet: resuming %s from %s\n", m.ChainID, home)
	} else {
		if m, err = initHome(cfg); err != nil {
			return err
		}
		fmt.Fprintf(out, "devnet: created chain %s in %s\n", m.ChainID, home)
	}
	if err := writeManifest(home, m); err != nil {
		return err
	}

	if m.PRuntimes, err = workerManifests(home, cfg.Gatekeepers, cfg.Workers, cfg.Ports(), m.Accounts); err != nil {
		return err
	}
	if err := writeManifest(home, m); err != nil {
		return err
	}
	if err := writeScrapeConfig(home, m); err != nil {
		return err
	}
	fmt.Fprintf(out, "devnet: Prometheus scrape config %s\n", filepath.Join(home, ScrapeConfigFile))

	logPath := filepath.Join(home, "node.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("devnet: node log: %w", err)
	}
	defer logFile.Close()
	workersPath := filepath.Join(home, "workers.log")
	workersLog, err := os.OpenFile(workersPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("devnet: workers log: %w", err)
	}
	defer workersLog.Close()
	fmt.Fprintf(out, "devnet: node log %s; Ctrl-C stops the devnet\n", logPath)
	if len(m.PRuntimes) > 0 {
		fmt.Fprintf(out, "devnet: %d gatekeepers and %d workers (pRuntime + pherry each), log %s\n", cfg.Gatekeepers, cfg.Workers, workersPath)
	}

	nodeDone := make(chan error, 1)
	go func() { nodeDone <- start(home, logFile) }()

	bg, stopBg := context.WithCancel(ctx)
	defer stopBg()
	var wg sync.WaitGroup
	var workersErr error
	if len(m.PRuntimes) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			workersErr = startWorkers(bg, cfg, &m, workersLog, out)
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := launchGatekeepers(bg, m, out); err != nil && bg.Err() == nil {
				fmt.Fprintf(out, "devnet: launching gatekeepers: %v\n", err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		watchStatus(bg, m, cfg.StatusInterval, out)
	}()

	err = <-nodeDone
	stopBg()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("devnet: node: %w (see %s)", err, logPath)
	}
	if workersErr != nil {
		return fmt.Errorf("devnet: workers: %w (see %s)", workersErr, workersPath)
	}
	fmt.Fprintln(out, "devnet: stopped; run the same command again to resume")
	return nil
}

// startWorkers waits for the chain, fixes the trust root on first use, and
// runs the workers until ctx ends.
func startWorkers(ctx context.Context, cfg Config, m *Manifest, logs io.Writer, out io.Writer) error {
	// Waits for the node; on resume it also checks the home still holds the
	// chain the pRuntimes were initialized for.
	h, err := genesisValidatorsHash(ctx, m.Endpoints.CometRPC)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	switch got := hex.EncodeToString(h); {
	case m.TrustRoot == "":
		m.TrustRoot = got
		if err := writeManifest(m.Home, *m); err != nil {
			return err
		}
	case m.TrustRoot != got:
		return fmt.Errorf("devnet: the chain's genesis validators hash %s differs from %s in %s", got, m.TrustRoot, ManifestFile)
	}
	err = runWorkers(ctx, *m, logs, cfg.Down, cfg.NoRelayer)
	if err != nil {
		fmt.Fprintf(out, "devnet: workers stopped: %v\n", err)
	}
	return err
}
