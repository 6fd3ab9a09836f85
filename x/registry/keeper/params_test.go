package keeper_test

import (
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

func TestParamsValidate(t *testing.T) {
	t.Parallel()
	p := func(worker, gk uint32, age uint64) types.Params {
		return types.Params{WorkerConfidenceLimit: worker, GatekeeperConfidenceLimit: gk, AttestationMaxAgeSeconds: age}
	}
	tests := []struct {
		name string
		p    types.Params
		want error
	}{
		{name: "default", p: types.DefaultParams()},
		{name: "strictest", p: p(1, 1, 1)},
		{name: "loosest", p: types.Params{WorkerConfidenceLimit: 5, GatekeeperConfidenceLimit: 5, AttestationMaxAgeSeconds: 1 << 62}},
		{name: "sim allowed", p: types.Params{AllowSimulatedTee: true, WorkerConfidenceLimit: 5, GatekeeperConfidenceLimit: 3, AttestationMaxAgeSeconds: 60}},
		{name: "worker limit 0", p: p(0, 0, 60), want: types.ErrInvalidParams},
		{name: "worker limit 6", p: p(6, 3, 60), want: types.ErrInvalidParams},
		{name: "worker limit simulated", p: p(attest.ConfidenceSimulated, 3, 60), want: types.ErrInvalidParams},
		{name: "gatekeeper limit 0", p: p(5, 0, 60), want: types.ErrInvalidParams},
		{name: "gatekeeper limit above worker limit", p: p(3, 4, 60), want: types.ErrInvalidParams},
		{name: "max age 0", p: p(5, 3, 0), want: types.ErrInvalidParams},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantErrIs(t, tc.p.Validate(), tc.want)
		})
	}
}

func TestParamsAcceptsLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		allowSim bool
		level    uint32
		limit    uint32
		want     bool
	}{
		{name: "best", level: 1, limit: 3, want: true},
		{name: "at limit", level: 3, limit: 3, want: true},
		{name: "above limit", level: 4, limit: 3},
		{name: "worst at worst limit", level: 5, limit: 5, want: true},
		{name: "level 0", level: 0, limit: 5},
		{name: "level 6 under limit 6", level: 6, limit: 6, want: true},
		{name: "simulated while allowed", allowSim: true, level: attest.ConfidenceSimulated, limit: 1, want: true},
		{name: "simulated while not allowed", level: attest.ConfidenceSimulated, limit: 200},
		{name: "real level while sim allowed", allowSim: true, level: 2, limit: 3, want: true},
		{name: "unknown level while sim allowed", allowSim: true, level: 127, limit: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := types.DefaultParams()
			p.AllowSimulatedTee = tc.allowSim
			if got := p.AcceptsLevel(tc.level, tc.limit); got != tc.want {
				t.Errorf("AcceptsLevel(%d, %d) = %v, want %v", tc.level, tc.limit, got, tc.want)
			}
		})
	}
}
