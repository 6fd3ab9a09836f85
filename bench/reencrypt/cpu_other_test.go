//go:build !linux

package reencrypt_test

import "time"

// cpuTime is not measured here: the report prints 0 cores.
func cpuTime() time.Duration { return 0 }
