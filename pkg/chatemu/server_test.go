package chatemu_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/testclock"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/usersig"
)

const (
	appID = 1400000000
	key   = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	admin = "administrator"
)

// t0 is the emulator's clock unless a test moves it.
var t0 = time.Unix(1700000000, 0)

// start serves an emulator for the test app, its clock fixed at t0 unless
// opts sets one.
func start(t *testing.T, opts chatemu.Options) *chatemu.Running {
	t.Helper()
	if opts.SDKAppID == 0 {
		opts.SDKAppID = appID
	}
	if opts.Key == "" {
		opts.Key = key
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	return chatemu.StartTest(t, opts)
}

// sign returns a UserSig for identifier made with k for app at t0.
func sign(k string, app uint64, identifier string) string {
	return usersig.Generate([]byte(k), app, identifier, t0, time.Hour)
}

// query returns a valid query string for identifier, signed with key.
func query(identifier string) url.Values {
	return url.Values{
		"sdkappid":    {fmt.Sprint(appID)},
		"identifier":  {identifier},
		"usersig":     {sign(key, appID, identifier)},
		"random":      {"42"},
		"contenttype": {"json"},
	}
}

// post sends body to path with q and returns the HTTP status and the
// envelope. It fails the test unless the reply is JSON.
func post(t *testing.T, emu *chatemu.Running, path string, q url.Values, body string) (int, chat.Envelope) {
	t.Helper()
	status, env, err := send(emu, path, q, body)
	if err != nil {
		t.Fatal(err)
	}
	return status, env
}

// send is post for goroutines other than the test's.
func send(emu *chatemu.Running, path string, q url.Values, body string) (int, chat.Envelope, error) {
	var env chat.Envelope
	resp, err := http.Post(emu.URL+path+"?"+q.Encode(), "application/json", strings.NewReader(body))
	if err != nil {
		return 0, env, fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		return 0, env, fmt.Errorf("POST %s: Content-Type %q, want application/json", path, ct)
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return 0, env, fmt.Errorf("POST %s: reply is not an envelope: %w", path, err)
	}
	return resp.StatusCode, env, nil
}

// call sends a signed request for cmd and fails the test unless the answer
// is HTTP 200.
func call(t *testing.T, emu *chatemu.Running, cmd, body string) chat.Envelope {
	t.Helper()
	status, env := post(t, emu, chatemu.Prefix+cmd, query(admin), body)
	if status != http.StatusOK {
		t.Fatalf("%s: HTTP %d, want 200", cmd, status)
	}
	return env
}

func wantCode(t *testing.T, env chat.Envelope, code int) {
	t.Helper()
	status := chat.StatusOK
	if code != 0 {
		status = chat.StatusFail
	}
	if env.ErrorCode != code || env.ActionStatus != status {
		t.Fatalf("got %s %d (%s), want %s %d", env.ActionStatus, env.ErrorCode, env.ErrorInfo, status, code)
	}
}

func accounts(ids ...string) string {
	list := make([]chat.Account, len(ids))
	for i, id := range ids {
		list[i] = chat.Account{UserID: id}
	}
	b, _ := json.Marshal(chat.MultiImportRequest{AccountList: list})
	return string(b)
}

func items(field string, ids ...string) string {
	b, _ := json.Marshal(map[string][]chat.UserItem{field: chat.Items(ids)})
	return string(b)
}

func ids(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("user%03d", i)
	}
	return s
}

func TestHappyPath(t *testing.T) {
	emu := start(t, chatemu.Options{})

	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"alice","Nick":"Alice"}`), 0)
	if a, ok := emu.Account("alice"); !ok || a.Nick != "Alice" {
		t.Fatalf("alice = %+v, %v after import", a, ok)
	}
	// Importing again succeeds and updates the fields given.
	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"alice","FaceUrl":"https://x/a.png"}`), 0)
	if a, _ := emu.Account("alice"); a.Nick != "Alice" || a.FaceURL != "https://x/a.png" {
		t.Fatalf("alice = %+v after re-import", a)
	}

	env := call(t, emu, chat.CmdMultiImport, accounts("bob", "carol", "alice"))
	wantCode(t, env, 0)
	if len(env.FailAccounts) != 0 {
		t.Fatalf("FailAccounts = %v", env.FailAccounts)
	}
	if got, want := emu.Accounts(), []string{"alice", "bob", "carol"}; !slices.Equal(got, want) {
		t.Fatalf("Accounts() = %v, want %v", got, want)
	}

	env = call(t, emu, chat.CmdCheck, items("CheckItem", "bob", "zed"))
	wantCode(t, env, 0)
	wantItems(t, env, []chat.ResultItem{
		{UserID: "bob", AccountStatus: chat.Imported},
		{UserID: "zed", AccountStatus: chat.NotImported},
	})

	env = call(t, emu, chat.CmdDelete, items("DeleteItem", "bob", "zed", "bob"))
	wantCode(t, env, 0)
	wantItems(t, env, []chat.ResultItem{
		{UserID: "bob"},
		{UserID: "zed", ResultCode: chat.CodeAccountNotFound},
		{UserID: "bob", ResultCode: chat.CodeAccountNotFound},
	})
	if emu.Has("bob") || emu.Len() != 2 {
		t.Fatalf("after delete: Has(bob) = %v, Len() = %d", emu.Has("bob"), emu.Len())
	}
}

// wantItems compares result items, ignoring ResultInfo.
func wantItems(t *testing.T, env chat.Envelope, want []chat.ResultItem) {
	t.Helper()
	got := slices.Clone(env.ResultItem)
	for i := range got {
		if got[i].ResultCode != 0 && got[i].ResultInfo == "" {
			t.Errorf("item %d: ResultCode %d without ResultInfo", i, got[i].ResultCode)
		}
		got[i].ResultInfo = ""
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ResultItem = %+v, want %+v", got, want)
	}
}

func TestRouting(t *testing.T) {
	emu := start(t, chatemu.Options{})
	tests := []struct {
		name, method, path string
		status, code       int
	}{
		{"unknown command", http.MethodPost, chatemu.Prefix + "account_nope", 200, chat.CodeBadResource},
		{"unknown service", http.MethodPost, "/v4/other_svc/account_import", 200, chat.CodeBadResource},
		{"outside v4", http.MethodPost, "/prefix/v4/im_open_login_svc/account_import", 404, chat.CodeBadResource},
		{"GET", http.MethodGet, chatemu.Prefix + chat.CmdImport, 200, chat.CodeBadRequestURL},
		{"PUT", http.MethodPut, chatemu.Prefix + chat.CmdImport, 200, chat.CodeBadRequestURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, emu.URL+tt.path+"?"+query(admin).Encode(), strings.NewReader(`{"UserID":"a"}`))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var env chat.Envelope
			if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || env.ErrorCode != tt.code {
				t.Fatalf("HTTP %d code %d, want HTTP %d code %d", resp.StatusCode, env.ErrorCode, tt.status, tt.code)
			}
		})
	}
	if emu.Len() != 0 {
		t.Fatalf("refused requests created accounts: %v", emu.Accounts())
	}
}

func TestQueryAndSignature(t *testing.T) {
	emu := start(t, chatemu.Options{})
	set := func(k, v string) func(url.Values) { return func(q url.Values) { q.Set(k, v) } }
	del := func(k string) func(url.Values) { return func(q url.Values) { q.Del(k) } }
	tests := []struct {
		name   string
		modify func(url.Values)
		code   int
	}{
		{"valid", func(url.Values) {}, 0},
		{"sdkappid missing", del("sdkappid"), chat.CodeSDKAppIDRequired},
		{"sdkappid not a number", set("sdkappid", "14x"), chat.CodeSDKAppIDInvalid},
		{"sdkappid of another app", set("sdkappid", "1400000001"), chat.CodeSDKAppIDInvalid},
		{"identifier missing", del("identifier"), chat.CodeBadAccountOrSig},
		{"usersig missing", del("usersig"), chat.CodeBadAccountOrSig},
		{"random missing", del("random"), chat.CodeBadRequestURL},
		{"random negative", set("random", "-1"), chat.CodeBadRequestURL},
		{"random over uint32", set("random", "4294967296"), chat.CodeBadRequestURL},
		{"random not a number", set("random", "abc"), chat.CodeBadRequestURL},
		{"random zero", set("random", "0"), 0},
		{"random max", set("random", "4294967295"), 0},
		{"contenttype missing", del("contenttype"), chat.CodeBadRequestURL},
		{"contenttype xml", set("contenttype", "xml"), chat.CodeBadRequestURL},
		{"usersig garbage", set("usersig", "not-a-usersig"), chat.CodeSigDecodeFailed},
		{"usersig wrong key", set("usersig", sign("another-key", appID, admin)), chat.CodeSigKeyMismatch},
		{"usersig expired", set("usersig", usersig.Generate([]byte(key), appID, admin, t0.Add(-2*time.Hour), time.Hour)), chat.CodeSigExpired},
		{"usersig of another identifier", set("usersig", sign(key, appID, "bob")), chat.CodeSigIdentifierMismatch},
		{"usersig of another app", set("usersig", sign(key, 1400000001, admin)), chat.CodeSDKAppIDMismatch},
		{"not the admin", func(q url.Values) {
			q.Set("identifier", "bob")
			q.Set("usersig", sign(key, appID, "bob"))
		}, chat.CodeNotAdmin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := query(admin)
			tt.modify(q)
			status, env := post(t, emu, chatemu.Prefix+chat.CmdCheck, q, items("CheckItem", "a"))
			if status != http.StatusOK {
				t.Fatalf("HTTP %d", status)
			}
			wantCode(t, env, tt.code)
			if strings.Contains(env.ErrorInfo, key) || (q.Get("usersig") != "" && strings.Contains(env.ErrorInfo, q.Get("usersig"))) {
				t.Fatalf("ErrorInfo carries a secret: %q", env.ErrorInfo)
			}
		})
	}
}

func TestExpiryFollowsClock(t *testing.T) {
	c := testclock.New(t0)
	emu := start(t, chatemu.Options{Now: c.Now})
	wantCode(t, call(t, emu, chat.CmdCheck, items("CheckItem", "a")), 0)
	c.Advance(time.Hour) // now == TLS.time + TLS.expire: still valid
	wantCode(t, call(t, emu, chat.CmdCheck, items("CheckItem", "a")), 0)
	c.Advance(time.Second)
	wantCode(t, call(t, emu, chat.CmdCheck, items("CheckItem", "a")), chat.CodeSigExpired)
}

func TestBadQueryString(t *testing.T) {
	emu := start(t, chatemu.Options{})
	resp, err := http.Post(emu.URL+chatemu.Prefix+chat.CmdImport+"?sdkappid=%zz", "application/json", strings.NewReader(`{"UserID":"a"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env chat.Envelope
	json.NewDecoder(resp.Body).Decode(&env)
	wantCode(t, env, chat.CodeBadRequestURL)
}

func TestBody(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	profile := func(field string, n int) string {
		b, _ := json.Marshal(map[string]string{"UserID": "a", field: long(n)})
		return string(b)
	}
	tests := []struct {
		name, cmd, body string
		code            int
	}{
		{"import", chat.CmdImport, `{"UserID":"a","Nick":"A","FaceUrl":"https://x/a.png"}`, 0},
		{"unknown fields", chat.CmdImport, `{"UserID":"a","Gender":"x","Tags":{"k":[1]}}`, 0},
		{"not JSON", chat.CmdImport, `UserID=a`, chat.CodeBadJSON},
		{"empty", chat.CmdImport, ``, chat.CodeBadJSON},
		{"array", chat.CmdImport, `[{"UserID":"a"}]`, chat.CodeBadJSON},
		{"string", chat.CmdImport, `"a"`, chat.CodeBadJSON},
		{"null", chat.CmdImport, `null`, chat.CodeBadJSON},
		{"trailing data", chat.CmdImport, `{"UserID":"a"} {}`, chat.CodeBadJSON},
		{"truncated", chat.CmdImport, `{"UserID":"a"`, chat.CodeBadJSON},
		{"UserID number", chat.CmdImport, `{"UserID":123}`, chat.CodeBadAccountType},
		{"UserID object", chat.CmdImport, `{"UserID":{"id":"a"}}`, chat.CodeBadAccountType},
		{"UserID missing", chat.CmdImport, `{}`, chat.CodeInvalidParameter},
		{"UserID null", chat.CmdImport, `{"UserID":null}`, chat.CodeInvalidParameter},
		{"UserID empty", chat.CmdImport, `{"UserID":""}`, chat.CodeInvalidParameter},
		{"UserID 32 bytes", chat.CmdImport, `{"UserID":"` + long(32) + `"}`, 0},
		{"UserID 33 bytes", chat.CmdImport, `{"UserID":"` + long(33) + `"}`, chat.CodeInvalidParameter},
		{"Nick number", chat.CmdImport, `{"UserID":"a","Nick":5}`, chat.CodeInvalidParameter},
		{"Nick 500 bytes", chat.CmdImport, profile("Nick", 500), 0},
		{"Nick 501 bytes", chat.CmdImport, profile("Nick", 501), chat.CodeProfileTooLong},
		{"FaceUrl 501 bytes", chat.CmdImport, profile("FaceUrl", 501), chat.CodeProfileTooLong},

		{"multi 100", chat.CmdMultiImport, accounts(ids(100)...), 0},
		{"multi empty", chat.CmdMultiImport, `{"AccountList":[]}`, chat.CodeBatchCount},
		{"multi missing", chat.CmdMultiImport, `{}`, chat.CodeBatchCount},
		{"multi legacy body", chat.CmdMultiImport, `{"Accounts":["a"]}`, chat.CodeBatchCount},
		{"multi 101", chat.CmdMultiImport, accounts(ids(101)...), chat.CodeBatchCount},
		{"multi list not an array", chat.CmdMultiImport, `{"AccountList":"a"}`, chat.CodeInvalidParameter},
		{"multi bad UserID", chat.CmdMultiImport, accounts("a", long(33)), chat.CodeInvalidParameter},
		{"multi UserID number", chat.CmdMultiImport, `{"AccountList":[{"UserID":"a"},{"UserID":7}]}`, chat.CodeBadAccountType},
		{"multi long Nick", chat.CmdMultiImport, `{"AccountList":[` + profile("Nick", 501) + `]}`, chat.CodeProfileTooLong},

		{"delete 100", chat.CmdDelete, items("DeleteItem", ids(100)...), 0},
		{"delete empty", chat.CmdDelete, `{"DeleteItem":[]}`, chat.CodeBatchCount},
		{"delete 101", chat.CmdDelete, items("DeleteItem", ids(101)...), chat.CodeBatchCount},
		{"delete empty UserID", chat.CmdDelete, items("DeleteItem", "a", ""), chat.CodeInvalidParameter},
		{"delete UserID number", chat.CmdDelete, `{"DeleteItem":[{"UserID":1}]}`, chat.CodeBadAccountType},
		{"delete not JSON", chat.CmdDelete, `{"DeleteItem":`, chat.CodeBadJSON},

		{"check 100", chat.CmdCheck, items("CheckItem", ids(100)...), 0},
		{"check missing", chat.CmdCheck, `{"DeleteItem":[{"UserID":"a"}]}`, chat.CodeBatchCount},
		{"check 101", chat.CmdCheck, items("CheckItem", ids(101)...), chat.CodeBatchCount},
		{"check long UserID", chat.CmdCheck, items("CheckItem", long(33)), chat.CodeInvalidParameter},
		{"check UserID bool", chat.CmdCheck, `{"CheckItem":[{"UserID":true}]}`, chat.CodeBadAccountType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := start(t, chatemu.Options{})
			wantCode(t, call(t, emu, tt.cmd, tt.body), tt.code)
			if tt.code != 0 && emu.Len() != 0 {
				t.Fatalf("a refused request created accounts: %v", emu.Accounts())
			}
		})
	}
}

func TestMaxBody(t *testing.T) {
	emu := start(t, chatemu.Options{MaxBody: 64})
	body := `{"UserID":"a","Nick":"` + strings.Repeat("x", 64) + `"}`
	status, env := post(t, emu, chatemu.Prefix+chat.CmdImport, query(admin), body)
	if status != http.StatusRequestEntityTooLarge || env.ActionStatus != chat.StatusFail {
		t.Fatalf("HTTP %d %+v, want 413 FAIL", status, env)
	}
	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"a"}`), 0)
}

func TestTrialCap(t *testing.T) {
	emu := start(t, chatemu.Options{TrialCap: 3})
	emu.Seed("seeded")

	env := call(t, emu, chat.CmdMultiImport, accounts("a", "b", "c", "seeded"))
	wantCode(t, env, 0)
	if !slices.Equal(env.FailAccounts, []string{"c"}) {
		t.Fatalf("FailAccounts = %v, want [c]", env.FailAccounts)
	}
	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"d"}`), chat.CodeTrialCap)
	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"a","Nick":"A"}`), 0) // exists: an update

	env = call(t, emu, chat.CmdMultiImport, accounts("d", "e"))
	wantCode(t, env, chat.CodeTrialCap)
	if !slices.Equal(env.FailAccounts, []string{"d", "e"}) {
		t.Fatalf("FailAccounts = %v, want [d e]", env.FailAccounts)
	}

	wantCode(t, call(t, emu, chat.CmdDelete, items("DeleteItem", "a")), 0)
	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"d"}`), 0)
	if got, want := emu.Accounts(), []string{"b", "d", "seeded"}; !slices.Equal(got, want) {
		t.Fatalf("Accounts() = %v, want %v", got, want)
	}
}

func TestRateLimits(t *testing.T) {
	c := testclock.New(t0)
	emu := start(t, chatemu.Options{Now: c.Now, RateLimits: map[string]int{chat.CmdCheck: 3}})
	body := items("CheckItem", "a")
	for i := range 3 {
		if env := call(t, emu, chat.CmdCheck, body); env.ErrorCode != 0 {
			t.Fatalf("request %d: code %d", i, env.ErrorCode)
		}
	}
	wantCode(t, call(t, emu, chat.CmdCheck, body), chat.CodeRateLimited)
	if chat.Classify(chat.CodeRateLimited) != chat.ClassRateLimited {
		t.Fatal("60007 is not rate-limited class")
	}
	// Other commands have their own bucket, here none.
	for range 10 {
		wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"a"}`), 0)
	}
	c.Advance(time.Second / 3) // one token back
	wantCode(t, call(t, emu, chat.CmdCheck, body), 0)
	wantCode(t, call(t, emu, chat.CmdCheck, body), chat.CodeRateLimited)
}

func TestDocumentedRateLimits(t *testing.T) {
	want := map[string]int{chat.CmdImport: 200, chat.CmdMultiImport: 100, chat.CmdDelete: 100, chat.CmdCheck: 100, chat.CmdKick: 200, chat.CmdPortraitSet: 200}
	got := chatemu.DocumentedRateLimits()
	if len(got) != len(want) {
		t.Fatalf("DocumentedRateLimits() = %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("DocumentedRateLimits()[%s] = %d, want %d", k, got[k], v)
		}
	}
}

func TestRotateKey(t *testing.T) {
	emu := start(t, chatemu.Options{})
	oldQuery := query(admin)
	_, env := post(t, emu, chatemu.Prefix+chat.CmdCheck, oldQuery, items("CheckItem", "a"))
	wantCode(t, env, 0)

	const newKey = "a-new-key"
	emu.RotateKey(newKey)
	_, env = post(t, emu, chatemu.Prefix+chat.CmdCheck, oldQuery, items("CheckItem", "a"))
	wantCode(t, env, chat.CodeSigKeyMismatch)
	if chat.Classify(env.ErrorCode) != chat.ClassCredentials {
		t.Fatalf("code %d is not credentials class", env.ErrorCode)
	}

	newQuery := query(admin)
	newQuery.Set("usersig", sign(newKey, appID, admin))
	_, env = post(t, emu, chatemu.Prefix+chat.CmdCheck, newQuery, items("CheckItem", "a"))
	wantCode(t, env, 0)
	if c := emu.Credentials(); c.Key != newKey || c.SDKAppID != appID || c.Admin != admin {
		t.Fatalf("Credentials() = %v", c)
	}
}

func TestAdminOption(t *testing.T) {
	emu := start(t, chatemu.Options{Admin: "ops"})
	_, env := post(t, emu, chatemu.Prefix+chat.CmdCheck, query("ops"), items("CheckItem", "a"))
	wantCode(t, env, 0)
	_, env = post(t, emu, chatemu.Prefix+chat.CmdCheck, query(admin), items("CheckItem", "a"))
	wantCode(t, env, chat.CodeNotAdmin)
}

func TestCounters(t *testing.T) {
	emu := start(t, chatemu.Options{})
	call(t, emu, chat.CmdImport, `{"UserID":"a"}`)
	call(t, emu, chat.CmdImport, `{"UserID":""}`) // refused, still counted
	post(t, emu, chatemu.Prefix+chat.CmdImport, url.Values{}, `{}`)
	call(t, emu, chat.CmdCheck, items("CheckItem", "a"))
	emu.Inject(chatemu.Fault{Code: chat.CodeServerError})
	call(t, emu, chat.CmdCheck, items("CheckItem", "a")) // faulted, still counted
	post(t, emu, "/elsewhere", query(admin), `{}`)

	for cmd, want := range map[string]int{chat.CmdImport: 3, chat.CmdCheck: 2, chat.CmdDelete: 0, "/elsewhere": 1} {
		if got := emu.Requests(cmd); got != want {
			t.Errorf("Requests(%q) = %d, want %d", cmd, got, want)
		}
	}
	if got := emu.TotalRequests(); got != 6 {
		t.Errorf("TotalRequests() = %d, want 6", got)
	}
	emu.ResetCounters()
	if emu.TotalRequests() != 0 || emu.Requests(chat.CmdImport) != 0 {
		t.Errorf("counters not reset")
	}
}

func TestConcurrentUse(t *testing.T) {
	emu := start(t, chatemu.Options{RateLimits: map[string]int{chat.CmdCheck: 1000}})
	const workers = 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			id := fmt.Sprintf("w%02d", w)
			run := func(cmd, body string) chat.Envelope {
				_, env, err := send(emu, chatemu.Prefix+cmd, query(admin), body)
				if err == nil && !env.OK() {
					err = fmt.Errorf("%s: code %d", cmd, env.ErrorCode)
				}
				if err != nil {
					t.Error(id, err)
				}
				return env
			}
			run(chat.CmdImport, `{"UserID":"`+id+`"}`)
			run(chat.CmdMultiImport, accounts(id+"a", id+"b", id))
			env := run(chat.CmdCheck, items("CheckItem", id, id+"a"))
			if len(env.ResultItem) != 2 || env.ResultItem[0].AccountStatus != chat.Imported || env.ResultItem[1].AccountStatus != chat.Imported {
				t.Errorf("%s: check = %+v", id, env.ResultItem)
			}
			run(chat.CmdDelete, items("DeleteItem", id+"b"))
			// The hooks race with the requests.
			emu.Has(id)
			emu.Accounts()
			emu.Requests(chat.CmdImport)
			emu.Inject(chatemu.Fault{Command: "none"})
			emu.PendingFaults()
			emu.RotateKey(key)
		})
	}
	wg.Wait()
	if got := emu.Len(); got != 2*workers {
		t.Fatalf("Len() = %d, want %d", got, 2*workers)
	}
	if got := emu.Requests(chat.CmdImport); got != workers {
		t.Fatalf("Requests(import) = %d, want %d", got, workers)
	}
	if got := emu.TotalRequests(); got != 4*workers {
		t.Fatalf("TotalRequests() = %d, want %d", got, 4*workers)
	}
}

func TestNewRequiresAppAndKey(t *testing.T) {
	for _, opts := range []chatemu.Options{{Key: key}, {SDKAppID: appID}} {
		if _, err := chatemu.Start(opts); err == nil {
			t.Errorf("Start(%+v) succeeded", opts)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v) did not panic", opts)
				}
			}()
			chatemu.New(opts)
		}()
	}
}

// readAll is io.ReadAll that fails the test.
func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRateLimitedCounter(t *testing.T) {
	emu := start(t, chatemu.Options{RateLimits: map[string]int{chat.CmdCheck: 2}})
	for range 5 {
		call(t, emu, chat.CmdCheck, items("CheckItem", "a"))
	}
	if got := emu.RateLimited(chat.CmdCheck); got != 3 {
		t.Errorf("RateLimited = %d after 5 requests against a cap of 2, want 3", got)
	}
	emu.ResetCounters()
	if got := emu.RateLimited(chat.CmdCheck); got != 0 {
		t.Errorf("RateLimited = %d after ResetCounters", got)
	}
}
