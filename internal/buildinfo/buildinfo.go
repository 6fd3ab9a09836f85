// Package buildinfo names the running build for the *_build_info metrics
// every binary exports (docs/monitoring.md): its version, the VCS commit it
// was built from and the Go version.
package buildinfo

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// Unknown is a label value the build does not record (a test binary, or a
// build outside a VCS checkout or with -buildvcs=false).
const Unknown = "unknown"

// Commit is the VCS revision the binary was built from, with "-dirty" when
// the work tree had changes, or Unknown.
func Commit() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Unknown
	}
	return commit(bi.Settings)
}

func commit(settings []debug.BuildSetting) string {
	rev, dirty := "", false
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	switch {
	case rev == "":
		return Unknown
	case dirty:
		return rev + "-dirty"
	}
	return rev
}

// ModuleVersion is the main module's version as the go command stamped it
// (a tagged `go install`), or "devel".
func ModuleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// Labels are a build's labels: version, commit and goversion, plus extra
// (for the pRuntime: tee_kind and measurement).
func Labels(version string, extra prometheus.Labels) prometheus.Labels {
	l := prometheus.Labels{"version": version, "commit": Commit(), "goversion": runtime.Version()}
	for k, v := range extra {
		l[k] = v
	}
	return l
}

// Gauge is a <name> gauge of constant value 1 whose labels describe the
// build, the Prometheus convention for build information: it joins other
// series with `* on(instance) group_left(version) <name>`.
func Gauge(name string, labels prometheus.Labels) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name,
		Help: "Always 1; the labels name the running build (version, commit, goversion and, on the pRuntime, tee_kind and measurement).", ConstLabels: labels})
	g.Set(1)
	return g
}
