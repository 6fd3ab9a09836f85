// Package keeper implements x/registry: attested worker registration, the
// measurement allow-list, vendor collateral and worker endpoints. The
// gatekeeper protocol that hands keys to these workers is x/gatekeeper.
//
// # What the chain guarantees
//
// A worker record exists only for a pRuntime whose registration passed
// every check of RegisterWorker (register.go), cheapest first, nothing
// stored unless all pass: the registration info decodes canonically and
// names this chain and the signing operator; the TEE kind is known (sim only
// while allow_simulated_tee is on); the quote verifies at block time, never
// the wall clock, against collateral governance stored for its platform,
// unexpired and with no revoked certificate; its report data binds the
// info; it is recent enough, not from a debug TEE (unless allowed), from an
// accepted SEV-SNP VMPL; its measurement is allow-listed for its kind; and
// its confidence level is accepted for workers. The identity and receive
// keys every later message and sealed key is checked against come only
// from such an attested info. A registration that names a predecessor is
// accepted only if x/gatekeeper pairs it in the pending pRuntime migration,
// in the same transaction.
//
// Governance alone changes params, measurements and collateral. A worker
// can change nothing of its record but its endpoint (registry/endpoint,
// from its own worker origin).
//
// # The boundary with x/gatekeeper
//
// x/gatekeeper reads and changes workers and measurements only through the
// methods in workers.go and GetWorker and IsWorker (keeper.go), which are
// its expected RegistryKeeper. x/registry calls x/gatekeeper only through
// types.GatekeeperProtocol (pair a successor; tell whether a worker is a
// gatekeeper), given to the module, not the keeper, so that the keepers
// depend one way.
//
// Handlers of egress topics run in a cached context (see x/mq): a rejected
// payload changes nothing, and every rejection carries a registered error
// saying what was wrong.
package keeper
