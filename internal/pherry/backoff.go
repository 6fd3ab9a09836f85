package pherry

import (
	"context"
	"time"
)

// Failed rounds are retried after a delay that starts at backoffBase and
// doubles on each further failure up to backoffCap; a round that succeeds
// resets it.
const (
	backoffBase = time.Second
	backoffCap  = 60 * time.Second
)

// backoff is an exponential delay from backoffBase to backoffCap. The zero
// value is ready.
type backoff struct{ next time.Duration }

// failed returns the delay before the next attempt and doubles the one after.
func (b *backoff) failed() time.Duration {
	if b.next <= 0 {
		b.next = backoffBase
	}
	d := b.next
	b.next = min(2*b.next, backoffCap)
	return d
}

// reset starts the next failure at the base delay again.
func (b *backoff) reset() { b.next = 0 }

// sleepCtx waits d, or less if ctx ends first (then it returns ctx's error).
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
