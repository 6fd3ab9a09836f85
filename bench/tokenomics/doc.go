// Package tokenomics holds the whole-block benchmark of the gatekeepers'
// tokenomic engine (internal/tokenomics): the time one gatekeeper takes to
// run the model for one block of 100,000 computing workers on one core, the
// issue's goal being under 50 ms, against references measured in the same
// run. The benchmark lives in the package's tests; see bench/README.md for
// the command and the figures.
package tokenomics
