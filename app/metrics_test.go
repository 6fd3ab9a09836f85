package app_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/metricsdoc"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// TestModuleMetrics reads the chain-side metrics from a registry as a
// scrape would, while registrations are accepted and refused and
// gatekeepers designated.
func TestModuleMetrics(t *testing.T) {
	t.Parallel()
	c := apptest.New(t, 1)
	op := c.Accounts[0]
	reg := prometheus.NewRegistry()
	if err := c.App.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if err := c.App.RegisterMetrics(reg); err == nil {
		t.Fatal("registering twice on one registry succeeded")
	}
	m := scrape(t, reg)
	for _, want := range []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"gkd_module_metrics_up", nil, 1},
		{"gkd_module_metrics_height", nil, float64(c.App.LastBlockHeight())},
		{"gkd_registered_workers", nil, 0},
		{"gkd_gatekeepers", map[string]string{"state": "designated"}, 0},
		{"gkd_master_key_version", nil, -1},
		{"gkd_rotation_phase", map[string]string{"phase": "proposing"}, 0},
		{"gkd_migration_phase", map[string]string{"phase": "scheduled"}, 0},
		{"gkd_computing_sessions", map[string]string{"status": "computing"}, 0},
		{"gkd_treasury_balance", map[string]string{"denom": "stake"}, 0},
		{"gkd_build_info", nil, 1},
	} {
		if got := m.value(t, want.name, want.labels); got != want.value {
			t.Errorf("%s%v = %v, want %v", want.name, want.labels, got, want.value)
		}
	}

	w1 := c.RegisterWorker(op)
	w2 := c.RegisterWorker(op)
	bad := c.NewWorker(op).RegisterMsg(op)
	bad.Attestation.Quote = c.SimQuote([32]byte{0xba, 0xd}, protocol.ReportData(apptest.ChainID, c.NewWorker(op).Info), c.Time)
	if res := c.NextBlock(c.Tx(op, 100_000, bad)); res[0].Code == 0 {
		t.Fatal("registration with a measurement not allowed was accepted")
	}
	// CheckTx runs no message: a registration in the mempool is not counted.
	if res := c.CheckTx(c.Tx(op, 100_000, c.NewWorker(op).RegisterMsg(op))); res.Code != 0 {
		t.Fatalf("CheckTx: %d %s", res.Code, res.Log)
	}
	c.AddGatekeepers(w1, w2)

	m = scrape(t, reg)
	for _, want := range []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"gkd_registered_workers", nil, 2},
		{"gkd_registrations_total", map[string]string{"result": "accepted"}, 2},
		{"gkd_gatekeepers", map[string]string{"state": "designated"}, 2},
		{"gkd_gatekeepers", map[string]string{"state": "live"}, 0},
		{"gkd_module_metrics_height", nil, float64(c.App.LastBlockHeight())},
	} {
		if got := m.value(t, want.name, want.labels); got != want.value {
			t.Errorf("%s%v = %v, want %v", want.name, want.labels, got, want.value)
		}
	}
	// The quote binds another worker's info under a foreign measurement:
	// whichever check the registry runs first names the reason.
	rejected := m.series("gkd_registrations_total", map[string]string{"result": "rejected"})
	if len(rejected) != 1 || rejected[0].value != 1 || !strings.HasPrefix(rejected[0].labels["reason"], registrytypes.ModuleName+": ") {
		t.Fatalf("rejected registrations %+v, want one with the registry's reason", rejected)
	}
}

type sample struct {
	labels map[string]string
	value  float64
}

type scraped map[string][]sample

func scrape(t *testing.T, reg *prometheus.Registry) scraped {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := scraped{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			s := sample{labels: map[string]string{}}
			for _, lp := range m.GetLabel() {
				s.labels[lp.GetName()] = lp.GetValue()
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				s.value = m.GetCounter().GetValue()
			default:
				s.value = m.GetGauge().GetValue()
			}
			out[mf.GetName()] = append(out[mf.GetName()], s)
		}
	}
	return out
}

// series are name's samples whose labels include labels.
func (s scraped) series(name string, labels map[string]string) []sample {
	var out []sample
	for _, x := range s[name] {
		match := true
		for k, v := range labels {
			match = match && x.labels[k] == v
		}
		if match {
			out = append(out, x)
		}
	}
	return out
}

func (s scraped) has(name string, labels map[string]string) bool {
	return len(s.series(name, labels)) > 0
}

func (s scraped) value(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	got := s.series(name, labels)
	if len(got) != 1 {
		t.Fatalf("%s%v: %d series, want 1", name, labels, len(got))
	}
	return got[0].value
}

// TestModuleMetricsQuorumBacklog reads the quorum channel's backlog while
// votes wait for a quorum of two gatekeepers out of three.
func TestModuleMetricsQuorumBacklog(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	c := apptest.NewWithOptions(t, apptest.Options{Accounts: 3, Routes: []apptest.Route{rec.route()}})
	op, r1, r2 := c.Accounts[0], c.Accounts[1], c.Accounts[2]
	gk1, gk2, gk3 := c.RegisterWorker(op), c.RegisterWorker(op), c.RegisterWorker(op)
	c.AddGatekeepers(gk1, gk2, gk3)
	pushTestTasks(c, 2)
	reg := prometheus.NewRegistry()
	if err := c.App.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if got := scrape(t, reg).series("gkd_quorum_pending_messages", nil); len(got) != 0 {
		t.Fatalf("backlog with no vote: %+v", got)
	}
	vote := func(relayer *apptest.Account, gk *apptest.Worker, seq uint64) {
		t.Helper()
		res := c.NextBlock(c.Tx(relayer, 0, apptest.SyncMsg(relayer, c.Sign(gk, gkMsg(seq, fmt.Sprint("answer ", seq))))))
		requireOK(t, "vote", res[0].Code, res[0].Log)
	}
	vote(r1, gk1, 0)
	vote(r1, gk1, 1)
	m := scrape(t, reg)
	if p, v := m.value(t, "gkd_quorum_pending_messages", map[string]string{"channel": "default"}),
		m.value(t, "gkd_quorum_votes", map[string]string{"channel": "default"}); p != 2 || v != 2 {
		t.Fatalf("backlog %v messages, %v votes; want 2, 2", p, v)
	}
	vote(r2, gk2, 0) // seq 0 reaches the quorum and is delivered
	m = scrape(t, reg)
	if p := m.value(t, "gkd_quorum_pending_messages", map[string]string{"channel": "default"}); p != 1 {
		t.Fatalf("backlog %v after seq 0 was delivered, want 1", p)
	}
}

// TestMonitoringDocListsEveryMetric: docs/monitoring.md names every metric
// gkd registers for our modules.
func TestMonitoringDocListsEveryMetric(t *testing.T) {
	t.Parallel()
	c := apptest.New(t, 1)
	names, err := metricsdoc.Names(c.App.MetricCollectors()...)
	if err != nil || len(names) < 15 {
		t.Fatalf("names %v: %v", names, err)
	}
	missing, err := metricsdoc.Missing("../docs/monitoring.md", names)
	if err != nil || len(missing) > 0 {
		t.Fatalf("docs/monitoring.md does not list %v (%v)", missing, err)
	}
}
