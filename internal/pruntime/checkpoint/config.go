package checkpoint

import (
	"errors"
	"fmt"
)

// Bounds of Config.Keep.
const (
	// DefaultKeep is the Keep of DefaultConfig.
	DefaultKeep = 3
	// MinKeep is the smallest Keep accepted: with one checkpoint on disk, a
	// corrupt one would leave nothing to fall back to.
	MinKeep = 2
)

// Config configures a Store.
type Config struct {
	// Dir holds the checkpoint files; Open creates it (mode 0700) if
	// missing. Files whose names this package does not use are left alone.
	// Required: where sealed state lives is the caller's decision.
	Dir string
	// Keep is how many of the newest checkpoints Save leaves on disk, at
	// least MinKeep.
	Keep int
}

// DefaultConfig returns the default configuration. Its Dir is empty.
func DefaultConfig() Config {
	return Config{Keep: DefaultKeep}
}

// Validate checks every field and names the first bad one.
func (c Config) Validate() error {
	if c.Dir == "" {
		return errors.New("checkpoint: config: Dir: must be set")
	}
	if c.Keep < MinKeep {
		return fmt.Errorf("checkpoint: config: Keep: %d, must be at least %d", c.Keep, MinKeep)
	}
	return nil
}
