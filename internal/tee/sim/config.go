package sim

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"time"
)

// Config configures the sim backend.
type Config struct {
	// Dir holds the platform and sealing root keys. Required: keys are never
	// put anywhere implicitly.
	Dir string
	// Measurement is the code identity to report and bind sealing to: nil
	// (or empty) means the SHA-256 of the running executable, like a
	// hardware measurement; otherwise exactly 32 bytes.
	Measurement []byte
	// Now is the clock stamped into quotes; nil means time.Now.
	Now func() time.Time
}

// DefaultConfig returns the default configuration. Its Dir is empty: the
// caller decides where key material lives.
func DefaultConfig() Config {
	return Config{Now: time.Now}
}

// Validate checks every field and names the first bad one.
func (c *Config) Validate() error {
	if c.Dir == "" {
		return errors.New("tee/sim: config: Dir: must be set")
	}
	if n := len(c.Measurement); n != 0 && n != sha256.Size {
		return fmt.Errorf("tee/sim: config: Measurement: %d bytes, want %d (or empty for the executable's SHA-256)", n, sha256.Size)
	}
	return nil
}
