package attest_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// A pRuntime binds its registration info into a sim quote; the chain verifies
// the quote at block time and checks the binding and the confidence level.
func ExampleSimVerifier() {
	// In the enclave (internal/tee/sim does this for real).
	platform := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	var measurement [32]byte
	copy(measurement[:], "pruntime v0.1.0 build hash......")
	encodedInfo := []byte("…the encoded protocol.RegistrationInfo…")
	reportData := protocol.ReportData("gatekeeper-1", encodedInfo)
	issued := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	quote := attest.NewSimQuote(platform, measurement, reportData, issued)

	// On the chain, with the block time as now.
	blockTime := issued.Add(6 * time.Second)
	report, err := attest.SimVerifier{}.Verify(quote, blockTime, nil)
	if err != nil {
		fmt.Println("rejected:", err)
		return
	}
	fmt.Println("kind:", report.Kind)
	fmt.Println("confidence:", report.ConfidenceLevel)
	fmt.Println("binds registration:", report.ReportData == protocol.ReportData("gatekeeper-1", encodedInfo))
	fmt.Println("issued:", report.IssuedAt)

	// A quote presented before it was made is rejected.
	_, err = attest.SimVerifier{}.Verify(quote, issued.Add(-time.Hour), nil)
	fmt.Println(err != nil)
	// Output:
	// kind: sim
	// confidence: 128
	// binds registration: true
	// issued: 2026-03-01 12:00:00 +0000 UTC
	// true
}
