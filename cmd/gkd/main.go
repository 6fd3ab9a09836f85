// Command gkd is the Gatekeeper chain node and CLI.
package main

import (
	"fmt"
	"os"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/gatekeeper-net/gatekeeper/app"
	"github.com/gatekeeper-net/gatekeeper/cmd/gkd/cmd"
)

func main() {
	if err := svrcmd.Execute(cmd.NewRootCmd(), "GKD", app.DefaultNodeHome()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
