package metricsdoc

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

func TestNamesAndMissing(t *testing.T) {
	t.Parallel()
	names, err := Names(
		prometheus.NewGauge(prometheus.GaugeOpts{Name: "a_gauge"}),
		prometheus.NewCounterVec(prometheus.CounterOpts{Name: "b_total"}, []string{"kind"}),
		prometheus.NewGauge(prometheus.GaugeOpts{Name: "c_plain_name"}),
		collectors.NewGoCollector())
	if want := []string{"a_gauge", "b_total", "c_plain_name"}; err != nil || !slices.Equal(names, want) {
		t.Fatalf("Names = %v, %v; want %v", names, err, want)
	}
	doc := filepath.Join(t.TempDir(), "doc.md")
	// c_plain_name appears only as a prefix of another name and unquoted.
	if err := os.WriteFile(doc, []byte("| `a_gauge` |\n| `b_total{kind}` |\n| `c_plain_name_more` c_plain_name |\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if missing, err := Missing(doc, names); err != nil || !slices.Equal(missing, []string{"c_plain_name"}) {
		t.Fatalf("Missing = %v, %v; want [c_plain_name]", missing, err)
	}
}
