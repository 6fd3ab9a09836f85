package devnet

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/term"
)

// liveWriter is the devnet's output. On a terminal each status frame
// replaces the previous one in place (the cursor moves up over its lines
// and the screen is cleared below), unless another line was written since:
// that line stays, and the frame is drawn under it. Anywhere else (a file,
// a pipe, a test's buffer) frames are appended as a plain log.
type liveWriter struct {
	mu  sync.Mutex
	out io.Writer
	tty bool
	// lines is how many lines the last frame took, while it is still the
	// last thing on the screen; 0 otherwise.
	lines int
}

// newLiveWriter wraps out; it redraws in place when out is a terminal.
func newLiveWriter(out io.Writer) *liveWriter {
	f, ok := out.(*os.File)
	return &liveWriter{out: out, tty: ok && term.IsTerminal(int(f.Fd()))}
}

// Write writes a log line; the next frame is drawn below it.
func (w *liveWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines = 0
	return w.out.Write(p)
}

// frame draws one status reading, over the previous one on a terminal.
func (w *liveWriter) frame(p []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.tty && w.lines > 0 {
		fmt.Fprintf(w.out, "\x1b[%dA\x1b[J", w.lines)
	}
	_, _ = w.out.Write(p)
	w.lines = 0
	if w.tty {
		w.lines = bytes.Count(p, []byte{'\n'})
	}
}
