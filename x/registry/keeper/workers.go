package keeper

import (
	"context"

	"cosmossdk.io/collections"

	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// The registry's side of its boundary with the gatekeeper protocol:
// x/gatekeeper reads and changes workers and measurements only through
// these methods and GetWorker and IsWorker (keeper.go), its expected
// RegistryKeeper (x/gatekeeper/types/expected_keepers.go). The other
// direction is types.GatekeeperProtocol.

// WalkWorkers calls fn for every registered worker in identity key order
// until fn returns true or an error.
func (k *Keeper) WalkWorkers(ctx context.Context, fn func(types.Worker) (bool, error)) error {
	return k.Workers.Walk(ctx, nil, func(_ []byte, w types.Worker) (bool, error) {
		w, err := k.withEndpoint(ctx, w)
		if err != nil {
			return true, err
		}
		return fn(w)
	})
}

// DeregisterWorker removes a worker's record: it can no longer send, and
// must register again to be a worker.
func (k *Keeper) DeregisterWorker(ctx context.Context, identityKey []byte) error {
	if err := k.Endpoints.Remove(ctx, identityKey); err != nil {
		return err
	}
	return k.Workers.Remove(ctx, identityKey)
}

// ParseMeasurement validates a TEE kind this chain knows and a measurement
// given in hex, and returns the measurement's bytes.
func (k *Keeper) ParseMeasurement(kind, measurementHex string) ([]byte, error) {
	key, err := k.measurementKey(kind, measurementHex)
	if err != nil {
		return nil, err
	}
	return key.K2(), nil
}

// HasMeasurement reports whether measurement is allowed for kind.
func (k *Keeper) HasMeasurement(ctx context.Context, kind string, measurement []byte) (bool, error) {
	return k.Measurements.Has(ctx, collections.Join(kind, measurement))
}

// AllowMeasurement adds m to the allow-list. It emits no event: its caller
// says why the measurement was allowed.
func (k *Keeper) AllowMeasurement(ctx context.Context, m types.Measurement) error {
	return k.Measurements.Set(ctx, collections.Join(m.TeeKind, m.Measurement), m)
}

// DisallowMeasurement removes measurement of kind from the allow-list (a
// no-op if it is not there). It emits no event: its caller says why.
func (k *Keeper) DisallowMeasurement(ctx context.Context, kind string, measurement []byte) error {
	return k.Measurements.Remove(ctx, collections.Join(kind, measurement))
}

// MeasurementsOfKind returns kind's allowed measurements in byte order, at
// most limit+1 of them, so that a caller can tell "more than limit".
func (k *Keeper) MeasurementsOfKind(ctx context.Context, kind string, limit int) ([][]byte, error) {
	var ms [][]byte
	err := k.Measurements.Walk(ctx, collections.NewPrefixedPairRange[string, []byte](kind),
		func(mk collections.Pair[string, []byte], _ types.Measurement) (bool, error) {
			ms = append(ms, mk.K2())
			return len(ms) > limit, nil
		})
	return ms, err
}

// AcceptsGatekeeperLevel reports whether a worker of confidence level
// may be designated gatekeeper, and the limit it was held to. The limit,
// gatekeeper_confidence_limit, is a registry param: it is attestation
// policy, bounded by worker_confidence_limit, and a simulated level passes
// only while allow_simulated_tee is on.
func (k *Keeper) AcceptsGatekeeperLevel(ctx context.Context, level uint32) (bool, uint32, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return false, 0, err
	}
	return params.AcceptsLevel(level, params.GatekeeperConfidenceLimit), params.GatekeeperConfidenceLimit, nil
}
