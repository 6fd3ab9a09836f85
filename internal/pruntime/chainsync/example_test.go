package chainsync_test

import (
	"errors"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

// catchUp moves s to target the way a relayer drives the enclave: offer the
// newest header and, while the enclave asks for an intermediate one, offer
// the header halfway. The enclave only ever verifies single hops.
func catchUp(s chainsync.TrustedState, target int64, header func(int64) chainsync.HeaderUpdate, opts chainsync.Options) (chainsync.TrustedState, error) {
	for s.Height() < target {
		h := target
		for {
			next, err := s.Verify(header(h), opts)
			if err == nil {
				fmt.Println("trusted height", h)
				s = next
				break
			}
			if !errors.Is(err, chainsync.ErrNeedIntermediate) || h == s.Height()+1 {
				return s, err
			}
			h = s.Height() + (h-s.Height())/2
		}
	}
	return s, nil
}

// Example_catchUp follows a chain whose validators were all replaced at
// height 51: the enclave cannot skip from 1 to 100 in one hop, so the relayer
// bisects until the hops verify.
func Example_catchUp() {
	opts := chainsync.DefaultOptions()
	root := protocol.TrustRoot{Height: 0, Hash: valsA.set.Hash()} // bound into the attestation
	s, err := chainsync.Init(testChainID, root, chainRotated.at(1), opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err = catchUp(s, 100, chainRotated.at, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("done at", s.Height(), s.Time().Format("2006-01-02 15:04:05"))
	// Output:
	// trusted height 50
	// trusted height 51
	// trusted height 100
	// done at 100 2026-01-01 00:08:15
}
