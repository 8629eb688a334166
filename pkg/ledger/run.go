package ledger

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The scheduled sync's run state lives in the ledger's table, in one item
// per pool whose key begins with a space: no Chat UserID can (a UserID is
// printable ASCII without spaces), so it never meets an account's item,
// and Live skips it.
const runKeyPrefix = " sync-run "

// Attributes of the run item.
const (
	attrRunStarted = "RunStartedAt"
	attrRunStreams = "StreamsDone"
)

func runKey(pool string) map[string]types.AttributeValue { return key(runKeyPrefix + pool) }

// StartRun records that a scheduled sync of pool began at run, forgetting
// any earlier run's progress.
func (l *Ledger) StartRun(ctx context.Context, pool string, run time.Time) error {
	it := runKey(pool)
	it[attrRunStarted] = &types.AttributeValueMemberS{Value: run.UTC().Format(time.RFC3339Nano)}
	_, err := l.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(l.table), Item: it})
	return wrap("start run", err)
}

// StreamDone records that the listing stream prefix of the run that began
// at run was listed to its end, and returns how many distinct streams of
// that run are done. A stream reported twice (a message delivered again)
// counts once. When a later run has started since, it returns 0.
func (l *Ledger) StreamDone(ctx context.Context, pool string, run time.Time, prefix string) (int, error) {
	out, err := l.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(l.table),
		Key:                      runKey(pool),
		UpdateExpression:         aws.String("ADD #s :p"),
		ConditionExpression:      aws.String("#r = :r"),
		ExpressionAttributeNames: map[string]string{"#s": attrRunStreams, "#r": attrRunStarted},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": &types.AttributeValueMemberSS{Value: []string{prefix}},
			":r": &types.AttributeValueMemberS{Value: run.UTC().Format(time.RFC3339Nano)},
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return 0, nil
	}
	if err != nil {
		return 0, wrap("stream done", err)
	}
	ss, _ := out.Attributes[attrRunStreams].(*types.AttributeValueMemberSS)
	if ss == nil {
		return 0, nil
	}
	return len(ss.Value), nil
}

// isRunItem reports whether an item's UserID is a run item's key.
func isRunItem(id string) bool { return strings.HasPrefix(id, runKeyPrefix) }
