package devnet

import (
	"fmt"
	"net/url"
	"path/filepath"

	"sigs.k8s.io/yaml"

	"github.com/gatekeeper-net/gatekeeper/internal/atomicfile"
)

// ScrapeConfigFile is the Prometheus configuration the devnet writes into
// its home at each start: `prometheus --config.file HOME/prometheus.yml`
// scrapes every target of the devnet.
const ScrapeConfigFile = "prometheus.yml"

// ScrapeInterval is the scrape config's interval: the devnet makes a block
// about every second.
const ScrapeInterval = "5s"

// scrapeConfig is the part of Prometheus's configuration file the devnet
// writes.
type scrapeConfig struct {
	Global struct {
		ScrapeInterval     string `json:"scrape_interval"`
		EvaluationInterval string `json:"evaluation_interval"`
	} `json:"global"`
	ScrapeConfigs []scrapeJob `json:"scrape_configs"`
}

type scrapeJob struct {
	JobName       string         `json:"job_name"`
	MetricsPath   string         `json:"metrics_path"`
	StaticConfigs []staticConfig `json:"static_configs"`
}

type staticConfig struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels,omitempty"`
}

// scrapeConfigFor lists the node (job gkd), each pRuntime (job pruntime)
// and each relayer (job pherry), the latter two labelled with the
// pRuntime's name and role.
func scrapeConfigFor(m Manifest) (scrapeConfig, error) {
	var c scrapeConfig
	c.Global.ScrapeInterval, c.Global.EvaluationInterval = ScrapeInterval, ScrapeInterval
	node, err := hostPort(m.Endpoints.Metrics)
	if err != nil {
		return c, err
	}
	c.ScrapeConfigs = append(c.ScrapeConfigs, scrapeJob{JobName: "gkd", MetricsPath: "/metrics", StaticConfigs: []staticConfig{{Targets: []string{node}}}})
	pr := scrapeJob{JobName: "pruntime", MetricsPath: "/metrics"}
	ph := scrapeJob{JobName: "pherry", MetricsPath: "/metrics"}
	for _, p := range m.PRuntimes {
		labels := map[string]string{"name": p.Name, "role": p.Role}
		t, err := hostPort(p.RPC)
		if err != nil {
			return c, err
		}
		pr.StaticConfigs = append(pr.StaticConfigs, staticConfig{Targets: []string{t}, Labels: labels})
		if p.PherryMetrics == "" {
			continue
		}
		if t, err = hostPort(p.PherryMetrics); err != nil {
			return c, err
		}
		ph.StaticConfigs = append(ph.StaticConfigs, staticConfig{Targets: []string{t}, Labels: labels})
	}
	for _, j := range []scrapeJob{pr, ph} {
		if len(j.StaticConfigs) > 0 {
			c.ScrapeConfigs = append(c.ScrapeConfigs, j)
		}
	}
	return c, nil
}

func hostPort(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("devnet: endpoint %q is not a URL", endpoint)
	}
	return u.Host, nil
}

// writeScrapeConfig writes HOME/prometheus.yml atomically.
func writeScrapeConfig(home string, m Manifest) error {
	c, err := scrapeConfigFor(m)
	if err != nil {
		return err
	}
	b, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	b = append([]byte("# Written by gkd devnet at each start; edits are overwritten.\n"), b...)
	if err := atomicfile.Write(filepath.Join(home, ScrapeConfigFile), b, 0o644); err != nil {
		return fmt.Errorf("devnet: writing %s: %w", ScrapeConfigFile, err)
	}
	return nil
}
