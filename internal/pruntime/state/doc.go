// Package state holds what the enclave remembers across restarts: the
// checkpointed State with each role's part of it (gatekeeper, cluster
// member, rotation, migration, computation), the enclave-side rotation and
// migration state machines, and the sealed master key history.
//
// It sits below the runtime core (package pruntime) and the role packages:
// the core persists a State in checkpoints and hands each sync call a Tx,
// and the roles change their part of the Tx's State through the functions
// and transitions defined here. It does no I/O except sealing and unsealing
// the master key history (masterkeys.go), which the core calls in the
// order its crash-safety argument needs: the history is written before any
// state that relies on it is checkpointed.
//
// A State is a value: a sync call works on a Clone and the core commits it
// only when the whole request verified. Everything in it is decoded from
// proven ingress or sealed storage, so it holds no unverified input.
package state
