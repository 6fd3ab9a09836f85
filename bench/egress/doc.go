// Package egress holds the whole-system benchmark of worker egress: how many
// signed egress messages one validator accepts per second, through CheckTx
// (mempool admission) and FinalizeBlock+Commit, against the raw ed25519
// verification rate measured in the same run. The benchmark itself lives in
// the package's tests; see bench/README.md for the commands and figures.
package egress
