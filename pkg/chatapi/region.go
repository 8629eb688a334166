package chatapi

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
)

// Region is a Chat data centre: its primary REST domain and the backup the
// client falls back to when the primary cannot be reached.
type Region struct {
	Name    string
	Primary string
	Backup  string
}

// Regions lists the data centres of Tencent Cloud Chat by the names
// CHAT_REGION takes.
var Regions = map[string]Region{
	"china":         {"china", "console.tim.qq.com", "adminapi.my-imcloud.com"},
	"singapore":     {"singapore", "adminapisgp.im.qcloud.com", "adminapisgp.my-imcloud.com"},
	"seoul":         {"seoul", "adminapikr.im.qcloud.com", "adminapikr.my-imcloud.com"},
	"tokyo":         {"tokyo", "adminapijpn.im.qcloud.com", "adminapijpn.my-imcloud.com"},
	"frankfurt":     {"frankfurt", "adminapiger.im.qcloud.com", "adminapiger.my-imcloud.com"},
	"mumbai":        {"mumbai", "adminapiind.im.qcloud.com", "adminapiind.my-imcloud.com"},
	"siliconvalley": {"siliconvalley", "adminapiusa.im.qcloud.com", "adminapiusa.my-imcloud.com"},
	"jakarta":       {"jakarta", "adminapiidn.im.qcloud.com", "adminapiidn.my-imcloud.com"},
}

// RegionNames returns the region names in alphabetical order.
func RegionNames() []string {
	names := make([]string, 0, len(Regions))
	for n := range Regions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// baseURLs returns the base URLs to call, primary first: the region's two
// domains, or the one base URL given.
func baseURLs(region, base string, plainHTTP bool) ([]string, error) {
	if base != "" {
		u, err := parseBaseURL(base, plainHTTP)
		if err != nil {
			return nil, err
		}
		return []string{u}, nil
	}
	if strings.TrimSpace(region) == "" {
		return nil, fmt.Errorf("no Chat region or base URL: set CHAT_REGION (one of %s) or CHAT_BASE_URL", strings.Join(RegionNames(), ", "))
	}
	r, err := LookupRegion(region)
	if err != nil {
		return nil, err
	}
	return []string{"https://" + r.Primary, "https://" + r.Backup}, nil
}

// LookupRegion returns the region of a name, in any case.
func LookupRegion(name string) (Region, error) {
	r, ok := Regions[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return Region{}, fmt.Errorf("unknown Chat region %q: want one of %s", name, strings.Join(RegionNames(), ", "))
	}
	return r, nil
}

// ParseBaseURL checks a CHAT_BASE_URL and returns it without a trailing
// slash. It must be https unless its host is a loopback address, and carry no
// query or fragment.
func ParseBaseURL(s string) (string, error) { return parseBaseURL(s, false) }

// ParseLocalBaseURL is ParseBaseURL for a base URL whose plain http its
// caller has already allowed (pkg/config's rule for local runs under the
// SAM CLI): it accepts http to any host.
func ParseLocalBaseURL(s string) (string, error) { return parseBaseURL(s, true) }

func parseBaseURL(s string, plainHTTP bool) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("chat base URL: %w", err)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("chat base URL %q: want https://host[:port][/path]", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("chat base URL %q: must not carry a query, fragment or user info", s)
	}
	if u.Scheme == "http" && !plainHTTP && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("chat base URL %q: https is required unless the host is loopback", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
