package pherry

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxPassphraseFile bounds what --keyring-passphrase-file reads.
const maxPassphraseFile = 4 << 10

// passphraseInput is where the file keyring reads its passphrase: the first
// line of file (--keyring-passphrase-file), the variable named env
// (--keyring-passphrase-env), or else stdin, which the SDK reads without
// echo when it is a terminal. At most one of file and env may be set.
// Errors name the flag and the file or variable, never the passphrase.
func passphraseInput(file, env string, stdin io.Reader) (io.Reader, error) {
	var pass string
	switch {
	case file != "" && env != "":
		return nil, errors.New("--keyring-passphrase-file and --keyring-passphrase-env: set at most one")
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("--keyring-passphrase-file: %w", err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxPassphraseFile+1))
		if err != nil {
			return nil, fmt.Errorf("--keyring-passphrase-file: %s: %w", file, err)
		}
		if len(b) > maxPassphraseFile {
			return nil, fmt.Errorf("--keyring-passphrase-file: %s is larger than %d bytes", file, maxPassphraseFile)
		}
		line, _, _ := bytes.Cut(b, []byte{'\n'})
		pass = strings.TrimSuffix(string(line), "\r")
		if pass == "" {
			return nil, fmt.Errorf("--keyring-passphrase-file: %s: the first line is empty", file)
		}
	case env != "":
		pass = os.Getenv(env)
		if pass == "" {
			return nil, fmt.Errorf("--keyring-passphrase-env: environment variable %s is empty", env)
		}
		if strings.ContainsAny(pass, "\r\n") {
			return nil, fmt.Errorf("--keyring-passphrase-env: environment variable %s holds more than one line", env)
		}
	default:
		return stdin, nil
	}
	return strings.NewReader(pass + "\n"), nil
}
