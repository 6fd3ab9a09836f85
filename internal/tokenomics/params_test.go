package tokenomics_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	tk "github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

func TestDefaultParams(t *testing.T) {
	t.Parallel()
	p := tk.DefaultParams()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  tk.Fixed
		want string // the value the default should be closest to
	}{
		{"rho", p.Rho, "1.000000666600231"},
		{"slash_rate", p.SlashRate, "0.0000033333333333333333"},
		{"budget_per_block", p.BudgetPerBlock, "100"},
		{"v_max", p.VMax, "30000"},
		{"cost_k", p.CostK, "0.0000000158152587519025875190258751902587519"},
		{"cost_b", p.CostB, "0.0000337114726027397260273972602739726027397"},
		{"treasury_ratio", p.TreasuryRatio, "0.2"},
		{"rig_k", p.RigK, "0.3"},
		{"re", p.Re, "1.3"},
		{"k", p.K, "100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Within one unit in the last place of the exact value.
			want := tk.MustParse(tc.want)
			d := tc.got.Sub(want).Add(want.Sub(tc.got))
			if tk.Epsilon.Less(d) {
				t.Fatalf("%s = %s, want ≈ %s", tc.name, tc.got, tc.want)
			}
		})
	}
	if p.HeartbeatWindow != 10 || p.MinInitP != 50 || p.ExpectedHeartbeatCount != 20 || p.MaxHeartbeatsPerWorkerHour != 2 || p.BlockTimeMs != 12000 || !p.RigB.IsZero() {
		t.Fatalf("integer defaults %+v", p)
	}
}

func TestParamsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		field string
		mut   func(*tk.Params)
	}{
		{"rho", func(p *tk.Params) { p.Rho = tk.MustParse("0.99") }},
		{"rho", func(p *tk.Params) { p.Rho = tk.FromInt(2) }},
		{"slash_rate", func(p *tk.Params) { p.SlashRate = tk.One }},
		{"budget_per_block", func(p *tk.Params) { p.BudgetPerBlock = tk.FromInt(1<<32 + 1) }},
		{"v_max", func(p *tk.Params) { p.VMax = tk.Zero }},
		{"v_max", func(p *tk.Params) { p.VMax = tk.FromInt(1<<31 + 1) }},
		{"cost_k", func(p *tk.Params) { p.CostK = tk.FromInt(2) }},
		{"cost_b", func(p *tk.Params) { p.CostB = tk.FromInt(30001) }},
		{"treasury_ratio", func(p *tk.Params) { p.TreasuryRatio = tk.MustParse("1.01") }},
		{"heartbeat_window", func(p *tk.Params) { p.HeartbeatWindow = 0 }},
		{"heartbeat_window", func(p *tk.Params) { p.HeartbeatWindow = tk.MaxHeartbeatWindow + 1 }},
		{"rig_k", func(p *tk.Params) { p.RigK = tk.FromInt(1<<20 + 1) }},
		{"rig_b", func(p *tk.Params) { p.RigB = tk.FromInt(30001) }},
		{"re", func(p *tk.Params) { p.Re = tk.MustParse("0.5") }},
		{"k", func(p *tk.Params) { p.K = tk.FromInt(1<<31 + 1) }},
		{"min_init_p", func(p *tk.Params) { p.MinInitP = 0 }},
		{"expected_heartbeat_count", func(p *tk.Params) { p.ExpectedHeartbeatCount = 0 }},
		{"max_heartbeats_per_worker_hour", func(p *tk.Params) { p.MaxHeartbeatsPerWorkerHour = 0 }},
		{"block_time_ms", func(p *tk.Params) { p.BlockTimeMs = 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			t.Parallel()
			p := tk.DefaultParams()
			tc.mut(&p)
			err := p.Validate()
			if !errors.Is(err, tk.ErrInvalidParams) || !strings.Contains(err.Error(), tc.field+" ") {
				t.Fatalf("err %v, want ErrInvalidParams naming %s", err, tc.field)
			}
			// The engine refuses to run with them.
			if _, _, err := tk.NewState(0).Apply(p, tk.Block{Height: 1}); !errors.Is(err, tk.ErrInvalidParams) {
				t.Fatalf("Apply: %v", err)
			}
		})
	}
}

func TestParamsEncoding(t *testing.T) {
	t.Parallel()
	p := tk.DefaultParams()
	b, _ := p.MarshalBinary()
	if len(b) != tk.ParamsLen {
		t.Fatalf("len %d", len(b))
	}
	var q tk.Params
	if err := q.UnmarshalBinary(b); err != nil || q != p {
		t.Fatalf("binary round trip: %v", err)
	}
	q.HeartbeatWindow = 11
	if q.Hash() == p.Hash() {
		t.Fatal("hash ignores heartbeat_window")
	}
	bad := append([]byte(nil), b...)
	bad[0] = 2
	for name, in := range map[string][]byte{"short": b[:len(b)-1], "long": append(append([]byte(nil), b...), 0), "version": bad} {
		if err := q.UnmarshalBinary(in); !errors.Is(err, tk.ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	invalid := p
	invalid.VMax = tk.Zero
	ib, _ := invalid.MarshalBinary()
	if err := q.UnmarshalBinary(ib); !errors.Is(err, tk.ErrInvalidParams) {
		t.Errorf("invalid: %v", err)
	}

	j, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(j), `"rho":"1.000000666600231"`) || !strings.Contains(string(j), `"treasury_ratio":"0.2"`) {
		t.Fatalf("json %s", j)
	}
	got, err := tk.ParseParamsJSON(j)
	if err != nil || got != p {
		t.Fatalf("json round trip: %v", err)
	}
	tests := []struct {
		name    string
		in      string
		wantErr error
	}{
		{"missing", strings.Replace(string(j), `"k":"100",`, "", 1), tk.ErrMalformed},
		{"unknown", strings.Replace(string(j), `{`, `{"extra":1,`, 1), tk.ErrMalformed},
		{"number for fixed", strings.Replace(string(j), `"k":"100"`, `"k":100`, 1), tk.ErrMalformed},
		{"bad decimal", strings.Replace(string(j), `"k":"100"`, `"k":"1e2"`, 1), tk.ErrMalformed},
		{"trailing", string(j) + "{}", tk.ErrMalformed},
		{"invalid", strings.Replace(string(j), `"heartbeat_window":10`, `"heartbeat_window":0`, 1), tk.ErrInvalidParams},
	}
	for _, tc := range tests {
		if _, err := tk.ParseParamsJSON([]byte(tc.in)); !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.wantErr)
		}
	}
}

func TestModelFunctions(t *testing.T) {
	t.Parallel()
	p := tk.DefaultParams()
	confs := []struct {
		level   uint32
		want    tk.Fixed
		wantErr error
	}{
		{1, tk.One, nil}, {2, tk.One, nil}, {3, tk.One, nil}, {128, tk.One, nil},
		{4, tk.MustParse("0.8"), nil}, {5, tk.MustParse("0.7"), nil},
		{0, tk.Zero, tk.ErrConfidenceLevel}, {6, tk.Zero, tk.ErrConfidenceLevel}, {127, tk.Zero, tk.ErrConfidenceLevel},
	}
	for _, c := range confs {
		got, err := tk.ConfFactor(c.level)
		if got != c.want || !errors.Is(err, c.wantErr) {
			t.Errorf("ConfFactor(%d) = %s, %v", c.level, got, err)
		}
	}
	if got := p.MinStake(100); got != tk.FromInt(1000) {
		t.Errorf("MinStake(100) = %s", got)
	}
	starts := []struct {
		name    string
		score   uint32
		stake   tk.Fixed
		level   uint32
		want    string // ≈ V_e
		wantErr error
	}{
		{"level 1", 100, tk.FromInt(1000), 1, "1339", nil},                                     // 1.3·(1000 + 30)
		{"level 4", 100, tk.FromInt(1000), 4, "1277.2", nil},                                   // 1.24·1030
		{"level 5", 400, tk.FromInt(2000), 5, "2565.2", nil},                                   // 1.21·(2000+120)
		{"at v_max", 100, tk.MustParse("23046.923076923"), 1, "30000", nil},                    // 1.3·(23046.92… + 30): just below v_max
		{"above v_max", 100, tk.FromInt(100_000), 1, "", tk.ErrStakeTooHigh},                   // the reference refuses it
		{"just above v_max", 100, tk.MustParse("23046.9230769231"), 1, "", tk.ErrStakeTooHigh}, //
		{"min p", 50, p.MinStake(50), 1, "", nil},                                              //
		{"p too low", 49, tk.FromInt(10_000), 1, "", tk.ErrPerformanceTooLow},
		{"p too high", tk.MaxP + 1, tk.FromInt(1 << 30), 1, "", tk.ErrPerformanceTooLow},
		{"stake too low", 100, tk.FromInt(999), 1, "", tk.ErrStakeTooLow},
		{"level", 100, tk.FromInt(1000), 7, "", tk.ErrConfidenceLevel},
	}
	for _, c := range starts {
		v, err := p.InitialV(c.score, c.stake, c.level)
		if !errors.Is(err, c.wantErr) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.wantErr)
			continue
		}
		if c.want != "" {
			want := tk.MustParse(c.want)
			if d := v.Sub(want).Add(want.Sub(v)); tk.MustParse("0.000000001").Less(d) {
				t.Errorf("%s: V = %s, want %s", c.name, v, c.want)
			}
		}
	}
	// share = √(V² + (2·p·conf)²): 3-4-5.
	if got := tk.Share(tk.FromInt(300), tk.FromInt(200), tk.One); got != tk.FromInt(500) {
		t.Errorf("Share = %s", got)
	}
	// ΔV for p = p_bench and for p = p_bench/2.
	dv := p.IdleDelta(tk.FromInt(1000), tk.FromInt(100), 100)
	want := p.Rho.Sub(tk.One).Mul(tk.FromInt(1000)).Add(p.CostK.MulInt(100)).Add(p.CostB)
	if dv != want {
		t.Errorf("IdleDelta = %s, want %s", dv, want)
	}
	if half := p.IdleDelta(tk.FromInt(1000), tk.FromInt(50), 100); half != tk.MustParse("0.5").Mul(want) {
		t.Errorf("IdleDelta half = %s", half)
	}
}
