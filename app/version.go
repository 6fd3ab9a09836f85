package app

import "runtime/debug"

// Version is the gkd version: set with -ldflags "-X .../app.Version=v1.2.3",
// else the module version from the build info.
var Version = ""

func init() { //nolint:gochecknoinits // resolves a build-time constant only; no side effects
	if Version != "" {
		return
	}
	Version = "devel"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		Version = bi.Main.Version
	}
}
