package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/internal/local"
)

// TestRoutesListedAlike: the template's HTTP API routes are the ones
// chatsync local serves and prints (local.Routes), and every page that
// lists or counts them says the same: docs/http-api.md and
// docs/local-tools.md list each, docs/http-api.md and docs/deploy.md give
// their number.
func TestRoutesListedAlike(t *testing.T) {
	src := loadTemplates(t).Source
	var tpl []string
	for _, r := range asMap(src["Resources"]) {
		for _, ev := range asMap(at(r, "Properties", "Events")) {
			if asMap(ev)["Type"] != "HttpApi" {
				continue
			}
			tpl = append(tpl, fmt.Sprint(at(ev, "Properties", "Method"))+" "+fmt.Sprint(at(ev, "Properties", "Path")))
		}
	}
	var served []string
	for _, r := range local.Routes {
		served = append(served, r.Key)
	}
	if !slices.Equal(sorted(tpl), sorted(served)) {
		t.Fatalf("template routes %v, chatsync local serves %v", sorted(tpl), sorted(served))
	}
	words := map[int]string{3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}
	n := words[len(tpl)]
	for _, page := range []string{"docs/http-api.md", "docs/local-tools.md"} {
		doc := string(readRootFile(t, page))
		var rows []string
		for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z]+ /[^`]*)`").FindAllStringSubmatch(doc, -1) {
			rows = append(rows, m[1])
		}
		for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z]+ /[^`]*)`, `([A-Z]+ /[^`]*)`").FindAllStringSubmatch(doc, -1) {
			rows = append(rows, m[2])
		}
		for _, r := range tpl {
			if !slices.Contains(rows, r) {
				t.Errorf("%s does not list the route %s", page, r)
			}
		}
	}
	for _, page := range []string{"docs/http-api.md", "docs/deploy.md"} {
		if !strings.Contains(string(readRootFile(t, page)), n+" routes") {
			t.Errorf("%s does not say the API has %s routes", page, n)
		}
	}
	for _, other := range words {
		if other == n {
			continue
		}
		for _, page := range []string{"docs/http-api.md", "docs/deploy.md", "docs/local-tools.md", "README.md"} {
			if strings.Contains(string(readRootFile(t, page)), other+" routes") {
				t.Errorf("%s says %q: the API has %s", page, other+" routes", n)
			}
		}
	}
}

// TestLocalCORSAsTemplate: chatsync local answers preflights with the
// methods, headers and max age of the template's CorsConfiguration.
func TestLocalCORSAsTemplate(t *testing.T) {
	src := at(loadTemplates(t).Source, "Resources", "HttpApi", "Properties", "CorsConfiguration")
	args := asList(at(src, "Fn::If"))
	if len(args) != 3 {
		t.Fatalf("CorsConfiguration = %v, want Fn::If [HasCors, {...}, AWS::NoValue]", src)
	}
	lower := func(vs []string) []string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = strings.ToLower(v)
		}
		return sorted(out)
	}
	var headers, methods []string
	for _, h := range asList(at(args[1], "AllowHeaders")) {
		headers = append(headers, fmt.Sprint(h))
	}
	for _, m := range asList(at(args[1], "AllowMethods")) {
		methods = append(methods, fmt.Sprint(m))
	}
	if !slices.Equal(lower(headers), lower(local.CORSAllowHeaders)) {
		t.Errorf("template AllowHeaders %v, chatsync local %v", headers, local.CORSAllowHeaders)
	}
	if !slices.Equal(lower(methods), lower(local.CORSAllowMethods)) {
		t.Errorf("template AllowMethods %v, chatsync local %v", methods, local.CORSAllowMethods)
	}
	if got := fmt.Sprint(at(args[1], "MaxAge")); got != fmt.Sprint(local.CORSMaxAge) {
		t.Errorf("template MaxAge %s, chatsync local %d", got, local.CORSMaxAge)
	}
}
