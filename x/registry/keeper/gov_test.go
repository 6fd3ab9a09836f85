package keeper_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"cosmossdk.io/collections"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/x/registry/registrytest"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// TestGovAuthority sends each governance message, otherwise valid, from an
// account other than the authority.
func TestGovAuthority(t *testing.T) {
	t.Parallel()
	newM := hex.EncodeToString(otherMeasurement[:])
	oldM := hex.EncodeToString(simMeasurement[:])
	tests := []struct {
		name string
		send func(ctx context.Context, s types.MsgServer, authority string) error
	}{
		{
			name: "update params",
			send: func(ctx context.Context, s types.MsgServer, a string) error {
				_, err := s.UpdateParams(ctx, &types.MsgUpdateParams{Authority: a, Params: types.DefaultParams()})
				return err
			},
		},
		{
			name: "add measurement",
			send: func(ctx context.Context, s types.MsgServer, a string) error {
				_, err := s.AddMeasurement(ctx, &types.MsgAddMeasurement{Authority: a, TeeKind: attest.KindSim, Measurement: newM})
				return err
			},
		},
		{
			name: "remove measurement",
			send: func(ctx context.Context, s types.MsgServer, a string) error {
				_, err := s.RemoveMeasurement(ctx, &types.MsgRemoveMeasurement{Authority: a, TeeKind: attest.KindSim, Measurement: oldM})
				return err
			},
		},
	}
	for _, tc := range tests {
		for _, who := range []string{"operator", "empty", "authority in upper case"} {
			t.Run(tc.name+"/"+who, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t)
				f.registerSim(t, 1)
				f.registerSim(t, 2)
				f.addGatekeeper(t, 2)
				sender := map[string]string{"operator": f.operator, "empty": "", "authority in upper case": strings.ToUpper(f.authority)}[who]
				before := f.snapshot(t)
				wantErrIs(t, tc.send(f.ctx, f.msgs, sender), types.ErrInvalidAuthority)
				f.assertUnchanged(t, before)
				// The same message from the authority goes through.
				wantErrIs(t, tc.send(f.ctx, f.msgs, f.authority), nil)
			})
		}
	}
}

func TestUpdateParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params types.Params
		want   error
	}{
		{name: "defaults", params: types.DefaultParams()},
		{name: "strictest", params: types.Params{WorkerConfidenceLimit: 1, GatekeeperConfidenceLimit: 1, AttestationMaxAgeSeconds: 1}},
		{name: "zero worker limit", params: types.Params{WorkerConfidenceLimit: 0, GatekeeperConfidenceLimit: 1, AttestationMaxAgeSeconds: 1}, want: types.ErrInvalidParams},
		{name: "gatekeeper limit above worker limit", params: types.Params{WorkerConfidenceLimit: 2, GatekeeperConfidenceLimit: 3, AttestationMaxAgeSeconds: 1}, want: types.ErrInvalidParams},
		{name: "zero max age", params: types.Params{WorkerConfidenceLimit: 5, GatekeeperConfidenceLimit: 3}, want: types.ErrInvalidParams},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			before := f.snapshot(t)
			_, err := f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: tc.params})
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			resp, err := f.query.Params(f.ctx, &types.QueryParamsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(resp.Params, tc.params) {
				t.Errorf("params = %+v, want %+v", resp.Params, tc.params)
			}
		})
	}
}

func TestAddMeasurement(t *testing.T) {
	t.Parallel()
	newM := hex.EncodeToString(otherMeasurement[:])
	tests := []struct {
		name        string
		kind        string
		measurement string
		description string
		want        error
		wantBytes   []byte
	}{
		{name: "new sim measurement", kind: attest.KindSim, measurement: newM, description: "v2", wantBytes: otherMeasurement[:]},
		{name: "upper-case hex", kind: attest.KindSim, measurement: strings.ToUpper(newM), wantBytes: otherMeasurement[:]},
		{name: "same bytes for another kind", kind: registrytest.FakeKind, measurement: hex.EncodeToString(simMeasurement[:]), wantBytes: simMeasurement[:]},
		{name: "one byte", kind: attest.KindSim, measurement: "01", wantBytes: []byte{1}},
		{name: "longest", kind: attest.KindSim, measurement: strings.Repeat("ab", types.MaxMeasurementLen), wantBytes: bytes.Repeat([]byte{0xab}, types.MaxMeasurementLen)},
		{name: "longest description", kind: attest.KindSim, measurement: newM, description: strings.Repeat("d", 256), wantBytes: otherMeasurement[:]},
		{name: "unknown kind", kind: "tdx", measurement: newM, want: types.ErrUnknownTEEKind},
		{name: "empty kind", kind: "", measurement: newM, want: types.ErrUnknownTEEKind},
		{name: "bad hex", kind: attest.KindSim, measurement: "zz", want: types.ErrInvalidMeasurement},
		{name: "odd hex", kind: attest.KindSim, measurement: "abc", want: types.ErrInvalidMeasurement},
		{name: "empty", kind: attest.KindSim, measurement: "", want: types.ErrInvalidMeasurement},
		{name: "too long", kind: attest.KindSim, measurement: strings.Repeat("ab", types.MaxMeasurementLen+1), want: types.ErrInvalidMeasurement},
		{name: "duplicate", kind: attest.KindSim, measurement: hex.EncodeToString(simMeasurement[:]), want: types.ErrMeasurementExists},
		{name: "duplicate in upper case", kind: attest.KindSim, measurement: strings.ToUpper(hex.EncodeToString(simMeasurement[:])), want: types.ErrMeasurementExists},
		{name: "description too long", kind: attest.KindSim, measurement: newM, description: strings.Repeat("d", 257), want: types.ErrInvalidMeasurement},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			before := f.snapshot(t)
			_, err := f.msgs.AddMeasurement(f.ctx, &types.MsgAddMeasurement{
				Authority: f.authority, TeeKind: tc.kind, Measurement: tc.measurement, Description: tc.description,
			})
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			got, err := f.k.Measurements.Get(f.ctx, measurementKey(tc.kind, tc.wantBytes))
			if err != nil {
				t.Fatalf("measurement not stored: %v", err)
			}
			want := types.Measurement{TeeKind: tc.kind, Measurement: tc.wantBytes, Description: tc.description, AddedHeight: testHeight}
			if got.TeeKind != want.TeeKind || !bytes.Equal(got.Measurement, want.Measurement) || got.Description != want.Description || got.AddedHeight != want.AddedHeight {
				t.Errorf("stored %+v, want %+v", got, want)
			}
			attrs := map[string]string{types.AttributeTEEKind: tc.kind, types.AttributeMeasurement: hex.EncodeToString(tc.wantBytes)}
			if !hasEvent(f.ctx.EventManager().Events(), types.EventMeasurementAdded, attrs) {
				t.Errorf("no %s event with %v", types.EventMeasurementAdded, attrs)
			}
		})
	}
}

func TestRemoveMeasurement(t *testing.T) {
	t.Parallel()
	simM := hex.EncodeToString(simMeasurement[:])
	tests := []struct {
		name        string
		kind        string
		measurement string
		want        error
	}{
		{name: "allowed measurement", kind: attest.KindSim, measurement: simM},
		{name: "upper-case hex", kind: attest.KindSim, measurement: strings.ToUpper(simM)},
		{name: "not allowed", kind: attest.KindSim, measurement: hex.EncodeToString(otherMeasurement[:]), want: types.ErrMeasurementNotFound},
		{name: "allowed only for another kind", kind: registrytest.FakeKind, measurement: simM, want: types.ErrMeasurementNotFound},
		{name: "unknown kind", kind: "tdx", measurement: simM, want: types.ErrUnknownTEEKind},
		{name: "bad hex", kind: attest.KindSim, measurement: "xx", want: types.ErrInvalidMeasurement},
		{name: "empty", kind: attest.KindSim, measurement: "", want: types.ErrInvalidMeasurement},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			before := f.snapshot(t)
			_, err := f.msgs.RemoveMeasurement(f.ctx, &types.MsgRemoveMeasurement{Authority: f.authority, TeeKind: tc.kind, Measurement: tc.measurement})
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			if has, _ := f.k.Measurements.Has(f.ctx, measurementKey(attest.KindSim, simMeasurement[:])); has {
				t.Error("measurement still allowed")
			}
			if has, _ := f.k.Measurements.Has(f.ctx, measurementKey(registrytest.FakeKind, registrytest.FakeMeasurement[:])); !has {
				t.Error("another measurement was removed too")
			}
			if !hasEvent(f.ctx.EventManager().Events(), types.EventMeasurementRemoved, map[string]string{types.AttributeMeasurement: simM}) {
				t.Errorf("no %s event", types.EventMeasurementRemoved)
			}
		})
	}
}

func measurementKey(kind string, m []byte) collections.Pair[string, []byte] {
	return collections.Join(kind, m)
}
