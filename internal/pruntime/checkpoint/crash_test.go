//go:build unix

package checkpoint_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/checkpoint"
)

// The crash tests run Save in a child process — this test binary re-executed
// into TestCrashChild — and kill it with SIGKILL mid-way, then check from
// the parent that Open and Latest find the previous checkpoint or the new
// one, whole, with nothing skipped. SIGKILL cannot be caught, so the child
// gets no chance to clean up: what is on disk is what a crash leaves.

const crashEnv = "GATEKEEPER_CHECKPOINT_CRASH_CHILD"

// crashSpec tells the child what to do.
type crashSpec struct {
	Dir, KeyDir string
	Keep        int
	Height      uint64
	Size        int
	// KillAt > 0 makes the child kill itself at the KillAt-th crash point
	// inside Save; 0 leaves the killing to the parent.
	KillAt int
}

// TestCrashChild is the child process of the crash tests, not a test.
func TestCrashChild(t *testing.T) {
	raw := os.Getenv(crashEnv)
	if raw == "" {
		t.Skip("runs only as the child process of the crash tests")
	}
	var spec crashSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, spec.Dir, openTEE(t, spec.KeyDir, measurementA), spec.Keep)
	payload := payloadFor(spec.Height, spec.Size)
	if spec.KillAt > 0 {
		n := 0
		checkpoint.SetTestHook(func(point string) {
			if n++; n == spec.KillAt {
				fmt.Printf("point %s\n", point)
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // until the signal lands
			}
		})
	}
	fmt.Println("ready")
	start := time.Now()
	if err := s.Save(spec.Height, payload); err != nil {
		t.Fatalf("Save: %v", err)
	}
	fmt.Printf("done %d\n", time.Since(start))
}

// childResult is what the parent saw of one child.
type childResult struct {
	killed  bool          // ended by SIGKILL
	done    bool          // Save returned nil
	point   string        // the crash point, if the child killed itself there
	elapsed time.Duration // Save's duration, if done
}

// runChild runs a child for spec and, if killAfter >= 0, kills it that long
// after it reports ready, just before calling Save.
func runChild(t *testing.T, spec crashSpec, killAfter time.Duration) childResult {
	t.Helper()
	env, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.v=false")
	cmd.Env = append(os.Environ(), crashEnv+"="+string(env))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	first, err := r.ReadString('\n')
	if first != "ready\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child: %q, %v; stderr:\n%s", first, err, stderr.String())
	}
	if killAfter >= 0 {
		time.Sleep(killAfter)
		_ = cmd.Process.Kill() // fails harmlessly if the child already exited
	}
	rest, _ := io.ReadAll(r)
	waitErr := cmd.Wait()

	var res childResult
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		res.killed = true
	} else if waitErr != nil {
		t.Fatalf("child failed: %v; stdout:\n%s\nstderr:\n%s", waitErr, rest, stderr.String())
	}
	for line := range strings.Lines(string(rest)) {
		switch f := strings.Fields(line); {
		case len(f) == 2 && f[0] == "point":
			res.point = f[1]
		case len(f) == 2 && f[0] == "done":
			res.done = true
			ns, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatalf("child: %q", line)
			}
			res.elapsed = time.Duration(ns)
		}
	}
	if res.done == res.killed && !(res.done && killAfter >= 0) {
		// Done and killed together happens only when the parent's kill
		// raced the child's exit; anything else is a broken child.
		t.Fatalf("child: killed %v, done %v; stdout:\n%s\nstderr:\n%s", res.killed, res.done, rest, stderr.String())
	}
	return res
}

// recoverAfterCrash reopens f's directory as a restarted pRuntime would and
// checks that it holds prev's or next's checkpoint intact, no temporary
// files, and nothing corrupt. It returns the height found.
func recoverAfterCrash(t *testing.T, f *fixture, keep int, prev, next uint64, size int) uint64 {
	t.Helper()
	s := openStore(t, f.dir, f.tee, keep)
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), checkpoint.TempMark) || strings.HasSuffix(e.Name(), ".corrupt") {
			t.Fatalf("after Open: %s left in Dir", e.Name())
		}
	}
	cp, skipped, err := s.Latest()
	if err != nil || len(skipped) != 0 {
		t.Fatalf("Latest after crash: %v, skipped %v", err, skipped)
	}
	if cp.Height != prev && cp.Height != next {
		t.Fatalf("Latest after crash = height %d, want %d or %d", cp.Height, prev, next)
	}
	if !bytes.Equal(cp.Payload, payloadFor(cp.Height, size)) {
		t.Fatalf("Latest after crash: height %d with a wrong %d-byte payload", cp.Height, len(cp.Payload))
	}
	return cp.Height
}

// TestCrashAtEveryStep kills Save at each of its crash points in turn, until
// a Save runs through.
func TestCrashAtEveryStep(t *testing.T) {
	t.Parallel()
	const keep, size = 2, 64 << 10
	f := newFixture(t, keep)
	for h := uint64(1); h <= 2; h++ {
		if err := f.store.Save(h, payloadFor(h, size)); err != nil {
			t.Fatal(err)
		}
	}
	// After these points the rename has happened and the new checkpoint
	// must survive a process crash.
	committedAfter := []string{"rename", "sync-dir", "prune"}
	var points []string
	prev := uint64(2)
	for k := 1; ; k++ {
		if k > 50 {
			t.Fatalf("Save still not through after %d crash points: %v", k-1, points)
		}
		next := prev + 1
		res := runChild(t, crashSpec{Dir: f.dir, KeyDir: f.keyDir, Keep: keep, Height: next, Size: size, KillAt: k}, -1)
		got := recoverAfterCrash(t, f, keep, prev, next, size)
		if res.done {
			if got != next {
				t.Fatalf("Save returned nil, Latest = %d", got)
			}
			// Pruning caught up with what the crashes left behind.
			wantList(t, f.store, next-1, next)
			break
		}
		points = append(points, res.point)
		if want := slices.Contains(committedAfter, res.point); (got == next) != want {
			t.Fatalf("killed at %q: Latest = %d (previous %d); want the new one: %v", res.point, got, prev, want)
		}
		prev = got
	}
	t.Logf("killed at: %v", points)
	for _, p := range []string{"create", "write", "sync", "rename", "sync-dir", "prune"} {
		if !slices.Contains(points, p) {
			t.Errorf("crash point %q never reached; points %v", p, points)
		}
	}
}

// TestCrashAtRandomMoments kills Save from outside at random moments within
// its measured duration, which also lands inside system calls (a half-done
// write) that the crash points cannot reach.
func TestCrashAtRandomMoments(t *testing.T) {
	t.Parallel()
	const keep, size, iterations = 2, 4 << 20, 24
	f := newFixture(t, keep)
	if err := f.store.Save(1, payloadFor(1, size)); err != nil {
		t.Fatal(err)
	}
	spec := crashSpec{Dir: f.dir, KeyDir: f.keyDir, Keep: keep, Size: size}

	// Calibrate: how long does one Save take in a child?
	spec.Height = 2
	cal := runChild(t, spec, -1)
	if !cal.done {
		t.Fatal("calibration child did not finish")
	}
	prev := recoverAfterCrash(t, f, keep, 1, 2, size)
	window := cal.elapsed * 5 / 4

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	var kept, committed, finished int
	for range iterations {
		next := prev + 1
		spec.Height = next
		delay := time.Duration(rng.Int64N(int64(window) + 1))
		res := runChild(t, spec, delay)
		got := recoverAfterCrash(t, f, keep, prev, next, size)
		switch {
		case res.done && got != next:
			t.Fatalf("seed %d: Save returned nil, Latest = %d", seed, got)
		case res.done:
			finished++
		case got == next:
			committed++
		default:
			kept++
		}
		prev = got
	}
	t.Logf("seed %d, Save takes %v: of %d kills within %v, %d kept the previous checkpoint, %d left the new one committed, %d came after Save returned",
		seed, cal.elapsed, iterations, window, kept, committed, finished)
	if kept+committed == 0 {
		t.Error("no kill landed inside Save")
	}
}
