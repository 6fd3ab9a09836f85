package types

import (
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
)

// Confidence levels of real hardware run from 1 (best) to 5 (worst); see
// DESIGN.md §7. attest.ConfidenceSimulated (128) marks a simulated TEE.
const (
	ConfidenceBest  = 1
	ConfidenceWorst = 5
)

// Default parameter values. The simulated TEE is off by default: a production
// chain must opt in to nothing.
const (
	DefaultWorkerConfidenceLimit     = 5
	DefaultGatekeeperConfidenceLimit = 3
	DefaultAttestationMaxAgeSeconds  = 3600
	// MaxSNPVMPL is the least privileged SEV-SNP VMPL there is.
	MaxSNPVMPL = 3
)

// DefaultAcceptedAdvisories are the advisories the reference accepts at
// confidence level 3 (its SGX verifier's list): Intel advisories whose
// mitigation is a platform configuration the attesting enclave cannot see.
// Sorted, as the param must be.
var DefaultAcceptedAdvisories = []string{"INTEL-SA-00219", "INTEL-SA-00334", "INTEL-SA-00381", "INTEL-SA-00389"}

// DefaultParams returns production defaults.
func DefaultParams() Params {
	return Params{
		AcceptedAdvisories:        append([]string(nil), DefaultAcceptedAdvisories...),
		AllowSimulatedTee:         false,
		WorkerConfidenceLimit:     DefaultWorkerConfidenceLimit,
		GatekeeperConfidenceLimit: DefaultGatekeeperConfidenceLimit,
		AttestationMaxAgeSeconds:  DefaultAttestationMaxAgeSeconds,
	}
}

// Validate checks every field.
func (p Params) Validate() error {
	if p.WorkerConfidenceLimit < ConfidenceBest || p.WorkerConfidenceLimit > ConfidenceWorst {
		return fmt.Errorf("%w: worker_confidence_limit %d, want %d-%d", ErrInvalidParams, p.WorkerConfidenceLimit, ConfidenceBest, ConfidenceWorst)
	}
	if p.GatekeeperConfidenceLimit < ConfidenceBest || p.GatekeeperConfidenceLimit > p.WorkerConfidenceLimit {
		return fmt.Errorf("%w: gatekeeper_confidence_limit %d, want %d-%d (worker_confidence_limit)", ErrInvalidParams, p.GatekeeperConfidenceLimit, ConfidenceBest, p.WorkerConfidenceLimit)
	}
	if p.AttestationMaxAgeSeconds == 0 {
		return fmt.Errorf("%w: attestation_max_age_seconds must be positive", ErrInvalidParams)
	}
	if p.SnpMaxVmpl > MaxSNPVMPL {
		return fmt.Errorf("%w: snp_max_vmpl %d, want 0-%d", ErrInvalidParams, p.SnpMaxVmpl, MaxSNPVMPL)
	}
	return validateAdvisories(p.AcceptedAdvisories)
}

// AcceptsLevel reports whether level is good enough under limit. The simulated
// level is accepted only while simulated TEEs are allowed.
func (p Params) AcceptsLevel(level, limit uint32) bool {
	if level == attest.ConfidenceSimulated {
		return p.AllowSimulatedTee
	}
	return level >= ConfidenceBest && level <= limit
}
