package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/e2etest"
)

// Ports this test's own listeners (the pRuntime and Prometheus) take; the
// devnet's come from e2etest.FreePortOffset like every other scenario's.
const promPortLo, promPortHi = 34000, 34999

// promFor is the `for:` duration the test gives PRuntimeLagging and
// PRuntimeNotReady instead of the shipped 30s and 5m, so that it runs in
// about two minutes; their expressions are the shipped ones, unchanged.
const promFor = 5 * time.Second

// TestPrometheusLagAlert is issue 13's first "done when": a real Prometheus
// (Debian's package) scrapes a pRuntime fed by a relayer, with the shipped
// alert rules; the relayer stops; the pRuntime's readiness turns red and
// PRuntimeLagging fires within the bound docs/monitoring.md states. Opt in
// with GK_E2E_PROMETHEUS=1 (over a minute of waiting: the rule's 60 s
// threshold is kept).
func TestPrometheusLagAlert(t *testing.T) {
	if os.Getenv("GK_E2E_PROMETHEUS") == "" {
		t.Skip("set GK_E2E_PROMETHEUS=1 to run a real Prometheus against a devnet (about 2 minutes)")
	}
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("GK_E2E_PROMETHEUS is set but prometheus is not installed (apt-get install prometheus)")
	}
	const scrape = time.Second
	c := startChain(t)
	p := newPruntimeProc(t, c, "operator")
	addr := fmt.Sprintf("127.0.0.1:%d", e2etest.FreePortIn(t, promPortLo, promPortHi))
	for i := range p.args {
		switch {
		case i > 0 && p.args[i-1] == "--listen":
			p.args[i] = addr
		case i > 0 && p.args[i-1] == "--endpoint":
			p.args[i] = "http://" + addr
		}
	}
	p.url = "http://" + addr
	p.args = append(p.args, "--ready-max-lag", "5s")
	p.start(t)
	loop := startRelayLoop(t, c.relayer(t, "operator", p.url, p.log), p.log)
	eventually(t, 120*time.Second, "the pRuntime registered and ready", func() bool {
		resp, err := http.Get(p.url + "/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	dir := t.TempDir()
	rules := shortenedRules(t, dir)
	cfg := fmt.Sprintf("global:\n  scrape_interval: %s\n  evaluation_interval: %s\nrule_files:\n  - %s\nscrape_configs:\n  - job_name: pruntime\n    static_configs:\n      - targets: ['%s']\n",
		scrape, scrape, rules, addr)
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	promAddr := fmt.Sprintf("127.0.0.1:%d", e2etest.FreePortIn(t, promPortLo, promPortHi))
	promLog := &syncBuffer{}
	prom := exec.Command(promBin, "--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr)
	prom.Stdout, prom.Stderr = promLog, promLog
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = prom.Process.Kill()
		_ = prom.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", e2etest.Tail(promLog.String(), 40))
		}
	})
	// Until its TSDB is open Prometheus answers queries 503 (seen on a
	// loaded machine): wait for /-/ready first.
	eventually(t, 60*time.Second, "Prometheus ready", func() bool {
		resp, err := http.Get("http://" + promAddr + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	q := func(expr string) []promSample { return promQuery(t, "http://"+promAddr, expr) }

	eventually(t, 60*time.Second, "Prometheus to scrape pruntime_ready 1", func() bool {
		return len(q(`pruntime_ready{job="pruntime"} == 1`)) == 1
	})
	// A fed pRuntime raises no lag alert, pending or firing.
	time.Sleep(promFor + 3*scrape)
	if a := q(`ALERTS{alertname=~"PRuntimeLagging|PRuntimeNotReady"}`); len(a) != 0 {
		t.Fatalf("alerts while the relayer runs: %v", a)
	}

	loop.stop()
	stopped := time.Now()
	time.Sleep(2 * scrape) // a scrape after the last sync
	lastHeader := q(`pruntime_synced_header_timestamp_seconds`)
	if len(lastHeader) != 1 {
		t.Fatalf("pruntime_synced_header_timestamp_seconds: %v", lastHeader)
	}
	eventually(t, 60*time.Second, "pruntime_ready 0 in Prometheus", func() bool {
		return len(q(`pruntime_ready{job="pruntime"} == 0`)) == 1
	})
	red := time.Since(stopped)
	eventually(t, 60*time.Second, "PRuntimeNotReady firing", func() bool {
		return len(q(`ALERTS{alertname="PRuntimeNotReady",alertstate="firing"}`)) == 1
	})
	notReady := time.Since(stopped)
	// The documented bound: 60 s (the expression's threshold) + for + one
	// scrape and one evaluation interval after the last verified header,
	// which is no later than the stop.
	bound := 60*time.Second + promFor + 2*scrape
	eventually(t, bound+30*time.Second, "PRuntimeLagging firing", func() bool {
		return len(q(`ALERTS{alertname="PRuntimeLagging",alertstate="firing"}`)) == 1
	})
	lagging := time.Since(stopped)
	// Measured from the last verified header's time (block time), as the
	// bound is stated; the test polls every 250 ms, hence the extra second.
	headerTS, err := strconv.ParseFloat(fmt.Sprint(lastHeader[0].Value[1]), 64)
	if err != nil {
		t.Fatalf("header timestamp %v: %v", lastHeader[0].Value, err)
	}
	sinceHeader := time.Since(time.Unix(0, int64(headerTS*1e9)))
	t.Logf("after the relayer stopped: pruntime_ready 0 at %s, PRuntimeNotReady firing at %s, PRuntimeLagging firing at %s (%s after the last verified header; bound %s; for: shortened to %s, scrape and evaluation every %s)",
		red.Round(100*time.Millisecond), notReady.Round(100*time.Millisecond), lagging.Round(100*time.Millisecond),
		sinceHeader.Round(100*time.Millisecond), bound, promFor, scrape)
	if sinceHeader > bound+time.Second {
		t.Fatalf("PRuntimeLagging fired %s after the last verified header, beyond the documented bound %s", sinceHeader, bound)
	}
	if sinceHeader < 60*time.Second {
		t.Fatalf("PRuntimeLagging fired %s after the last verified header, before its 60 s threshold", sinceHeader)
	}
}

// shortenedRules writes deploy/prometheus/alerts.yml into dir with the
// `for:` of PRuntimeLagging and PRuntimeNotReady set to promFor and every
// other line unchanged, and returns the file's path.
func shortenedRules(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile("../deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, name := range []string{"PRuntimeLagging", "PRuntimeNotReady"} {
		re := regexp.MustCompile(`(?s)(- alert: ` + name + `\n.*?\n\s*for: )\S+`)
		if !re.MatchString(text) {
			t.Fatalf("alerts.yml: no for: under %s", name)
		}
		text = re.ReplaceAllString(text, "${1}"+promFor.String())
	}
	if !strings.Contains(text, "expr: time() - pruntime_synced_header_timestamp_seconds > 60") {
		t.Fatal("alerts.yml: PRuntimeLagging's expression changed; update this test and docs/monitoring.md")
	}
	path := filepath.Join(dir, "alerts.yml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("promtool", "check", "rules", path).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	return path
}

type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"`
}

// promQuery runs an instant query through Prometheus' HTTP API.
func promQuery(t *testing.T, base, expr string) []promSample {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil // not up yet
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []promSample `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Status != "success" {
		t.Fatalf("query %q: %s %v %s", expr, resp.Status, err, r.Error)
	}
	return r.Data.Result
}
