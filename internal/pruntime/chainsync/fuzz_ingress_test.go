package chainsync_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

func FuzzDecodeIngressEntries(f *testing.F) {
	st := sharedStore()
	f.Add(chainsync.EncodeIngressEntries(rawRange(st, 0, 3)))
	f.Add(chainsync.EncodeIngressEntries(rawRange(st, 149, 152)))
	f.Add([]byte{0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := chainsync.DecodeIngressEntries(b)
		if err != nil {
			if !errors.Is(err, chainsync.ErrMalformedIngress) {
				t.Fatalf("error %v does not match ErrMalformedIngress", err)
			}
			return
		}
		if again := chainsync.EncodeIngressEntries(entries); !bytes.Equal(again, b) {
			t.Fatalf("not canonical:\n  in %x\n out %x", b, again)
		}
	})
}

// FuzzVerifyIngressRange feeds arbitrary bulks against a real proof of the
// head at 100 (version 1) from the head at 40: whatever is accepted must be
// exactly the entries the store holds.
func FuzzVerifyIngressRange(f *testing.F) {
	st := sharedStore()
	good := rawRange(st, 40, 100)
	f.Add(chainsync.EncodeIngressEntries(good))
	f.Add(chainsync.EncodeIngressEntries(good[1:]))
	f.Add(chainsync.EncodeIngressEntries(append(good[1:2:2], good[0])))
	value, ops := st.prove(f, "mq", protocol.IngressHeadKey(100), 1)
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := chainsync.DecodeIngressEntries(b)
		if err != nil {
			return
		}
		_, _, err = chainsync.VerifyIngressRange(st.appHash[1], 40, st.heads[40], entries, 100, value, ops)
		if err != nil {
			for _, want := range []error{chainsync.ErrIngressExtra, chainsync.ErrIngressMissing, chainsync.ErrIngressReordered, chainsync.ErrIngressTampered} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("error %v is none of the range errors", err)
		}
		for i, e := range entries {
			if !bytes.Equal(e, good[i]) {
				t.Fatalf("accepted entry %d = %x, the store holds %x", 40+i, e, good[i])
			}
		}
	})
}
