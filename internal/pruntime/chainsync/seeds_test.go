package chainsync_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"google.golang.org/protobuf/encoding/protowire"
)

var writeSeeds = flag.Bool("chainsync.writeseeds", false, "rewrite the header fuzz seeds in testdata/fuzz")

// TestWriteHeaderFuzzSeeds regenerates the seed corpora of the header fuzz
// targets (go test -run TestWriteHeaderFuzzSeeds -chainsync.writeseeds).
// The seeds are committed; this only documents where they come from.
func TestWriteHeaderFuzzSeeds(t *testing.T) {
	if !*writeSeeds {
		t.Skip("set -chainsync.writeseeds to rewrite the seeds")
	}
	h1, h51 := chainA.at(1).SignedHeader.Marshal(), chainRotated.at(51).SignedHeader.Marshal()
	nilVotes := hdr{height: 7, time: timeAt(7), vals: valsA, signers: 3}.build()
	nilVotes.SignedHeader.Commit.Signatures[3].BlockIDFlag = 3 // nil, unsigned: rejected
	unknown := protowire.AppendVarint(protowire.AppendTag(append([]byte{}, h1...), 99, protowire.VarintType), 1)
	dup := append(append([]byte{}, h1...), h1[:bytesFieldLen(h1)]...)
	v4, v51 := chainA.at(1).Validators.Marshal(), chainRotated.at(51).Validators.Marshal()
	withTotal := protowire.AppendVarint(protowire.AppendTag(append([]byte{}, v4...), 3, protowire.VarintType), 40)
	var vp cmtproto.ValidatorSet
	if err := vp.Unmarshal(v4); err != nil {
		t.Fatal(err)
	}
	vp.Proposer = nil
	noProposer, err := vp.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	writeCorpus(t, "FuzzDecodeSignedHeader", map[string][][]byte{
		"valid_genesis":             {h1},
		"valid_rotated":             {h51},
		"invalid_nil_vote_unsigned": {nilVotes.SignedHeader.Marshal()},
		"invalid_unknown_field":     {unknown},
		"invalid_repeated_header":   {dup},
		"invalid_truncated":         {h1[:len(h1)-1]},
	}, nil)
	writeCorpus(t, "FuzzDecodeValidatorSet", map[string][][]byte{
		"valid_4":                 {v4},
		"valid_rotated":           {v51},
		"invalid_total_power_set": {withTotal},
		"invalid_no_proposer":     {noProposer},
		"invalid_truncated":       {v4[:len(v4)-3]},
	}, nil)
	forged := hdr{height: 10, time: timeAt(10), vals: valsA, forgeWith: valsB}.build()
	half := hdr{height: 10, time: timeAt(10), vals: valsA, signers: 2}.build()
	writeCorpus(t, "FuzzVerifyDifferential", map[string][][]byte{
		"adjacent":          {chainA.at(2).SignedHeader.Marshal(), chainA.at(2).Validators.Marshal()},
		"skipping":          {chainA.at(80).SignedHeader.Marshal(), chainA.at(80).Validators.Marshal()},
		"half_set_changed":  {chainHalf.at(20).SignedHeader.Marshal(), chainHalf.at(20).Validators.Marshal()},
		"need_intermediate": {chainRotated.at(60).SignedHeader.Marshal(), chainRotated.at(60).Validators.Marshal()},
		"forged":            {forged.SignedHeader.Marshal(), forged.Validators.Marshal()},
		"half_signed":       {half.SignedHeader.Marshal(), half.Validators.Marshal()},
	}, map[string]uint8{"half_set_changed": 1})
}

// bytesFieldLen is the length of the first field (tag, length, contents) of
// a message whose first field is length-delimited.
func bytesFieldLen(b []byte) int {
	_, _, n := protowire.ConsumeTag(b)
	_, m := protowire.ConsumeBytes(b[n:])
	return n + m
}

// writeCorpus writes one seed file per entry: its byte slices, then the
// uint8 of which, if the target takes one.
func writeCorpus(t *testing.T, target string, seeds map[string][][]byte, which map[string]uint8) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, args := range seeds {
		s := "go test fuzz v1\n"
		for _, a := range args {
			s += "[]byte(" + strconv.Quote(string(a)) + ")\n"
		}
		if target == "FuzzVerifyDifferential" {
			s += fmt.Sprintf("uint8(%d)\n", which[name])
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
