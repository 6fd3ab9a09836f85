package api_test

import (
	"slices"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
)

func TestReadiness(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1_800_000_000, 0)
	ok := api.Info{Initialized: true, Registered: true, Role: api.RoleNone}
	with := func(edit func(*api.Info)) api.Info { i := ok; edit(&i); return i }
	tests := []struct {
		name string
		info api.Info
		now  time.Time
		want []string
	}{
		{"synced registered worker", ok, t0.Add(time.Minute), nil},
		{"live gatekeeper", with(func(i *api.Info) { i.Role = api.RoleActive }), t0, nil},
		{"lag beyond the bound", ok, t0.Add(time.Minute + time.Nanosecond), []string{api.NotReadyLagging}},
		{"not initialized", with(func(i *api.Info) { i.Initialized, i.Registered = false, false }), t0,
			[]string{api.NotReadyUninitialized, api.NotReadyUnregistered}},
		{"not registered", with(func(i *api.Info) { i.Registered = false }), t0, []string{api.NotReadyUnregistered}},
		{"gatekeeper not live", with(func(i *api.Info) { i.Role = api.RoleDummy }), t0, []string{api.NotReadyGatekeeperNotLive}},
		{"retired", with(func(i *api.Info) { i.Retired = true }), t0, []string{api.NotReadyRetired}},
		{"lagging gatekeeper not live", with(func(i *api.Info) { i.Role = api.RoleDummy }), t0.Add(time.Hour),
			[]string{api.NotReadyLagging, api.NotReadyGatekeeperNotLive}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := api.ReadinessOf(tc.info, t0, tc.now, time.Minute)
			if got.Ready != (len(tc.want) == 0) || !slices.Equal(got.Reasons, tc.want) {
				t.Fatalf("readiness = %+v, want reasons %v", got, tc.want)
			}
		})
	}
}
