package ingress_test

import (
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

func TestTopicTableRefusesBadRows(t *testing.T) {
	t.Parallel()
	nop := func(*state.Tx, []byte) (bool, error) { return false, nil }
	type row = ingress.Route
	tests := []struct {
		name string
		rows []ingress.Route
		want error
	}{
		{"distinct topics", []row{{"a/x", ingress.RoleWorker, nop}, {"a/y", ingress.RoleGatekeeper, nop}}, nil},
		{"duplicate topic in one role", []row{{"a/x", ingress.RoleWorker, nop}, {"a/x", ingress.RoleWorker, nop}}, ingress.ErrDuplicateTopic},
		{"duplicate topic across roles", []row{{"a/x", ingress.RoleMigration, nop}, {"a/y", ingress.RoleWorker, nop}, {"a/x", ingress.RoleGatekeeper, nop}}, ingress.ErrDuplicateTopic},
		{"empty topic", []row{{"", ingress.RoleWorker, nop}}, ingress.ErrBadRoute},
		{"no role", []row{{"a/x", "", nop}}, ingress.ErrBadRoute},
		{"no handler", []row{{"a/x", ingress.RoleWorker, nil}}, ingress.ErrBadRoute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tab, err := ingress.NewTable(tc.rows)
			if !errors.Is(err, tc.want) {
				t.Fatalf("NewTable: %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			for _, r := range tc.rows {
				if got, ok := tab.Lookup(r.Topic); !ok || got.Role != r.Role {
					t.Fatalf("Lookup(%q) = %v, %v; want role %s", r.Topic, got.Role, ok, r.Role)
				}
			}
			if _, ok := tab.Lookup("a/unknown"); ok {
				t.Fatal("Lookup found a topic no row names")
			}
		})
	}
}
