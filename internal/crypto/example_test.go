package crypto_test

import (
	"crypto/hpke"
	"crypto/rand"
	"fmt"

	gkcrypto "github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// A gatekeeper derives a cluster key and sends it to a worker's attested
// receive key; the worker opens it and derives an app key locally.
func Example() {
	master, err := gkcrypto.GenerateMasterKey(rand.Reader, 0)
	if err != nil {
		panic(err)
	}
	worker, err := hpke.MLKEM768X25519().GenerateKey() // in the worker's pRuntime
	if err != nil {
		panic(err)
	}

	// Gatekeeper side.
	clusterKey := master.ClusterKey(7)
	info := gkcrypto.Info{
		Context:   protocol.ContextClusterKeyTransfer,
		ChainID:   "gatekeeper-1",
		Recipient: worker.PublicKey().Bytes(), // from the worker's verified registration
		What:      []byte("cluster/7/v0"),
	}
	sealed, err := gkcrypto.SealTo(info.Recipient, info, clusterKey[:])
	if err != nil {
		panic(err)
	}

	// Worker side.
	opened, err := gkcrypto.Open(worker, info, sealed)
	if err != nil {
		panic(err)
	}
	var received [gkcrypto.KeySize]byte
	copy(received[:], opened)
	appKey, err := gkcrypto.AppKey(received, "app-1", "state")
	if err != nil {
		panic(err)
	}
	want, _ := gkcrypto.AppKey(clusterKey, "app-1", "state")
	fmt.Println(len(sealed)-len(opened) == gkcrypto.SealOverhead, appKey == want)
	// Output: true true
}
