// Command pruntime is the enclave runtime; see package internal/pruntime
// and, for the command line, internal/pruntime/cli.
package main

import (
	"os"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
