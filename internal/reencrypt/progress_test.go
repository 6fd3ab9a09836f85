package reencrypt_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/reencrypt"
)

func TestProgressString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    reencrypt.Progress
		want string
	}{
		{"running", reencrypt.Progress{Total: 5000, Done: 1234, Bytes: 1_240_000_000, Processed: 1234, Elapsed: 4 * time.Second},
			"re-encrypting: 1234/5000 (24.7%) 310 MB/s ETA 12s"},
		{"not started", reencrypt.Progress{Total: 10}, "re-encrypting: 0/10 (0.0%) 0 MB/s ETA ?"},
		{"done with failures", reencrypt.Progress{Total: 5000, Done: 4998, Failed: 2, Bytes: 305e6, Processed: 5000, Elapsed: time.Second},
			"re-encrypting: 5000/5000 (100.0%) 305 MB/s done, 2 failed"},
		{"empty range", reencrypt.Progress{}, "re-encrypting: 0/0 (100.0%) 0 MB/s done"},
		{"resumed", reencrypt.Progress{Total: 100, Done: 60, Processed: 10, Elapsed: time.Second, Resumed: true},
			"re-encrypting: 60/100 (60.0%) 0 MB/s ETA 4s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.p.String(); got != tc.want {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
			var buf bytes.Buffer
			reencrypt.ProgressBar(&buf)(tc.p)
			if buf.String() != tc.want+"\n" {
				t.Fatalf("ProgressBar wrote %q", buf.String())
			}
		})
	}
}

func TestProgressPredicates(t *testing.T) {
	t.Parallel()
	p := reencrypt.Progress{Total: 3, Done: 2, Failed: 1}
	if !p.Complete() || p.Retirable() || p.Remaining() != 0 {
		t.Fatalf("%+v: complete %v retirable %v", p, p.Complete(), p.Retirable())
	}
	p.Failed = 0
	if p.Complete() || p.Retirable() || p.Remaining() != 1 {
		t.Fatalf("%+v: complete %v retirable %v", p, p.Complete(), p.Retirable())
	}
}
