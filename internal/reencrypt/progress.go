package reencrypt

import (
	"fmt"
	"io"
	"time"
)

// MaxReportedFailures bounds Progress.Failures (and the journal's failure
// list): a flood of failures means a wrong key or a wrong store, and the
// names of the first thousand say so as well as a million would. Failed
// always counts them all.
const MaxReportedFailures = 1000

// Failure is an object the job could not bring to key version To. Every
// failure blocks retirement of the old key version.
type Failure struct {
	Name   string // the store's object name
	Reason string // why, without key or plaintext bytes
}

// Progress is a snapshot of a job. Counts cover the whole job, including
// runs before a resume (from the journal); Bytes, Processed and Elapsed cover
// the current run only, and are what rates are computed from.
type Progress struct {
	// Total is the number of objects in the range: those the journal
	// records as handled, plus those the run listed beyond its checkpoint.
	Total uint64
	// Done counts objects now at key version To: re-encrypted, found already
	// there, or deleted by their app since the listing.
	Done uint64
	// Reencrypted counts the objects of Done this job rewrote.
	Reencrypted uint64
	// Failed counts objects that could not be brought to version To.
	Failed uint64
	// Failures names them, sorted, at most MaxReportedFailures.
	Failures []Failure
	// Bytes is the stored size of the blobs this run re-encrypted.
	Bytes uint64
	// Processed counts the objects this run handled, whatever the outcome.
	Processed uint64
	// Elapsed is the time since this run started.
	Elapsed time.Duration
	// Resumed is true when the run continued from a journal.
	Resumed bool
}

// Remaining is the number of objects not handled yet.
func (p Progress) Remaining() uint64 {
	if h := p.Done + p.Failed; h < p.Total {
		return p.Total - h
	}
	return 0
}

// Complete reports whether every listed object was handled.
func (p Progress) Complete() bool { return p.Remaining() == 0 }

// Retirable reports whether the job is complete without failures: the
// condition for this range to count toward retiring the old key version.
func (p Progress) Retirable() bool { return p.Complete() && p.Failed == 0 }

// BytesPerSecond is this run's re-encryption rate in blob bytes per second.
func (p Progress) BytesPerSecond() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Bytes) / p.Elapsed.Seconds()
}

// ETA estimates the time left from this run's object rate; ok is false
// until the run has handled an object.
func (p Progress) ETA() (d time.Duration, ok bool) {
	if p.Processed == 0 || p.Elapsed <= 0 {
		return 0, p.Remaining() == 0
	}
	per := float64(p.Elapsed) / float64(p.Processed)
	return time.Duration(per * float64(p.Remaining())), true
}

// String renders a one-line status, the format ProgressBar prints:
//
//	re-encrypting: 1234/5000 (24.7%) 310 MB/s ETA 12s
//	re-encrypting: 5000/5000 (100.0%) 305 MB/s done, 2 failed
func (p Progress) String() string {
	handled := p.Done + p.Failed
	pct := 100.0
	if p.Total > 0 {
		pct = 100 * float64(handled) / float64(p.Total)
	}
	s := fmt.Sprintf("re-encrypting: %d/%d (%.1f%%) %.0f MB/s", handled, p.Total, pct, p.BytesPerSecond()/1e6)
	if p.Complete() {
		s += " done"
	} else if eta, ok := p.ETA(); ok {
		s += " ETA " + eta.Round(time.Second).String()
	} else {
		s += " ETA ?"
	}
	if p.Failed > 0 {
		s += fmt.Sprintf(", %d failed", p.Failed)
	}
	return s
}

// ProgressBar returns an OnProgress callback that writes one status line
// (Progress.String) per snapshot to w, for a person watching a CLI. Write
// errors are ignored: a closed terminal must not stop a rotation.
func ProgressBar(w io.Writer) func(Progress) {
	return func(p Progress) {
		_, _ = io.WriteString(w, p.String()+"\n")
	}
}
