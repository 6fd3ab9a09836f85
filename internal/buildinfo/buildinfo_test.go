package buildinfo

import (
	"maps"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestCommit(t *testing.T) {
	t.Parallel()
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
			t.Parallel()
			if got := commit(tc.settings); got != tc.want {
				t.Fatalf("commit = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestGauge(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(Gauge("x_build_info", Labels("v1.2.3", prometheus.Labels{"tee_kind": "sim"})))
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || len(mfs[0].GetMetric()) != 1 {
		t.Fatalf("gathered %v, %v", mfs, err)
	}
	m := mfs[0].GetMetric()[0]
	got := map[string]string{}
	for _, lp := range m.GetLabel() {
		got[lp.GetName()] = lp.GetValue()
	}
	want := map[string]string{"version": "v1.2.3", "commit": Commit(), "goversion": runtime.Version(), "tee_kind": "sim"}
	if !maps.Equal(got, want) || m.GetGauge().GetValue() != 1 {
		t.Fatalf("x_build_info = %v %v, want %v 1", got, m.GetGauge().GetValue(), want)
	}
}
