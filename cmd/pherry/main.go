// Command pherry is the relayer between a chain node and a pRuntime; see
// package internal/pherry.
package main

import (
	"os"

	"github.com/gatekeeper-net/gatekeeper/internal/pherry"
)

func main() { os.Exit(pherry.Main(os.Args[1:], os.Stdout, os.Stderr)) }
