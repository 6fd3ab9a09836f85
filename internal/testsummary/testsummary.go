// Package testsummary reads the event stream of `go test -json` and writes
// what a person wants from a long test run: the output of every failing
// test, then a table of the top-level tests by duration, slowest first, so
// that slow scenarios are visible in CI logs (see the Makefile's test
// target). It trusts nothing about the stream beyond test2json's format:
// a line that is not a JSON event is passed through as output.
package testsummary

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64 // seconds
	Output  string
}

// Result is one finished top-level test.
type Result struct {
	Package, Test string
	Action        string // pass, fail or skip
	Elapsed       time.Duration
}

// maxLine bounds one line of the stream; longer lines are an error.
const maxLine = 4 << 20

// Summarize copies the stream from r to w as described in the package
// comment and returns the finished top-level tests in the order they ended
// and whether anything failed (a test, or a package that did not build).
func Summarize(r io.Reader, w io.Writer) ([]Result, bool, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	output := map[string]*strings.Builder{} // package/test -> output so far
	var (
		results []Result
		failed  bool
	)
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if err := json.Unmarshal(line, &ev); err != nil || ev.Action == "" {
			fmt.Fprintf(w, "%s\n", line)
			continue
		}
		key := ev.Package + "/" + ev.Test
		switch ev.Action {
		case "build-output":
			io.WriteString(w, ev.Output)
		case "build-fail":
			failed = true
		case "output":
			if ev.Test == "" {
				// Package-level lines: ok/FAIL, build errors, panics.
				if !strings.HasPrefix(ev.Output, "=== ") && !strings.HasPrefix(ev.Output, "PASS") {
					io.WriteString(w, ev.Output)
				}
				continue
			}
			b := output[key]
			if b == nil {
				b = &strings.Builder{}
				output[key] = b
			}
			b.WriteString(ev.Output)
		case "pass", "fail", "skip":
			if ev.Action == "fail" {
				failed = true
				if b := output[key]; b != nil && !isParentOfFailure(output, key) {
					io.WriteString(w, b.String())
				}
			}
			if ev.Test != "" && !strings.Contains(ev.Test, "/") {
				results = append(results, Result{
					Package: ev.Package, Test: ev.Test, Action: ev.Action,
					Elapsed: time.Duration(ev.Elapsed * float64(time.Second)),
				})
			}
			if ev.Test == "" || !strings.Contains(ev.Test, "/") {
				// A finished top-level test (or package) frees its subtests' output.
				for k := range output {
					if k == key || strings.HasPrefix(k, key+"/") {
						delete(output, k)
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return results, true, fmt.Errorf("testsummary: reading the test stream: %w", err)
	}
	WriteTable(w, results)
	return results, failed, nil
}

// isParentOfFailure: a failing parent's output repeats its failed
// subtests' lines, which were already printed; print the subtests only.
func isParentOfFailure(output map[string]*strings.Builder, key string) bool {
	for k := range output {
		if strings.HasPrefix(k, key+"/") {
			return true
		}
	}
	return false
}

// WriteTable writes results slowest first, then their total.
func WriteTable(w io.Writer, results []Result) {
	if len(results) == 0 {
		return
	}
	sorted := slices.Clone(results)
	slices.SortStableFunc(sorted, func(a, b Result) int {
		if c := cmp.Compare(b.Elapsed, a.Elapsed); c != 0 {
			return c
		}
		return cmp.Compare(a.Package+a.Test, b.Package+b.Test)
	})
	var total time.Duration
	fmt.Fprintf(w, "\n--- test durations (top-level tests, slowest first) ---\n")
	for _, r := range sorted {
		total += r.Elapsed
		fmt.Fprintf(w, "%9.1fs  %-4s  %s %s\n", r.Elapsed.Seconds(), r.Action, r.Package, r.Test)
	}
	fmt.Fprintf(w, "%9.1fs  total of %d tests (parallel tests overlap)\n", total.Seconds(), len(sorted))
}
