package keeper_test

import (
	"fmt"
	"testing"

	storetypes "cosmossdk.io/store/types"

	"github.com/gatekeeper-net/gatekeeper/x/mq/keeper"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// VerifyBatch (signatures on all cores) then Check in order gives, message
// for message, the outcome CheckEgress gives one by one: the same error or
// the same checked message, the same advances, and the same total gas.
func TestVerifyBatchMatchesCheckEgress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w0, w1 := f.workers[0], f.workers[1]
	var sms []types.SignedMessage
	for seq := range uint64(12) {
		sms = append(sms, sign(t, testChainID, w0, workerMsg(w0, seq, fmt.Sprint("a", seq))))
		sms = append(sms, sign(t, testChainID, w1, workerMsg(w1, seq, fmt.Sprint("b", seq))))
	}
	forged := sms[5]
	forged.Signature = append([]byte(nil), forged.Signature...)
	forged.Signature[3] ^= 1
	short := sms[9]
	short.Signer = short.Signer[:16]
	sms = append(sms[:5], append([]types.SignedMessage{forged}, sms[5:]...)...)
	sms = append(sms, short, sign(t, "other-chain", w0, workerMsg(w0, 12, "x")), sms[0], sign(t, testChainID, f.outside, workerMsg(f.outside, 0, "o")))

	type outcome struct {
		err     string
		checked keeper.Checked
	}
	run := func(batch bool) ([]outcome, storetypes.Gas) {
		ctx, _ := f.ctx.CacheContext()
		ctx = ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
		var (
			out []outcome
			b   keeper.Batch
		)
		if batch {
			b = f.k.VerifyBatch(ctx, sms)
		}
		for i, sm := range sms {
			var (
				c   keeper.Checked
				err error
			)
			if batch {
				c, err = f.k.Check(ctx, b, i)
			} else {
				c, err = f.k.CheckEgress(ctx, sm)
			}
			o := outcome{checked: c}
			if err != nil {
				o.err = err.Error()
			} else if _, err := f.k.Advance(ctx, c); err != nil {
				t.Fatal(err)
			}
			out = append(out, o)
		}
		return out, ctx.GasMeter().GasConsumed()
	}
	want, wantGas := run(false)
	for round := range 3 {
		got, gas := run(true)
		for i := range want {
			if got[i].err != want[i].err || fmt.Sprint(got[i].checked) != fmt.Sprint(want[i].checked) {
				t.Fatalf("round %d message %d: batch %+v, one by one %+v", round, i, got[i], want[i])
			}
		}
		if gas != wantGas {
			t.Fatalf("round %d: batch gas %d, one by one %d", round, gas, wantGas)
		}
	}
	accepted := 0
	for _, o := range want {
		if o.err == "" {
			accepted++
		}
	}
	if accepted == 0 || accepted == len(want) {
		t.Fatalf("%d of %d accepted: the mix should have both", accepted, len(want))
	}
}
