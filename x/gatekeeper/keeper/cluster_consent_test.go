package keeper_test

import (
	"bytes"
	"slices"
	"testing"

	"cosmossdk.io/collections"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	"github.com/gatekeeper-net/gatekeeper/x/registry/registrytest"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// Seeds of the consent fixture's workers operated by the victim account.
const (
	victimA = 20
	victimB = 21
	victimC = 22
)

// victim is the account that operates workers victimA-C: not the fixture's
// operator, who owns the clusters.
func (f *fixture) victim(t testing.TB) string {
	return registrytest.MustAddr(t, f.ac, bytes.Repeat([]byte{0x0c}, 20))
}

// stranger operates nothing and owns nothing.
func (f *fixture) stranger(t testing.TB) string {
	return registrytest.MustAddr(t, f.ac, bytes.Repeat([]byte{0x0b}, 20))
}

// registerSimAs registers the sim worker testKey(seed) operated by operator.
func (f *fixture) registerSimAs(t testing.TB, seed byte, operator string) {
	t.Helper()
	info := f.info(t, seed)
	info.Operator = operator
	f.register(t, f.simMsg(t, info))
}

// consentFixture: clusterFixture (gatekeeper 1; workers 3-7 operated by
// f.operator; cluster 1 = {7} owned by f.operator; max_cluster_workers 3),
// cluster 2 = {3} owned by f.operator, and workers victimA-C operated by
// the victim account; invitations live for 10 blocks.
func consentFixture(t *testing.T) *fixture {
	t.Helper()
	f := clusterFixture(t)
	f.setParams(t, func(p *types.Params) { p.ClusterInviteBlocks = 10 })
	f.createCluster(t, 3)
	for _, s := range []byte{victimA, victimB, victimC} {
		f.registerSimAs(t, s, f.victim(t))
	}
	return f
}

func (f *fixture) invite(id uint64, seed byte) error {
	_, err := f.msgs.InviteClusterWorker(f.ctx, &types.MsgInviteClusterWorker{Owner: f.operator, ClusterId: id, Worker: keyHex(seed)})
	return err
}

func (f *fixture) join(signer string, id uint64, seed byte) error {
	_, err := f.msgs.JoinCluster(f.ctx, &types.MsgJoinCluster{Operator: signer, ClusterId: id, Worker: keyHex(seed)})
	return err
}

func (f *fixture) cancelInvite(signer string, id uint64, seed byte) error {
	_, err := f.msgs.CancelClusterInvite(f.ctx, &types.MsgCancelClusterInvite{Signer: signer, ClusterId: id, Worker: keyHex(seed)})
	return err
}

func (f *fixture) removeMember(signer string, id uint64, seed byte) error {
	_, err := f.msgs.RemoveClusterWorker(f.ctx, &types.MsgRemoveClusterWorker{Signer: signer, ClusterId: id, Worker: keyHex(seed)})
	return err
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestClusterConsentRejects performs every way to get a worker into a
// cluster, or out of one, without its operator's consent, and every
// malformed consent message: each is rejected with its registered error and
// stores nothing (the exported registry and mq state are unchanged).
func TestClusterConsentRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, f *fixture)
		op    func(f *fixture) error
		want  error
	}{
		// Capture without an invitation.
		{name: "create a cluster of another operator's worker", want: types.ErrNoOperatorConsent, op: func(f *fixture) error {
			_, err := f.msgs.CreateCluster(f.ctx, &types.MsgCreateCluster{Owner: f.operator, Workers: []string{keyHex(4), keyHex(victimA)}})
			return err
		}},
		{name: "add another operator's worker", want: types.ErrNoOperatorConsent, op: func(f *fixture) error {
			_, err := f.msgs.AddClusterWorker(f.ctx, &types.MsgAddClusterWorker{Owner: f.operator, ClusterId: 2, Worker: keyHex(victimA)})
			return err
		}},
		{name: "join without an invitation", want: types.ErrNoInvitation, op: func(f *fixture) error {
			return f.join(f.victim(t), 2, victimA)
		}},
		{name: "join invited to another cluster", want: types.ErrNoInvitation,
			setup: func(t *testing.T, f *fixture) { must(t, f.invite(1, victimA)) },
			op:    func(f *fixture) error { return f.join(f.victim(t), 2, victimA) }},
		{name: "owner accepts its own invitation of another operator's worker", want: types.ErrNotWorkerOperator,
			setup: func(t *testing.T, f *fixture) { must(t, f.invite(2, victimA)) },
			op:    func(f *fixture) error { return f.join(f.operator, 2, victimA) }},
		{name: "join after the invitation expired", want: types.ErrInvitationExpired,
			setup: func(t *testing.T, f *fixture) {
				must(t, f.invite(2, victimA))
				f.ctx = f.ctx.WithBlockHeight(testHeight + 11)
			},
			op: func(f *fixture) error { return f.join(f.victim(t), 2, victimA) }},
		{name: "join after the owner withdrew", want: types.ErrNoInvitation,
			setup: func(t *testing.T, f *fixture) {
				must(t, f.invite(2, victimA))
				must(t, f.cancelInvite(f.operator, 2, victimA))
			},
			op: func(f *fixture) error { return f.join(f.victim(t), 2, victimA) }},
		{name: "join by an invalid address", want: types.ErrInvalidSigner,
			setup: func(t *testing.T, f *fixture) { must(t, f.invite(2, victimA)) },
			op:    func(f *fixture) error { return f.join("gk1invalid", 2, victimA) }},
		{name: "join a missing cluster", want: types.ErrClusterNotFound, op: func(f *fixture) error { return f.join(f.victim(t), 9, victimA) }},
		{name: "join with an unregistered worker", want: registrytypes.ErrWorkerNotFound, op: func(f *fixture) error { return f.join(f.victim(t), 2, 99) }},
		{name: "join a full cluster", want: types.ErrClusterFull,
			setup: func(t *testing.T, f *fixture) {
				must(t, f.invite(2, victimA))
				_, err := f.msgs.AddClusterWorker(f.ctx, &types.MsgAddClusterWorker{Owner: f.operator, ClusterId: 2, Worker: keyHex(4)})
				must(t, err)
				_, err = f.msgs.AddClusterWorker(f.ctx, &types.MsgAddClusterWorker{Owner: f.operator, ClusterId: 2, Worker: keyHex(5)})
				must(t, err)
			},
			op: func(f *fixture) error { return f.join(f.victim(t), 2, victimA) }},
		{name: "join after joining another cluster", want: types.ErrWorkerInCluster,
			setup: func(t *testing.T, f *fixture) {
				must(t, f.invite(1, victimA))
				must(t, f.invite(2, victimA))
				must(t, f.join(f.victim(t), 1, victimA))
			},
			op: func(f *fixture) error { return f.join(f.victim(t), 2, victimA) }},
		{name: "join after becoming a gatekeeper", want: types.ErrGatekeeperInCluster,
			setup: func(t *testing.T, f *fixture) { must(t, f.invite(2, victimA)); f.addGatekeeper(t, victimA) },
			op:    func(f *fixture) error { return f.join(f.victim(t), 2, victimA) }},

		// Invitations.
		{name: "invite to another's cluster", want: types.ErrNotClusterOwner, op: func(f *fixture) error {
			_, err := f.msgs.InviteClusterWorker(f.ctx, &types.MsgInviteClusterWorker{Owner: f.stranger(t), ClusterId: 2, Worker: keyHex(victimA)})
			return err
		}},
		{name: "invite a gatekeeper", want: types.ErrGatekeeperInCluster, op: func(f *fixture) error { return f.invite(2, 1) }},
		{name: "invite a member of a cluster", want: types.ErrWorkerInCluster, op: func(f *fixture) error { return f.invite(2, 7) }},
		{name: "invite an unregistered worker", want: registrytypes.ErrWorkerNotFound, op: func(f *fixture) error { return f.invite(2, 99) }},
		{name: "invite a key not hex", want: types.ErrInvalidKey, op: func(f *fixture) error {
			_, err := f.msgs.InviteClusterWorker(f.ctx, &types.MsgInviteClusterWorker{Owner: f.operator, ClusterId: 2, Worker: "zz"})
			return err
		}},
		{name: "invite to a full cluster", want: types.ErrClusterFull,
			setup: func(t *testing.T, f *fixture) {
				for _, s := range []byte{4, 5} {
					_, err := f.msgs.AddClusterWorker(f.ctx, &types.MsgAddClusterWorker{Owner: f.operator, ClusterId: 2, Worker: keyHex(s)})
					must(t, err)
				}
			},
			op: func(f *fixture) error { return f.invite(2, victimA) }},
		{name: "invitations beyond max_cluster_workers", want: types.ErrTooManyInvitations,
			setup: func(t *testing.T, f *fixture) {
				for _, s := range []byte{victimA, victimB, 4} {
					must(t, f.invite(2, s))
				}
			},
			op: func(f *fixture) error { return f.invite(2, victimC) }},
		{name: "cancel by a stranger", want: types.ErrNotWorkerOperator,
			setup: func(t *testing.T, f *fixture) { must(t, f.invite(2, victimA)) },
			op:    func(f *fixture) error { return f.cancelInvite(f.stranger(t), 2, victimA) }},
		{name: "cancel a missing invitation", want: types.ErrNoInvitation, op: func(f *fixture) error { return f.cancelInvite(f.victim(t), 2, victimA) }},
		{name: "cancel by an invalid address", want: types.ErrInvalidSigner,
			setup: func(t *testing.T, f *fixture) { must(t, f.invite(2, victimA)) },
			op:    func(f *fixture) error { return f.cancelInvite("gk1invalid", 2, victimA) }},

		// Removal.
		{name: "owner removes another operator's member", want: types.ErrRemovalNotAllowed,
			setup: func(t *testing.T, f *fixture) {
				must(t, f.invite(2, victimA))
				must(t, f.join(f.victim(t), 2, victimA))
			},
			op: func(f *fixture) error { return f.removeMember(f.operator, 2, victimA) }},
		{name: "stranger removes a member", want: types.ErrRemovalNotAllowed,
			op: func(f *fixture) error { return f.removeMember(f.stranger(t), 2, 3) }},
		{name: "another member's operator removes a member", want: types.ErrRemovalNotAllowed,
			setup: func(t *testing.T, f *fixture) {
				must(t, f.invite(2, victimA))
				must(t, f.join(f.victim(t), 2, victimA))
			},
			op: func(f *fixture) error { return f.removeMember(f.victim(t), 2, 3) }},
		{name: "remove by an invalid address", want: types.ErrInvalidSigner, op: func(f *fixture) error { return f.removeMember("gk1invalid", 2, 3) }},
		{name: "remove a non-member", want: types.ErrNotClusterMember, op: func(f *fixture) error { return f.removeMember(f.victim(t), 2, victimA) }},

		// A gatekeeper is never a member, from either side.
		{name: "a cluster member designated gatekeeper", want: types.ErrGatekeeperInCluster, op: func(f *fixture) error {
			_, err := f.msgs.AddGatekeeper(f.ctx, &types.MsgAddGatekeeper{Authority: f.authority, IdentityKey: keyHex(3)})
			return err
		}},
		{name: "create a cluster of a gatekeeper", want: types.ErrGatekeeperInCluster, op: func(f *fixture) error {
			_, err := f.msgs.CreateCluster(f.ctx, &types.MsgCreateCluster{Owner: f.operator, Workers: []string{keyHex(1)}})
			return err
		}},
		{name: "add a gatekeeper", want: types.ErrGatekeeperInCluster, op: func(f *fixture) error {
			_, err := f.msgs.AddClusterWorker(f.ctx, &types.MsgAddClusterWorker{Owner: f.operator, ClusterId: 2, Worker: keyHex(1)})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := consentFixture(t)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			before := f.snapshot(t)
			err := tc.op(f)
			if tc.want == nil {
				t.Fatal("every case here is a rejection")
			}
			wantErrIs(t, err, tc.want)
			f.assertUnchanged(t, before)
		})
	}
}

// TestClusterInviteJoin: the owner invites another operator's worker; it is
// no member (and gets no grant) until its operator accepts; then it is
// granted the published key, and its invitation is gone.
func TestClusterInviteJoin(t *testing.T) {
	t.Parallel()
	f := consentFixture(t)
	f.publishClusterKey(t, 2, 0)
	mark := len(f.ingress(t))
	resp, err := f.msgs.InviteClusterWorker(f.ctx, &types.MsgInviteClusterWorker{Owner: f.operator, ClusterId: 2, Worker: keyHex(victimA)})
	must(t, err)
	if resp.ExpiresHeight != testHeight+10 {
		t.Errorf("expires at %d, want %d", resp.ExpiresHeight, testHeight+10)
	}
	if !hasEvent(f.ctx.EventManager().Events(), types.EventClusterInvited, map[string]string{types.AttributeClusterID: "2", types.AttributeWorker: keyHex(victimA)}) {
		t.Errorf("no %s event", types.EventClusterInvited)
	}
	// Invited, not a member: nothing reaches the gatekeepers.
	wantIngress(t, f.ingressSince(t, mark))
	if _, err := f.k.WorkerCluster.Get(f.ctx, pub(testKey(victimA))); err == nil {
		t.Fatal("an invited worker is indexed as a member")
	}
	q, err := f.query.Cluster(f.ctx, &types.QueryClusterRequest{Id: 2})
	must(t, err)
	if len(q.Invitations) != 1 || !bytes.Equal(q.Invitations[0].Worker, pub(testKey(victimA))) || q.Invitations[0].ExpiresHeight != testHeight+10 {
		t.Fatalf("invitations %+v", q.Invitations)
	}

	// Accepted at the last height it is valid.
	f.ctx = f.ctx.WithBlockHeight(testHeight + 10)
	must(t, f.join(f.victim(t), 2, victimA))
	c, err := f.k.GetCluster(f.ctx, 2)
	must(t, err)
	if _, found := slices.BinarySearchFunc(c.Workers, []byte(pub(testKey(victimA))), bytes.Compare); !found {
		t.Fatalf("members %x: the accepted worker is missing", c.Workers)
	}
	wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicClusterGrant, grant(t, f, 2, victimA)})
	if has, err := f.k.ClusterInvitations.Has(f.ctx, collections.Join(uint64(2), []byte(pub(testKey(victimA))))); err != nil || has {
		t.Fatalf("invitation still stored after joining: %v, %v", has, err)
	}
}

// TestClusterInviteCancelAndPrune: the worker's operator declines, the owner
// withdraws, a new invitation replaces an old one, and an expired
// invitation is pruned when the owner invites again.
func TestClusterInviteCancelAndPrune(t *testing.T) {
	t.Parallel()
	has := func(f *fixture, seed byte) bool {
		ok, err := f.k.ClusterInvitations.Has(f.ctx, collections.Join(uint64(2), []byte(pub(testKey(seed)))))
		must(t, err)
		return ok
	}
	f := consentFixture(t)
	must(t, f.invite(2, victimA))
	must(t, f.invite(2, victimB))
	must(t, f.cancelInvite(f.victim(t), 2, victimA))
	must(t, f.cancelInvite(f.operator, 2, victimB))
	if has(f, victimA) || has(f, victimB) {
		t.Fatal("a declined or withdrawn invitation is still stored")
	}
	for _, r := range []string{"declined", "withdrawn"} {
		if !hasEvent(f.ctx.EventManager().Events(), types.EventClusterInviteCancelled, map[string]string{types.AttributeReason: r}) {
			t.Errorf("no %s event with reason %s", types.EventClusterInviteCancelled, r)
		}
	}

	// Re-inviting refreshes the expiry.
	must(t, f.invite(2, victimA))
	f.ctx = f.ctx.WithBlockHeight(testHeight + 5)
	must(t, f.invite(2, victimA))
	inv, err := f.k.ClusterInvitations.Get(f.ctx, collections.Join(uint64(2), []byte(pub(testKey(victimA)))))
	must(t, err)
	if inv.ExpiresHeight != testHeight+15 {
		t.Fatalf("re-invited: expires at %d, want %d", inv.ExpiresHeight, testHeight+15)
	}

	// A and B expire; the next invitation prunes them, so that expired
	// invitations never count against max_cluster_workers.
	must(t, f.invite(2, victimB))
	must(t, f.invite(2, 4))
	f.ctx = f.ctx.WithBlockHeight(testHeight + 16)
	must(t, f.invite(2, victimC))
	for _, s := range []byte{victimA, victimB, 4} {
		if has(f, s) {
			t.Errorf("expired invitation of %d not pruned", s)
		}
	}
	if !has(f, victimC) {
		t.Error("the new invitation is missing")
	}
}

// TestClusterRemovalRules: a member's operator may leave at any time, an
// owner may remove a worker it operates, and governance may remove anyone;
// each removal is announced to the worker (it drops its keys) and emits an
// event naming the signer.
func TestClusterRemovalRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		signer func(f *fixture) string
		seed   byte
	}{
		{name: "the member's operator leaves", signer: func(f *fixture) string { return f.victim(t) }, seed: victimA},
		{name: "governance removes another operator's member", signer: func(f *fixture) string { return f.authority }, seed: victimA},
		{name: "the owner removes a worker it operates", signer: func(f *fixture) string { return f.operator }, seed: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := consentFixture(t)
			must(t, f.invite(2, victimA))
			must(t, f.join(f.victim(t), 2, victimA))
			mark := len(f.ingress(t))
			signer := tc.signer(f)
			must(t, f.removeMember(signer, 2, tc.seed))
			c, err := f.k.GetCluster(f.ctx, 2)
			must(t, err)
			if _, found := slices.BinarySearchFunc(c.Workers, []byte(pub(testKey(tc.seed))), bytes.Compare); found {
				t.Fatal("still a member")
			}
			wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicClusterMemberRemoved, protocol.ClusterMember{Cluster: 2, Worker: pub(testKey(tc.seed))}.Encode()})
			if !hasEvent(f.ctx.EventManager().Events(), types.EventClusterWorkerRemoved, map[string]string{types.AttributeWorker: keyHex(tc.seed), types.AttributeSigner: signer}) {
				t.Errorf("no %s event naming the signer", types.EventClusterWorkerRemoved)
			}
		})
	}
}

// TestSuccessorOfGatekeeperCannotJoin: a registered successor paired with
// a gatekeeper becomes a gatekeeper at activation, so it may not be put in
// a cluster before (it would be both after); a member's successor that
// governance already made a gatekeeper does not take the member's place.
func TestSuccessorOfGatekeeperCannotJoin(t *testing.T) {
	t.Parallel()
	t.Run("successor of a gatekeeper", func(t *testing.T) {
		t.Parallel()
		f, _ := migrationFixture(t)
		f.schedule(t, 100)
		must(t, f.registerTx(t, f.successorMsg(t, 11, 1, newMeasurement)))
		before := f.snapshot(t)
		_, err := f.msgs.CreateCluster(f.ctx, &types.MsgCreateCluster{Owner: f.operator, Workers: []string{keyHex(11)}})
		wantErrIs(t, err, types.ErrGatekeeperInCluster)
		f.assertUnchanged(t, before)
	})
	t.Run("member's successor made a gatekeeper", func(t *testing.T) {
		t.Parallel()
		f, _ := migrationFixture(t)
		f.schedule(t, 100)
		// Every gatekeeper has a successor, so that the activation keeps a
		// quorum; 14 succeeds member 4 and is made a gatekeeper first.
		pairs := [][2]byte{{11, 1}, {12, 2}, {13, 3}, {14, 4}}
		for _, p := range pairs {
			must(t, f.registerTx(t, f.successorMsg(t, p[0], p[1], newMeasurement)))
		}
		f.addGatekeeper(t, 14)
		for _, p := range pairs {
			f.mustHandle(t, f.mig.HandleMigrationHandover, handoverMsg(p[1], p[0], 1))
			f.mustHandle(t, f.mig.HandleMigrationReady, pairMsg(p[0], protocol.TopicMigrationReady, p[1], 1))
		}
		f.activate(t, 1, 100)
		if m := f.migration(t); m.Phase != types.MIGRATION_PHASE_DONE {
			t.Fatalf("migration %s", types.MigrationPhaseName(m.Phase))
		}
		if id, err := f.k.WorkerCluster.Get(f.ctx, pub(testKey(14))); err == nil {
			t.Fatalf("gatekeeper 14 took its predecessor's place in cluster %d", id)
		}
		c, err := f.k.GetCluster(f.ctx, 1)
		must(t, err)
		for _, w := range c.Workers {
			if bytes.Equal(w, pub(testKey(14))) || bytes.Equal(w, pub(testKey(4))) {
				t.Fatalf("members %x", c.Workers)
			}
		}
	})
}
