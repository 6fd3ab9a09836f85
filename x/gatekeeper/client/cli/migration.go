package cli

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// FlagID selects a migration of the history by its id.
const FlagID = "id"

// MigrationCmd shows the pending pRuntime migration, or the last one.
func MigrationCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migration",
		Short: "Show the pending pRuntime migration (or the last one) with each predecessor/successor pair",
		Long: `Show a pRuntime migration: the TEE kind, the successor measurement and the measurements it
replaces, the activation height and its x/upgrade plan, and for each pair whether the
predecessor's handover was relayed and the successor reported ready.
Without --id it shows the pending migration, or the last one if none is pending.
--output json prints the raw response.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runQuery(cmd, func(clientCtx client.Context) (*types.QueryMigrationResponse, error) {
				id, err := cmd.Flags().GetUint64(FlagID)
				if err != nil {
					return nil, err
				}
				return types.NewQueryClient(clientCtx).Migration(cmd.Context(), &types.QueryMigrationRequest{Id: id})
			}, FormatMigration)
		},
	}
	cmd.Flags().Uint64(FlagID, 0, "show the migration with this id (default: the pending or last one)")
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}

// FormatMigration writes resp for a person: a header with phase,
// measurements and heights, then one row per pair.
func FormatMigration(w io.Writer, resp *types.QueryMigrationResponse) error {
	var b strings.Builder
	m := resp.Migration
	if m == nil {
		_, err := io.WriteString(w, "no pRuntime migration yet\n")
		return err
	}
	fmt.Fprintf(&b, "pRuntime migration %d (%s)", m.Id, m.TeeKind)
	if m.Description != "" {
		fmt.Fprintf(&b, ": %s", m.Description)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "phase:       %s", types.MigrationPhaseName(m.Phase))
	switch {
	case m.Pending() && resp.PlanPending:
		fmt.Fprintf(&b, " (x/upgrade plan %s pending)", m.PlanName)
	case m.Pending():
		fmt.Fprintf(&b, " (x/upgrade plan %s NOT pending: it is cancelled at the end of this block)", m.PlanName)
	case m.Phase == types.MIGRATION_PHASE_CANCELLED:
		fmt.Fprintf(&b, " (%s)", cancelReason(m.CancelReason))
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "successor:   %x\n", m.Measurement)
	for _, r := range m.ReplacedMeasurements {
		fmt.Fprintf(&b, "replaces:    %x\n", r)
	}
	fmt.Fprintf(&b, "heights:     scheduled %d, activation %d, activated %s, cancelled %s\n",
		m.ScheduledHeight, m.ActivationHeight, height(m.ActivatedHeight), height(m.CancelledHeight))
	fmt.Fprintf(&b, "pairs:       %d ready of %d\n", m.Ready(), len(m.Pairs))
	if m.Phase == types.MIGRATION_PHASE_DONE {
		fmt.Fprintf(&b, "retired:     %d workers of the old version, %d gatekeepers lost\n", m.RetiredWorkers, len(m.LostGatekeepers))
		for _, g := range m.LostGatekeepers {
			fmt.Fprintf(&b, "lost:        %x (gatekeeper without a ready successor)\n", g)
		}
	}
	if len(m.Pairs) > 0 {
		b.WriteString("\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PREDECESSOR\tSUCCESSOR\tPAIRED\tHANDOVER\tREADY\tFAULTS\tOUTCOME")
		for _, p := range m.Pairs {
			handover := "-"
			switch {
			case p.HandoverParts == 1:
				handover = fmt.Sprintf("1 part at %d", p.HandoverHeight)
			case p.HandoverParts > 1:
				handover = fmt.Sprintf("%d parts, last at %d", p.HandoverParts, p.HandoverHeight)
			}
			ready := "no"
			if p.ReadyHeight != 0 {
				ready = fmt.Sprintf("at %d", p.ReadyHeight)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\t%s\n", hex.EncodeToString(p.Predecessor), hex.EncodeToString(p.Successor),
				p.PairedHeight, handover, ready, p.Faults, outcome(m, p))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func outcome(m *types.Migration, p types.MigrationPair) string {
	if m.Phase != types.MIGRATION_PHASE_DONE {
		return "-"
	}
	if !p.Replaced {
		return "retired, not replaced"
	}
	var roles []string
	if p.Gatekeeper {
		roles = append(roles, "gatekeeper")
	}
	if p.ClusterId != 0 {
		roles = append(roles, fmt.Sprintf("cluster %d", p.ClusterId))
	}
	if len(roles) == 0 {
		return "replaced"
	}
	return "replaced (" + strings.Join(roles, ", ") + ")"
}

func cancelReason(r uint32) string {
	switch r {
	case 1:
		return "its x/upgrade plan was cancelled, replaced or skipped"
	case 2:
		return "too few gatekeepers were ready at the activation height"
	}
	return fmt.Sprintf("reason %d", r)
}
