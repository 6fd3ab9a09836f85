// Package buildinfo names the running build: the version and commit that
// `gkd version`, `pruntime --version` and `pherry --version` print, and the
// labels of the *_build_info metric every binary exports
// (docs/monitoring.md).
//
// `make build` injects version and commit from the tree with -ldflags -X
// (see the Makefile), so that binaries built from the same commit print the
// same and, with -trimpath and -buildvcs=false, are the same bytes on every
// machine. A plain `go build` injects nothing: Version then falls back to
// the module version of the build info ("devel" in a checkout) and Commit
// to the VCS revision Go stamped, with "-dirty" for a modified tree, if any
// (Unknown otherwise).
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// Set with -ldflags "-X github.com/gatekeeper-net/gatekeeper/internal/buildinfo.version=..."
// (and .commit=...). Unexported so that nothing but the linker sets them.
var (
	version string
	commit  string
)

// Unknown is a commit the build does not record (a test binary, or a
// plain build outside a VCS checkout or with -buildvcs=false).
const Unknown = "unknown"

// Version is the injected version, else the module version, else "devel".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// Commit is the injected commit, else the VCS revision stamped by go build
// (with "-dirty" when the work tree had changes), else Unknown.
func Commit() string {
	if commit != "" {
		return commit
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Unknown
	}
	return vcsCommit(bi.Settings)
}

func vcsCommit(settings []debug.BuildSetting) string {
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

// String is the one line the --version flags print: "NAME VERSION (commit COMMIT)".
func String(name string) string {
	return fmt.Sprintf("%s %s (commit %s)", name, Version(), Commit())
}

// Labels are the build's labels: version, commit and goversion, plus extra
// (for the pRuntime: tee_kind and measurement).
func Labels(extra prometheus.Labels) prometheus.Labels {
	l := prometheus.Labels{"version": Version(), "commit": Commit(), "goversion": runtime.Version()}
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
