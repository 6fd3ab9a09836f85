package chainsync

// Internals the black-box tests compare with CometBFT's own functions.

// VoteSignBytes is voteSignBytes.
func VoteSignBytes(chainID string, c *Commit, idx int) []byte { return voteSignBytes(chainID, c, idx) }

// CommitVerdict is what a commit verification returned: nil, too little
// power (Short, with the power counted and needed), or another error.
type CommitVerdict struct {
	Err         error
	Short       bool
	Got, Needed int64
}

func verdict(err error) CommitVerdict {
	if s, ok := err.(*shortError); ok {
		return CommitVerdict{Err: err, Short: true, Got: s.got, Needed: s.needed}
	}
	return CommitVerdict{Err: err}
}

// VerifyCommitAll is verifyCommitAll.
func VerifyCommitAll(chainID string, vals *ValidatorSet, c *Commit) CommitVerdict {
	return verdict(verifyCommitAll(chainID, vals, c))
}

// VerifyCommitTrusting is verifyCommitTrusting.
func VerifyCommitTrusting(chainID string, trusted *ValidatorSet, c *Commit, tl Fraction) CommitVerdict {
	return verdict(verifyCommitTrusting(chainID, trusted, c, tl))
}
