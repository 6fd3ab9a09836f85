// Package reencrypt holds the whole-system benchmark of state re-encryption
// during a master key rotation (issue 5, "Done when"): internal/reencrypt.Run
// over a state store on disk (statestore.Dir) and in memory, with one worker
// and with one per core, against `openssl speed -evp aes-256-gcm` (one
// process, and one per core) measured in the same run, with Go's own
// AES-256-GCM as a second reference and the fallback when openssl is not
// installed. The benchmark lives in the package's tests; see bench/README.md,
// section "reencrypt", for the commands, the byte accounting and the
// figures.
package reencrypt
