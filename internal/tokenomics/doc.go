// Package tokenomics is the computing-reward model every gatekeeper runs
// each block (DESIGN.md §8): the reference network's "Gemini" model, in
// deterministic fixed-point arithmetic.
//
// # What it computes
//
// A worker that starts computing gets an initial value V from its stake,
// performance score p and attestation confidence (Params.InitialV). Every
// block, a worker that is not asked to prove liveness grows V a little
// (Params.IdleDelta: interest on V plus its running cost), and that growth is
// recorded as V_deductible. The gatekeepers' random beacon challenges a
// random subset of workers each block (IsChallenged, OnlineTarget); a
// challenged worker answers with a heartbeat within heartbeat_window blocks.
// An answer settles the worker: it is paid its share of the budget since its
// last settlement, share = √(V² + (2·p·conf_f)²) over Σshare, and V drops
// by what it gained, up to the payout. A worker that lets a challenge expire
// becomes unresponsive and loses V·slash_rate every block until it answers a
// live challenge. State.Apply documents the exact order of a block.
//
// # Interpretation of DESIGN.md §8, following the reference
//
// Where §8 is terse, the reference's code decides (docs/computation.md
// lists every rule where ours differs from it, and why):
//
//   - After a settlement V_deductible is reset to zero even when the payout
//     was smaller than it (V keeps the rest); a heartbeat with nothing to
//     deduct settles with zero payout and does not move the last-settlement
//     height.
//   - ΔV is added to V_deductible in full even when V is capped at v_max.
//   - A start whose V_e exceeds v_max is refused (ErrStakeTooHigh).
//   - Scores and p_instant are iterations per 6 s. p_bench is the score the
//     session started with (p_init); share and ΔV use p_instant, which
//     starts at p_bench and is measured on every heartbeat from the worker's
//     benchmark iteration counter, from the session start for the first,
//     capped at 1.2·p_bench; a counter that went backwards (the pRuntime
//     restarted) gives 0 until the next heartbeat. Unlike the reference the
//     interval runs between the challenge blocks' times at both ends, so
//     relaying delay does not lower p, and p_instant is used for workers
//     running apps too (the reference uses p_bench for workers running
//     contracts, because it pauses their benchmark; ours never pauses).
//   - Σshare is over the workers responsive at the start of the block,
//     before its stops and starts; a recovery pays nothing and restarts the
//     settlement clock, so unresponsive blocks are never paid.
//   - expected_heartbeat_count is, as in the reference, the number of
//     heartbeats wanted per block over the network, with a per-worker cap of
//     max_heartbeats_per_worker_hour (the reference hard-codes 2).
//   - Confidence level 128 (simulated TEE) counts as 1, as in the reference;
//     other levels outside 1–5 are refused (the reference weighs them 1 in
//     V_e and 0 in share).
//
// Deliberate differences from the reference: the reference's gatekeeper
// stops ("state poisoned") on a heartbeat that does not answer the oldest
// outstanding challenge; here every bad input is rejected with a reason
// (Rejection) and changes nothing. A heartbeat must name a challenge that
// was issued to that worker in its current session (the engine keeps the
// last heartbeat_window+1 seeds and re-evaluates the challenge rule), not
// yet answered, and at most heartbeat_window blocks old: a late answer is
// ErrLate, and an unresponsive worker recovers by answering a challenge
// issued after it came back. Answering a challenge also discharges older
// unanswered ones. A second heartbeat of a worker in one block re-measures
// p_instant and reports nothing more. One params set applies to a whole
// block.
//
// # Determinism
//
// Gatekeepers on different machines must produce byte-identical outputs
// (DESIGN.md §11 invariants 3 and 6). Everything here is a function of
// (Params, State, Block): no IEEE 754 arithmetic (Fixed is 64.64 on two uint64
// limbs, math/bits only, arithmetic rounding toward zero), no map (the state is a
// slice sorted by worker key, outputs are sorted by key), no clock, no
// randomness but the seed the caller passes. A test greps the package's
// non-test sources to keep it that way. The package imports only the
// standard library so that it can run inside the pRuntime enclave.
//
// # Encodings
//
// Fixed: 16 bytes, its 128-bit representation big-endian; decimal strings
// (Parse, String) for JSON and governance. Params: a fixed 197-byte layout
// (MarshalBinary) and a JSON object (ParseParamsJSON). Output, the quorum
// message payload: see Output.Encode; DecodeOutput is strict and fuzzed.
// State: State.MarshalBinary, for a gatekeeper to seal it between blocks and
// for gatekeepers to compare; its decoder is strict and fuzzed too.
package tokenomics
