package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/appapi"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/roles"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// Run opens the runtime and serves its RPC (and, with cfg.AppListen, the
// worker app API) until ctx ends.
func Run(ctx context.Context, cfg pruntime.Config, t tee.TEE, log *slog.Logger) error {
	r, err := pruntime.New(cfg, t, log, roles.All)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("pruntime: %w", err)
	}
	if cfg.SyncListen != "" {
		syncLn, err := net.Listen("tcp", cfg.SyncListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("pruntime: sync listener: %w", err)
		}
		r.SetSyncListener(syncLn)
	}
	if cfg.AppListen == "" {
		return r.Serve(ctx, ln)
	}
	store, err := OpenStateStore(ctx, cfg)
	if err != nil {
		ln.Close()
		return err
	}
	appLn, err := net.Listen("tcp", cfg.AppListen)
	if err != nil {
		ln.Close()
		return fmt.Errorf("pruntime: app API: %w", err)
	}
	return ServeWithApp(ctx, r, cfg, ln, appLn, store, log)
}

// ServeWithApp serves r's RPC on ln and the worker app API on appLn, over
// store, until ctx ends or either server fails; one failing stops both. A
// gatekeeper also runs its rotation re-encryption jobs over store. cfg is
// the one r was opened with.
func ServeWithApp(ctx context.Context, r *pruntime.Runtime, cfg pruntime.Config, ln, appLn net.Listener, store statestore.Store, log *slog.Logger) error {
	app := appapi.New(r.ClusterKeys(), store, log.With("subsystem", "appapi")).WithRewrap(cfg.StatePolicy == pruntime.StatePolicyRewrap)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A gatekeeper re-encrypts the same store during a rotation.
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { r.RunReencryption(ctx, store) })
	appErr := make(chan error, 1)
	go func() {
		err := app.Serve(ctx, appLn)
		cancel()
		appErr <- err
	}()
	err := r.Serve(ctx, ln)
	cancel()
	return errors.Join(err, <-appErr)
}

// OpenStateStore opens cfg's state store: the S3 store of cfg.StateStore
// if set (only in a build with the s3 tag, openS3), else the directory
// cfg.StateStoreDir().
func OpenStateStore(ctx context.Context, cfg pruntime.Config) (statestore.Store, error) {
	if cfg.StateStore == "" {
		return statestore.OpenDir(cfg.StateStoreDir())
	}
	st, err := openS3(ctx, cfg.StateStore)
	if err != nil {
		return nil, fmt.Errorf("pruntime: --state-store: %w", err)
	}
	return st, nil
}
