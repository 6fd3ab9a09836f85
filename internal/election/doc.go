// Package election elects gatekeepers by nominated proof of stake
// (DESIGN.md §9): sequential Phragmén followed by star balancing, the
// semantics of Polkadot's sp-npos-elections, in exact integer arithmetic.
//
// It is a pure function (Elect): candidates, voters and a Config in, a
// Result out. It imports nothing from the Cosmos SDK, reads no clock and no
// randomness, iterates no map, and uses no floating point, so every
// validator computes byte-identical results from the same inputs, in any
// input order.
//
// # Sequential Phragmén
//
// Every voter carries a load, starting at 0. A candidate's approval A_c is
// the total stake of the voters approving it (a candidate's self-bond is a
// voter approving only itself). In each round every electable candidate c
// has the score
//
//	score_c = (1 + Σ_{v approves c} stake_v · load_v) / A_c
//
// the lowest score wins the round, and each voter approving the winner has
// its load raised to the winner's score (the difference is that edge's
// load). After k rounds an edge's exact weight is
// stake_v · edge_load / load_v, so a voter's weights sum to its stake.
//
// Scores and loads are rationals. Elect keeps them exact: loads of winner r
// are integers over the common denominator D_r = A_{w1}·…·A_{wr}, held in
// math/big, and a candidate's Σ stake·load is updated incrementally only
// for the voters of the round's winner. Nothing is rounded until the end,
// so the elected set is exactly the one of a textbook rational
// implementation (the tests run one, in math/big.Rat, against Elect).
//
// # Rules that are ours
//
//   - Ties in a round go to the candidate whose ID is lower (bytewise).
//   - A candidate nobody approves (zero approval, no self-bond) is never
//     elected; fewer than k candidates are elected if fewer are approved.
//     (Polkadot would fill seats with such candidates.)
//   - Exposures are whole token units. A voter's exact weights are
//     floored and the units left over (fewer than its number of elected
//     targets) go one each to the edges with the largest remainders, ties to
//     the lower candidate ID (largest-remainder rounding). Every voter that
//     approves at least one winner is thus exposed for exactly its stake;
//     a voter approving no winner is exposed for nothing.
//   - Balancing (Config.BalanceIterations sweeps over the voters in ID
//     order, stopping early once no voter moves more than
//     Config.Tolerance) redistributes each voter's stake among its elected
//     targets by water filling: the least-backed targets are raised to a
//     common level. The level's remainder units go one each to the
//     least-backed edges (ties to the lower candidate ID), so balancing
//     also conserves every voter's stake exactly. Unlike Polkadot, a
//     voter's zero-weight edges to winners stay eligible for balancing.
//   - Every winner is approved (positive approval), and its exact backing
//     is positive; in whole units it can be zero only when its voters have
//     fewer units than the winners they approve. When every voter has at
//     least as many stake units as elected targets, one balancing sweep at
//     tolerance 0 leaves every winner backed by at least one unit.
//   - Balancing never lowers the smallest backing of the elected set
//     (each water-filling step maximises the minimum among the voter's
//     targets), and never changes who is elected.
//
// # Bounds
//
// Inputs are refused, with an error naming the offending entry, unless:
// at most MaxCandidates candidates and MaxVoters voters, IDs of 1 to
// MaxIDLen bytes and unique among candidates and among voters (a voter may
// share its ID with a candidate: they are different roles), every voter's
// stake is positive and its 1 to MaxTargets targets are distinct known
// candidates, and the total stake (all voter stakes and self-bonds) is at
// most MaxTotalStake, so no sum of stakes overflows. Callers drop stale
// targets (a chilled candidate) and zero-stake voters before calling; a
// candidate's zero self-bond means no self-vote.
//
// Config.Winners is at most MaxWinners (256). The work is bounded by the
// input bounds: k rounds, each touching every candidate once and the
// winner's voters' edges once, on integers that grow by the bit length of
// one approval per round (so the cost grows with k²), plus
// BalanceIterations sweeps over all edges. At every bound at once
// (MaxCandidates, MaxVoters × MaxTargets, MaxWinners,
// MaxBalanceIterations, stakes near MaxTotalStake) one election took 3.0 s
// of CPU (TestWorstCaseReport); the chain's own parameters are meant to
// stay far below that (issue 17's figure, 100 of 1,000 with 10,000
// nominators, takes ~70 ms: bench/README.md).
package election
