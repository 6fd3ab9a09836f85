package e2e

import (
	"math/big"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computationtypes "github.com/gatekeeper-net/gatekeeper/x/computation/types"
)

// TestDevnetComputation is issue 6's acceptance run: on a devnet with one
// gatekeeper and one worker, plus a second worker run as its own process so
// that the test can stop it, both workers compute, accrue V and are paid
// every few blocks; killing the second worker's pRuntime makes it
// unresponsive within the heartbeat window and its V drops; restarting it
// recovers it.
func TestDevnetComputation(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gkd and pruntime and runs a devnet")
	}
	c := startChain(t, "--gatekeepers", "1", "--workers", "1")
	ext := newPruntimeProc(t, c, "operator")
	ext.start(t)
	loop := startRelayLoop(t, c.relayer(t, "operator", ext.url, ext.log), ext.log)
	var extKey string
	eventually(t, 90*time.Second, "the external worker registered", func() bool {
		in := ext.info(t)
		extKey = in.IdentityKey
		return in.Registered && in.Score > 0
	})
	// The devnet starts its own worker computing once the gatekeeper is
	// live and a beacon exists; the external one is started here.
	var devnetWorker string
	eventually(t, 120*time.Second, "the devnet's worker computing", func() bool {
		var resp struct {
			Sessions []struct {
				Worker string `json:"worker"`
			} `json:"sessions"`
		}
		gkdJSON(t, gkdBinary(t), &resp, "q", "computation", "sessions", "--node", c.rpcAddr)
		if len(resp.Sessions) == 0 {
			return false
		}
		devnetWorker = resp.Sessions[0].Worker
		return true
	})
	var params struct {
		Params struct {
			UnitsPerToken string `json:"units_per_token"`
			Denom         string `json:"denom"`
			Window        int64  `json:"heartbeat_window"`
		} `json:"params"`
	}
	gkdJSON(t, gkdBinary(t), &params, "q", "computation", "params", "--node", c.rpcAddr)
	units, ok := new(big.Int).SetString(params.Params.UnitsPerToken, 10)
	if !ok {
		t.Fatalf("units_per_token %q", params.Params.UnitsPerToken)
	}
	stake := sdk.NewCoin(params.Params.Denom, sdkmath.NewIntFromBigInt(new(big.Int).Mul(units, big.NewInt(20_000))))
	sender := c.sender(t, "operator")
	if _, err := sender.Send(t.Context(), 400_000, &computationtypes.MsgStartComputing{
		Operator: c.accounts["operator"], Worker: extKey, Stake: stake,
	}); err != nil {
		t.Fatal(err)
	}

	// Both accrue V and are paid.
	for _, w := range []string{devnetWorker, extKey} {
		eventually(t, 90*time.Second, "payouts to "+w[:8], func() bool {
			s := session(t, c, w)
			return s.Status == "SESSION_STATUS_COMPUTING" && s.TotalPaid != "" && s.TotalPaid != "0"
		})
	}
	paid := session(t, c, extKey).TotalPaid
	eventually(t, 60*time.Second, "a later payout", func() bool { return session(t, c, extKey).TotalPaid != paid })

	// Kill the external worker: unresponsive within the window.
	before := session(t, c, extKey)
	loop.stop()
	ext.kill(t)
	killed := c.height(t)
	eventually(t, 120*time.Second, "the killed worker unresponsive", func() bool {
		return session(t, c, extKey).Status == "SESSION_STATUS_UNRESPONSIVE"
	})
	after := c.height(t) - killed
	t.Logf("unresponsive %d blocks after the kill (heartbeat_window %d)", after, params.Params.Window)
	if after > 2*params.Params.Window+10 {
		t.Fatalf("took %d blocks to notice, window is %d", after, params.Params.Window)
	}
	// Stay down long enough for the slash (V·slash_rate a block) to
	// outweigh the idle growth the worker kept when it went unresponsive.
	c.waitHeight(t, c.height(t)+2*params.Params.Window)

	// Restart: it answers its next challenge and recovers. The chain
	// records V at settlements, so the slash shows in the first one after
	// the recovery: V is below what it was before the kill (a computing
	// worker's V returns to the same value at every settlement: its idle
	// growth is what the payout deducts).
	ext.start(t)
	startRelayLoop(t, c.relayer(t, "operator", ext.url, ext.log), ext.log)
	eventually(t, 120*time.Second, "the restarted worker recovered", func() bool {
		return session(t, c, extKey).Status == "SESSION_STATUS_COMPUTING"
	})
	recovered := session(t, c, extKey)
	eventually(t, 90*time.Second, "a settlement after the recovery", func() bool {
		return session(t, c, extKey).TotalPaid != recovered.TotalPaid
	})
	if after := session(t, c, extKey); !decLess(t, after.V, before.V) {
		t.Fatalf("V %s after being unresponsive, %s before: not slashed", after.V, before.V)
	} else {
		t.Logf("V %s before the kill, %s after recovering", before.V, after.V)
	}
}

type sessionView struct {
	Status    string `json:"status"`
	V         string `json:"v"`
	TotalPaid string `json:"total_paid"`
}

func session(t *testing.T, c *testChain, worker string) sessionView {
	t.Helper()
	var resp struct {
		Session sessionView `json:"session"`
	}
	gkdJSON(t, gkdBinary(t), &resp, "q", "computation", "session", worker, "--node", c.rpcAddr)
	return resp.Session
}

// decLess compares two non-negative decimal strings.
func decLess(t *testing.T, a, b string) bool {
	t.Helper()
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	if !ok1 || !ok2 {
		t.Fatalf("decimals %q, %q", a, b)
	}
	return x.Cmp(y) < 0
}
