// Package computation holds the whole-system benchmark of x/computation's
// settlement path: how long the real gkd application takes to apply the
// gatekeepers' settlements of 10,000 computing workers (payouts minted and
// sent, treasury share, V recorded) in the block that delivers their quorum
// messages, next to blocks of 10,000 plain bank sends and an empty block
// measured in the same run. The benchmark lives in the package's tests; see
// bench/README.md for the command and the figures.
package computation
