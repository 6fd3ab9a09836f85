package attest

import (
	"fmt"
	"slices"
)

// TCBStatus is a vendor's grading of a platform's TCB level. The values are
// Intel's (PCS API v4); SEV-SNP platforms are graded TCBUpToDate or
// TCBOutOfDate against governance's up-to-date TCB.
type TCBStatus string

// TCB statuses.
const (
	TCBUpToDate                          TCBStatus = "UpToDate"
	TCBSWHardeningNeeded                 TCBStatus = "SWHardeningNeeded"
	TCBConfigurationNeeded               TCBStatus = "ConfigurationNeeded"
	TCBConfigurationAndSWHardeningNeeded TCBStatus = "ConfigurationAndSWHardeningNeeded"
	TCBOutOfDate                         TCBStatus = "OutOfDate"
	TCBOutOfDateConfigurationNeeded      TCBStatus = "OutOfDateConfigurationNeeded"
	TCBRevoked                           TCBStatus = "Revoked"
)

// Confidence levels of real hardware (DESIGN.md §7).
const (
	ConfidenceUpToDate         uint32 = 1
	ConfidenceSWHardening      uint32 = 2
	ConfidenceConfigAccepted   uint32 = 3
	ConfidenceConfigAdvisories uint32 = 4
	ConfidenceOutOfDate        uint32 = 5
)

// ConfidenceLevel maps a TCB status and the advisories open against it to a
// confidence level (DESIGN.md §7):
//
//	1  UpToDate
//	2  SWHardeningNeeded
//	3  ConfigurationNeeded or ConfigurationAndSWHardeningNeeded, every
//	   advisory in accepted
//	4  the same with any advisory not in accepted
//	5  OutOfDate, OutOfDateConfigurationNeeded
//
// Any other status (Revoked, unknown) is an error wrapping
// ErrTCBNotAccepted. accepted is governance's list; order does not matter.
func ConfidenceLevel(status TCBStatus, advisories, accepted []string) (uint32, error) {
	switch status {
	case TCBUpToDate:
		return ConfidenceUpToDate, nil
	case TCBSWHardeningNeeded:
		return ConfidenceSWHardening, nil
	case TCBConfigurationNeeded, TCBConfigurationAndSWHardeningNeeded:
		for _, a := range advisories {
			if !slices.Contains(accepted, a) {
				return ConfidenceConfigAdvisories, nil
			}
		}
		return ConfidenceConfigAccepted, nil
	case TCBOutOfDate, TCBOutOfDateConfigurationNeeded:
		return ConfidenceOutOfDate, nil
	}
	return 0, fmt.Errorf("%w: TCB status %s", ErrTCBNotAccepted, truncate(string(status)))
}

// MergeAdvisories returns the sorted union of advisory lists.
func MergeAdvisories(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
