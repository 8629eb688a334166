package chatapi

import (
	"net/http"
	"net/url"
)

// roundTripper returns the transport to send requests through directly,
// or nil when hc must be used as a whole: when it sets a Timeout, a cookie
// Jar or a redirect policy, which live in http.Client, not in its transport.
//
// Going to the transport directly skips http.Client's per-request work that
// a Chat call never needs: copying the headers for redirects, the redirect
// loop, cookies. Chat answers every request itself (HTTP 200, or an error
// status); a redirect would only come from a wrong CHAT_BASE_URL, and is
// then reported as the unexpected status it is rather than followed (which
// would turn the POST into a GET).
func roundTripper(hc *http.Client) http.RoundTripper {
	if hc.Timeout != 0 || hc.Jar != nil || hc.CheckRedirect != nil {
		return nil
	}
	if hc.Transport != nil {
		return hc.Transport
	}
	return http.DefaultTransport
}

// do sends req, through the transport directly when it may (see
// roundTripper). An error is a *url.Error, as http.Client.Do returns,
// naming the URL without its query (which holds the UserSig).
func (c *Client) do(req *http.Request) (*http.Response, error) {
	if c.rt == nil {
		return c.http.Do(req)
	}
	resp, err := c.rt.RoundTrip(req)
	if err != nil {
		u := *req.URL
		u.RawQuery, u.ForceQuery = "", false
		return nil, &url.Error{Op: "Post", URL: u.String(), Err: err}
	}
	return resp, nil
}
