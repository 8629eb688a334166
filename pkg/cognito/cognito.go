// Package cognito is the one part of the project that talks to Amazon
// Cognito user pools: it lists a pool's users page by page, as parallel
// streams under one shared rate limiter, finds single users by sub or
// username, and attaches a post-confirmation trigger to an existing pool
// without resetting its other settings.
//
// By default Cognito allows ListUsers 30 requests a second per account and
// Region, for every caller together. A Client keeps its own ListUsers calls
// under Options.ListRate and retries TooManyRequestsException with backoff
// and jitter until its context ends.
package cognito

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/time/rate"
)

// PageSize is the most users ListUsers returns in one page.
const PageSize = 60

// DefaultListRate is the default ListUsers rate in requests a second: a
// little under Cognito's quota of 30, leaving room for other callers.
const DefaultListRate = 27

// User statuses that Cognito reports.
const (
	StatusUnconfirmed         = "UNCONFIRMED"
	StatusConfirmed           = "CONFIRMED"
	StatusForceChangePassword = "FORCE_CHANGE_PASSWORD"
	StatusResetRequired       = "RESET_REQUIRED"
	StatusExternalProvider    = "EXTERNAL_PROVIDER"
)

// ErrNotFound is returned when no user matches.
var ErrNotFound = errors.New("no such user")

// User is a user of a pool.
type User struct {
	Username   string
	Status     string // such as CONFIRMED or UNCONFIRMED
	Enabled    bool
	Attributes map[string]string // sub, email, custom:..., as Cognito names them
}

// API is the part of the Cognito client that a Client uses;
// *cognitoidentityprovider.Client implements it.
type API interface {
	ListUsers(ctx context.Context, in *cip.ListUsersInput, optFns ...func(*cip.Options)) (*cip.ListUsersOutput, error)
	AdminGetUser(ctx context.Context, in *cip.AdminGetUserInput, optFns ...func(*cip.Options)) (*cip.AdminGetUserOutput, error)
	DescribeUserPool(ctx context.Context, in *cip.DescribeUserPoolInput, optFns ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error)
	UpdateUserPool(ctx context.Context, in *cip.UpdateUserPoolInput, optFns ...func(*cip.Options)) (*cip.UpdateUserPoolOutput, error)
}

// Options tune a Client. The zero value takes the defaults.
type Options struct {
	ListRate    float64       // ListUsers requests a second for all streams together; default DefaultListRate
	BaseBackoff time.Duration // first wait after TooManyRequests; default 200ms, doubled per retry
	MaxBackoff  time.Duration // longest wait; default 5s
}

// Client reads users of Cognito user pools. It is safe for concurrent use;
// all its ListUsers calls share one limiter.
type Client struct {
	api     API
	limiter *rate.Limiter
	opts    Options
}

// New returns a Client calling api.
func New(api API, opts Options) *Client {
	if opts.ListRate <= 0 {
		opts.ListRate = DefaultListRate
	}
	if opts.BaseBackoff <= 0 {
		opts.BaseBackoff = 200 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Second
	}
	return &Client{api: api, limiter: rate.NewLimiter(rate.Limit(opts.ListRate), 1), opts: opts}
}

// ListRate returns the ListUsers rate the client keeps to, in requests a
// second.
func (c *Client) ListRate() float64 { return float64(c.limiter.Limit()) }

// Prefixes are the first characters of every sub (a lowercase UUID): one
// listing stream each, "0" to "f".
func Prefixes() []string {
	return strings.Split("0123456789abcdef", "")
}

// ValidPrefix reports whether p names a listing stream.
func ValidPrefix(p string) bool {
	return len(p) == 1 && strings.Contains("0123456789abcdef", p)
}

// Page is one page of a listing stream.
type Page struct {
	Users []User
	Next  string // the token of the next page; "" after the last
}

// ListPage returns one page of up to 60 users of pool whose sub starts with
// prefix, starting at token ("" for the first page).
func (c *Client) ListPage(ctx context.Context, pool, prefix, token string) (Page, error) {
	if !ValidPrefix(prefix) {
		return Page{}, fmt.Errorf("list users: prefix %q is not one hex digit", prefix)
	}
	in := &cip.ListUsersInput{
		UserPoolId: aws.String(pool),
		Filter:     aws.String(`sub ^= "` + prefix + `"`),
		Limit:      aws.Int32(PageSize),
	}
	if token != "" {
		in.PaginationToken = aws.String(token)
	}
	out, err := c.listUsers(ctx, in)
	if err != nil {
		return Page{}, err
	}
	p := Page{Users: make([]User, 0, len(out.Users)), Next: aws.ToString(out.PaginationToken)}
	for _, u := range out.Users {
		p.Users = append(p.Users, fromUserType(u))
	}
	return p, nil
}

// FindBySub returns the user of pool whose sub is sub, or ErrNotFound.
func (c *Client) FindBySub(ctx context.Context, pool, sub string) (User, error) {
	if sub == "" || strings.ContainsAny(sub, `"\`) {
		return User{}, fmt.Errorf("find user: invalid sub %q", sub)
	}
	out, err := c.listUsers(ctx, &cip.ListUsersInput{
		UserPoolId: aws.String(pool),
		Filter:     aws.String(`sub = "` + sub + `"`),
		Limit:      aws.Int32(1),
	})
	if err != nil {
		return User{}, err
	}
	if len(out.Users) == 0 {
		return User{}, fmt.Errorf("find user by sub %s: %w", sub, ErrNotFound)
	}
	return fromUserType(out.Users[0]), nil
}

// GetUser returns the user of pool named username (AdminGetUser), or
// ErrNotFound.
func (c *Client) GetUser(ctx context.Context, pool, username string) (User, error) {
	if username == "" {
		return User{}, errors.New("get user: empty username")
	}
	var out *cip.AdminGetUserOutput
	err := c.retry(ctx, false, func() (err error) {
		out, err = c.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(pool), Username: aws.String(username)})
		return err
	})
	var nf *types.UserNotFoundException
	if errors.As(err, &nf) {
		return User{}, fmt.Errorf("get user %s: %w", username, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("get user: %w", err)
	}
	u := User{Username: aws.ToString(out.Username), Status: string(out.UserStatus), Enabled: out.Enabled, Attributes: attrMap(out.UserAttributes)}
	return u, nil
}

// listUsers calls ListUsers under the shared limiter, retrying throttling.
func (c *Client) listUsers(ctx context.Context, in *cip.ListUsersInput) (*cip.ListUsersOutput, error) {
	var out *cip.ListUsersOutput
	err := c.retry(ctx, true, func() (err error) {
		out, err = c.api.ListUsers(ctx, in)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// retry runs call until it succeeds, fails with anything but
// TooManyRequestsException, or ctx ends. With limited, every attempt
// waits for the ListUsers limiter first.
func (c *Client) retry(ctx context.Context, limited bool, call func() error) error {
	backoff := c.opts.BaseBackoff
	var throttled error // the last TooManyRequests, if any
	for {
		if limited {
			if err := c.limiter.Wait(ctx); err != nil {
				if ctx.Err() == nil {
					// The limiter refuses a wait that would end after the
					// deadline: for the caller that is the deadline.
					err = fmt.Errorf("%w: the next ListUsers call would start after it", context.DeadlineExceeded)
				}
				if throttled != nil {
					return fmt.Errorf("%w (gave up: %w)", throttled, err)
				}
				return err
			}
		}
		err := call()
		var tm *types.TooManyRequestsException
		if !errors.As(err, &tm) {
			return err
		}
		throttled = err
		// Full jitter: a random wait up to the backoff, so that the
		// streams throttled together do not come back together.
		wait := time.Duration(rand.Int64N(int64(backoff))) + backoff/4
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (gave up: %v)", err, ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, c.opts.MaxBackoff)
	}
}

func fromUserType(u types.UserType) User {
	return User{Username: aws.ToString(u.Username), Status: string(u.UserStatus), Enabled: u.Enabled, Attributes: attrMap(u.Attributes)}
}

func attrMap(attrs []types.AttributeType) map[string]string {
	m := make(map[string]string, len(attrs))
	for _, a := range attrs {
		m[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	return m
}

// EstimatedUsers returns Cognito's estimate of the number of users in
// pool (DescribeUserPool), for a progress bar.
func (c *Client) EstimatedUsers(ctx context.Context, pool string) (int, error) {
	out, err := c.api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(pool)})
	if err != nil {
		return 0, fmt.Errorf("describe user pool: %w", err)
	}
	if out.UserPool == nil {
		return 0, nil
	}
	return int(out.UserPool.EstimatedNumberOfUsers), nil
}
