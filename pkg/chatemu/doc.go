// Package chatemu emulates the account commands of the Tencent Cloud Chat
// server REST API in memory, for tests, benchmarks and local demos.
//
// A Server is an http.Handler for one app (one SDKAppID, one key, one admin
// identifier) serving POST {base}/v4/im_open_login_svc/{command} for
// account_import, multiaccount_import, account_delete, account_check and
// kick. Start, StartTLS and StartTest serve it on a loopback port. Beside
// the admin check of every request, Login checks a user's login as the Chat
// SDK's login(UserID, UserSig) is checked.
//
// # What it enforces
//
// Every answer is HTTP 200 with a JSON envelope (Content-Type
// application/json) unless noted. The checks run in this order, and the
// first that fails answers:
//
//   - Path: a path under /v4/ that is not one of the five commands answers
//     60009; a path outside /v4/ answers HTTP 404 (also with a 60009
//     envelope), as a wrong base URL would.
//   - Method: anything but POST answers 60002.
//   - Query: sdkappid missing 60012; not a number, or not this app's 60006;
//     identifier or usersig missing 60004; random missing or not an integer
//     from 0 to 4294967295 60002; contenttype other than "json" 60002.
//   - UserSig, verified with the current key only (after RotateKey the
//     previous key's UserSigs are refused): undecodable 70005; signed for
//     another SDKAppID 70014; signed for another identifier than the query's
//     70013; wrong key 70009; expired (now > TLS.time + TLS.expire, by
//     Options.Now) 70001.
//   - Admin: a valid UserSig for an identifier that is not the app admin
//     70403.
//   - Rate caps, when Options.RateLimits sets them: a token bucket per
//     command whose rate and burst are the cap; over it 60007.
//   - Body size: over Options.MaxBody (2 MiB by default) answers HTTP 413.
//   - Body: not one JSON object 60003; a UserID that is not a string 60015;
//     another known field of the wrong type 70402. Unknown fields are
//     ignored.
//   - account_import: UserID of 1 to 32 bytes of valid UTF-8 (70402); Nick
//     and FaceUrl at most 500 bytes (40601).
//   - multiaccount_import: AccountList of 1 to 100 entries (70206), each
//     checked as account_import; one invalid entry refuses the whole request.
//   - account_delete, account_check: DeleteItem or CheckItem of 1 to 100
//     entries (70206), each UserID checked as account_import's (70402).
//   - kick: {"UserID"}, checked as account_import's UserID (70402; 60015
//     when not a string).
//
// Then the command runs, atomically against concurrent requests:
//
//   - Importing an existing account succeeds and updates the Nick and
//     FaceUrl it carries; empty ones keep their old value.
//   - account_delete answers OK with one ResultItem per entry, in order:
//     ResultCode 0, or 70107 when the account does not exist (a repeated
//     UserID is deleted once, then reported absent).
//   - account_check answers OK with one ResultItem per entry, AccountStatus
//     "Imported" or "NotImported", ResultCode 0.
//   - kick answers OK and records, by Options.Now, when the account's login
//     state was invalidated (see KickedAt; the record outlives a delete);
//     an account that does not exist answers 70107, as Tencent documents,
//     and nothing is recorded.
//   - Trial cap (Options.TrialCap): account_import of a new account beyond
//     the cap answers 70398; multiaccount_import imports new accounts up to
//     the cap and lists the rest in FailAccounts, answering FAIL 70398 if
//     none was imported.
//
// # User logins
//
// Login(userID, userSig) accepts a login when the UserSig verifies with the
// current key (after RotateKey, earlier UserSigs answer 70009), for this
// SDKAppID (70014), for exactly userID (70013), unexpired at Options.Now
// (70001), and issued after the account's last kick (70052). A UserID that
// is missing, over 32 bytes or outside printable ASCII (the SDK's rule)
// answers 70402 and an undecodable UserSig 70005. An accepted login of a
// UserID that has no account registers it, as the SDK's first login does
// (past Options.TrialCap it answers 70398); Registered counts them. TLS.time counts whole seconds, so a UserSig issued in the second of
// a kick is refused with those issued before it: the check fails closed, and
// a UserSig made in any later second is accepted. Logins counts the accepted
// logins. Errors are *chat.Error values with Command "login".
//
// Tencent documents what a kick does (earlier UserSigs fail at login, a new
// one works) but not the code a refused login answers; 70052 is the
// emulator's choice. Login does not model the SDK's other client-side
// checks, its
// connection, multi-device rules or the onKickedOffline callback of a
// session that is already online.
//
// # What it does not model
//
//   - The 3-month ban on re-importing a deleted UserID (paid editions), the
//     70050 lockout after repeated UserSig failures, 71000 (deletion
//     disabled in the console), IP allow-lists (60021), the server's own 3 s
//     timeout, and any command outside the five above.
//   - Any limit on the UserID characters of REST commands beyond length,
//     UTF-8 and no control characters (chat.ValidateAPIUserID), a UserSig
//     dated in the future, the userbuf content, or the legacy
//     multiaccount_import body {"Accounts":[...]}.
//   - Tencent matches JSON field names exactly; the emulator, using
//     encoding/json, matches them case-insensitively.
//   - Rate caps are per emulator, not per app across regions.
//
// Where Tencent's documentation does not say which code a check answers
// (missing or bad random or contenttype, a non-POST method, an oversized
// body, a wrong sdkappid, an invalid entry in a batch, a batch count out of
// range), the emulator picks the documented code that fits best, as listed
// above; the real service may differ. The same holds for the order of the
// checks and for the text of ErrorInfo, which never carries the key, a
// UserSig or a query value.
//
// # Test hooks
//
// Inject queues scripted faults (a Chat error code, an HTTP status such as
// 502, a delay, a dropped connection, each N times, for one command or any);
// SetFaultFunc installs a function that may fault any request, for soak
// tests. RotateKey changes the key. Requests, TotalRequests and
// ResetCounters count requests per command, rejected and faulted ones
// included; they also reset Logins. Seed, Has, Account, Accounts, Len and
// KickedAt inspect and prepare the accounts.
package chatemu
