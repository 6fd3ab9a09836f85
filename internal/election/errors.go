package election

import "errors"

// Errors returned by Elect for inputs it refuses. Callers branch on them
// with errors.Is; the wrapping message names the entry.
var (
	ErrConfig             = errors.New("election: invalid config")
	ErrTooManyCandidates  = errors.New("election: too many candidates")
	ErrTooManyVoters      = errors.New("election: too many voters")
	ErrBadID              = errors.New("election: bad id")
	ErrDuplicateCandidate = errors.New("election: duplicate candidate")
	ErrDuplicateVoter     = errors.New("election: duplicate voter")
	ErrZeroStake          = errors.New("election: voter with zero stake")
	ErrTargets            = errors.New("election: bad number of targets")
	ErrDuplicateTarget    = errors.New("election: duplicate target")
	ErrUnknownTarget      = errors.New("election: target is not a candidate")
	ErrStakeOverflow      = errors.New("election: total stake too large")
)
