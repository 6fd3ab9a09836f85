package cli

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/gramine"
)

// TestAttestDump runs `pruntime attest --dump` on the sim TEE and checks the
// files bind together: the quote verifies and carries ReportData(chain id,
// registration info).
func TestAttestDump(t *testing.T) {
	t.Parallel()
	data, dump := t.TempDir(), filepath.Join(t.TempDir(), "out")
	m := strings.Repeat("ab", 32)
	var stdout, stderr bytes.Buffer
	code := Main([]string{"attest", "--dump", dump, "--data-dir", data, "--chain-id", "gk-1", "--operator", testOperator,
		"--genesis-validators-hash", strings.Repeat("11", 32), "--tee", "sim", "--sim-measurement", m}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dump, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	info, quote := read(DumpInfoFile), read(DumpQuoteFile)
	r, err := attest.SimVerifier{}.Verify(quote, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.ReportData != protocol.ReportData("gk-1", info) {
		t.Fatal("quote does not bind the dumped registration info")
	}
	if got := strings.TrimSpace(string(read(DumpMeasurementFile))); got != m || hex.EncodeToString(r.Measurement) != m {
		t.Fatalf("measurement %s", got)
	}
	if strings.TrimSpace(string(read(DumpKindFile))) != attest.KindSim {
		t.Fatal("kind")
	}
}

func TestTEEKindsRefuseWithoutTSM(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/sys/kernel/config/tsm/report"); err == nil {
		t.Skip("this machine has a TSM")
	}
	for _, kind := range []string{"tdx", "sev-snp"} {
		if _, err := openTEE(kind, t.TempDir(), ""); err == nil || !strings.Contains(err.Error(), "configfs-tsm") {
			t.Errorf("--tee %s without a TSM: %v", kind, err)
		}
	}
	if _, err := openTEE("sgx-epid", t.TempDir(), ""); err == nil {
		t.Error("unknown kind accepted")
	}
}

func TestSGXRefusesOutsideGramine(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(gramine.DefaultRoot); err == nil {
		t.Skip("this machine has /dev/attestation")
	}
	_, err := openTEE(attest.KindSGX, t.TempDir(), "")
	if !errors.Is(err, gramine.ErrNotGramine) || !strings.Contains(err.Error(), "gramine-sgx") {
		t.Fatalf("--tee sgx outside Gramine: %v", err)
	}
}
