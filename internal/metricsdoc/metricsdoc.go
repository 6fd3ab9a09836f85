// Package metricsdoc keeps docs/monitoring.md true: each binary's tests
// hand it their metric collectors, and it names every metric the document
// does not list.
package metricsdoc

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// StandardPrefixes are the families of client_golang's Go and process
// collectors, which the document lists as families (go_*, process_*).
var StandardPrefixes = []string{"go_", "process_"}

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// Names are the metric names cs describe, sorted, without the standard
// collectors' families. A Desc's name is not exported; its String() is
// the only way to it.
func Names(cs ...prometheus.Collector) ([]string, error) {
	ch := make(chan *prometheus.Desc)
	go func() {
		for _, c := range cs {
			c.Describe(ch)
		}
		close(ch)
	}()
	var names []string
	for d := range ch {
		m := fqName.FindStringSubmatch(d.String())
		if m == nil {
			return nil, fmt.Errorf("metricsdoc: no name in %s", d)
		}
		if !slices.ContainsFunc(StandardPrefixes, func(p string) bool { return strings.HasPrefix(m[1], p) }) {
			names = append(names, m[1])
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// Missing are the names the document at path does not mention as `name`
// or `name{labels}` (in backquotes).
func Missing(path string, names []string) ([]string, error) {
	doc, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, n := range names {
		if !strings.Contains(string(doc), "`"+n+"`") && !strings.Contains(string(doc), "`"+n+"{") {
			missing = append(missing, n)
		}
	}
	return missing, nil
}
