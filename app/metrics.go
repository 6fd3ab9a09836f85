package app

import (
	"context"
	"errors"
	"math/big"
	"strconv"
	"strings"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	"github.com/prometheus/client_golang/prometheus"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/gatekeeper-net/gatekeeper/internal/buildinfo"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	computationtypes "github.com/gatekeeper-net/gatekeeper/x/computation/types"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// moduleMetrics are the chain-side metrics of x/gatekeeper, x/registry,
// x/mq and x/computation (docs/monitoring.md). The gauges are read from the
// latest committed state at each scrape, through a query context as gRPC
// queries are, so nothing here runs in or writes to consensus; only the
// registrations counter is fed from block execution (Finalize only).
type moduleMetrics struct {
	app           *App
	registrations *prometheus.CounterVec

	up, height, gatekeepers, masterVersion, rotationPhase, rotationTo,
	rangeObjects, rangeFinished, rangeProgress, migrationPhase, workers,
	sessions, paid, treasury, quorumPending, quorumVotes *prometheus.Desc
}

// rotationPhases and migrationPhases are the phase label values, one per
// enum value but UNSPECIFIED.
var (
	rotationPhases = []gatekeepertypes.RotationPhase{gatekeepertypes.ROTATION_PHASE_PROPOSING, gatekeepertypes.ROTATION_PHASE_ACKING,
		gatekeepertypes.ROTATION_PHASE_REENCRYPTING, gatekeepertypes.ROTATION_PHASE_RETIRING, gatekeepertypes.ROTATION_PHASE_DONE}
	migrationPhases = []gatekeepertypes.MigrationPhase{gatekeepertypes.MIGRATION_PHASE_SCHEDULED, gatekeepertypes.MIGRATION_PHASE_DONE,
		gatekeepertypes.MIGRATION_PHASE_CANCELLED}
	sessionStatuses = []computationtypes.SessionStatus{computationtypes.SESSION_STATUS_COMPUTING, computationtypes.SESSION_STATUS_UNRESPONSIVE,
		computationtypes.SESSION_STATUS_COOLING_DOWN}
)

func newModuleMetrics(app *App) *moduleMetrics {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &moduleMetrics{
		app: app,
		registrations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gkd_registrations_total",
			Help: "Worker registrations executed in blocks, by result (accepted, rejected) and, when rejected, the chain's reason (the registered error's text)."},
			[]string{"result", "reason"}),
		up:            d("gkd_module_metrics_up", "1 when the module metrics below were read from committed state at this scrape, 0 when reading failed (or before the first block)."),
		height:        d("gkd_module_metrics_height", "The committed height the module metrics were read at."),
		gatekeepers:   d("gkd_gatekeepers", "Gatekeepers by state: designated (the whole set) and live (holding the master key history).", "state"),
		masterVersion: d("gkd_master_key_version", "Newest master key version on chain (-1: none yet)."),
		rotationPhase: d("gkd_rotation_phase", "1 for the phase of the newest master key rotation, 0 for the others (all 0: no rotation ever).", "phase"),
		rotationTo:    d("gkd_rotation_to_version", "to_version of the newest master key rotation."),
		rangeObjects: d("gkd_rotation_range_objects", "Re-encryption progress of each range of the newest rotation, as last reported on chain: done, total, failed.",
			"range", "state"),
		rangeFinished:  d("gkd_rotation_range_finished", "1 when the range of the newest rotation is finished and verified.", "range"),
		rangeProgress:  d("gkd_rotation_range_progress_height", "Block of the range's latest progress report (0: none yet).", "range"),
		migrationPhase: d("gkd_migration_phase", "1 for the phase of the newest pRuntime migration, 0 for the others (all 0: none ever).", "phase"),
		workers:        d("gkd_registered_workers", "Workers registered on chain."),
		sessions:       d("gkd_computing_sessions", "Computing sessions by status.", "status"),
		paid:           d("gkd_computation_paid", "Sum of total_paid over the sessions on chain, in the computation denom's base units.", "denom"),
		treasury:       d("gkd_treasury_balance", "Balance of the computation treasury account, in base units.", "denom"),
		quorumPending:  d("gkd_quorum_pending_messages", "Gatekeeper quorum channels (lane; default: the unnamed one): sequence numbers holding votes that have not reached the quorum yet.", "channel"),
		quorumVotes:    d("gkd_quorum_votes", "Gatekeeper quorum channels: votes stored for sequences not delivered yet.", "channel"),
	}
}

// observeRegistration counts one registration executed in a block.
func (m *moduleMetrics) observeRegistration(err error) {
	if err == nil {
		m.registrations.WithLabelValues("accepted", "").Inc()
		return
	}
	m.registrations.WithLabelValues("rejected", rejectReason(err)).Inc()
}

// rejectReason is the registered error's text (a fixed set, so a bounded
// label), or "other".
func rejectReason(err error) string {
	var e *errorsmod.Error
	if errors.As(err, &e) {
		return e.Codespace() + ": " + e.Error()
	}
	return "other"
}

// Describe implements prometheus.Collector.
func (m *moduleMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.up, m.height, m.gatekeepers, m.masterVersion, m.rotationPhase, m.rotationTo,
		m.rangeObjects, m.rangeFinished, m.rangeProgress, m.migrationPhase, m.workers, m.sessions, m.paid, m.treasury,
		m.quorumPending, m.quorumVotes} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: it reads the latest committed
// state. A failed read reports gkd_module_metrics_up 0 and nothing else,
// rather than failing the node's whole metrics endpoint.
func (m *moduleMetrics) Collect(ch chan<- prometheus.Metric) {
	var out []prometheus.Metric
	ctx, err := m.app.CreateQueryContext(0, false)
	if err == nil {
		out, err = m.read(ctx)
	}
	if err != nil {
		ch <- prometheus.MustNewConstMetric(m.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(m.up, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(m.height, prometheus.GaugeValue, float64(ctx.BlockHeight()))
	for _, x := range out {
		ch <- x
	}
}

func (m *moduleMetrics) read(ctx sdk.Context) ([]prometheus.Metric, error) {
	var out []prometheus.Metric
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		out = append(out, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...))
	}
	for _, step := range []func(context.Context, func(*prometheus.Desc, float64, ...string)) error{
		m.readGatekeepers, m.readRotation, m.readMigration, m.readWorkers, m.readComputation, m.readQuorum,
	} {
		if err := step(ctx, gauge); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type gaugeFunc = func(*prometheus.Desc, float64, ...string)

func (m *moduleMetrics) readGatekeepers(ctx context.Context, gauge gaugeFunc) error {
	k := m.app.GatekeeperKeeper
	designated, live := 0, 0
	if err := k.Gatekeepers.Walk(ctx, nil, func(_ []byte, g gatekeepertypes.Gatekeeper) (bool, error) {
		designated++
		if g.LiveHeight > 0 {
			live++
		}
		return false, nil
	}); err != nil {
		return err
	}
	gauge(m.gatekeepers, float64(designated), "designated")
	gauge(m.gatekeepers, float64(live), "live")
	newest := -1.0
	it, err := k.MasterKeys.Iterate(ctx, new(collections.Range[uint32]).Descending())
	if err != nil {
		return err
	}
	defer it.Close()
	if it.Valid() {
		v, err := it.Key()
		if err != nil {
			return err
		}
		newest = float64(v)
	}
	gauge(m.masterVersion, newest)
	return nil
}

func (m *moduleMetrics) readRotation(ctx context.Context, gauge gaugeFunc) error {
	it, err := m.app.GatekeeperKeeper.Rotations.Iterate(ctx, new(collections.Range[uint32]).Descending())
	if err != nil {
		return err
	}
	defer it.Close()
	var r gatekeepertypes.Rotation
	if it.Valid() {
		if r, err = it.Value(); err != nil {
			return err
		}
		gauge(m.rotationTo, float64(r.ToVersion))
	}
	for _, p := range rotationPhases {
		gauge(m.rotationPhase, boolGauge(it.Valid() && r.Phase == p), phaseLabel(p.String(), "ROTATION_PHASE_"))
	}
	for i, g := range r.Gatekeepers {
		rg := strconv.Itoa(i)
		gauge(m.rangeObjects, float64(g.Done), rg, "done")
		gauge(m.rangeObjects, float64(g.Total), rg, "total")
		gauge(m.rangeObjects, float64(g.Failed), rg, "failed")
		gauge(m.rangeFinished, boolGauge(g.Finished), rg)
		gauge(m.rangeProgress, float64(g.ProgressHeight), rg)
	}
	return nil
}

func (m *moduleMetrics) readMigration(ctx context.Context, gauge gaugeFunc) error {
	mig, ok, err := m.app.migrations.LastMigration(ctx)
	if err != nil {
		return err
	}
	for _, p := range migrationPhases {
		gauge(m.migrationPhase, boolGauge(ok && mig.Phase == p), phaseLabel(p.String(), "MIGRATION_PHASE_"))
	}
	return nil
}

func (m *moduleMetrics) readWorkers(ctx context.Context, gauge gaugeFunc) error {
	n := 0
	// The values are not decoded: only the count is wanted.
	it, err := m.app.RegistryKeeper.Workers.IterateRaw(ctx, nil, nil, collections.OrderAscending)
	if err != nil {
		return err
	}
	defer it.Close()
	for ; it.Valid(); it.Next() {
		n++
	}
	gauge(m.workers, float64(n))
	return nil
}

func (m *moduleMetrics) readComputation(ctx context.Context, gauge gaugeFunc) error {
	k := m.app.ComputationKeeper
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	byStatus := map[computationtypes.SessionStatus]int{}
	paid := math.ZeroInt()
	if err := k.Sessions.Walk(ctx, nil, func(_ []byte, s computationtypes.Session) (bool, error) {
		byStatus[s.Status]++
		if !s.TotalPaid.IsNil() {
			paid = paid.Add(s.TotalPaid)
		}
		return false, nil
	}); err != nil {
		return err
	}
	for _, s := range sessionStatuses {
		gauge(m.sessions, float64(byStatus[s]), phaseLabel(s.String(), "SESSION_STATUS_"))
	}
	gauge(m.paid, intGauge(paid), params.Denom)
	bal := m.app.BankKeeper.GetBalance(ctx, authtypes.NewModuleAddress(computationtypes.TreasuryName), params.Denom)
	gauge(m.treasury, intGauge(bal.Amount), params.Denom)
	return nil
}

func (m *moduleMetrics) readQuorum(ctx context.Context, gauge gaugeFunc) error {
	type channel struct {
		key, name   string
		seqs, votes int
		lastSeq     uint64
	}
	// Votes are keyed (origin, seq, signer): each channel's votes are
	// contiguous and its sequences ascending.
	var chans []*channel
	err := m.app.MQKeeper.Votes.Walk(ctx, nil, func(key collections.Triple[[]byte, uint64, []byte], _ []byte) (bool, error) {
		if n := len(chans); n == 0 || chans[n-1].key != string(key.K1()) {
			o, err := protocol.OriginFromKey(key.K1())
			if err != nil {
				return true, err
			}
			name := o.Lane()
			if name == "" {
				name = "default"
			}
			chans = append(chans, &channel{key: string(key.K1()), name: name})
		}
		c := chans[len(chans)-1]
		if c.votes == 0 || c.lastSeq != key.K2() {
			c.seqs++
			c.lastSeq = key.K2()
		}
		c.votes++
		return false, nil
	})
	if err != nil {
		return err
	}
	for _, c := range chans {
		gauge(m.quorumPending, float64(c.seqs), c.name)
		gauge(m.quorumVotes, float64(c.votes), c.name)
	}
	return nil
}

// phaseLabel is an enum value's name without its prefix, in lower case.
func phaseLabel(name, prefix string) string {
	return strings.ToLower(strings.TrimPrefix(name, prefix))
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// intGauge converts an amount to a float64 for display; precision loss
// above 2^53 base units does not matter to a dashboard.
func intGauge(i math.Int) float64 {
	f, _ := new(big.Float).SetInt(i.BigInt()).Float64()
	return f
}

// RegisterMetrics registers the chain-side metrics of our modules and
// gkd_build_info on reg. gkd start registers them on Prometheus's default
// registry, which the node serves when CometBFT's instrumentation has
// prometheus = true (config.toml).
func (app *App) RegisterMetrics(reg prometheus.Registerer) error {
	for _, c := range app.MetricCollectors() {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// MetricCollectors are what RegisterMetrics registers.
func (app *App) MetricCollectors() []prometheus.Collector {
	return []prometheus.Collector{app.metrics, app.metrics.registrations,
		buildinfo.Gauge("gkd_build_info", buildinfo.Labels(nil))}
}
