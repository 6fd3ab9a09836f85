package pruntime

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
	"github.com/gatekeeper-net/gatekeeper/internal/reencrypt"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// The re-encryption of a rotation (DESIGN §6 "Rotation", issue 5 point 3),
// run by the gatekeeper a range is assigned to. It is long, so it runs in
// its own goroutine (RunReencryption), outside ingress processing; it reads
// the job and the two master key versions from the committed state, and
// writes back only progress reports, each a committed state change whose
// egress carries registry/reencrypt_progress (as SyncEgressAck commits).
//
// It starts only once every cluster key of the new version is on chain and
// ReencryptDelayBlocks more blocks passed, so that the workers received
// their copies and can read what is rewritten; they read blobs of both
// versions meanwhile (the app API opens a blob under the version its header
// names). The journal is sealed by the TEE in the data dir, so a restart at
// any point resumes. The range is reported finished only after
// reencrypt.Verify found every object of it at the new version: an app that
// saved under the old version after the job listed the store (a worker
// without the new key yet) is caught there, and the job runs again.

// ReencryptJournalFile is the re-encryption journal's file name in the data
// dir (sealed; see reencrypt.Journal).
const ReencryptJournalFile = "reencrypt.journal"

// reencryptRetry is how long a job that failed (a store error, failed
// objects) waits before it runs again.
const reencryptRetry = 30 * time.Second

// reencryptor runs this gatekeeper's share of a rotation's re-encryption and
// reports it.
type reencryptor struct {
	r *Runtime
}

// reencryptStatus is the running job's latest progress, for /get_info.
type reencryptStatus struct {
	mu  sync.Mutex
	job reencrypt.Job
	p   reencrypt.Progress
	ok  bool
}

func (s *reencryptStatus) set(job reencrypt.Job, p reencrypt.Progress) {
	s.mu.Lock()
	s.job, s.p, s.ok = job, p, true
	s.mu.Unlock()
}

func (s *reencryptStatus) get() (reencrypt.Job, reencrypt.Progress, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.job, s.p, s.ok
}

// wakeReencrypt tells RunReencryption that a job may be ready.
func (rj *reencryptor) wakeReencrypt() {
	select {
	case rj.r.reencWake <- struct{}{}:
	default:
	}
}

func (rj *reencryptor) journalPath() string {
	return filepath.Join(rj.r.cfg.DataDir, ReencryptJournalFile)
}

func (rj *reencryptor) removeReencryptJournal() {
	if err := os.Remove(rj.journalPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		rj.r.log.Warn("removing the re-encryption journal", "err", err)
	}
}

// reencryptJob is a job ready to run, with the keys it needs and its
// journal's path.
type reencryptJob struct {
	job     reencrypt.Job
	keys    reencrypt.MasterKeys
	journal string
}

// readyJob returns this gatekeeper's next re-encryption job if one should
// run now: its own range (unless the chain reassigned it away), then the
// ranges it adopted from stalled gatekeepers, each with its own journal.
func (rj *reencryptor) readyJob() (reencryptJob, bool) {
	rj.r.mu.Lock()
	defer rj.r.mu.Unlock()
	rs := rj.r.st.Rotation
	if rs == nil || !rs.Reencrypts() || !rj.r.st.GK.Live || len(rs.PendingClusters) > 0 ||
		rj.r.height() < rs.ClustersHeight+rj.r.cfg.ReencryptDelayBlocks {
		return reencryptJob{}, false
	}
	index, journal := rs.Range, rj.journalPath()
	if rs.Finished || rs.RangeState == state.RangeLost {
		i := slices.IndexFunc(rs.Adopted, func(a state.AdoptedRange) bool { return !a.Finished })
		if i < 0 {
			return reencryptJob{}, false
		}
		index, journal = rs.Adopted[i].Range, fmt.Sprintf("%s.%d", rj.journalPath(), rs.Adopted[i].Range)
	}
	from, to := rj.r.master.Get(rs.From), rj.r.master.Get(rs.To)
	if from == nil || to == nil {
		return reencryptJob{}, false
	}
	return reencryptJob{
		job:     reencrypt.Job{From: rs.From, To: rs.To, Range: reencrypt.Range{Index: index, Count: rs.Ranges}},
		keys:    reencrypt.MasterKeys{from, to},
		journal: journal,
	}, true
}

// syncedHeight is the height this pRuntime has synced to.
func (rj *reencryptor) syncedHeight() int64 {
	rj.r.mu.Lock()
	defer rj.r.mu.Unlock()
	return rj.r.height()
}

// RunReencryption runs this gatekeeper's re-encryption jobs over store until
// ctx ends: whenever the committed state assigns one and it is ready, and
// again after a restart (the journal resumes it).
func (r *Runtime) RunReencryption(ctx context.Context, store statestore.Store) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if j, ok := r.reencWork.readyJob(); ok {
			if r.reencWork.runReencryptJob(ctx, store, j) {
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(reencryptRetry):
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-r.reencWake:
		case <-tick.C:
		}
	}
}

// runReencryptJob runs j once: the engine, then Verify. It reports whether
// the caller may look for work again at once (finished, or the job must run
// again without delay); false means wait before retrying.
func (rj *reencryptor) runReencryptJob(ctx context.Context, store statestore.Store, j reencryptJob) bool {
	log := rj.r.log.With("subsystem", "reencrypt", "job", j.job.String())
	journal, err := reencrypt.NewJournal(j.journal, rj.r.tee)
	if err != nil {
		log.Error("re-encryption journal", "err", err)
		return false
	}
	cfg := reencrypt.DefaultConfig()
	cfg.Log = log
	var lastReport time.Time
	cfg.OnProgress = func(p reencrypt.Progress) {
		rj.r.reenc.set(j.job, p)
		rj.setReencryptGauges(p)
		if time.Since(lastReport) >= rj.r.cfg.ReencryptReportInterval && !p.Complete() {
			lastReport = time.Now()
			rj.reportReencrypt(j.job, p, false, 0, log)
		}
	}
	p, err := reencrypt.Run(ctx, store, j.keys, j.job, journal, cfg)
	for i := range j.keys {
		j.keys[i] = nil
	}
	if err != nil {
		if ctx.Err() == nil {
			log.Error("re-encryption stopped; retrying", "err", err, "retry_in", reencryptRetry)
		}
		return false
	}
	if !p.Retirable() {
		// Failed objects: reported by name, they hold retirement back. A
		// fresh run retries them (an operator may have restored them).
		rj.reportReencrypt(j.job, p, false, 0, log)
		log.Error("re-encryption left failed objects; retirement waits", "failed", p.Failed, "retry_in", reencryptRetry)
		_ = journal.Remove()
		return false
	}
	// The verify pass begins at this synced height: every cluster member
	// that acknowledged the new version on chain at or below it saved its
	// last old-version blob before this listing (see x/registry's sweep).
	verifiedAt := rj.syncedHeight()
	v, err := reencrypt.Verify(ctx, store, j.job, reencrypt.DefaultConfig())
	if err != nil {
		if ctx.Err() == nil {
			log.Error("re-encryption verify failed; retrying", "err", err, "retry_in", reencryptRetry)
		}
		return false
	}
	if !v.Retirable() {
		// Objects saved under the old version after the job listed the
		// store: run the job again from the start.
		log.Warn("verify found objects not at the new key version; re-encrypting again", "objects", v.Failed)
		_ = journal.Remove()
		return true
	}
	rj.r.reenc.set(j.job, v)
	rj.setReencryptGauges(v)
	rj.reportReencrypt(j.job, v, true, verifiedAt, log)
	return true
}

// reportReencrypt commits a progress report of job: a state change whose
// egress carries it, checkpointed at once. finished only after Verify,
// which began at synced height verifiedAt; a pass that began below the
// chain's sweep height is not reported finished, and the job runs again.
func (rj *reencryptor) reportReencrypt(job reencrypt.Job, p reencrypt.Progress, finished bool, verifiedAt int64, log *slog.Logger) {
	rep := progressReport(job, p, finished)
	rj.r.mu.Lock()
	defer rj.r.mu.Unlock()
	rs := rj.r.st.Rotation
	if rs == nil || !rs.Reencrypts() || rs.To != job.To {
		return
	}
	adopted := slices.IndexFunc(rs.Adopted, func(a state.AdoptedRange) bool { return a.Range == job.Range.Index })
	own := job.Range.Index == rs.Range && rs.RangeState == state.RangeAssigned
	if !own && adopted < 0 {
		return // no longer this gatekeeper's range
	}
	done, total, failed, fin := rs.Done, rs.Total, rs.Failed, rs.Finished
	if !own {
		a := rs.Adopted[adopted]
		done, total, failed, fin = a.Done, a.Total, a.Failed, a.Finished
	}
	if fin {
		return
	}
	if finished && verifiedAt < rs.SweepHeight {
		log.Info("verify pass began before the sweep; verifying again", "verified_at", verifiedAt, "sweep_height", rs.SweepHeight)
		return
	}
	if done == rep.Done && total == rep.Total && failed == rep.Failed && !finished && (done|total) != 0 {
		return // nothing new to tell the chain
	}
	if rep.Finished {
		rep.VerifiedHeight = uint64(max(verifiedAt, 0))
	}
	next := rj.r.st.Clone()
	if err := rj.r.sign.emit(&next, protocol.TopicReencryptProgress, rep.Encode()); err != nil {
		log.Error("signing re-encryption progress", "err", err)
		return
	}
	nrs := next.Rotation
	if own {
		nrs.Done, nrs.Total, nrs.Failed, nrs.Finished = rep.Done, rep.Total, rep.Failed, rep.Finished
	} else {
		nrs.Adopted[adopted] = state.AdoptedRange{Range: job.Range.Index, Done: rep.Done, Total: rep.Total, Failed: rep.Failed, Finished: rep.Finished}
	}
	if err := rj.r.commit(next, rj.r.trusted, true); err != nil {
		log.Error("committing re-encryption progress", "err", err)
		return
	}
	eta := "-"
	if d, ok := p.ETA(); ok && !finished {
		eta = d.Round(time.Second).String()
	}
	log.Info("re-encryption progress", "range", job.Range.Index, "done", rep.Done, "total", rep.Total, "failed", rep.Failed, "finished", rep.Finished,
		"mb_per_s", int64(p.BytesPerSecond()/1e6), "eta", eta)
	if rep.Finished {
		if own {
			rj.removeReencryptJournal()
		} else if err := os.Remove(fmt.Sprintf("%s.%d", rj.journalPath(), job.Range.Index)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Warn("removing the re-encryption journal", "err", err)
		}
	}
}

// progressReport is the chain's view of p: counts kept consistent
// (done + failed ≤ total, finished only when they add up) and at most
// MaxFailedNames printable names, ascending.
func progressReport(job reencrypt.Job, p reencrypt.Progress, finished bool) protocol.ReencryptProgress {
	rep := protocol.ReencryptProgress{ToVersion: job.To, Range: job.Range.Index, Done: p.Done, Total: p.Total, Failed: p.Failed}
	if rep.Done+rep.Failed > rep.Total {
		rep.Total = rep.Done + rep.Failed
	}
	rep.Finished = finished && rep.Failed == 0 && rep.Done == rep.Total
	for _, f := range p.Failures {
		if len(rep.FailedNames) == protocol.MaxFailedNames || uint64(len(rep.FailedNames)) == rep.Failed {
			break
		}
		if !printableName(f.Name) || (len(rep.FailedNames) > 0 && rep.FailedNames[len(rep.FailedNames)-1] >= f.Name) {
			continue
		}
		rep.FailedNames = append(rep.FailedNames, f.Name)
	}
	return rep
}

func printableName(s string) bool {
	if len(s) == 0 || len(s) > protocol.MaxFailedNameLen {
		return false
	}
	for i := range len(s) {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func (rj *reencryptor) setReencryptGauges(p reencrypt.Progress) {
	rj.r.metrics.reencryptObjects.WithLabelValues("total").Set(float64(p.Total))
	rj.r.metrics.reencryptObjects.WithLabelValues("done").Set(float64(p.Done))
	rj.r.metrics.reencryptObjects.WithLabelValues("failed").Set(float64(p.Failed))
	rj.r.metrics.reencryptRate.Set(p.BytesPerSecond())
	if d, ok := p.ETA(); ok {
		rj.r.metrics.reencryptETA.Set(d.Seconds())
	}
}
