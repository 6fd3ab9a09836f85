// Package cli holds the gatekeeper module's hand-written query commands:
// those that print a rotation or a migration in a form an operator reads
// (per-gatekeeper progress, pair outcomes), which autocli cannot format.
package cli

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// FlagToVersion selects a rotation of the history by its new version.
const FlagToVersion = "to-version"

// GetQueryCmd returns the gatekeeper module's custom query commands; autocli adds the
// rest.
func GetQueryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Querying commands for the gatekeeper module",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(RotationCmd(), MigrationCmd())
	return cmd
}

// RotationCmd shows the running master key rotation, or the last one.
func RotationCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rotation",
		Short: "Show the running master key rotation (or the last one) with per-gatekeeper progress",
		Long: `Show a master key rotation: its phase, versions and heights, and for each gatekeeper of
its snapshot whether it acknowledged the new version and how far its re-encryption range is.
Without --to-version it shows the running rotation, or the last one if none is running.
--output json prints the raw response.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runQuery(cmd, func(clientCtx client.Context) (*types.QueryRotationResponse, error) {
				to, err := cmd.Flags().GetUint32(FlagToVersion)
				if err != nil {
					return nil, err
				}
				return types.NewQueryClient(clientCtx).Rotation(cmd.Context(), &types.QueryRotationRequest{ToVersion: to})
			}, FormatRotation)
		},
	}
	cmd.Flags().Uint32(FlagToVersion, 0, "show the rotation to this master key version (default: the running or last one)")
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}

// FormatRotation writes resp for a person: a header with phase, versions
// and heights, then one row per gatekeeper of the snapshot.
func FormatRotation(w io.Writer, resp *types.QueryRotationResponse) error {
	var b strings.Builder
	next := "off (rotation_interval 0)"
	if resp.NextAutomaticHeight > 0 {
		next = fmt.Sprintf("at or after height %d", resp.NextAutomaticHeight)
	}
	r := resp.Rotation
	if r == nil {
		fmt.Fprintf(&b, "no master key rotation yet\nnext automatic rotation: %s\n", next)
		_, err := io.WriteString(w, b.String())
		return err
	}
	trigger := "rotation_interval"
	if r.ByGovernance {
		trigger = "governance"
	}
	fmt.Fprintf(&b, "master key rotation v%d -> v%d (%s)\n", r.FromVersion, r.ToVersion, trigger)
	fmt.Fprintf(&b, "phase:      %s\n", types.PhaseName(r.Phase))
	if len(r.Proposer) > 0 {
		fmt.Fprintf(&b, "proposer:   %x\npublic key: %x\n", r.Proposer, r.PublicKey)
	}
	for _, p := range r.RejectedProposers {
		fmt.Fprintf(&b, "rejected:   %x (its proposal was reported faulty)\n", p)
	}
	fmt.Fprintf(&b, "heights:    started %d, proposed %s, activated %s, retired %s, erase at %s, erased %s\n",
		r.StartHeight, height(r.ProposedHeight), height(r.ActivatedHeight), height(r.RetiredHeight), height(r.EraseHeight), height(r.ErasedHeight))
	fmt.Fprintf(&b, "acks:       %d of %d (quorum %d)\n", r.Acks(), len(r.Gatekeepers), resp.AckQuorum)
	fmt.Fprintf(&b, "next automatic rotation: %s\n\n", next)

	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RANGE\tGATEKEEPER\tACKED\tDONE/TOTAL\tPERCENT\tFAILED\tFINISHED")
	for i, g := range r.Gatekeepers {
		acked := "no"
		switch {
		case g.AckedHeight != 0:
			acked = fmt.Sprintf("at %d", g.AckedHeight)
		case g.FaultedHeight != 0:
			acked = fmt.Sprintf("fault at %d", g.FaultedHeight)
		}
		progress, pct, finished := "-", "-", "no"
		if g.ProgressHeight != 0 {
			progress = fmt.Sprintf("%d/%d", g.Done, g.Total)
			pct = percent(g.Done, g.Total)
		}
		if g.Finished {
			finished = "yes"
		}
		fmt.Fprintf(tw, "%d/%d\t%s\t%s\t%s\t%s\t%d\t%s\n", i, len(r.Gatekeepers), hex.EncodeToString(g.IdentityKey), acked, progress, pct, g.Failed, finished)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, g := range r.Gatekeepers {
		if g.AssignedHeight != 0 {
			fmt.Fprintf(&b, "range %d reassigned to %x at %d after it stalled (%d times)\n", i, g.RangeAssignee(), g.AssignedHeight, g.Reassignments)
		}
	}
	if r.SweepHeight != 0 {
		fmt.Fprintf(&b, "workers:    %d acknowledged v%d; ranges count from the sweep at %d\n", len(r.WorkerAcks), r.ToVersion, r.SweepHeight)
	}
	for _, w := range resp.UnackedWorkers {
		fmt.Fprintf(&b, "waiting for worker %x to acknowledge v%d\n", w, r.ToVersion)
	}
	for i, g := range r.Gatekeepers {
		if len(g.FailedNames) == 0 {
			continue
		}
		more := ""
		if g.Failed > uint64(len(g.FailedNames)) {
			more = fmt.Sprintf(" (and %d more)", g.Failed-uint64(len(g.FailedNames)))
		}
		fmt.Fprintf(&b, "range %d failed: %s%s\n", i, strings.Join(g.FailedNames, ", "), more)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func height(h int64) string {
	if h == 0 {
		return "-"
	}
	return fmt.Sprint(h)
}

// percent renders done/total with one decimal; an empty range is 100%.
func percent(done, total uint64) string {
	if total == 0 {
		return "100.0%"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(done)/float64(total))
}

// runQuery runs query on the command's client context and prints the
// response: as JSON with --output json, otherwise through format, for a
// person.
func runQuery[R proto.Message](cmd *cobra.Command, query func(client.Context) (R, error), format func(io.Writer, R) error) error {
	clientCtx, err := client.GetClientQueryContext(cmd)
	if err != nil {
		return err
	}
	resp, err := query(clientCtx)
	if err != nil {
		return err
	}
	if clientCtx.OutputFormat == flags.OutputFormatJSON {
		return clientCtx.PrintProto(resp)
	}
	return format(cmd.OutOrStdout(), resp)
}
