package deploy

import (
	"debug/buildinfo"
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSAMValidateLint: the real SAM CLI accepts the template and its linter
// finds nothing.
func TestSAMValidateLint(t *testing.T) {
	t.Parallel()
	readRootFile(t, "template.yaml")
	readRootFile(t, "samconfig.toml")
	sam := samCLI(t)
	r := run(t, 5*time.Minute, sam, "validate", "--lint", "--template-file", "template.yaml")
	if r.err != nil || !strings.Contains(r.combined(), "is a valid SAM Template") {
		t.Fatalf("sam validate --lint: %v\n%s", errOrOK(r.err), r.combined())
	}
}

// TestSAMBuild: `sam build` runs the Makefile's build-<LogicalId> targets
// and yields a static, stripped linux/arm64 bootstrap for each of the four
// functions (SAM builds the conditional SyncFunction too), built with the
// lambda.norpc tag, -trimpath, -s -w and no cgo.
func TestSAMBuild(t *testing.T) {
	t.Parallel()
	for _, f := range []string{"template.yaml", "samconfig.toml", "Makefile"} {
		readRootFile(t, f)
	}
	sam := samCLI(t)
	tmp := t.TempDir()
	buildDir := filepath.Join(tmp, "build")
	r := run(t, 8*time.Minute, sam, "build",
		"--template-file", "template.yaml",
		"--build-dir", buildDir,
		"--cache-dir", filepath.Join(tmp, "cache"),
		"--no-cached", "--build-in-source")
	if r.err != nil {
		t.Fatalf("sam build: %v\n%s", r.err, r.combined())
	}
	if !strings.Contains(r.combined(), "Build Succeeded") {
		t.Fatalf("sam build did not report success:\n%s", r.combined())
	}
	built, err := os.ReadFile(filepath.Join(buildDir, "template.yaml"))
	if err != nil {
		t.Fatalf("built template: %v", err)
	}
	for _, id := range allFunctions {
		t.Run(id, func(t *testing.T) {
			if !strings.Contains(string(built), "CodeUri: "+id) {
				t.Errorf("built template does not point %s at its artifacts", id)
			}
			checkBootstrap(t, filepath.Join(buildDir, id, "bootstrap"))
		})
	}
}

func checkBootstrap(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	if fi.Mode()&0o111 == 0 {
		t.Errorf("%s is not executable (%v)", path, fi.Mode())
	}
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s is not an ELF file: %v", path, err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
		t.Errorf("%s: %v %v %v, want ELFCLASS64 EM_AARCH64 ET_EXEC", path, f.Class, f.Machine, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked", path)
		}
	}
	if f.SectionByType(elf.SHT_SYMTAB) != nil {
		t.Errorf("%s is not stripped (has .symtab)", path)
	}
	t.Logf("%s: %d bytes (%.1f MiB)", path, fi.Size(), float64(fi.Size())/(1<<20))

	info, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: no Go build info: %v", path, err)
	}
	// -ldflags is not recorded under -trimpath; -s shows as the missing
	// .symtab above.
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for k, want := range map[string]string{
		"GOOS": "linux", "GOARCH": "arm64", "CGO_ENABLED": "0",
		"-tags": "lambda.norpc", "-trimpath": "true",
	} {
		if settings[k] != want {
			t.Errorf("%s: build setting %s = %q, want %q", path, k, settings[k], want)
		}
	}
}
