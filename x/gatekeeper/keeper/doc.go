// Package keeper implements x/gatekeeper's gatekeeper protocol: the
// chain's side of the gatekeepers' key management (DESIGN.md §6,
// replicated mode): the gatekeeper set and the master key launch and
// history, key distribution, clusters and their keys, the random beacon,
// master key rotation and key requests. Files by role: masterkey.go
// (launch, copies, liveness, faults), cluster.go, beacon.go, rotation.go
// and rotation_liveness.go, keyrequest.go, and succession.go (what a
// pRuntime migration asks of this keeper). pRuntime migration itself is
// x/gatekeeper/migration.
//
// # Why clusters are here, and migration beside
//
// A cluster exists to receive a gatekeeper-derived key, and its consent
// rules decide who may receive key material; a pRuntime migration hands
// over keys and sealed state and replaces gatekeepers, the launcher and
// cluster members. Both are the gatekeeper protocol, not worker
// registration, so both are x/gatekeeper. What they need of x/registry
// (read, walk and deregister workers; check, allow, list and remove
// measurements; the gatekeeper confidence limit) is the narrow
// types.RegistryKeeper.
//
// Migration is its own package, x/gatekeeper/migration, on the same store,
// and depends on this keeper, not the reverse: an activation changes the
// gatekeeper set, the launcher and the clusters, which this keeper owns and
// keeps consistent, so it asks this keeper to make those changes
// (succession.go, migration.GatekeeperKeeper). All this keeper needs of
// migration is one fact, whether one is pending (a pending migration
// refuses a master key rotation and a gatekeeper's successor joining a
// cluster), which it reads from the migration records (Migrations, one
// method, implemented by migration.Store) built before both keepers. The
// migration's message, query and x/mq handlers are the migration keeper's;
// this keeper's Msg and Query services hand those methods to it. The one
// call from x/registry, a registering successor that names its
// predecessor (x/registry's types.GatekeeperProtocol), goes to the
// migration keeper. So the keepers depend one way (migration on
// gatekeeper on registry, both on the records) and nothing is wired after
// construction.
//
// # What the chain guarantees
//
// The chain never sees a secret. It decides who may receive one, records the
// public keys every secret is checked against, and relays ciphertexts sealed
// (HPKE) to a receive key that an attestation bound to a registered worker.
// Whatever a compromised relayer or a single compromised gatekeeper submits,
// these hold:
//
//   - Master key v0 comes from exactly one gatekeeper, the launcher: the first
//     gatekeeper governance designates, or, if it is removed before it
//     delivers, the first remaining one in key order. Its public key is
//     recorded once (a second v0 is rejected) and must be a valid compressed
//     secp256k1 point.
//   - A master key copy is relayed only from a live gatekeeper (one that
//     has reported, or generated, the whole history) to a current gatekeeper,
//     for versions that exist. A worker that is not a gatekeeper never
//     receives the master key through the chain, with one exception: the
//     successor of a gatekeeper in a pRuntime migration
//     (x/gatekeeper/migration's doc.go states what a migration guarantees).
//   - A cluster key copy is relayed only from a live gatekeeper to a current
//     member of that cluster, for the cluster's current key version and only
//     after its public key is on chain, so receivers can verify what they
//     open. A removed member is announced, and gets no further copies.
//   - Cluster public keys and beacons are gatekeeper-origin messages: x/mq
//     delivers them only at a sequence the chain allocated (a gatekeeper
//     task) and once gk_quorum current gatekeepers signed the identical
//     bytes, so one gatekeeper cannot choose them.
//   - A master key rotation (rotation.go) starts only with a quorum of the
//     gatekeepers live, and fixes its gatekeeper set (the snapshot) until
//     re-encryption ends. A new version becomes active only after a quorum
//     of the snapshot acknowledged that it sealed it, so it cannot be lost
//     with one gatekeeper; its public key is valid and new. The old version
//     is retired only when every range of the saved state was reported
//     re-encrypted with no failure, and erased key_retention blocks later;
//     after that no copy that includes it is relayed. A proposal a quorum
//     can no longer acknowledge, because snapshot gatekeepers reported its
//     copies faulty, is dropped and its proposer barred from that rotation.
//
// Receivers check every key they open against the public key on chain and
// report a mismatch (gatekeeper/key_fault); the chain counts these per
// gatekeeper. A fault report is an unproven claim (the plaintext stays in
// the receiver's TEE), so the count is evidence for governance, not grounds
// for automatic removal.
//
// Handlers of egress topics run in a cached context (see x/mq): a rejected
// payload changes nothing, and every rejection carries a registered error
// saying what was wrong.
package keeper
