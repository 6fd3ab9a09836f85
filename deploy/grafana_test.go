package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dashboard is the part of a Grafana dashboard JSON the tests read.
type dashboard struct {
	UID    string `json:"uid"`
	Title  string `json:"title"`
	Panels []struct {
		ID      int    `json:"id"`
		Title   string `json:"title"`
		Type    string `json:"type"`
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// standardMetrics are the client_golang Go and process collectors' metrics
// the dashboards use; docs/monitoring.md lists those families as go_* and
// process_*.
var standardMetrics = []string{"go_goroutines", "process_resident_memory_bytes"}

var (
	quoted     = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	matchers   = regexp.MustCompile(`\{[^}]*\}`)
	ranges     = regexp.MustCompile(`\[[^\]]*\]`)
	variables  = regexp.MustCompile(`\$\w+`)
	grouping   = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	offsets    = regexp.MustCompile(`\boffset\s+\S+`)
	identifier = regexp.MustCompile(`\b[a-zA-Z_:][a-zA-Z0-9_:]*\s*\(?`)
	// keywords are PromQL's binary and grouping keywords and its
	// aggregation operators (which may come before their parenthesis, as
	// in `sum by (x) (...)`).
	keywords = []string{"and", "or", "unless", "bool", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan",
		"sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group"}
)

// metricNames are the metric names a PromQL expression selects: its
// identifiers once label matchers, ranges, strings, Grafana variables and
// grouping label lists are removed, without function and aggregation names
// (followed by a parenthesis) and keywords.
func metricNames(expr string) []string {
	s := quoted.ReplaceAllString(expr, `""`)
	s = matchers.ReplaceAllString(s, " ")
	s = ranges.ReplaceAllString(s, " ")
	s = variables.ReplaceAllString(s, " ")
	s = grouping.ReplaceAllString(s, " $1 ")
	s = offsets.ReplaceAllString(s, " ")
	var out []string
	for _, tok := range identifier.FindAllString(s, -1) {
		tok = strings.TrimSpace(tok)
		if strings.HasSuffix(tok, "(") || slices.Contains(keywords, strings.ToLower(tok)) {
			continue
		}
		out = append(out, tok)
	}
	return out
}

func TestMetricNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ expr, want string }{
		{`up`, "up"},
		{`sum by (result, reason) (increase(gkd_registrations_total{result="rejected"}[$__rate_interval]))`, "gkd_registrations_total"},
		{`time() - pruntime_synced_header_timestamp_seconds{instance=~"$instance"} > 60`, "pruntime_synced_header_timestamp_seconds"},
		{`a_x{state="done"} / ignoring(state) group_left b_y{state="total"}`, "a_x b_y"},
		{`x_total offset 5m and on(instance) y == bool 1`, "x_total y"},
		{`rate(z[5m]) > 1/60`, "z"},
		{`label_values(pruntime_build_info, instance)`, "pruntime_build_info instance"},
	} {
		if got := strings.Join(metricNames(tc.expr), " "); got != tc.want {
			t.Errorf("metricNames(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

// TestDashboards reads every dashboard: each parses, has a uid and title,
// unique panel ids and titles, and queries only metrics that exist: those
// docs/monitoring.md lists (each binary's TestMonitoringDocListsEveryMetric
// checks it lists every metric registered) or the standard collectors'.
// docs/monitoring.md also names every panel.
func TestDashboards(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/monitoring.md")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	// The metric tables' first column: `name` or `name{labels}`. (Not any
	// backquoted word: the panel tables quote the dashboards' own queries.)
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_:][a-z0-9_:]*)(?:\\{[^`]*\\})?` \\|").FindAllStringSubmatch(string(doc), -1) {
		known[m[1]] = true
	}
	if len(known) < 40 {
		t.Fatalf("read %d metric names from docs/monitoring.md's tables", len(known))
	}
	for _, m := range standardMetrics {
		known[m] = true
	}
	files, err := filepath.Glob("grafana/*.json")
	if err != nil || len(files) != 2 {
		t.Fatalf("dashboards %v (%v), want network.json and node.json", files, err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if d.UID == "" || d.Title == "" || len(d.Panels) == 0 {
			t.Fatalf("%s: uid %q, title %q, %d panels", f, d.UID, d.Title, len(d.Panels))
		}
		ids, titles := map[int]bool{}, map[string]bool{}
		for _, p := range d.Panels {
			if ids[p.ID] || titles[p.Title] || p.Title == "" || len(p.Targets) == 0 {
				t.Errorf("%s: panel %d %q: duplicate or empty id or title, or no query", f, p.ID, p.Title)
			}
			ids[p.ID], titles[p.Title] = true, true
			if !strings.Contains(string(doc), p.Title) {
				t.Errorf("%s: docs/monitoring.md does not name panel %q", f, p.Title)
			}
			for _, tg := range p.Targets {
				names := metricNames(tg.Expr)
				if len(names) == 0 {
					t.Errorf("%s: panel %q query %s selects no metric: %s", f, p.Title, tg.RefID, tg.Expr)
				}
				for _, n := range names {
					if !known[n] {
						t.Errorf("%s: panel %q queries %s, which no binary exports (not in docs/monitoring.md)", f, p.Title, n)
					}
				}
			}
		}
	}
}
