// Package cli holds the registry's hand-written commands: those autocli
// cannot build because their input is files (vendor collateral).
package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govcli "github.com/cosmos/cosmos-sdk/x/gov/client/cli"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/tdx"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// Flags of set-collateral.
const (
	FlagTCBInfo               = "tcb-info"
	FlagTCBInfoIssuerChain    = "tcb-info-issuer-chain"
	FlagQEIdentity            = "qe-identity"
	FlagQEIdentityIssuerChain = "qe-identity-issuer-chain"
	FlagPCKCRL                = "pck-crl"
	FlagPCKCRLIssuerChain     = "pck-crl-issuer-chain"
	FlagRootCACRL             = "root-ca-crl"
	FlagProductLine           = "product-line"
	FlagCRL                   = "crl"
	FlagUpToDateTCB           = "uptodate-tcb"
)

// GetTxCmd returns the registry's custom tx commands; autocli adds the rest.
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Registry transactions",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(SetCollateralCmd())
	return cmd
}

// SetCollateralCmd proposes MsgSetCollateral from files an operator
// downloaded from Intel PCS or AMD KDS.
func SetCollateralCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "set-collateral [tdx|sgx|sev-snp]",
		Short: "Propose setting TDX, SGX or SEV-SNP verification collateral from downloaded files (governance proposal)",
		Long: `Propose storing vendor collateral that quotes are verified against.

tdx: the Intel PCS (API v4) responses for one FMSPC, each body saved to a file and each
issuer-chain response header saved to a file (PEM, or URL-encoded as Intel sends it):
  --tcb-info        GET https://api.trustedservices.intel.com/tdx/certification/v4/tcb?fmspc=FMSPC
  --tcb-info-issuer-chain      its TCB-Info-Issuer-Chain header
  --qe-identity     GET https://api.trustedservices.intel.com/tdx/certification/v4/qe/identity
  --qe-identity-issuer-chain   its SGX-Enclave-Identity-Issuer-Chain header
  --pck-crl         GET https://api.trustedservices.intel.com/sgx/certification/v4/pckcrl?ca=platform&encoding=der
  --pck-crl-issuer-chain       its SGX-PCK-CRL-Issuer-Chain header
  --root-ca-crl     https://certificates.trustedservices.intel.com/IntelSGXRootCA.der

sgx: the same flags, with TCB info and QE identity from the /sgx/ endpoints:
  --tcb-info        GET https://api.trustedservices.intel.com/sgx/certification/v4/tcb?fmspc=FMSPC
  --qe-identity     GET https://api.trustedservices.intel.com/sgx/certification/v4/qe/identity
  --pck-crl         ca=platform or ca=processor, whichever CA issued the platform's PCK certificates

sev-snp: --product-line Milan|Genoa|Turin, --crl (https://kdsintf.amd.com/vcek/v1/PRODUCT/crl)
and --uptodate-tcb, the TCB_VERSION (hex or decimal u64) governance considers current.

The chain verifies everything against the vendor roots pinned in its code when the
proposal executes; collateral that does not verify or has expired is refused.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			msg := &types.MsgSetCollateral{Authority: authtypes.NewModuleAddress(govtypes.ModuleName).String()}
			switch args[0] {
			case attest.KindTDX:
				if msg.Tdx, err = readTDX(cmd); err != nil {
					return err
				}
			case attest.KindSGX:
				if msg.Sgx, err = readTDX(cmd); err != nil {
					return err
				}
			case attest.KindSEVSNP:
				if msg.Snp, err = readSNP(cmd); err != nil {
					return err
				}
			default:
				return fmt.Errorf("registry: set-collateral: kind %q, want tdx, sgx or sev-snp", args[0])
			}
			if msg.Snp != nil {
				if err := types.ValidateCollateralShape(attest.KindSEVSNP, msg.Snp.ProductLine, nil, msg.Snp, nil); err != nil {
					return err
				}
			}
			prop, err := govcli.ReadGovPropFlags(clientCtx, cmd.Flags())
			if err != nil {
				return err
			}
			if err := prop.SetMsgs([]sdk.Msg{msg}); err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), prop)
		},
	}
	for _, f := range []struct{ name, usage string }{
		{FlagTCBInfo, "tdx: TCB info response body (JSON)"},
		{FlagTCBInfoIssuerChain, "tdx: TCB-Info-Issuer-Chain header (PEM or URL-encoded)"},
		{FlagQEIdentity, "tdx: QE identity response body (JSON)"},
		{FlagQEIdentityIssuerChain, "tdx: SGX-Enclave-Identity-Issuer-Chain header (PEM or URL-encoded)"},
		{FlagPCKCRL, "tdx: PCK CRL (DER)"},
		{FlagPCKCRLIssuerChain, "tdx: SGX-PCK-CRL-Issuer-Chain header (PEM or URL-encoded)"},
		{FlagRootCACRL, "tdx: Intel SGX Root CA CRL (DER)"},
		{FlagProductLine, "sev-snp: Milan, Genoa or Turin"},
		{FlagCRL, "sev-snp: the product's VCEK CRL from AMD KDS (DER)"},
		{FlagUpToDateTCB, "sev-snp: TCB_VERSION considered up to date (u64, hex with 0x or decimal)"},
	} {
		cmd.Flags().String(f.name, "", f.usage)
	}
	flags.AddTxFlagsToCmd(cmd)
	govcli.AddGovPropFlagsToCmd(cmd)
	return cmd
}

// maxFileLen bounds what the command reads from any one file.
const maxFileLen = attest.MaxCRLLen

func readFlagFile(cmd *cobra.Command, flag string) ([]byte, error) {
	path, _ := cmd.Flags().GetString(flag)
	if path == "" {
		return nil, fmt.Errorf("registry: set-collateral: --%s is required", flag)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("registry: set-collateral: --%s: %w", flag, err)
	}
	if fi.Size() > maxFileLen {
		return nil, fmt.Errorf("registry: set-collateral: --%s: %s is %d bytes, limit %d", flag, path, fi.Size(), maxFileLen)
	}
	return os.ReadFile(path)
}

func readTDX(cmd *cobra.Command) (*types.TDXCollateral, error) {
	var c types.TDXCollateral
	for _, f := range []struct {
		flag  string
		dst   *[]byte
		chain bool
	}{
		{FlagTCBInfo, &c.TcbInfo, false},
		{FlagTCBInfoIssuerChain, &c.TcbInfoIssuerChain, true},
		{FlagQEIdentity, &c.QeIdentity, false},
		{FlagQEIdentityIssuerChain, &c.QeIdentityIssuerChain, true},
		{FlagPCKCRL, &c.PckCrl, false},
		{FlagPCKCRLIssuerChain, &c.PckCrlIssuerChain, true},
		{FlagRootCACRL, &c.RootCaCrl, false},
	} {
		b, err := readFlagFile(cmd, f.flag)
		if err != nil {
			return nil, err
		}
		if f.chain {
			if b, err = tdx.DecodeIssuerChainHeader(b); err != nil {
				return nil, fmt.Errorf("registry: set-collateral: --%s: %w", f.flag, err)
			}
		}
		*f.dst = b
	}
	a := c.ToAttest()
	if err := a.CheckBounds(); err != nil {
		return nil, err
	}
	return &c, nil
}

func readSNP(cmd *cobra.Command) (*types.SNPCollateral, error) {
	line, _ := cmd.Flags().GetString(FlagProductLine)
	crl, err := readFlagFile(cmd, FlagCRL)
	if err != nil {
		return nil, err
	}
	tcbStr, _ := cmd.Flags().GetString(FlagUpToDateTCB)
	if tcbStr == "" {
		return nil, fmt.Errorf("registry: set-collateral: --%s is required", FlagUpToDateTCB)
	}
	tcb, err := strconv.ParseUint(strings.TrimSpace(tcbStr), 0, 64)
	if err != nil {
		return nil, fmt.Errorf("registry: set-collateral: --%s: %w", FlagUpToDateTCB, err)
	}
	return &types.SNPCollateral{ProductLine: line, Crl: crl, UptodateTcb: tcb}, nil
}
