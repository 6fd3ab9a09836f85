// Package cliconfig layers a command's settings from four sources into
// the flags of one flag.FlagSet, so that the program's config struct is
// filled in one place (the flags) whatever the source. The precedence is
//
//	command-line flag > environment variable > config file > default
//
// The environment variable of flag --some-flag is PREFIX_SOME_FLAG. The
// config file (--config FILE) is TOML whose top-level keys are flag names
// without the dashes (some-flag = "value"); it is untrusted input: bounded
// in size, parsed strictly (an unknown key, a table, an array, a duplicate
// key or a key given twice is refused, naming the key), and every value
// goes through the same flag.Value.Set as on the command line.
//
// Flags marked secret are refused in the file and in the environment: a
// secret belongs in a file or an environment variable named by another
// flag (e.g. --mnemonic-env NAME), so that it is never at rest unencrypted
// in a config file nor copied into a process listing.
package cliconfig

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
)

// MaxFileSize bounds a config file.
const MaxFileSize = 64 << 10

// ConfigFlag is the flag naming the config file.
const ConfigFlag = "config"

// ErrUnknownKey is a config file key that names no flag.
var ErrUnknownKey = errors.New("cliconfig: unknown key")

// Layers describes how a command's flags are also read from the
// environment and a config file.
type Layers struct {
	// EnvPrefix is the environment variable prefix, e.g. "PHERRY".
	EnvPrefix string
	// Secret names flags that may only be given on the command line.
	Secret map[string]bool
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// EnvName is the environment variable of flag name under prefix.
func EnvName(prefix, name string) string {
	return prefix + "_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Precedence is the text a command's usage shows about the layers.
func Precedence(envPrefix string) string {
	return fmt.Sprintf("Each flag --some-flag may also be set by the environment variable %s_SOME_FLAG\n"+
		"or by a line some-flag = value in the TOML file given by --config (or %s_CONFIG).\n"+
		"Precedence: flag > environment > config file > default. Unknown keys in the file are refused.", envPrefix, envPrefix)
}

// Parse registers --config on fs, parses args, then sets each flag not
// given on the command line from its environment variable (an empty one
// counts as unset) or, failing that, from the config file. Errors name the flag (--name) and where its
// value came from.
func (l Layers) Parse(fs *flag.FlagSet, args []string) error {
	file := fs.String(ConfigFlag, "", "TOML config file: flag-name = value per line ("+l.EnvPrefix+"_* environment variables and flags override it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	onCmdLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCmdLine[f.Name] = true })
	getenv := l.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if v := getenv(EnvName(l.EnvPrefix, ConfigFlag)); v != "" && !onCmdLine[ConfigFlag] {
		*file = v
	}
	fromEnv := map[string]string{}
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if envErr != nil || onCmdLine[f.Name] || f.Name == ConfigFlag {
			return
		}
		env := EnvName(l.EnvPrefix, f.Name)
		v := getenv(env)
		if v == "" {
			return
		}
		if l.Secret[f.Name] {
			envErr = fmt.Errorf("--%s: not accepted from %s; give it on the command line", f.Name, env)
			return
		}
		fromEnv[f.Name] = v
	})
	if envErr != nil {
		return envErr
	}
	if *file != "" {
		values, err := ReadFile(*file)
		if err != nil {
			return err
		}
		for _, k := range sortedKeys(values) {
			f := fs.Lookup(k)
			if f == nil || k == ConfigFlag {
				return fmt.Errorf("%w %q in %s", ErrUnknownKey, k, *file)
			}
			if l.Secret[k] {
				return fmt.Errorf("--%s: not accepted in a config file (%s): it would be at rest unencrypted", k, *file)
			}
			if _, set := fromEnv[k]; set || onCmdLine[k] {
				continue
			}
			if err := fs.Set(k, values[k]); err != nil {
				return fmt.Errorf("--%s: %s in %s: %w", k, values[k], *file, err)
			}
		}
	}
	for _, k := range sortedKeys(fromEnv) {
		if err := fs.Set(k, fromEnv[k]); err != nil {
			return fmt.Errorf("--%s: %s from %s: %w", k, fromEnv[k], EnvName(l.EnvPrefix, k), err)
		}
	}
	return nil
}

// ReadFile reads a config file into flag name -> value text.
func ReadFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("--config: %s is larger than %d bytes", path, MaxFileSize)
	}
	v, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("--config: %s: %w", path, err)
	}
	return v, nil
}

// Parse decodes a config file's TOML: top-level keys with string,
// integer, float or boolean values. Anything else is refused.
func Parse(b []byte) (map[string]string, error) {
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("cliconfig: %d bytes, at most %d", len(b), MaxFileSize)
	}
	var raw map[string]any
	if err := toml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("cliconfig: %w", err)
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		switch v := v.(type) {
		case string:
			out[k] = v
		case int64:
			out[k] = fmt.Sprint(v)
		case float64:
			out[k] = fmt.Sprint(v)
		case bool:
			out[k] = fmt.Sprint(v)
		default:
			return nil, fmt.Errorf("cliconfig: key %q: want a string, number or boolean, got %T", k, v)
		}
	}
	return out, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
