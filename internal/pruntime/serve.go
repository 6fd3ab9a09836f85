package pruntime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// Serve runs the RPC on ln, and the benchmark while this worker computes,
// until ctx ends, then shuts down gracefully and writes a final checkpoint.
func (r *Runtime) Serve(ctx context.Context, ln net.Listener) error {
	r.log.Info("serving RPC", "addr", ln.Addr().String())
	bctx, stopBenchmark := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { r.RunBenchmark(bctx) })
	var err error
	if r.syncLn == nil {
		err = serveHTTP(ctx, ln, r.Handler(), "RPC")
	} else {
		// Either server failing stops both.
		sctx, cancel := context.WithCancel(ctx)
		syncErr := make(chan error, 1)
		go func() {
			r.log.Info("serving the sync RPC", "addr", r.syncLn.Addr().String())
			err := serveHTTP(sctx, r.syncLn, r.Handler(), "sync RPC")
			cancel()
			syncErr <- err
		}()
		err = serveHTTP(sctx, ln, r.PublicHandler(), "RPC")
		cancel()
		err = errors.Join(err, <-syncErr)
	}
	stopBenchmark()
	wg.Wait()
	if cerr := r.Checkpoint(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	r.log.Info("stopped", "height", r.Info().SyncedHeight)
	return err
}

// serveHTTP serves h on ln, with bounded timeouts and header size, until
// ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, what string) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("pruntime: %s: %w", what, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("pruntime: %s: %w", what, err)
	}
	return nil
}

// ServeWithApp serves the RPC on ln and the worker app API on appLn, over
// store, until ctx ends or either server fails; one failing stops both. A
// gatekeeper also runs its rotation re-encryption jobs over store.
func (r *Runtime) ServeWithApp(ctx context.Context, ln, appLn net.Listener, store statestore.Store) error {
	app := NewAppAPI(r, store, r.log.With("subsystem", "appapi")).WithPolicy(r.cfg.StatePolicy)
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
	if cfg.SyncListen != "" {
		if r.syncLn, err = net.Listen("tcp", cfg.SyncListen); err != nil {
			ln.Close()
			return fmt.Errorf("pruntime: sync listener: %w", err)
		}
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
