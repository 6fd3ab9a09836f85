package pruntime

import (
	"context"
	"errors"
	"net"
	"sync"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
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
		err = api.Serve(ctx, ln, r.Handler(), "RPC")
	} else {
		// Either server failing stops both.
		sctx, cancel := context.WithCancel(ctx)
		syncErr := make(chan error, 1)
		go func() {
			r.log.Info("serving the sync RPC", "addr", r.syncLn.Addr().String())
			err := api.Serve(sctx, r.syncLn, r.Handler(), "sync RPC")
			cancel()
			syncErr <- err
		}()
		err = api.Serve(sctx, ln, r.PublicHandler(), "RPC")
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

// SetSyncListener makes Serve serve the sync endpoints on ln
// (Config.SyncListen) and refuse them on its main listener. Call it before
// Serve.
func (r *Runtime) SetSyncListener(ln net.Listener) { r.syncLn = ln }
