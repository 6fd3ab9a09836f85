package devnet

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestScrapeConfigListsEveryTarget writes the scrape config of a devnet of
// two gatekeepers and one worker and reads it back: the node, each
// pRuntime and each relayer, at the ports the devnet listens on.
func TestScrapeConfigListsEveryTarget(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	ports := Config{PortOffset: 100}.Ports()
	accounts := []Account{{Name: operatorKey(0), Address: "gk1a"}, {Name: operatorKey(1), Address: "gk1b"}, {Name: operatorKey(2), Address: "gk1c"}}
	prs, err := workerManifests(home, 2, 1, ports, accounts)
	if err != nil {
		t.Fatal(err)
	}
	m := Manifest{Home: home, Endpoints: endpointsFor(ports), PRuntimes: prs}
	if err := writeScrapeConfig(home, m); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(home, ScrapeConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	var got scrapeConfig
	if err := yaml.UnmarshalStrict(raw, &got); err != nil {
		t.Fatalf("%s does not parse: %v\n%s", ScrapeConfigFile, err, raw)
	}
	targets := map[string][]string{}
	for _, j := range got.ScrapeConfigs {
		for _, sc := range j.StaticConfigs {
			for _, tg := range sc.Targets {
				targets[j.JobName] = append(targets[j.JobName], tg+" "+sc.Labels["name"])
			}
		}
	}
	want := map[string][]string{
		"gkd":      {"127.0.0.1:26760 "},
		"pruntime": {"127.0.0.1:8100 gatekeeper-0", "127.0.0.1:8101 gatekeeper-1", "127.0.0.1:8102 worker-0"},
		"pherry":   {"127.0.0.1:8300 gatekeeper-0", "127.0.0.1:8301 gatekeeper-1", "127.0.0.1:8302 worker-0"},
	}
	for job, w := range want {
		if !slices.Equal(targets[job], w) {
			t.Errorf("job %s targets %v, want %v", job, targets[job], w)
		}
	}
	if len(targets) != len(want) {
		t.Errorf("jobs %v, want %v", targets, want)
	}
	// Prometheus's own check, where its promtool is installed.
	if promtool, err := exec.LookPath("promtool"); err == nil {
		if out, err := exec.Command(promtool, "check", "config", filepath.Join(home, ScrapeConfigFile)).CombinedOutput(); err != nil {
			t.Fatalf("promtool check config: %v\n%s", err, out)
		}
	}
}
