package protocol_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// A pRuntime signs an egress message for its chain; the chain verifies the
// exact bytes it was given. The same signature presented to another chain
// fails.
func ExampleVerifySigned() {
	identity := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	m := protocol.Message{
		Origin:  protocol.WorkerOrigin(identity.Public().(ed25519.PublicKey)),
		Topic:   "registry/endpoint",
		Seq:     0,
		Payload: []byte("https://worker.example:8000"),
	}
	sm, err := protocol.SignMessage("gatekeeper-1", identity, &m)
	if err != nil {
		fmt.Println(err)
		return
	}

	got, err := protocol.VerifySigned("gatekeeper-1", sm)
	fmt.Println(got.Origin.Kind == protocol.OriginWorker, got.Topic, got.Seq, err)

	_, err = protocol.VerifySigned("forged-1", sm)
	fmt.Println(errors.Is(err, protocol.ErrBadSignature))
	// Output:
	// true registry/endpoint 0 <nil>
	// true
}
