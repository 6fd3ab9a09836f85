package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gatekeeper-net/gatekeeper/internal/atomicfile"
)

// File names inside Config.Dir. A checkpoint's name carries its height in
// fixed-width decimal, so lexical and numeric order agree:
//
//	checkpoint-00000000000000001234.sealed          a committed checkpoint
//	checkpoint-00000000000000001234.sealed.corrupt  one Latest could not use
//	.tmp-checkpoint-00000000000000001234.sealed-*   a Save in progress, or a crash's leftover
const (
	namePrefix    = "checkpoint-"
	nameSuffix    = ".sealed"
	heightDigits  = 20 // len of math.MaxUint64 in decimal
	corruptSuffix = ".corrupt"
	tempMark      = ".tmp-"
	tempPrefix    = tempMark + namePrefix
)

// fileName returns the name of the checkpoint for height.
func fileName(height uint64) string {
	return fmt.Sprintf("%s%0*d%s", namePrefix, heightDigits, height, nameSuffix)
}

// parseFileName returns the height a checkpoint file name encodes. It accepts
// exactly the names fileName produces.
func parseFileName(name string) (uint64, bool) {
	s, ok := strings.CutPrefix(name, namePrefix)
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, nameSuffix)
	if !ok || len(s) != heightDigits {
		return 0, false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h, err := strconv.ParseUint(s, 10, 64) // rejects values above MaxUint64
	return h, err == nil
}

func isTempName(name string) bool { return strings.HasPrefix(name, tempPrefix) }

// testHook, when set by this package's tests, is called at every step of
// publish and prune at which a crash leaves a distinct state on disk, so that
// a test can kill the process there. Nil outside tests.
var testHook func(point string)

func hook(point string) {
	if testHook != nil {
		testHook(point)
	}
}

// publish creates dir/name holding data so that the name, once visible,
// refers to the complete, durable contents, through atomicfile (temp file
// named with tempMark, fsync, rename, directory fsync). A crash before the
// rename leaves only a temporary file, which Open removes and nothing reads;
// after it, the whole file. When publish returns nil the file survives power
// loss.
func publish(dir, name string, data []byte) error {
	opts := atomicfile.Options{TempPattern: tempMark + name + "-*"} // mode 0600
	if testHook != nil {
		opts.Hook = func(s atomicfile.Step) error {
			hook(string(s))
			return nil
		}
	}
	return atomicfile.WriteWith(filepath.Join(dir, name), data, opts)
}

// removeTemps deletes what crashed Saves left behind.
func removeTemps(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	removed := false
	for _, e := range entries {
		if !isTempName(e.Name()) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		removed = true
	}
	if removed {
		return syncDir(dir)
	}
	return nil
}

// makeDir creates dir with mode 0700 if it does not exist, and syncs the new
// entry into its parent so that files written into it survive a crash.
func makeDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return syncDir(filepath.Dir(filepath.Clean(dir)))
}

// syncDir makes directory entry changes in dir durable.
func syncDir(dir string) error { return atomicfile.SyncDir(dir) }
