package catchup_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/e2etest"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
)

// process is a child process this test started, with its output in a file.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan error
	out  string // path of the output file
}

func startProcess(t *testing.T, name, outPath, bin string, args ...string) *process {
	t.Helper()
	f, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	p := &process{name: name, cmd: exec.Command(bin, args...), done: make(chan error, 1), out: outPath}
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("%s: %v", name, err)
	}
	go func() { p.done <- p.cmd.Wait(); f.Close() }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			if b, err := os.ReadFile(outPath); err == nil {
				t.Logf("%s output (tail):\n%s", name, e2etest.Tail(string(b), 30))
			}
		}
	})
	return p
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// stop ends the process with SIGKILL, if it still runs, and waits for it:
// a pRuntime once its part is measured, so that it holds no memory or CPU
// during the rest of the run, and everything at the end. Nothing here needs
// a clean shutdown; a paused (SIGSTOPped) devnet dies of SIGKILL too.
func (p *process) stop() {
	if p.exited() == nil {
		_ = p.cmd.Process.Kill()
		err := <-p.done
		p.done <- err
	}
}

// interrupt sends SIGINT, as Ctrl-C does, and waits for a clean exit.
func (p *process) interrupt(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Fatalf("%s exited with %v after SIGINT", p.name, err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not stop within 60s of SIGINT", p.name)
	}
}

// exited reports an exit that happened already, without waiting.
func (p *process) exited() error {
	select {
	case err := <-p.done:
		p.done <- err
		if err == nil {
			err = fmt.Errorf("%s exited", p.name)
		}
		return fmt.Errorf("%s exited: %w", p.name, err)
	default:
		return nil
	}
}

// pruntimeProc is a fresh pruntime process following one chain.
type pruntimeProc struct {
	*process
	url    string
	client *api.Client
}

// startPRuntime runs `pruntime run` on a new data dir for chain c, with the
// devnet's operator and sim measurement, and returns once it answers.
func startPRuntime(t *testing.T, bin string, c *chain, name string) *pruntimeProc {
	t.Helper()
	dataDir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", e2etest.FreePort(t))
	p := &pruntimeProc{url: "http://" + addr, client: api.NewClient("http://" + addr)}
	p.process = startProcess(t, name, filepath.Join(dataDir, "pruntime.out"), bin, "run",
		"--data-dir", dataDir, "--listen", addr,
		"--chain-id", c.chainID, "--operator", c.operator,
		"--genesis-validators-hash", hex.EncodeToString(c.trustRoot),
		"--sim-measurement", hex.EncodeToString(pruntime.DevnetMeasurement()))
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		_, err := p.client.Info(ctx)
		cancel()
		if err == nil {
			return p
		}
		if e := p.exited(); e != nil {
			t.Fatal(e)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer within 20s: %v", name, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// memStatus is the resident memory of a process, from /proc/<pid>/status.
type memStatus struct {
	RSS int64 // VmRSS, KiB: resident now
	HWM int64 // VmHWM, KiB: the peak resident size over the process's life
}

func readMem(pid int) (memStatus, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memStatus{}, err
	}
	defer f.Close()
	var m memStatus
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return memStatus{}, fmt.Errorf("/proc/%d/status %s: %w", pid, k, err)
		}
		if k == "VmRSS" {
			m.RSS = n
		} else {
			m.HWM = n
		}
	}
	if m.HWM == 0 {
		return m, fmt.Errorf("/proc/%d/status: no VmHWM", pid)
	}
	return m, sc.Err()
}

func mustMem(t *testing.T, pid int) memStatus {
	t.Helper()
	m, err := readMem(pid)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// clockTick is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// which Linux fixes at 100 on every architecture Go runs on.
const clockTick = 10 * time.Millisecond

// cpuTime is the user+system CPU time a process has used, all threads,
// from /proc/<pid>/stat (10 ms resolution).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name is in parentheses and may hold spaces; the fields
	// after it start with the state (field 3); utime and stime are 14, 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// selfCPU is this test process's user+system CPU time: the relayer, the
// references and the Go runtime behind them.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuMeter reads the CPU time of the pRuntime, the node and this process,
// so that a phase's wall time can be split between them.
type cpuMeter struct{ pids []int }

type cpuReading []time.Duration // per pid, then this process

func (m cpuMeter) read(t *testing.T) cpuReading {
	t.Helper()
	r := make(cpuReading, 0, len(m.pids)+1)
	for _, pid := range m.pids {
		d, err := cpuTime(pid)
		if err != nil {
			t.Fatal(err)
		}
		r = append(r, d)
	}
	return append(r, selfCPU())
}

func (r cpuReading) since(before cpuReading) cpuReading {
	out := make(cpuReading, len(r))
	for i := range r {
		out[i] = r[i] - before[i]
	}
	return out
}

// rssSampler polls a process's VmRSS and keeps the largest value: a check
// on VmHWM, which the kernel keeps exactly but over the process's life.
type rssSampler struct {
	stop chan struct{}
	wg   sync.WaitGroup
	max  int64
}

func sampleRSS(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{stop: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tk := time.NewTicker(every)
		defer tk.Stop()
		for {
			if m, err := readMem(pid); err == nil {
				s.max = max(s.max, m.RSS)
			}
			select {
			case <-s.stop:
				return
			case <-tk.C:
			}
		}
	}()
	return s
}

// done stops sampling and returns the peak VmRSS seen, KiB.
func (s *rssSampler) done() int64 {
	close(s.stop)
	s.wg.Wait()
	return s.max
}
