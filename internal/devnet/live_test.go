package devnet

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestLiveWriterRedrawsInPlaceOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	w := &liveWriter{out: &buf, tty: true}
	w.frame([]byte("height 1\nworkers 2\n"))
	w.frame([]byte("height 2\nworkers 2\n"))
	if got, want := buf.String(), "height 1\nworkers 2\n\x1b[2A\x1b[Jheight 2\nworkers 2\n"; got != want {
		t.Fatalf("second frame: got %q, want %q", got, want)
	}

	// A log line written between frames stays on screen: the next frame
	// is drawn under it, not over it.
	buf.Reset()
	_, _ = w.Write([]byte("devnet: gatekeeper launched\n"))
	w.frame([]byte("height 3\n"))
	if got := buf.String(); strings.Contains(got, "\x1b[") {
		t.Fatalf("frame after a log line moved the cursor: %q", got)
	}
	buf.Reset()
	w.frame([]byte("height 4\n"))
	if got, want := buf.String(), "\x1b[1A\x1b[Jheight 4\n"; got != want {
		t.Fatalf("frame after a frame: got %q, want %q", got, want)
	}
}

func TestLiveWriterIsAPlainLogElsewhere(t *testing.T) {
	var buf bytes.Buffer
	w := newLiveWriter(&buf)
	w.frame([]byte("height 1\n"))
	w.frame([]byte("height 2\n"))
	if got := buf.String(); got != "height 1\nheight 2\n" {
		t.Fatalf("buffer: %q", got)
	}
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer pw.Close()
	if newLiveWriter(pw).tty {
		t.Fatal("a pipe was taken for a terminal")
	}
}
