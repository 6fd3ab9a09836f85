package deploy

import (
	"os"
	"os/exec"
	"testing"
)

// promtool returns promtool's path. It skips the test where promtool is
// missing, except under CI (CI=true), where .ci/run installs it and its
// absence is a failure.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("promtool not found under CI (.ci/run installs Debian's prometheus package): %v", err)
	}
	t.Skip("promtool not installed (apt-get install prometheus); CI runs this test")
	return ""
}

// TestAlertRules runs `promtool check rules` on the alert rules and
// `promtool test rules` on their unit tests: each alert quiet while healthy
// and firing on recorded series that meet its condition.
func TestAlertRules(t *testing.T) {
	t.Parallel()
	p := promtool(t)
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
	} {
		cmd := exec.Command(p, args...)
		cmd.Dir = "prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("promtool %v: %v\n%s", args, err, out)
		}
	}
}
