// Package devnet runs the embedded local network behind `gkd devnet`: one
// validator in-process, funded accounts, a genesis that allows the simulated
// TEE and short governance periods, and a status table on the terminal.
//
// Everything lives under one home directory, which is also the node's
// --home, so every ordinary gkd command works against it:
//
//	DIR/config/        CometBFT and app config, genesis.json
//	DIR/data/          chain data
//	DIR/keyring-test/  funded devnet keys (test backend: unencrypted, devnet only)
//	DIR/devnet.json    chain id, accounts and every endpoint
//	DIR/node.log       the node's log
//
// Running it again on the same home resumes the chain where it stopped.
package devnet
