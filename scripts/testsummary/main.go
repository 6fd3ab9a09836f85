// Command testsummary filters `go test -json` on stdin: failing tests'
// output, then per-test durations, slowest first (package
// internal/testsummary). It exits 1 if a test or package failed.
//
//	go test -json ./e2e/ | go run ./scripts/testsummary
package main

import (
	"fmt"
	"os"

	"github.com/gatekeeper-net/gatekeeper/internal/testsummary"
)

func main() {
	_, failed, err := testsummary.Summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if failed {
		os.Exit(1)
	}
}
