package deploy

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

// apache2SHA256 is the SHA-256 of the Apache License 2.0 text as the Apache
// Software Foundation publishes it (LICENSE-2.0.txt, 11,358 bytes).
const apache2SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"

// TestLicense: LICENSE is the canonical Apache-2.0 text, byte for byte, and
// the README and the Serverless Application Repository metadata name it.
func TestLicense(t *testing.T) {
	sum := sha256.Sum256(readRootFile(t, "LICENSE"))
	if got := hex.EncodeToString(sum[:]); got != apache2SHA256 {
		t.Errorf("LICENSE sha256 = %s, want the canonical Apache-2.0 text (%s)", got, apache2SHA256)
	}
	if !strings.Contains(string(readRootFile(t, "README.md")), "Apache-2.0") {
		t.Errorf("README.md does not name the license (Apache-2.0)")
	}
}

// samPython returns the Python interpreter the SAM CLI runs with (the first
// line of the sam script), which can import samcli and its vendored
// serverlessrepo library.
func samPython(t *testing.T) string {
	t.Helper()
	sam := samCLI(t)
	f, err := os.Open(sam)
	if err != nil {
		t.Fatalf("open %s: %v", sam, err)
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	py, ok := strings.CutPrefix(strings.TrimSpace(line), "#!")
	if !ok || py == "" {
		missingTool(t, "%s has no #! line naming its Python", sam)
	}
	if fields := strings.Fields(py); len(fields) > 1 && filepath.Base(fields[0]) == "env" {
		py = fields[1]
	}
	return py
}

// guidedOrderScript prints the template's parameters in the order
// `sam deploy --guided` prompts for them: the SAM CLI's own
// get_template_parameters, which its guided context iterates.
const guidedOrderScript = `
import json, sys
from samcli.commands._utils.template import get_template_parameters
params = get_template_parameters(sys.argv[1])
print(json.dumps([{"name": k, "hasDefault": "Default" in v, "description": v.get("Description", "")} for k, v in params.items()]))
`

type guidedParam struct {
	Name        string `json:"name"`
	HasDefault  bool   `json:"hasDefault"`
	Description string `json:"description"`
}

func guidedOrder(t *testing.T) []guidedParam {
	t.Helper()
	readRootFile(t, "template.yaml")
	r := run(t, 2*time.Minute, samPython(t), "-c", guidedOrderScript, "template.yaml")
	if r.err != nil {
		t.Fatalf("SAM CLI's parameter reader: %v\n%s", r.err, r.combined())
	}
	var ps []guidedParam
	if err := json.Unmarshal([]byte(r.stdout), &ps); err != nil {
		t.Fatalf("decode %q: %v", r.stdout, err)
	}
	if len(ps) == 0 {
		t.Fatalf("the SAM CLI found no parameters in template.yaml")
	}
	return ps
}

// TestGuidedPromptOrder: in the order `sam deploy --guided` asks (the SAM
// CLI's own reading of the template), the parameters without a default
// come first; every parameter has a description; and docs/deploy.md lists
// the prompts in that order.
func TestGuidedPromptOrder(t *testing.T) {
	ps := guidedOrder(t)
	seenDefault := ""
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
		if p.HasDefault && seenDefault == "" {
			seenDefault = p.Name
		}
		if !p.HasDefault && seenDefault != "" {
			t.Errorf("parameter %s has no default but is asked after %s, which has one: required answers come first", p.Name, seenDefault)
		}
		if d := strings.TrimSpace(p.Description); len(d) < 20 {
			t.Errorf("parameter %s: description %q does not say what it is", p.Name, d)
		}
	}
	if len(names) < 2 || names[0] != "ChatSecretArn" || names[1] != "ChatRegion" {
		t.Errorf("first prompts = %v, want ChatSecretArn, ChatRegion", names[:min(2, len(names))])
	}
	// docs/deploy.md: "The guided prompts, in order: `A`, `B`, ..."
	doc := string(readRootFile(t, "docs/deploy.md"))
	m := regexp.MustCompile("(?s)<!-- guided-order -->(.*?)<!-- /guided-order -->").FindStringSubmatch(doc)
	if m == nil {
		t.Fatalf("docs/deploy.md has no <!-- guided-order --> list")
	}
	var listed []string
	for _, x := range regexp.MustCompile("(?m)^\\d+\\. `([A-Za-z0-9]+)`").FindAllStringSubmatch(m[1], -1) {
		listed = append(listed, x[1])
	}
	if !slices.Equal(listed, names) {
		t.Errorf("docs/deploy.md lists the prompts as\n  %v\nthe SAM CLI asks\n  %v", listed, names)
	}
}

// TestRequiredParametersRefuseEmpty: CloudFormation refuses an empty or
// plainly wrong ChatSecretArn (its AllowedPattern, read by Go's regexp as
// CloudFormation applies it: to the whole value) and ChatRegion (its
// AllowedValues) before creating anything.
func TestRequiredParametersRefuseEmpty(t *testing.T) {
	src := loadTemplates(t).Source
	pat, _ := at(src, "Parameters", "ChatSecretArn", "AllowedPattern").(string)
	if !strings.HasPrefix(pat, "^") || !strings.HasSuffix(pat, "$") {
		t.Fatalf("ChatSecretArn AllowedPattern %q is not anchored", pat)
	}
	re := regexp.MustCompile(pat)
	for _, bad := range []string{"", " ", "chat-lambdas/admin-key", "arn:aws:secretsmanager:us-east-1:123456789012:secret:chat-lambdas/admin-key"} {
		if re.MatchString(bad) {
			t.Errorf("ChatSecretArn accepts %q", bad)
		}
	}
	if !re.MatchString("arn:aws:secretsmanager:us-east-1:123456789012:secret:chat-lambdas/admin-key-AbCdEf") {
		t.Errorf("ChatSecretArn refuses the README's sample ARN")
	}
	var regions []string
	for _, v := range asList(at(src, "Parameters", "ChatRegion", "AllowedValues")) {
		regions = append(regions, fmt.Sprint(v))
	}
	for _, bad := range []string{"", "Singapore", "ap-singapore", "us-east-1"} {
		if slices.Contains(regions, bad) {
			t.Errorf("ChatRegion accepts %q", bad)
		}
	}
	for _, name := range []string{"ChatSecretArn", "ChatRegion"} {
		if d, _ := at(src, "Parameters", name, "ConstraintDescription").(string); len(d) < 20 {
			t.Errorf("%s: ConstraintDescription %q does not say what is wanted", name, d)
		}
	}
}

// sarScript reads template.yaml the way `sam publish` does (the SAM CLI's
// vendored serverlessrepo library), validates the metadata for creating an
// application, and prints the CreateApplication request it would send,
// without the template body.
const sarScript = `
import json, sys
from samcli.vendor.serverlessrepo.parser import parse_template, get_app_metadata
from samcli.vendor.serverlessrepo.publish import _create_application_request
text = open(sys.argv[1]).read()
meta = get_app_metadata(parse_template(text))
meta.validate(["author", "description", "name", "semantic_version", "spdx_license_id", "license_url", "readme_url"])
req = _create_application_request(meta, text)
req.pop("TemplateBody", None)
print(json.dumps(req))
`

// TestServerlessRepoMetadata: the serverlessrepo library that `sam
// publish` uses parses the template's AWS::ServerlessRepo::Application
// metadata without error, and every field keeps to the Serverless
// Application Repository's documented limits.
func TestServerlessRepoMetadata(t *testing.T) {
	readRootFile(t, "template.yaml")
	r := run(t, 2*time.Minute, samPython(t), "-c", sarScript, "template.yaml")
	if r.err != nil {
		t.Fatalf("serverlessrepo: %v\n%s", r.err, r.combined())
	}
	var req map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &req); err != nil {
		t.Fatalf("decode %q: %v", r.stdout, err)
	}
	str := func(k string) string { s, _ := req[k].(string); return s }
	for _, k := range []string{"Name", "Description", "Author", "SpdxLicenseId", "LicenseUrl", "ReadmeUrl", "HomePageUrl", "SemanticVersion", "SourceCodeUrl"} {
		if str(k) == "" {
			t.Errorf("%s is missing", k)
		}
	}
	checks := []struct {
		field, pattern string
		max            int
	}{
		{"Name", `^[a-zA-Z0-9\-]+$`, 140},
		{"Author", `^[a-z0-9](([a-z0-9]|-[a-z0-9])*)?$`, 127},
		{"Description", `(?s)^.+$`, 256},
		{"SemanticVersion", `^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$`, 64},
		{"HomePageUrl", `^https://`, 1024},
		{"SourceCodeUrl", `^https://`, 1024},
	}
	for _, c := range checks {
		if v := str(c.field); !regexp.MustCompile(c.pattern).MatchString(v) || len(v) > c.max {
			t.Errorf("%s = %q: want %s, at most %d characters", c.field, v, c.pattern, c.max)
		}
	}
	if str("SpdxLicenseId") != "Apache-2.0" {
		t.Errorf("SpdxLicenseId = %q, want Apache-2.0", str("SpdxLicenseId"))
	}
	if str("LicenseUrl") != "LICENSE" || str("ReadmeUrl") != "README.md" {
		t.Errorf("LicenseUrl, ReadmeUrl = %q, %q; want the repository's LICENSE and README.md", str("LicenseUrl"), str("ReadmeUrl"))
	}
	labels, _ := req["Labels"].([]any)
	if len(labels) == 0 || len(labels) > 10 {
		t.Errorf("Labels = %v: want 1 to 10", labels)
	}
	for _, l := range labels {
		if s, _ := l.(string); !regexp.MustCompile(`^[a-zA-Z0-9+\-_:/@]{1,127}$`).MatchString(s) {
			t.Errorf("label %q breaks the pattern ^[a-zA-Z0-9+\\-_:\\/@]+$", s)
		}
	}
	// `sam package` uploads LicenseUrl and ReadmeUrl; each is a file here,
	// under SAR's 5 MB.
	for _, f := range []string{str("LicenseUrl"), str("ReadmeUrl")} {
		if fi, err := os.Stat(filepath.Join(repoRoot(t), f)); err != nil || fi.Size() > 5<<20 {
			t.Errorf("%s: %v (size limit 5 MB)", f, err)
		}
	}
}

// TestPublishDocs: docs/publish.md names every resource type the
// transformed template creates, against the Serverless Application
// Repository's list.
func TestPublishDocs(t *testing.T) {
	doc := string(readRootFile(t, "docs/publish.md"))
	tpls := loadTemplates(t)
	types := map[string]bool{}
	for _, tpl := range []map[string]any{tpls.Source, tpls.Transformed} {
		for _, r := range asMap(tpl["Resources"]) {
			if typ, _ := asMap(r)["Type"].(string); typ != "" {
				types[typ] = true
			}
		}
	}
	for typ := range types {
		if !strings.Contains(doc, "| `"+typ+"` |") {
			t.Errorf("docs/publish.md has no row for resource type %s", typ)
		}
	}
	for _, want := range []string{"sam package", "sam publish", "CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY", "https://docs.aws.amazon.com/serverlessrepo/latest/devguide/list-supported-resources.html"} {
		if !strings.Contains(doc, want) {
			t.Errorf("docs/publish.md does not mention %s", want)
		}
	}
}

// readmeSection returns the lines of the README's "## name" section and
// the 1-based line numbers where it starts and ends.
func readmeSection(t *testing.T, name string) (string, int, int) {
	t.Helper()
	lines := strings.Split(string(readRootFile(t, "README.md")), "\n")
	start := slices.Index(lines, "## "+name)
	if start < 0 {
		t.Fatalf("README.md has no \"## %s\" section", name)
	}
	end := len(lines)
	for i := start + 1; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "## ") {
			end = i
			break
		}
	}
	return strings.Join(lines[start:end], "\n"), start + 1, end
}

// TestReadmeDeploy: the README's Deploy section lies within its first 120
// lines and holds a first deployment: the prerequisites, the
// create-secret line with a secret document the functions accept, where the
// console shows each value, sam build and sam deploy --guided naming the
// answers without defaults, one --parameter-overrides line whose names are
// the template's and whose values its rules accept, and chatsync doctor.
func TestReadmeDeploy(t *testing.T) {
	sec, start, end := readmeSection(t, "Deploy")
	if end > 120 {
		t.Errorf("the Deploy section runs from line %d to %d: want it within the README's first 120 lines", start, end)
	}
	for _, want := range []string{
		"AWS CLI", "`make`", "Go", "Python 3", "SAM CLI", // every tool the steps use
		"aws secretsmanager create-secret ", "sam build", "sam deploy --guided", "--parameter-overrides",
		"chatsync doctor -stack", "go install github.com/chatsync/chat-lambdas/cmd/chatsync@latest",
		"SDKAppID", "Display key", "Admin", "https://trtc.io/document/34577", "https://trtc.io/document/34540", "https://tencentcloud.com/document/product/1047/50301",
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("the Deploy section does not say %q", want)
		}
	}
	// The secret document parses as the functions parse it.
	m := regexp.MustCompile("`secret.json`: `(\\{[^`]*\\})`").FindStringSubmatch(sec)
	if m == nil {
		t.Fatalf("the Deploy section shows no secret.json document")
	}
	doc, err := secrets.Parse([]byte(m[1]))
	if err != nil {
		t.Fatalf("the README's secret document: %v", err)
	}
	if doc.SDKAppID == 0 || doc.Key == "" || doc.Admin == "" {
		t.Errorf("the README's secret document lacks a field: %+v", doc)
	}
	if !strings.Contains(sec, "--secret-string file://secret.json") {
		t.Errorf("create-secret does not read the document from secret.json (a key on the command line stays in the shell history)")
	}

	src := loadTemplates(t).Source
	params := asMap(src["Parameters"])
	var required []string
	for name, p := range params {
		if _, ok := asMap(p)["Default"]; !ok {
			required = append(required, name)
			if !strings.Contains(sec, "**"+name+"**") {
				t.Errorf("the Deploy section does not name %s, which guided deploy asks with no default", name)
			}
		}
	}
	line := regexp.MustCompile("`(sam deploy [^`]*--parameter-overrides [^`]*)`").FindStringSubmatch(sec)
	if line == nil {
		t.Fatalf("no `sam deploy ... --parameter-overrides ...` line")
	}
	_, overrides, _ := strings.Cut(line[1], "--parameter-overrides ")
	given := map[string]string{}
	for _, kv := range strings.Fields(overrides) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("override %q is not Name=Value", kv)
		}
		if _, ok := params[k]; !ok {
			t.Errorf("override %s is not a template parameter", k)
		}
		given[k] = v
	}
	for _, name := range required {
		if _, ok := given[name]; !ok {
			t.Errorf("the --parameter-overrides line does not give %s (no default)", name)
		}
	}
	for k, v := range given {
		if pat, ok := at(src, "Parameters", k, "AllowedPattern").(string); ok && !regexp.MustCompile(pat).MatchString(v) {
			t.Errorf("override %s=%s fails its AllowedPattern %s", k, v, pat)
		}
		if allowed := asList(at(src, "Parameters", k, "AllowedValues")); allowed != nil && !slices.Contains(allowed, any(v)) {
			t.Errorf("override %s=%s is not one of %v", k, v, allowed)
		}
	}
	e := newParamEnv(t, src, given)
	if v := e.violated(); len(v) > 0 {
		t.Errorf("the template refuses the README's overrides: %v", v)
	}
	if !bytes.Contains(readRootFile(t, "README.md"), []byte("(docs/deploy.md)")) {
		t.Errorf("README does not link docs/deploy.md")
	}
}

// moduleZip writes the module as `go install …@version` downloads it: the
// files git tracks or would track (not the ignored ones, such as .venv),
// under the path@version prefix, into a file-based module proxy at dir.
func moduleZip(t *testing.T, dir, module, version string) {
	t.Helper()
	root := repoRoot(t)
	ls := run(t, time.Minute, "git", "ls-files", "-co", "--exclude-standard", "-z")
	if ls.err != nil {
		missingTool(t, "git ls-files: %v", ls.err)
	}
	base := filepath.Join(dir, filepath.FromSlash(module), "@v")
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(base, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, name := range strings.Split(strings.TrimRight(ls.stdout, "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			continue // listed but deleted in the work tree
		}
		w, err := zw.Create(module + "@" + version + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for name, content := range map[string]string{
		"list":            version + "\n",
		version + ".info": `{"Version":"` + version + `","Time":"2026-12-02T00:00:00Z"}`,
		version + ".mod":  string(readRootFile(t, "go.mod")),
	} {
		if err := os.WriteFile(filepath.Join(base, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGoInstall: `go install ./cmd/chatsync` from a clone and `go install
// github.com/chatsync/chat-lambdas/cmd/chatsync@latest` from anywhere (here
// through a file-based module proxy holding this tree, as the Go proxy
// would serve it) both give a chatsync that works outside the repository:
// help, and the whole demo, which needs no file of the repository.
func TestGoInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds chatsync twice")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	const module = "github.com/chatsync/chat-lambdas"
	tmp := t.TempDir()
	outside := filepath.Join(tmp, "elsewhere")
	os.MkdirAll(outside, 0o755)
	proxy := filepath.Join(tmp, "proxy")
	moduleZip(t, proxy, module, "v1.0.0")

	env := func(gobin string) []string {
		return append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=-buildvcs=false", "GOWORK=off", "CGO_ENABLED=0",
			// Only the file proxy and the module cache: this machine reaches no
			// checksum database, and the module's go.sum covers its
			// dependencies.
			"GOPROXY=file://"+filepath.ToSlash(proxy), "GOSUMDB=off", "GOPRIVATE=", "GONOPROXY=", "GONOSUMDB=")
	}
	install := []struct {
		name string
		dir  string
		args []string
	}{
		{"from a clone", repoRoot(t), []string{"install", "./cmd/chatsync"}},
		{"@latest", outside, []string{"install", module + "/cmd/chatsync@latest"}},
	}
	for _, in := range install {
		t.Run(in.name, func(t *testing.T) {
			gobin := filepath.Join(tmp, strings.ReplaceAll(in.name, " ", "-"), "bin")
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, goBin, in.args...)
			cmd.Dir, cmd.Env = in.dir, env(gobin)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go %s: %v\n%s", strings.Join(in.args, " "), err, out)
			}
			bin := filepath.Join(gobin, "chatsync")
			for _, args := range [][]string{{"help"}, {"help", "doctor"}, {"demo"}} {
				c := exec.CommandContext(ctx, bin, args...)
				c.Dir = outside
				c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tmp}
				out, err := c.CombinedOutput()
				if err != nil {
					t.Fatalf("chatsync %s (in %s): %v\n%s", strings.Join(args, " "), outside, err, out)
				}
				if args[0] == "help" && !bytes.Contains(out, []byte("Usage:")) {
					t.Errorf("chatsync %s printed no usage:\n%s", strings.Join(args, " "), out)
				}
			}
		})
	}
}
