// Package e2e holds end-to-end scenarios that build the real binaries and
// run them as an operator would. They run in the default test command; -short
// skips them.
package e2e
