package devnet

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gatekeeper-net/gatekeeper/internal/atomicfile"
)

// ManifestFile is the name of the manifest under the devnet home.
const ManifestFile = "devnet.json"

// Manifest is DIR/devnet.json: what a client needs to talk to the devnet.
type Manifest struct {
	ChainID        string    `json:"chain_id"`
	Home           string    `json:"home"`
	KeyringBackend string    `json:"keyring_backend"`
	Denom          string    `json:"denom"`
	Accounts       []Account `json:"accounts"`
	Endpoints      Endpoints `json:"endpoints"`
	// TrustRoot is the hex genesis validator set hash the pRuntimes trust.
	TrustRoot string     `json:"trust_root,omitempty"`
	PRuntimes []PRuntime `json:"pruntimes,omitempty"`
}

// PRuntime is one pRuntime (sim TEE) and its pherry relayer.
type PRuntime struct {
	Name string `json:"name"`
	// Role is RoleGatekeeper or RoleWorker: what the devnet makes of it.
	Role   string `json:"role"`
	RPC    string `json:"rpc"`
	Listen string `json:"-"`
	// AppAPI is the pRuntime's local app API (derived keys, saved state).
	AppAPI    string `json:"app_api"`
	AppListen string `json:"-"`
	// PherryMetrics is its relayer's Prometheus endpoint (/ready and
	// /health beside it).
	PherryMetrics       string `json:"pherry_metrics,omitempty"`
	PherryMetricsListen string `json:"-"`
	DataDir             string `json:"data_dir"`
	Operator            string `json:"operator"`
	OperatorKey         string `json:"operator_key"`
}

// Roles of the devnet's pRuntimes.
const (
	RoleGatekeeper = "gatekeeper"
	RoleWorker     = "worker"
)

// byRole returns the indexes of the pRuntimes with role.
func (m Manifest) byRole(role string) []int {
	var out []int
	for i, p := range m.PRuntimes {
		if p.Role == role {
			out = append(out, i)
		}
	}
	return out
}

// Account is a funded devnet key.
type Account struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// Endpoints are the network addresses of the devnet's services.
type Endpoints struct {
	CometRPC string `json:"cometbft_rpc"`
	GRPC     string `json:"grpc"`
	REST     string `json:"rest"`
	P2P      string `json:"p2p"`
	Metrics  string `json:"metrics"`
}

func endpointsFor(p Ports) Endpoints {
	return Endpoints{
		CometRPC: fmt.Sprintf("tcp://127.0.0.1:%d", p.RPC),
		GRPC:     fmt.Sprintf("127.0.0.1:%d", p.GRPC),
		REST:     fmt.Sprintf("http://127.0.0.1:%d", p.REST),
		P2P:      fmt.Sprintf("tcp://127.0.0.1:%d", p.P2P),
		Metrics:  fmt.Sprintf("http://127.0.0.1:%d/metrics", p.Metrics),
	}
}

// ReadManifest reads DIR/devnet.json.
func ReadManifest(home string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(home, ManifestFile))
	if err != nil {
		return m, fmt.Errorf("devnet: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("devnet: %s: %w", ManifestFile, err)
	}
	return m, nil
}

// writeManifest writes DIR/devnet.json atomically and durably.
func writeManifest(home string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(home, ManifestFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("devnet: writing manifest: %w", err)
	}
	return nil
}
