package pruntime

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Serve runs the RPC on ln until ctx ends, then shuts down gracefully and
// writes a final checkpoint.
func (r *Runtime) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           r.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	r.log.Info("serving RPC", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("pruntime: RPC: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if cerr := r.Checkpoint(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	r.log.Info("stopped", "height", r.Info().SyncedHeight)
	return err
}
