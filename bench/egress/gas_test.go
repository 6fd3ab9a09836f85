package egress_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

var flagUpdateGas = flag.Bool("egress.update-gas", false, "rewrite the gas table in bench/README.md")

const (
	gasTableBegin = "<!-- gas-table: written by TestEgressGasTable, -egress.update-gas -->\n"
	gasTableEnd   = "<!-- end gas-table -->\n"
)

// TestEgressGasTable measures the gas an egress message costs, in CheckTx
// and in delivery, as the marginal gas of one more message in a
// MsgSyncMessages transaction (n+1 messages minus n, so the transaction's
// own costs cancel), and the whole transaction of one message. It fails
// unless bench/README.md's gas table says exactly what it measured, so the
// table cannot drift; -egress.update-gas rewrites it. Gas is deterministic,
// so this runs in the default `go test`.
func TestEgressGasTable(t *testing.T) {
	c := apptest.New(t, 2)
	wk := c.RegisterWorker(c.Accounts[0])
	relayer := c.Accounts[1]
	seq := uint64(0)
	endpointMsgs := func(n int) []mqtypes.SignedMessage {
		var sms []mqtypes.SignedMessage
		for range n {
			m := protocol.Message{Origin: protocol.WorkerOrigin(wk.PublicKey()), Topic: protocol.TopicWorkerEndpoint, Seq: seq,
				Payload: []byte(endpoint(0, seq%10))} // same payload length every time
			seq++
			sm, err := protocol.SignMessage(apptest.ChainID, wk.Identity, &m)
			if err != nil {
				t.Fatal(err)
			}
			sms = append(sms, mqtypes.SignedMessage{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature})
		}
		return sms
	}
	gasOf := func(n int) (check, deliver int64) {
		tx := signTx(t, c, relayer, apptest.SyncMsg(relayer, endpointMsgs(n)...))
		cr := c.CheckTx(tx)
		if cr.Code != 0 {
			t.Fatalf("CheckTx: code %d: %s", cr.Code, cr.Log)
		}
		res := c.NextBlock(tx)
		if res[0].Code != 0 {
			t.Fatalf("deliver: code %d: %s", res[0].Code, res[0].Log)
		}
		return cr.GasUsed, res[0].GasUsed
	}
	gasOf(1) // the first announcement creates the endpoint entry; later ones overwrite it
	check1, deliver1 := gasOf(1)
	check2, deliver2 := gasOf(2)
	check10, deliver10 := gasOf(10)
	check11, deliver11 := gasOf(11)
	if check2-check1 != check11-check10 || deliver2-deliver1 != deliver11-deliver10 {
		t.Logf("marginal gas differs between 1->2 (%d, %d) and 10->11 (%d, %d) messages", check2-check1, deliver2-deliver1, check11-check10, deliver11-deliver10)
	}
	var b strings.Builder
	b.WriteString(gasTableBegin)
	b.WriteString("| egress message (topic) | body bytes | CheckTx gas per extra message | delivery gas per extra message | delivery gas, tx of 1 message |\n|---|---|---|---|---|\n")
	body := len(endpointMsgs(1)[0].Body)
	fmt.Fprintf(&b, "| `%s` (overwriting an endpoint) | %d | %d | %d | %d |\n", protocol.TopicWorkerEndpoint, body, check11-check10, deliver11-deliver10, deliver1)
	b.WriteString(gasTableEnd)
	table := b.String()
	t.Logf("\n%s", table)

	const readme = "../README.md"
	doc, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(doc, []byte(gasTableBegin)), bytes.Index(doc, []byte(gasTableEnd))
	if i < 0 || j < i {
		t.Fatalf("%s has no gas table between %q and %q", readme, gasTableBegin, gasTableEnd)
	}
	current := string(doc[i : j+len(gasTableEnd)])
	if current == table {
		return
	}
	if !*flagUpdateGas {
		t.Fatalf("%s's gas table is stale; measured:\n%s\nrun with -egress.update-gas to rewrite it", readme, table)
	}
	out := append(append(append([]byte(nil), doc[:i]...), table...), doc[j+len(gasTableEnd):]...)
	if err := os.WriteFile(readme, out, 0o644); err != nil {
		t.Fatal(err)
	}
}
