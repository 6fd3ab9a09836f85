package types

const (
	// ProofBatchPath is the ABCI query path of a batch of proven store reads:
	// ProofBatchRequest in, ProofBatchResponse out (see app.Query).
	ProofBatchPath = "/gatekeeper/proofs"
	// MaxProofBatch bounds the keys of one ProofBatchRequest.
	MaxProofBatch = 1000
)
