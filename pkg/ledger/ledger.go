// Package ledger is the one package that talks to Amazon DynamoDB: the
// ledger of the Chat accounts the stack created or adopted, one item per
// Chat UserID (see chat.Record). Chat has no API that lists accounts, so the
// ledger is what finds an account whose user has left the pool (prune), and
// its tombstones are what keep a deleted user from logging in again (the
// UserSig function's lockout).
//
// An item holds UserID (the partition key, a string), Sub, Username, PoolId,
// Source, ImportedAt and, once the account is deleted, DeletedAt; times are
// RFC 3339 strings in UTC. Empty fields are left out of the item.
package ledger

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// Attribute names of a ledger item.
const (
	AttrUserID     = "UserID"
	AttrSub        = "Sub"
	AttrUsername   = "Username"
	AttrPoolID     = "PoolId"
	AttrSource     = "Source"
	AttrImportedAt = "ImportedAt"
	AttrDeletedAt  = "DeletedAt"
)

// batchSize is DynamoDB's cap on the requests of one BatchWriteItem call.
const batchSize = 25

// getBatchSize is DynamoDB's cap on the keys of one BatchGetItem call.
const getBatchSize = 100

// concurrency bounds the DynamoDB calls one operation has in flight.
const concurrency = 8

// unprocessedRounds bounds how often a batch's unprocessed items are sent
// again before the write fails.
const unprocessedRounds = 6

// API is the part of the DynamoDB client the ledger uses;
// *dynamodb.Client implements it.
type API interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// Ledger is the ledger in one DynamoDB table. It is safe for concurrent use.
type Ledger struct {
	api   API
	table string
	now   func() time.Time
}

// New returns the ledger in table. now, when nil, is time.Now.
func New(api API, table string, now func() time.Time) *Ledger {
	if now == nil {
		now = time.Now
	}
	return &Ledger{api: api, table: table, now: now}
}

// Table returns the table's name.
func (l *Ledger) Table() string { return l.table }

// Record writes recs as live items, each replacing any item of its UserID
// (a tombstone too: a re-import clears DeletedAt). A zero ImportedAt is set
// to now. One record is one PutItem; more go in BatchWriteItem calls of 25,
// side by side.
func (l *Ledger) Record(ctx context.Context, recs []chat.Record) error {
	now := l.now().UTC()
	items := make([]map[string]types.AttributeValue, 0, len(recs))
	seen := make(map[string]bool, len(recs))
	for _, r := range recs {
		if r.UserID == "" || seen[r.UserID] {
			continue // a batch's repeated IDs are imported once
		}
		seen[r.UserID] = true
		if r.ImportedAt.IsZero() {
			r.ImportedAt = now
		}
		r.DeletedAt = time.Time{}
		items = append(items, item(r))
	}
	switch len(items) {
	case 0:
		return nil
	case 1:
		_, err := l.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(l.table), Item: items[0]})
		return wrap("put item", err)
	}
	return each(ctx, chunks(items, batchSize), func(ctx context.Context, chunk []map[string]types.AttributeValue) error {
		return l.batchPut(ctx, chunk)
	})
}

// Ensure makes sure the ledger holds each of recs as a live item with its
// Sub and PoolId. It reads their items (BatchGetItem, 100 keys a call,
// eventually consistent) and writes, as Record does, only those that are
// missing, tombstoned, or name another Sub or PoolId; an item that already
// says so is left as it is, its Source and ImportedAt kept. A sync over a
// pool the ledger holds then reads and writes nothing. An eventually
// consistent read is enough: one that misses a recent write can only make
// Ensure write an item again, or leave a fresh tombstone alone.
func (l *Ledger) Ensure(ctx context.Context, recs []chat.Record) error {
	byID := make(map[string]chat.Record, len(recs))
	ids := make([]string, 0, len(recs))
	for _, r := range recs {
		if _, dup := byID[r.UserID]; r.UserID != "" && !dup {
			byID[r.UserID] = r
			ids = append(ids, r.UserID)
		}
	}
	var (
		mu    sync.Mutex
		write []chat.Record
	)
	err := each(ctx, chunks(ids, getBatchSize), func(ctx context.Context, part []string) error {
		held, err := l.batchGet(ctx, part)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, id := range part {
			want := byID[id]
			if h, ok := held[id]; !ok || !h.Live() || h.Sub != want.Sub || h.PoolID != want.PoolID {
				write = append(write, want)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return l.Record(ctx, write)
}

// batchGet reads the items of up to 100 ids (only the fields Ensure
// compares), asking again for the keys DynamoDB leaves unprocessed, with a
// growing pause.
func (l *Ledger) batchGet(ctx context.Context, ids []string) (map[string]chat.Record, error) {
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = key(id)
	}
	held := make(map[string]chat.Record, len(ids))
	err := untilProcessed(ctx, "batch get", func() (int, error) {
		out, err := l.api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{l.table: {
			Keys:                 keys,
			ProjectionExpression: aws.String("#u, #s, #p, #d"),
			ExpressionAttributeNames: map[string]string{
				"#u": AttrUserID, "#s": AttrSub, "#p": AttrPoolID, "#d": AttrDeletedAt,
			},
		}}})
		if err != nil {
			return 0, err
		}
		for _, it := range out.Responses[l.table] {
			r, err := record(it)
			if err != nil {
				return 0, err
			}
			held[r.UserID] = r
		}
		keys = out.UnprocessedKeys[l.table].Keys
		return len(keys), nil
	})
	return held, err
}

// batchPut writes up to 25 items, sending the unprocessed ones again with
// a growing pause.
func (l *Ledger) batchPut(ctx context.Context, items []map[string]types.AttributeValue) error {
	reqs := make([]types.WriteRequest, len(items))
	for i, it := range items {
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
	}
	return untilProcessed(ctx, "batch write", func() (int, error) {
		out, err := l.api.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{l.table: reqs}})
		if err != nil {
			return 0, err
		}
		reqs = out.UnprocessedItems[l.table]
		return len(reqs), nil
	})
}

// untilProcessed runs call, which sends a batch and keeps what DynamoDB
// left unprocessed for the next call, again after a growing pause while it
// reports any left, at most unprocessedRounds times. op names the call in
// errors.
func untilProcessed(ctx context.Context, op string, call func() (left int, err error)) error {
	pause := 50 * time.Millisecond
	left := 0
	for range unprocessedRounds {
		n, err := call()
		if err != nil {
			return wrap(op, err)
		}
		if left = n; left == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return wrap(op, ctx.Err())
		case <-time.After(pause):
		}
		pause *= 2
	}
	return fmt.Errorf("ledger: %s: %d still unprocessed", op, left)
}

// Tombstone sets DeletedAt to now on the items of ids, making an item (with
// no other field) for an ID the ledger does not hold: a deleted account is
// locked out whether or not it was recorded. The other fields are kept.
func (l *Ledger) Tombstone(ctx context.Context, ids []string) error {
	at := l.now().UTC().Format(time.RFC3339Nano)
	one := func(ctx context.Context, id []string) error {
		_, err := l.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(l.table),
			Key:                       key(id[0]),
			UpdateExpression:          aws.String("SET #d = :d"),
			ExpressionAttributeNames:  map[string]string{"#d": AttrDeletedAt},
			ExpressionAttributeValues: map[string]types.AttributeValue{":d": &types.AttributeValueMemberS{Value: at}},
		})
		return wrap("tombstone", err)
	}
	return each(ctx, chunks(unique(ids), 1), one)
}

// Get returns the item of id, read strongly consistent (a tombstone written
// a moment ago is seen); ok is false when there is none.
func (l *Ledger) Get(ctx context.Context, id string) (r chat.Record, ok bool, err error) {
	out, err := l.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(l.table), Key: key(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return r, false, wrap("get item", err)
	}
	if out.Item == nil {
		return r, false, nil
	}
	r, err = record(out.Item)
	return r, err == nil, err
}

// Deleted reports whether id's item is a tombstone, for the UserSig
// function's lockout.
func (l *Ledger) Deleted(ctx context.Context, id string) (bool, error) {
	r, ok, err := l.Get(ctx, id)
	return ok && !r.Live(), err
}

// Live calls fn with every live item (one without DeletedAt), a page of a
// Scan at a time; an error from fn ends the scan with that error.
func (l *Ledger) Live(ctx context.Context, fn func(chat.Record) error) error {
	return l.scan(ctx, "attribute_not_exists(#d)", nil, func(chat.Record) bool { return true }, fn)
}

// DeletedSince calls fn with every tombstone whose DeletedAt is at or
// after since, a page of a Scan at a time; an error from fn ends the scan
// with that error. The Scan's filter compares the RFC 3339 strings, which
// order as their times do only down to the second (a fraction is left out
// when it is zero), so it asks for a second more than since and each item
// is then held to since exactly. A DeletedAt that cannot be read counts as
// the oldest tombstone there is, and is never listed.
func (l *Ledger) DeletedSince(ctx context.Context, since time.Time, fn func(chat.Record) error) error {
	since = since.UTC()
	bound := since.Truncate(time.Second).Add(-time.Second).Format(time.RFC3339)
	vals := map[string]types.AttributeValue{":since": &types.AttributeValueMemberS{Value: bound}}
	recent := func(r chat.Record) bool { return !r.Live() && !r.DeletedAt.Before(since) }
	return l.scan(ctx, "#d >= :since", vals, recent, fn)
}

// scan calls fn with the items that pass filter (a FilterExpression in
// which #d names DeletedAt) and then keep, leaving out the run items.
func (l *Ledger) scan(ctx context.Context, filter string, vals map[string]types.AttributeValue, keep func(chat.Record) bool, fn func(chat.Record) error) error {
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(l.table),
		FilterExpression:          aws.String(filter),
		ExpressionAttributeNames:  map[string]string{"#d": AttrDeletedAt},
		ExpressionAttributeValues: vals,
	}
	p := dynamodb.NewScanPaginator(l.api, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return wrap("scan", err)
		}
		for _, it := range out.Items {
			if v, ok := it[AttrUserID].(*types.AttributeValueMemberS); ok && isRunItem(v.Value) {
				continue
			}
			r, err := record(it)
			if err != nil {
				return err
			}
			if !keep(r) {
				continue
			}
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// CreateTable creates a ledger table as the template does (UserID the
// partition key, on demand) and waits until it is active: for tests and
// local stacks, since a deployed stack's table comes from the template.
func CreateTable(ctx context.Context, api *dynamodb.Client, table string) error {
	_, err := api.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(AttrUserID), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(AttrUserID), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		return wrap("create table", err)
	}
	w := dynamodb.NewTableExistsWaiter(api, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 100 * time.Millisecond })
	return wrap("create table", w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, time.Minute))
}

// each runs fn on every part, at most concurrency at a time, and returns
// the first error.
func each[T any](ctx context.Context, parts [][]T, fn func(context.Context, []T) error) error {
	if len(parts) == 1 {
		return fn(ctx, parts[0])
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, concurrency)
	)
	for _, part := range parts {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := fn(ctx, part); err != nil {
				mu.Lock()
				first = cmp.Or(first, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return first
}

func chunks[T any](all []T, n int) [][]T {
	var out [][]T
	for len(all) > n {
		out = append(out, all[:n])
		all = all[n:]
	}
	if len(all) > 0 {
		out = append(out, all)
	}
	return out
}

func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrUserID: &types.AttributeValueMemberS{Value: id}}
}

// item encodes r, leaving out its empty fields.
func item(r chat.Record) map[string]types.AttributeValue {
	it := key(r.UserID)
	set := func(name, v string) {
		if v != "" {
			it[name] = &types.AttributeValueMemberS{Value: v}
		}
	}
	set(AttrSub, r.Sub)
	set(AttrUsername, r.Username)
	set(AttrPoolID, r.PoolID)
	set(AttrSource, string(r.Source))
	if !r.ImportedAt.IsZero() {
		set(AttrImportedAt, r.ImportedAt.UTC().Format(time.RFC3339Nano))
	}
	if !r.DeletedAt.IsZero() {
		set(AttrDeletedAt, r.DeletedAt.UTC().Format(time.RFC3339Nano))
	}
	return it
}

// record decodes an item; attributes that are not strings are taken as
// absent.
func record(it map[string]types.AttributeValue) (chat.Record, error) {
	str := func(name string) string {
		if v, ok := it[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	r := chat.Record{UserID: str(AttrUserID), Sub: str(AttrSub), Username: str(AttrUsername), PoolID: str(AttrPoolID), Source: chat.Source(str(AttrSource))}
	if r.UserID == "" {
		return r, errors.New("ledger: an item has no UserID")
	}
	for name, t := range map[string]*time.Time{AttrImportedAt: &r.ImportedAt, AttrDeletedAt: &r.DeletedAt} {
		if s := str(name); s != "" {
			v, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				// A tombstone must never read as live: an unreadable
				// DeletedAt still marks the item deleted.
				v = time.Unix(0, 0).UTC()
			}
			*t = v
		}
	}
	return r, nil
}

// wrap gives err the operation's context; nil stays nil.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("ledger: %s: %w", op, err)
}
