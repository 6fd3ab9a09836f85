package deploy

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// renderManifest does what gramine-manifest does for this template: it
// substitutes {{ name }} from vars and Gramine's own {{ gramine.* }}
// values. It fails on any placeholder it does not know and on Jinja
// statements, which the template does not use, so that a placeholder added
// to the template without a documented -D variable is caught here.
func renderManifest(template string, vars map[string]string) (string, error) {
	if strings.Contains(template, "{%") {
		return "", errors.New("the template uses Jinja statements; this test renders expressions only")
	}
	all := map[string]string{
		"gramine.libos":        "/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so",
		"gramine.runtimedir()": "/usr/lib/x86_64-linux-gnu/gramine/runtime/glibc",
	}
	for k, v := range vars {
		all[k] = v
	}
	var missing []string
	out := regexp.MustCompile(`\{\{\s*([^}]*?)\s*\}\}`).ReplaceAllStringFunc(template, func(m string) string {
		name := strings.TrimSpace(m[2 : len(m)-2])
		v, ok := all[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("placeholders without a value: %v", missing)
	}
	return out, nil
}

// manifestVars are the -D variables docs/running-a-gatekeeper-on-sgx.md
// passes to gramine-manifest.
var manifestVars = map[string]string{
	"pruntime":     "/usr/local/bin/pruntime",
	"data_dir":     "/var/lib/pruntime",
	"log_level":    "error",
	"enclave_size": "4G",
	"max_threads":  "64",
	"gomaxprocs":   "4",
}

type gramineManifest struct {
	Libos struct {
		Entrypoint string `toml:"entrypoint"`
	} `toml:"libos"`
	Loader struct {
		Entrypoint struct {
			URI string `toml:"uri"`
		} `toml:"entrypoint"`
		LogLevel    string            `toml:"log_level"`
		Env         map[string]string `toml:"env"`
		CmdlineArgv bool              `toml:"insecure__use_cmdline_argv"`
	} `toml:"loader"`
	FS struct {
		Mounts []struct {
			Path string `toml:"path"`
			URI  string `toml:"uri"`
			Type string `toml:"type"`
		} `toml:"mounts"`
	} `toml:"fs"`
	Sys struct {
		ExtraDomainNames bool `toml:"enable_extra_runtime_domain_names_conf"`
		SigtermInjection bool `toml:"enable_sigterm_injection"`
	} `toml:"sys"`
	SGX struct {
		Debug             bool     `toml:"debug"`
		EDMM              bool     `toml:"edmm_enable"`
		ISVProdID         int      `toml:"isvprodid"`
		ISVSVN            int      `toml:"isvsvn"`
		RemoteAttestation string   `toml:"remote_attestation"`
		EnclaveSize       string   `toml:"enclave_size"`
		MaxThreads        int      `toml:"max_threads"`
		TrustedFiles      []string `toml:"trusted_files"`
		AllowedFiles      []string `toml:"allowed_files"`
	} `toml:"sgx"`
}

// TestGramineManifest renders the manifest template as the docs do and
// checks that it is TOML whose every key is one this test knows
// (DisallowUnknownFields, so a key added to the template is looked at here),
// with what the Gramine backend
// needs: DCAP attestation, no debug enclave, the binary trusted, the data
// directory mounted and allowed.
func TestGramineManifest(t *testing.T) {
	t.Parallel()
	tmpl, err := os.ReadFile("gramine/pruntime.manifest.template")
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := renderManifest(string(tmpl), manifestVars)
	if err != nil {
		t.Fatal(err)
	}
	var m gramineManifest
	dec := toml.NewDecoder(strings.NewReader(rendered)).DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("rendered manifest is not TOML with the known keys: %v\n%s", err, rendered)
	}
	pr := manifestVars["pruntime"]
	switch {
	case m.SGX.RemoteAttestation != "dcap":
		t.Errorf("sgx.remote_attestation = %q, the backend requires dcap", m.SGX.RemoteAttestation)
	case m.SGX.Debug:
		t.Error("sgx.debug = true: the chain refuses debug enclaves")
	case m.Libos.Entrypoint != "/pruntime":
		t.Errorf("libos.entrypoint = %q", m.Libos.Entrypoint)
	case !strings.HasPrefix(m.Loader.Entrypoint.URI, "file:") || !strings.HasSuffix(m.Loader.Entrypoint.URI, "libsysdb.so"):
		t.Errorf("loader.entrypoint.uri = %q", m.Loader.Entrypoint.URI)
	case !slices.Contains(m.SGX.TrustedFiles, "file:"+pr):
		t.Errorf("the pruntime binary is not a trusted file: %v", m.SGX.TrustedFiles)
	case slices.Contains(m.SGX.TrustedFiles, "file:"+manifestVars["data_dir"]+"/"):
		t.Error("the data directory is trusted: its files change at run time")
	case !slices.Contains(m.SGX.AllowedFiles, "file:"+manifestVars["data_dir"]+"/"):
		t.Errorf("the data directory is not allowed: %v", m.SGX.AllowedFiles)
	case m.SGX.MaxThreads < 16:
		t.Errorf("sgx.max_threads = %d: too few for the Go runtime", m.SGX.MaxThreads)
	case !regexp.MustCompile(`^[0-9]+[MG]$`).MatchString(m.SGX.EnclaveSize):
		t.Errorf("sgx.enclave_size = %q", m.SGX.EnclaveSize)
	case !m.Sys.ExtraDomainNames:
		t.Error("sys.enable_extra_runtime_domain_names_conf is off: the pRuntime cannot resolve the node's name")
	case m.Loader.Env["GOMAXPROCS"] != manifestVars["gomaxprocs"]:
		t.Errorf("loader.env.GOMAXPROCS = %q", m.Loader.Env["GOMAXPROCS"])
	}
	var mounted bool
	for _, mt := range m.FS.Mounts {
		if mt.Path == "/pruntime" && mt.URI == "file:"+pr {
			mounted = true
		}
	}
	if !mounted {
		t.Error("the pruntime binary is not mounted at /pruntime")
	}
}

// A misspelled placeholder or a variable the docs do not pass fails the
// rendering rather than producing an empty value.
func TestGramineManifestUnknownPlaceholder(t *testing.T) {
	t.Parallel()
	if out, err := renderManifest(`a = "{{ pruntme }}"`, manifestVars); err == nil {
		t.Fatalf("an unknown placeholder rendered: %q", out)
	}
	if out, err := renderManifest(`{% if x %}a = 1{% endif %}`, manifestVars); err == nil {
		t.Fatalf("a Jinja statement rendered: %q", out)
	}
}
