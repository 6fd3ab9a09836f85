package state

import (
	"bytes"
)

// Computation is the computation role's part of the checkpoint.
type Computation struct {
	// Params is tokenomics.Params' encoding as last published by the chain;
	// empty means the engine's defaults.
	Params []byte `json:"params,omitempty"`
	// Engine is tokenomics.State's encoding; empty before the first block.
	Engine []byte `json:"engine,omitempty"`
	// Started, Stopped and Heartbeats are the inputs of the block not yet
	// closed by a task (ingress payloads, in order).
	Started    [][]byte `json:"started,omitempty"`
	Stopped    [][]byte `json:"stopped,omitempty"`
	Heartbeats [][]byte `json:"heartbeats,omitempty"`
	// Session is this worker's own computing session (0: not computing).
	Session uint64 `json:"session,omitempty"`
	// Score is this pRuntime's performance score, sent once registered.
	Score uint32 `json:"score,omitempty"`
	// Reports is the number of non-empty outputs so far: the computation
	// lane sequence of the next one.
	Reports uint64 `json:"reports,omitempty"`
}

func (c Computation) Clone() Computation {
	out := c
	out.Started = CloneAll(c.Started)
	out.Stopped = CloneAll(c.Stopped)
	out.Heartbeats = CloneAll(c.Heartbeats)
	return out
}

func CloneAll(bs [][]byte) [][]byte {
	if bs == nil {
		return nil
	}
	out := make([][]byte, len(bs))
	for i, b := range bs {
		out[i] = bytes.Clone(b)
	}
	return out
}
