package devnet

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// StartFunc runs the node on home, in-process, until the process receives
// SIGINT or SIGTERM; the node writes its log to logOut.
type StartFunc func(home string, logOut io.Writer) error

// Run creates the devnet under cfg.Home if it does not exist yet, then runs
// it until interrupted, printing a status table to out. The chain id of an
// existing devnet wins over cfg.ChainID.
func Run(ctx context.Context, cfg Config, start StartFunc, out io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
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

	logPath := filepath.Join(home, "node.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("devnet: node log: %w", err)
	}
	defer logFile.Close()
	fmt.Fprintf(out, "devnet: node log %s; Ctrl-C stops the devnet\n", logPath)

	statusCtx, stopStatus := context.WithCancel(ctx)
	defer stopStatus()
	done := make(chan struct{})
	go func() {
		defer close(done)
		watchStatus(statusCtx, m, cfg.StatusInterval, out)
	}()

	err = start(home, logFile)
	stopStatus()
	<-done
	if err != nil {
		return fmt.Errorf("devnet: node: %w (see %s)", err, logPath)
	}
	fmt.Fprintln(out, "devnet: stopped; run the same command again to resume")
	return nil
}
