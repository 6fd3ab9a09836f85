package pherry

import (
	"log/slog"
	"time"
)

// progress tracks sync rates for the operator's log.
type progress struct {
	start        time.Time
	lastLog      time.Time
	lastHeight   int64
	lastApplied  uint64
	height       int64
	chainHeight  int64
	totalApplied uint64
	ingressTotal uint64
	egressSent   uint64
	stalled      string // why the last round failed; "" if it did not
}

func (p *progress) synced(h int64) { p.height = h }
func (p *progress) applied(n int)  { p.totalApplied += uint64(n) }
func (p *progress) sent(n int)     { p.egressSent += uint64(n) }

// maybeLog logs heights, blocks/s, messages/s and the ETA to catch up on
// ingress, every interval.
func (p *progress) maybeLog(log *slog.Logger, interval time.Duration) {
	now := time.Now()
	if p.lastLog.IsZero() {
		p.lastLog, p.lastHeight, p.lastApplied = now, p.height, p.totalApplied
		return
	}
	dt := now.Sub(p.lastLog).Seconds()
	if dt < interval.Seconds() {
		return
	}
	if p.stalled != "" {
		// Nothing moved because something is down: no rate, no ETA.
		log.Warn("sync stalled", "synced_height", p.height, "chain_height", p.chainHeight, "reason", p.stalled)
		p.lastLog, p.lastHeight, p.lastApplied = now, p.height, p.totalApplied
		return
	}
	blocksPerSec := float64(p.height-p.lastHeight) / dt
	msgsPerSec := float64(p.totalApplied-p.lastApplied) / dt
	eta := "caught up"
	if behind := p.ingressTotal - min(p.ingressTotal, p.lastApplied+(p.totalApplied-p.lastApplied)); behind > 0 && msgsPerSec > 0 {
		eta = (time.Duration(float64(behind)/msgsPerSec) * time.Second).String()
	}
	log.Info("sync progress", "synced_height", p.height, "chain_height", p.chainHeight,
		"blocks_per_s", round1(blocksPerSec), "ingress_per_s", round1(msgsPerSec),
		"ingress_applied", p.totalApplied, "egress_sent", p.egressSent, "eta", eta)
	p.lastLog, p.lastHeight, p.lastApplied = now, p.height, p.totalApplied
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
