// Command pruntime is the enclave runtime; see package internal/pruntime.
package main

import (
	"os"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
)

func main() { os.Exit(pruntime.Main(os.Args[1:], os.Stdout, os.Stderr)) }
