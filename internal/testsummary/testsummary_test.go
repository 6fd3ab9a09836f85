package testsummary_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/testsummary"
)

const stream = `{"Action":"start","Package":"p/e2e"}
{"Action":"run","Package":"p/e2e","Test":"TestFast"}
{"Action":"output","Package":"p/e2e","Test":"TestFast","Output":"=== RUN   TestFast\n"}
{"Action":"output","Package":"p/e2e","Test":"TestFast","Output":"quiet line of a passing test\n"}
{"Action":"pass","Package":"p/e2e","Test":"TestFast","Elapsed":1.5}
{"Action":"run","Package":"p/e2e","Test":"TestSlow"}
{"Action":"run","Package":"p/e2e","Test":"TestSlow/sub"}
{"Action":"output","Package":"p/e2e","Test":"TestSlow/sub","Output":"    slow_test.go:9: the gatekeeper never went live\n"}
{"Action":"fail","Package":"p/e2e","Test":"TestSlow/sub","Elapsed":40}
{"Action":"output","Package":"p/e2e","Test":"TestSlow","Output":"--- FAIL: TestSlow (42.00s)\n"}
{"Action":"fail","Package":"p/e2e","Test":"TestSlow","Elapsed":42}
{"Action":"run","Package":"p/e2e","Test":"TestSkipped"}
{"Action":"skip","Package":"p/e2e","Test":"TestSkipped","Elapsed":0}
{"Action":"output","Package":"p/e2e","Output":"FAIL\tp/e2e\t43.6s\n"}
{"Action":"fail","Package":"p/e2e","Elapsed":43.6}
not json at all
`

func TestSummarize(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	results, failed, err := testsummary.Summarize(strings.NewReader(stream), &out)
	if err != nil {
		t.Fatal(err)
	}
	if !failed {
		t.Error("a failing test and package: want failed")
	}
	if len(results) != 3 {
		t.Fatalf("results %+v, want the 3 top-level tests", results)
	}
	got := out.String()
	for _, want := range []string{
		"the gatekeeper never went live", // failing subtest's output
		"FAIL\tp/e2e\t43.6s",             // package line
		"not json at all",                // passed through
		"42.0s  fail  p/e2e TestSlow\n      1.5s  pass  p/e2e TestFast\n      0.0s  skip  p/e2e TestSkipped\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "quiet line of a passing test") {
		t.Errorf("a passing test's output was printed:\n%s", got)
	}
}

func TestSummarizePassing(t *testing.T) {
	t.Parallel()
	in := `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0.2}
{"Action":"pass","Package":"p","Elapsed":0.3}
`
	var out bytes.Buffer
	if _, failed, err := testsummary.Summarize(strings.NewReader(in), &out); err != nil || failed {
		t.Fatalf("failed=%v err=%v, want a pass:\n%s", failed, err, out.String())
	}
}

func TestSummarizeBuildFailure(t *testing.T) {
	t.Parallel()
	in := `{"ImportPath":"p","Action":"build-output","Output":"x.go:1: syntax error\n"}
{"ImportPath":"p","Action":"build-fail"}
{"Action":"fail","Package":"p","Elapsed":0}
`
	var out bytes.Buffer
	if _, failed, err := testsummary.Summarize(strings.NewReader(in), &out); err != nil || !failed {
		t.Fatalf("failed=%v err=%v, want a failure", failed, err)
	}
	if !strings.Contains(out.String(), "syntax error") {
		t.Fatalf("build output missing:\n%s", out.String())
	}
}
