package keeper_test

import (
	"encoding/hex"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/attest/snp/snptest"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// TestRegisterSNPVMPL: the genuine SEV-SNP sample registers from VMPL 0;
// from VMPL 1-3 it is refused with ErrVMPLNotAllowed under the default
// snp_max_vmpl (0), storing no worker, and accepted up to the VMPL that
// governance allows.
func TestRegisterSNPVMPL(t *testing.T) {
	t.Parallel()
	u := func(v uint32) *uint32 { return &v }
	tests := []struct {
		name    string
		vmpl    *uint32 // nil: the sample as it is (VMPL 0)
		maxVMPL uint32
		want    error
	}{
		{name: "VMPL 0 (the sample), default", vmpl: nil},
		{name: "VMPL 1, default", vmpl: u(1), want: types.ErrVMPLNotAllowed},
		{name: "VMPL 2, default", vmpl: u(2), want: types.ErrVMPLNotAllowed},
		{name: "VMPL 3, default", vmpl: u(3), want: types.ErrVMPLNotAllowed},
		{name: "VMPL 2, snp_max_vmpl 2", vmpl: u(2), maxVMPL: 2},
		{name: "VMPL 3, snp_max_vmpl 2", vmpl: u(3), maxVMPL: 2, want: types.ErrVMPLNotAllowed},
		{name: "VMPL 3, snp_max_vmpl 3", vmpl: u(3), maxVMPL: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := newSNPKATWithVMPL(t, tc.vmpl)
			k.setCollateral(t, k.collateral(t, snptest.SampleTCB))
			k.allow(t, k.measurement)
			if tc.maxVMPL != 0 {
				p, err := k.k.Params.Get(k.ctx)
				if err != nil {
					t.Fatal(err)
				}
				p.SnpMaxVmpl = tc.maxVMPL
				if _, err := k.msgs.UpdateParams(k.ctx, &types.MsgUpdateParams{Authority: k.authority, Params: p}); err != nil {
					t.Fatal(err)
				}
			}
			err := k.register(k.msg.Attestation.Quote)
			_, qerr := k.query.Worker(k.ctx, &types.QueryWorkerRequest{IdentityKey: hex.EncodeToString(k.info.IdentityKey)})
			if tc.want == nil {
				if err != nil || qerr != nil {
					t.Fatalf("register: %v; worker query: %v", err, qerr)
				}
				return
			}
			requireCode(t, tc.name, err, types.ErrVMPLNotAllowed)
			if qerr == nil {
				t.Fatal("a worker was stored")
			}
		})
	}
}

// TestSNPMaxVMPLParam: snp_max_vmpl is 0 by default and at most 3.
func TestSNPMaxVMPLParam(t *testing.T) {
	t.Parallel()
	p := types.DefaultParams()
	if p.SnpMaxVmpl != 0 {
		t.Fatalf("default snp_max_vmpl %d, want 0", p.SnpMaxVmpl)
	}
	for v, want := range map[uint32]error{0: nil, 3: nil, 4: types.ErrInvalidParams} {
		p.SnpMaxVmpl = v
		if err := p.Validate(); (want == nil) != (err == nil) {
			t.Errorf("snp_max_vmpl %d: %v, want %v", v, err, want)
		}
	}
}

// TestRegisterSNPVCEKSerialOnARKCRL: AMD's CRL of a product is the ARK's
// and can revoke only the ASK. The sample's VCEK serial (0, as every
// VCEK's) on it revokes nothing, so the sample still registers: the CRL
// is not claimed as protection for the VCEK; its TCB is (see
// TestRegisterSNPSampleLevels), and the ASK's revocation is refused in
// TestRegisterSNPSampleRejected.
func TestRegisterSNPVCEKSerialOnARKCRL(t *testing.T) {
	t.Parallel()
	k := newSNPKAT(t)
	k.setCollateral(t, k.collateral(t, snptest.SampleTCB, k.vcekSerial))
	k.allow(t, k.measurement)
	if err := k.register(k.msg.Attestation.Quote); err != nil {
		t.Fatalf("register: %v", err)
	}
}
