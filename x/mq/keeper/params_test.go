package keeper_test

import (
	"testing"

	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

func TestParamsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    types.Params
		want error
	}{
		{name: "default", p: types.DefaultParams()},
		{name: "smallest batch", p: types.Params{MaxMessagesPerTx: 1}},
		{name: "largest batch", p: types.Params{MaxMessagesPerTx: types.MaxMessagesPerTxLimit}},
		{name: "largest quorum", p: types.Params{MaxMessagesPerTx: 1, GkQuorum: 1024}},
		{name: "retention 0 keeps all", p: types.Params{MaxMessagesPerTx: 1, IngressRetentionBlocks: 0}},
		{name: "zero batch", p: types.Params{MaxMessagesPerTx: 0}, want: types.ErrInvalidParams},
		{name: "batch above limit", p: types.Params{MaxMessagesPerTx: types.MaxMessagesPerTxLimit + 1}, want: types.ErrInvalidParams},
		{name: "quorum above any set", p: types.Params{MaxMessagesPerTx: 1, GkQuorum: 1025}, want: types.ErrInvalidParams},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantErrIs(t, tc.p.Validate(), tc.want)
		})
	}
}

func TestParamsQuorum(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		gkQuorum uint32
		n        int
		want     int
	}{
		{name: "majority of 1", n: 1, want: 1},
		{name: "majority of 2", n: 2, want: 2},
		{name: "majority of 3", n: 3, want: 2},
		{name: "majority of 4", n: 4, want: 3},
		{name: "majority of 5", n: 5, want: 3},
		{name: "majority of 100", n: 100, want: 51},
		{name: "majority of none", n: 0, want: 1},
		{name: "fixed below set", gkQuorum: 3, n: 5, want: 3},
		{name: "fixed equal to set", gkQuorum: 3, n: 3, want: 3},
		{name: "fixed above set is clamped to the set", gkQuorum: 4, n: 3, want: 3},
		{name: "fixed above set of one", gkQuorum: 3, n: 1, want: 1},
		{name: "fixed with no set", gkQuorum: 3, n: 0, want: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := types.DefaultParams()
			p.GkQuorum = tc.gkQuorum
			if got := p.Quorum(tc.n); got != tc.want {
				t.Errorf("Quorum(%d) = %d, want %d", tc.n, got, tc.want)
			}
		})
	}
}
