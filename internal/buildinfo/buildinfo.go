// Package buildinfo is the version and commit a binary was built from, for
// `gkd version`, `pruntime --version` and `pherry --version`.
//
// `make build` injects both from the tree with -ldflags -X (see the
// Makefile), so that binaries built from the same commit print the same and,
// with -trimpath and -buildvcs=false, are the same bytes on every machine. A
// plain `go build` injects nothing: Version then falls back to the module
// version of the build info ("devel" in a checkout) and Commit to the VCS
// revision Go stamped, if any ("unknown" otherwise).
package buildinfo

import (
	"fmt"
	"runtime/debug"
)

// Set with -ldflags "-X github.com/gatekeeper-net/gatekeeper/internal/buildinfo.version=..."
// (and .commit=...). Unexported so that nothing but the linker sets them.
var (
	version string
	commit  string
)

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

// Commit is the injected commit, else the VCS revision stamped by go build,
// else "unknown".
func Commit() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// String is the one line the --version flags print: "NAME VERSION (commit COMMIT)".
func String(name string) string {
	return fmt.Sprintf("%s %s (commit %s)", name, Version(), Commit())
}
