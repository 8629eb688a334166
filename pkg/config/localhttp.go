package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// EnvSAMLocal is the variable the SAM CLI sets to "true" in every container
// it runs (sam local invoke, sam local start-api). Lambda itself never sets
// it, and the template does not declare it, so a deployed function never
// has it.
const EnvSAMLocal = "AWS_SAM_LOCAL"

// LocalRun reports whether the process runs under the SAM CLI on a
// developer's machine: AWS_SAM_LOCAL is "true".
func LocalRun(getenv func(string) string) bool {
	return strings.TrimSpace(getenv(EnvSAMLocal)) == "true"
}

// localNetworks are the addresses a local run may reach over plain http
// besides loopback: the private ranges (RFC 1918, RFC 4193), where Docker
// puts its bridges, and the benchmarking range 198.18.0.0/15 (RFC 2544),
// which the repository's own Docker setup uses for its bridge.
var localNetworks = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("fc00::/7"),
}

// dockerHostName is the name Docker Desktop gives the host inside its
// containers.
const dockerHostName = "host.docker.internal"

// PlainHTTPAllowed reports whether an endpoint (the Chat base URL, an AWS
// endpoint URL) may use plain http to host. Loopback always may. Under the
// SAM CLI (local true, see LocalRun), so may an address literal in a private
// range or 198.18.0.0/15, and host.docker.internal: a container does not
// reach the host's loopback, so an emulator on the host is reached through
// the Docker bridge. Any other host needs https.
func PlainHTTPAllowed(host string, local bool) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err == nil && ip.Zone() == "" {
		ip = ip.Unmap()
		if ip.IsLoopback() {
			return true
		}
		if !local {
			return false
		}
		for _, p := range localNetworks {
			if p.Contains(ip) {
				return true
			}
		}
		return false
	}
	return local && strings.EqualFold(host, dockerHostName)
}

// CheckEndpointURL checks an endpoint URL that name (an environment
// variable) sets: http or https, with a host, and plain http only where
// PlainHTTPAllowed says so.
func CheckEndpointURL(name, raw string, local bool) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%s %q: want https://host[:port]", name, raw)
	}
	if u.Scheme == "http" && !PlainHTTPAllowed(u.Hostname(), local) {
		return fmt.Errorf("%s %q: https is required unless the host is loopback (or, under sam local, a private address: see %s)", name, raw, EnvSAMLocal)
	}
	return nil
}

// hostname returns the host of a URL without its port; "" when it has none.
func hostname(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
