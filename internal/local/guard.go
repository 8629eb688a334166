package local

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The CORS settings of template.yaml's CorsConfiguration, which API Gateway
// answers preflights with when CorsAllowOrigins is set.
var (
	CORSAllowMethods = []string{http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodOptions}
	CORSAllowHeaders = []string{"Authorization", "Content-Type"}
)

// CORSMaxAge is how long, in seconds, a browser may keep a preflight's answer.
const CORSMaxAge = 600

// CORS is the list of browser origins allowed to call the API, as
// template.yaml's CorsAllowOrigins gives it. The zero value allows none.
type CORS struct {
	origins []string // scheme://host[:port], in lower case
	any     bool     // "*": every origin
}

// ParseCORSOrigins reads a comma-separated list of origins, such as
// "https://app.example.com,http://localhost:5173", or "*" alone for every
// origin; "" allows none.
func ParseCORSOrigins(s string) (CORS, error) {
	var c CORS
	if strings.TrimSpace(s) == "" {
		return c, nil
	}
	if s == "*" {
		c.any = true
		return c, nil
	}
	for o := range strings.SplitSeq(s, ",") {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "?") || strings.HasSuffix(o, "#") {
			return CORS{}, fmt.Errorf("%q is not an origin: want scheme://host[:port], such as https://app.example.com, with no path and no spaces", o)
		}
		c.origins = append(c.origins, strings.ToLower(o))
	}
	return c, nil
}

// Allows reports whether a request's Origin header names an allowed origin.
func (c CORS) Allows(origin string) bool {
	if origin == "" {
		return false
	}
	if c.any {
		return true
	}
	for _, o := range c.origins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// String lists the origins as ParseCORSOrigins reads them.
func (c CORS) String() string {
	if c.any {
		return "*"
	}
	return strings.Join(c.origins, ",")
}

// allowOrigin adds the headers every reply to an allowed origin carries.
func (c CORS) allowOrigin(h http.Header, origin string) {
	if c.any {
		h.Set("Access-Control-Allow-Origin", "*")
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
}

// isPreflight reports whether r is a browser's CORS preflight.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// preflight answers an allowed origin's preflight as API Gateway does.
func preflight(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", strings.Join(CORSAllowMethods, ", "))
	h.Set("Access-Control-Allow-Headers", strings.Join(CORSAllowHeaders, ", "))
	h.Set("Access-Control-Max-Age", strconv.Itoa(CORSMaxAge))
	w.WriteHeader(http.StatusNoContent)
}

// A Guard is the front door of `chatsync local`, so that a web page the
// operator happens to visit cannot use the API:
//
//   - the Host header must name loopback (localhost, 127.0.0.0/8 or [::1])
//     and the port the request came in on, else 421: a page that rebinds its
//     own name to 127.0.0.1 (DNS rebinding) sends its own name;
//   - an Origin header must name an origin of CORS, else 403: browsers send
//     it on every cross-origin request that could change something;
//   - a body must come with Content-Type application/json, else 415: the
//     bodies a plain HTML form can post (text/plain, form-urlencoded,
//     multipart) need no preflight, and would otherwise be run.
//
// Requests without an Origin header (curl, scripts) pass the Origin check.
// It then answers the CORS preflights of the allowed origins, as API Gateway
// does with CorsAllowOrigins, and adds Access-Control-Allow-Origin to their
// other replies.
type Guard struct {
	Next http.Handler
	CORS CORS
	// Logger, when set, gets one line per request the guard answers itself.
	Logger *slog.Logger
}

// ServeHTTP refuses what the guard refuses, answers preflights, and passes
// the rest to g.Next. The replies to an allowed origin allow it, the
// guard's own 415 included, so that its app can read why.
func (g *Guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	origin := r.Header.Get("Origin")
	refuse := func(status int, code, msg string) {
		writeError(w, status, code, msg)
		logRequest(g.Logger, r, Route{}, status, start, "", nil, slog.String("refused", msg))
	}
	if !loopbackHost(r.Host, localPort(r)) {
		refuse(http.StatusMisdirectedRequest, "misdirected_request", "chatsync local answers only requests for localhost, 127.0.0.1 or [::1] with its port")
		return
	}
	if origin != "" && !g.CORS.Allows(origin) {
		refuse(http.StatusForbidden, "forbidden", "the Origin is not one of chatsync local's -cors-origins")
		return
	}
	if origin != "" {
		g.CORS.allowOrigin(w.Header(), origin)
	}
	if isPreflight(r) {
		preflight(w)
		logRequest(g.Logger, r, Route{}, http.StatusNoContent, start, "", nil, slog.String("cors", "preflight"))
		return
	}
	if r.ContentLength != 0 && !isJSON(r.Header.Get("Content-Type")) {
		refuse(http.StatusUnsupportedMediaType, "unsupported_media_type", "a request body must be sent with Content-Type: application/json")
		return
	}
	g.Next.ServeHTTP(w, r)
}

// localPort returns the port the request came in on, or "" when unknown.
func localPort(r *http.Request) string {
	addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return ""
	}
	_, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return ""
	}
	return port
}

// loopbackHost reports whether a Host header names a loopback host and
// port (80 when the header gives none).
func loopbackHost(hostport, port string) bool {
	host, p, err := net.SplitHostPort(hostport)
	if err != nil {
		host, p = strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]"), "80"
	}
	if port == "" || p != port {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.IsLoopback()
}

// isJSON reports whether a Content-Type is application/json, with or
// without parameters.
func isJSON(contentType string) bool {
	t, _, err := mime.ParseMediaType(contentType)
	return err == nil && t == "application/json"
}

// writeError writes the API's error body, {"error":{"code","message"}}.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(map[string]map[string]string{"error": {"code": code, "message": msg}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
