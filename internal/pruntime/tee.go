package pruntime

import (
	"crypto/sha256"
	"path/filepath"

	"github.com/gatekeeper-net/gatekeeper/internal/tee"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/sim"
)

// OpenSimTEE opens the sim backend under dataDir/tee with an explicit
// measurement (nil: the SHA-256 of the running binary).
func OpenSimTEE(dataDir string, measurement []byte) (tee.TEE, error) {
	cfg := sim.DefaultConfig()
	cfg.Dir = filepath.Join(dataDir, "tee")
	cfg.Measurement = measurement
	return sim.Open(cfg)
}

// DevnetMeasurement is the sim measurement devnet pRuntimes report: derived
// from the pRuntime version, not the binary, so that rebuilding gkd does not
// orphan a devnet's sealed state.
func DevnetMeasurement() []byte {
	m := sha256.Sum256([]byte("gatekeeper devnet pruntime " + Version))
	return m[:]
}
