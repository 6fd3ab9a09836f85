package buildinfo

import (
	"maps"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestInjectedValuesWin: what the linker injects is what is printed and
// labelled.
func TestInjectedValuesWin(t *testing.T) {
	oldV, oldC := version, commit
	t.Cleanup(func() { version, commit = oldV, oldC })
	version, commit = "v1.2.3-4-gabcdef0", "abcdef0123456789abcdef0123456789abcdef01"
	if got, want := String("pherry"), "pherry v1.2.3-4-gabcdef0 (commit abcdef0123456789abcdef0123456789abcdef01)"; got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
	if l := Labels(nil); l["version"] != version || l["commit"] != commit {
		t.Fatalf("Labels = %v", l)
	}
}

// TestFallbacks: a plain go build (nothing injected) still prints a
// non-empty version and commit.
func TestFallbacks(t *testing.T) {
	oldV, oldC := version, commit
	t.Cleanup(func() { version, commit = oldV, oldC })
	version, commit = "", ""
	if Version() == "" || Commit() == "" || strings.Contains(String("x"), "()") {
		t.Fatalf("empty fallback: %q", String("x"))
	}
}

func TestVCSCommit(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings []debug.BuildSetting
		want     string
	}{
		{"no vcs", nil, Unknown},
		{"clean", []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "false"}}, "abc123"},
		{"dirty", []debug.BuildSetting{{Key: "vcs.modified", Value: "true"}, {Key: "vcs.revision", Value: "abc123"}}, "abc123-dirty"},
		{"modified without revision", []debug.BuildSetting{{Key: "vcs.modified", Value: "true"}}, Unknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := vcsCommit(tc.settings); got != tc.want {
				t.Fatalf("vcsCommit = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestGauge(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(Gauge("x_build_info", Labels(prometheus.Labels{"tee_kind": "sim"})))
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || len(mfs[0].GetMetric()) != 1 {
		t.Fatalf("gathered %v, %v", mfs, err)
	}
	m := mfs[0].GetMetric()[0]
	got := map[string]string{}
	for _, lp := range m.GetLabel() {
		got[lp.GetName()] = lp.GetValue()
	}
	want := map[string]string{"version": Version(), "commit": Commit(), "goversion": runtime.Version(), "tee_kind": "sim"}
	if !maps.Equal(got, want) || m.GetGauge().GetValue() != 1 {
		t.Fatalf("x_build_info = %v %v, want %v 1", got, m.GetGauge().GetValue(), want)
	}
}
