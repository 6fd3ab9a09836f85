// Package migration implements pRuntime migration, the chain's side (DESIGN
// §6 "State migration"; docs/gatekeepers.md "State migration"), as part of
// the x/gatekeeper module: governance schedules a migration of a TEE kind's
// pRuntimes to a new measurement (MsgScheduleMigration, an x/upgrade plan),
// successors register naming their predecessors and are paired
// (PairSuccessor, called by x/registry), predecessors hand over their keys
// and sealed state through the chain (HandleMigrationHandover), successors
// report ready or a bad handover, and at the plan's height the migration
// activates (ActivateMigration) or, if its plan is gone, is cancelled
// (EndBlock). Files by role: migration.go (the state machine), store.go
// (the records), keeper.go, server.go (the message and query), genesis.go.
//
// # Where it sits
//
// The records stay in the "gatekeeper" store under their prefix
// (x/gatekeeper/types/keys.go lists every prefix of that store), so nothing
// the enclave proves moves, and the module keeps its messages, queries,
// topics, events and error codes: this package is a cut of the module's
// code by domain, not a module.
//
// It depends on the gatekeeper keeper (x/gatekeeper/keeper) through
// GatekeeperKeeper, an interface defined here, and not the reverse. An
// activation replaces gatekeepers, the launcher and cluster members, and
// asks for the master key for a new gatekeeper: changes of the gatekeeper
// keeper's state, which that keeper makes by its own rules
// (keeper/succession.go). The other direction would have the gatekeeper
// keeper reach into migration logic for a single fact, whether a migration
// is pending (which refuses a master key rotation and a gatekeeper's
// successor joining a cluster); it reads that from Store, the migration
// records, which depend on nothing. The app builds Store, then the
// gatekeeper keeper on it, then this keeper on both: one way, acyclic, no
// setters. Of the two directions this gives the fewest interfaces (one
// here, and one single-method one there), both narrow and each defined by
// the side that uses it.
//
// # What the chain guarantees
//
// A pRuntime migration hands a pRuntime's keys and sealed state only to a
// successor that governance's scheduled measurement attests, that named the
// sender as its predecessor inside its own attested registration info, and
// that has the sender's operator: the chain relays a handover only from a
// predecessor to its own successor, and never looks inside it (it is
// sealed to the successor's receive key). At the activation height, fixed
// in advance by an x/upgrade plan, ready successors replace their
// predecessors, every worker of a replaced measurement is deregistered so
// it can send nothing more, and the replaced measurements are removed so it
// cannot register again. The activation is cancelled rather than leave
// fewer live gatekeepers than the old set's quorum, so the master key is
// never left without the holders it had to have. While a migration is
// pending no master key rotation starts, and a gatekeeper's successor
// cannot join a cluster (a gatekeeper is never a cluster member).
//
// A successor's fault report on a handover is an unproven claim, like a key
// fault: it is counted on the pair and, as evidence for governance, on a
// predecessor gatekeeper, and costs the successor its own readiness,
// nothing else. Handlers of egress topics run in a cached context (see
// x/mq): a rejected payload changes nothing, and every rejection carries a
// registered error saying what was wrong.
package migration
