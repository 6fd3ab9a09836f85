package keeper_test

import (
	"bytes"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

func (f *fixture) sameWorker(t *testing.T, a, b types.Worker) bool {
	t.Helper()
	return bytes.Equal(f.cdc.MustMarshal(&a), f.cdc.MustMarshal(&b))
}

func (f *fixture) announce(t *testing.T, seed byte, seq uint64, url string) {
	t.Helper()
	m := protocol.Message{Origin: protocol.WorkerOrigin(pub(testKey(seed))), Topic: protocol.TopicWorkerEndpoint, Seq: seq, Payload: []byte(url)}
	sm, err := protocol.SignMessage(testChainID, testKey(seed), &m)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.mqMsgs.SyncMessages(f.ctx, &mqtypes.MsgSyncMessages{
		Submitter: f.operator,
		Messages:  []mqtypes.SignedMessage{{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature}},
	})
	if err != nil || resp.Accepted != 1 {
		t.Fatalf("SyncMessages: %+v, %v", resp, err)
	}
}

// Version 1 kept the endpoint inside the Worker record. Migrate1to2 moves it
// to Endpoints and leaves the record without it; readers see the same
// workers before and after, and a second run changes nothing.
func TestMigrate1to2MovesEndpoints(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.registerSim(t, 1)
	f.registerSim(t, 2)
	// Write the version-1 layout by hand: worker 1 with its endpoint in the record.
	w1, err := f.k.Workers.Get(f.ctx, pub(testKey(1)))
	if err != nil {
		t.Fatal(err)
	}
	w1.Endpoint = "https://one.example.com:8000/rpc"
	if err := f.k.Workers.Set(f.ctx, w1.IdentityKey, w1); err != nil {
		t.Fatal(err)
	}
	before, err := f.k.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// What version 1 read: the records as stored (the current reader looks
	// in Endpoints, which version 1 did not have).
	for i := range before.Workers {
		if bytes.Equal(before.Workers[i].IdentityKey, w1.IdentityKey) {
			before.Workers[i].Endpoint = w1.Endpoint
		}
	}

	for run := range 2 {
		if err := f.k.Migrate1to2(f.ctx); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		raw, err := f.k.Workers.Get(f.ctx, w1.IdentityKey)
		if err != nil {
			t.Fatal(err)
		}
		if raw.Endpoint != "" {
			t.Fatalf("run %d: record still holds endpoint %q", run, raw.Endpoint)
		}
		if e, err := f.k.Endpoints.Get(f.ctx, w1.IdentityKey); err != nil || e != w1.Endpoint {
			t.Fatalf("run %d: Endpoints = %q, %v; want %q", run, e, err, w1.Endpoint)
		}
		if has, err := f.k.Endpoints.Has(f.ctx, pub(testKey(2))); err != nil || has {
			t.Fatalf("run %d: worker 2 has an endpoint it never announced (%v)", run, err)
		}
		got, err := f.k.GetWorker(f.ctx, w1.IdentityKey)
		if err != nil || got.Endpoint != w1.Endpoint {
			t.Fatalf("run %d: GetWorker endpoint = %q, %v", run, got.Endpoint, err)
		}
		after, err := f.k.ExportGenesis(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range before.Workers {
			if !f.sameWorker(t, before.Workers[i], after.Workers[i]) {
				t.Fatalf("run %d: worker %d reads differently after migration", run, i)
			}
		}
	}
}

// An endpoint announcement writes the endpoint and leaves the worker's
// record byte for byte as it was.
func TestEndpointLeavesWorkerRecord(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.registerSim(t, 1)
	key := pub(testKey(1))
	before, err := f.k.Workers.Get(f.ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	f.announce(t, 1, 0, "https://one.example.com")
	after, err := f.k.Workers.Get(f.ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if !f.sameWorker(t, before, after) {
		t.Fatal("an endpoint announcement rewrote the worker record")
	}
	if e, err := f.k.Endpoints.Get(f.ctx, key); err != nil || e != "https://one.example.com" {
		t.Fatalf("Endpoints = %q, %v", e, err)
	}
	// Re-registration keeps it; deregistration removes it with the worker.
	f.registerSim(t, 1)
	if w, err := f.k.GetWorker(f.ctx, key); err != nil || w.Endpoint != "https://one.example.com" {
		t.Fatalf("after re-registration: endpoint %q, %v", w.Endpoint, err)
	}
	if err := f.k.DeregisterWorker(f.ctx, key); err != nil {
		t.Fatal(err)
	}
	if has, err := f.k.Endpoints.Has(f.ctx, key); err != nil || has {
		t.Fatalf("endpoint outlived its worker (%v)", err)
	}
}
