package devnet

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cosmos/gogoproto/proto"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	computationtypes "github.com/gatekeeper-net/gatekeeper/x/computation/types"
	gatekeepercli "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/client/cli"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// Status is one reading of the devnet's state.
type Status struct {
	ChainID     string
	Height      int64
	BlockTime   time.Time
	Workers     uint64
	Gatekeepers int
	// LiveGatekeepers hold the whole master key history (they told the chain).
	LiveGatekeepers int
	Measurements    uint64
	// MasterKeys is the number of master key versions; MasterPubkey the
	// newest one's public key (hex), empty before the launch.
	MasterKeys   int
	MasterPubkey string
	// MasterErased counts the master key versions erased after a rotation.
	MasterErased int
	// Rotation is the running master key rotation, or the last one (nil
	// Rotation inside before the first).
	Rotation     *gatekeepertypes.QueryRotationResponse
	Clusters     uint64
	BeaconHeight uint64
	// Sessions are the computing sessions (the first page).
	Sessions []computationtypes.Session
}

// watchStatus waits for the chain to make blocks, prints the endpoints once
// and then the status every interval, until ctx ends. On a terminal each
// reading replaces the last (liveWriter).
func watchStatus(ctx context.Context, m Manifest, interval time.Duration, out *liveWriter) {
	client, err := rpchttp.New(m.Endpoints.CometRPC, "/websocket")
	if err != nil {
		fmt.Fprintf(out, "devnet: status: %v\n", err)
		return
	}
	// Poll quickly only until the chain is up; after that read the status
	// only when it is printed: counting workers scans the registry, and the
	// node's ABCI queries (the relayers' proofs among them) wait behind it.
	wait := time.Duration(0)
	up := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = 500 * time.Millisecond
		st, err := ReadStatus(ctx, client)
		if err != nil || st.Height < 1 {
			if up && ctx.Err() == nil {
				fmt.Fprintf(out, "devnet: status: %v\n", err)
				wait = interval
			}
			continue
		}
		if !up {
			printEndpoints(out, m)
			up = true
		}
		var frame bytes.Buffer
		printStatus(&frame, st)
		if len(m.PRuntimes) > 0 {
			infos := workerInfos(ctx, m.PRuntimes)
			printWorkers(&frame, m.PRuntimes, infos)
			printRotation(&frame, st, m.PRuntimes, infos)
			printSessions(&frame, st.Sessions, m.PRuntimes, infos)
		}
		out.frame(frame.Bytes())
		if interval == 0 {
			return
		}
		wait = interval
	}
}

// ReadStatus reads the chain head and the registry's counts through the
// node's RPC.
func ReadStatus(ctx context.Context, c *rpchttp.HTTP) (Status, error) {
	res, err := c.Status(ctx)
	if err != nil {
		return Status{}, err
	}
	st := Status{ChainID: res.NodeInfo.Network, Height: res.SyncInfo.LatestBlockHeight, BlockTime: res.SyncInfo.LatestBlockTime}
	var workers registrytypes.QueryWorkersResponse
	if err := abciQuery(ctx, c, "/gatekeeper.registry.v1.Query/Workers",
		&registrytypes.QueryWorkersRequest{Pagination: &query.PageRequest{Limit: 1, CountTotal: true}}, &workers); err != nil {
		return st, err
	}
	st.Workers = workers.Pagination.GetTotal()
	var gks gatekeepertypes.QueryGatekeepersResponse
	if err := abciQuery(ctx, c, "/gatekeeper.gatekeeper.v1.Query/Gatekeepers", &gatekeepertypes.QueryGatekeepersRequest{}, &gks); err != nil {
		return st, err
	}
	st.Gatekeepers = len(gks.Gatekeepers)
	for _, g := range gks.Gatekeepers {
		if g.LiveHeight > 0 {
			st.LiveGatekeepers++
		}
	}
	var keys gatekeepertypes.QueryMasterKeysResponse
	if err := abciQuery(ctx, c, "/gatekeeper.gatekeeper.v1.Query/MasterKeys", &gatekeepertypes.QueryMasterKeysRequest{}, &keys); err != nil {
		return st, err
	}
	if st.MasterKeys = len(keys.MasterKeys); st.MasterKeys > 0 {
		st.MasterPubkey = hex.EncodeToString(keys.MasterKeys[st.MasterKeys-1].PublicKey)
	}
	for _, k := range keys.MasterKeys {
		if k.ErasedHeight != 0 {
			st.MasterErased++
		}
	}
	var rot gatekeepertypes.QueryRotationResponse
	if err := abciQuery(ctx, c, "/gatekeeper.gatekeeper.v1.Query/Rotation", &gatekeepertypes.QueryRotationRequest{}, &rot); err != nil {
		return st, err
	}
	st.Rotation = &rot
	var clusters gatekeepertypes.QueryClustersResponse
	if err := abciQuery(ctx, c, "/gatekeeper.gatekeeper.v1.Query/Clusters",
		&gatekeepertypes.QueryClustersRequest{Pagination: &query.PageRequest{Limit: 1, CountTotal: true}}, &clusters); err != nil {
		return st, err
	}
	st.Clusters = clusters.Pagination.GetTotal()
	var beacon gatekeepertypes.QueryBeaconResponse
	if err := abciQuery(ctx, c, "/gatekeeper.gatekeeper.v1.Query/Beacon", &gatekeepertypes.QueryBeaconRequest{}, &beacon); err != nil {
		return st, err
	}
	if beacon.Beacon != nil {
		st.BeaconHeight = beacon.Beacon.Height
	}
	var sessions computationtypes.QuerySessionsResponse
	if err := abciQuery(ctx, c, "/gatekeeper.computation.v1.Query/Sessions", &computationtypes.QuerySessionsRequest{}, &sessions); err != nil {
		return st, err
	}
	st.Sessions = sessions.Sessions
	var ms registrytypes.QueryMeasurementsResponse
	if err := abciQuery(ctx, c, "/gatekeeper.registry.v1.Query/Measurements",
		&registrytypes.QueryMeasurementsRequest{Pagination: &query.PageRequest{Limit: 1, CountTotal: true}}, &ms); err != nil {
		return st, err
	}
	st.Measurements = ms.Pagination.GetTotal()
	return st, nil
}

func abciQuery(ctx context.Context, c *rpchttp.HTTP, path string, req, resp proto.Message) error {
	bz, err := proto.Marshal(req)
	if err != nil {
		return err
	}
	res, err := c.ABCIQuery(ctx, path, bz)
	if err != nil {
		return err
	}
	if res.Response.Code != 0 {
		return fmt.Errorf("devnet: %s: %s", path, res.Response.Log)
	}
	return proto.Unmarshal(res.Response.Value, resp)
}

func printEndpoints(out io.Writer, m Manifest) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "\nchain %s is up; manifest %s/%s\n", m.ChainID, m.Home, ManifestFile)
	fmt.Fprintln(w, "SERVICE\tENDPOINT")
	fmt.Fprintf(w, "CometBFT RPC\t%s\n", m.Endpoints.CometRPC)
	fmt.Fprintf(w, "gRPC\t%s\n", m.Endpoints.GRPC)
	fmt.Fprintf(w, "REST\t%s\n", m.Endpoints.REST)
	fmt.Fprintf(w, "P2P\t%s\n", m.Endpoints.P2P)
	fmt.Fprintf(w, "metrics\t%s\n", m.Endpoints.Metrics)
	for _, p := range m.PRuntimes {
		fmt.Fprintf(w, "%s pRuntime\t%s (app API %s)\n", p.Name, p.RPC, p.AppAPI)
	}
	fmt.Fprintln(w, "\nACCOUNT\tADDRESS")
	for _, a := range m.Accounts {
		fmt.Fprintf(w, "%s\t%s\n", a.Name, a.Address)
	}
	fmt.Fprintf(w, "\ntry: gkd q registry params --home %s\n\n", m.Home)
	w.Flush()
}

func printStatus(out io.Writer, st Status) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "HEIGHT\tBLOCK TIME\tWORKERS\tGATEKEEPERS (LIVE)\tMEASUREMENTS\tCLUSTERS\tBEACON")
	beacon := "-"
	if st.BeaconHeight > 0 {
		beacon = fmt.Sprintf("height %d", st.BeaconHeight)
	}
	fmt.Fprintf(w, "%d\t%s\t%d\t%d (%d)\t%d\t%d\t%s\n", st.Height, st.BlockTime.UTC().Format(time.RFC3339), st.Workers,
		st.Gatekeepers, st.LiveGatekeepers, st.Measurements, st.Clusters, beacon)
	w.Flush()
	if st.MasterKeys > 0 {
		fmt.Fprintf(out, "master key: active version %d (%d erased); public key %s\n", st.MasterKeys-1, st.MasterErased, st.MasterPubkey)
	}
}

// printRotation shows the running rotation the way `gkd q gatekeeper
// rotation` does, with each re-encrypting gatekeeper's ETA from its
// pRuntime; a finished one in one line.
func printRotation(out io.Writer, st Status, ws []PRuntime, infos []api.Info) {
	if st.Rotation == nil || st.Rotation.Rotation == nil {
		return
	}
	r := st.Rotation.Rotation
	if !r.Running() {
		fmt.Fprintf(out, "last master key rotation: v%d -> v%d, done; v%d erased at height %d\n", r.FromVersion, r.ToVersion, r.FromVersion, r.ErasedHeight)
		return
	}
	if err := gatekeepercli.FormatRotation(out, st.Rotation); err != nil {
		return
	}
	for i, in := range infos {
		ri := in.Rotation
		if ri == nil || ri.To != r.ToVersion || ri.Ranges == 0 || ri.Finished {
			continue
		}
		eta := "?"
		if ri.ETASeconds >= 0 && ri.Total > 0 {
			eta = (time.Duration(ri.ETASeconds) * time.Second).String()
		}
		fmt.Fprintf(out, "%s: re-encrypting range %d/%d: %d/%d %s ETA %s\n", ws[i].Name, ri.Range, ri.Ranges, ri.Done, ri.Total,
			progressBar(ri.Done+ri.Failed, ri.Total, 20), eta)
	}
}

// progressBar renders done/total as [#####.....].
func progressBar(done, total uint64, width int) string {
	n := width
	if total > 0 {
		n = int(min(done, total) * uint64(width) / total)
	}
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

// printSessions shows each computing worker's session: status, V and what
// it has been paid.
func printSessions(out io.Writer, sessions []computationtypes.Session, ws []PRuntime, infos []api.Info) {
	if len(sessions) == 0 {
		return
	}
	names := make(map[string]string, len(ws))
	for i, in := range infos {
		names[in.IdentityKey] = ws[i].Name
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "COMPUTING\tSESSION\tSTATUS\tV\tPAID\tSTAKE\tLAST SETTLED")
	for _, s := range sessions {
		id := hex.EncodeToString(s.Worker)
		name := names[id]
		if name == "" {
			name = id[:16] + "…"
		}
		v := s.V
		if i := strings.IndexByte(v, '.'); i >= 0 && len(v) > i+5 {
			v = v[:i+5]
		}
		status := strings.ToLower(strings.TrimPrefix(s.Status.String(), "SESSION_STATUS_"))
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%d\n", name, s.SessionId, status, v, s.TotalPaid, s.Stake, s.LastSettlementHeight)
	}
	w.Flush()
}

func printWorkers(out io.Writer, ws []PRuntime, infos []api.Info) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PRUNTIME\tRPC\tSYNCED\tREGISTERED\tROLE\tMASTER PUBKEY\tCLUSTER\tINGRESS\tEGRESS PENDING\tIDENTITY")
	for i, p := range ws {
		in := infos[i]
		if in.IdentityKey == "" {
			fmt.Fprintf(w, "%s\t%s\t-\t-\t-\t-\t-\t-\t-\t(not answering)\n", p.Name, p.RPC)
			continue
		}
		master := "-"
		if in.Role == api.RoleActive && in.MasterPubkey != "" {
			master = in.MasterPubkey[:16] + "…"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%t\t%s\t%s\t%s\t%d\t%d\t%s…\n", p.Name, p.RPC, in.SyncedHeight, in.Registered, in.Role,
			master, clusterCell(in), in.NextIngress, in.PendingEgress, in.IdentityKey[:16])
	}
	w.Flush()
}
