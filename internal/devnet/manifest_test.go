package devnet

import (
	"os"
	"reflect"
	"testing"
)

// TestWriteManifestRoundTrip rewrites the manifest and reads it back: the
// last write wins, whole, and no temp file is left beside it.
func TestWriteManifestRoundTrip(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	for _, m := range []Manifest{
		{ChainID: "first", Home: home, PRuntimes: []PRuntime{{Name: "gk0", Role: RoleGatekeeper}}},
		{ChainID: "second", Home: home, Accounts: []Account{{Name: "alice", Address: "gk1..."}}},
	} {
		if err := writeManifest(home, m); err != nil {
			t.Fatal(err)
		}
		got, err := ReadManifest(home)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("read back %+v, want %+v", got, m)
		}
	}
	entries, err := os.ReadDir(home)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != ManifestFile {
		t.Fatalf("home holds %v, want only %s", entries, ManifestFile)
	}
}
