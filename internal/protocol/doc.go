// Package protocol holds the wire formats shared by the chain (gkd), the enclave
// runtime (pruntime) and the relayer (pherry): message origins and topics, the
// canonical encoding of queue messages and registration info, and the signing
// contexts of every signed object.
//
// The package imports nothing from the Cosmos SDK so that the enclave's trusted
// computing base stays small. Every encoding here is canonical: one value has
// exactly one encoding, and decoders reject trailing bytes, oversized fields and
// unknown versions. Signatures are always verified over the exact bytes that were
// carried, never over a re-encoding.
//
// Signed bytes are domain-separated: SigningBytes prefixes the payload with a
// named context (one constant per kind of signed object, see contexts.go) and
// the chain id, so a signature made for one purpose or one chain is never valid
// for another (the "genesis forge" replay of Phala issue #297).
package protocol
