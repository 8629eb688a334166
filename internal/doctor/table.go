package doctor

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableAPI is the part of the DynamoDB client the ledger check uses;
// *dynamodb.Client implements it.
type TableAPI interface {
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// LedgerTable checks that the ledger table exists and is active.
func LedgerTable(ctx context.Context, api TableAPI, table string) Result {
	const name = "ledger table"
	out, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var missing *types.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		return Fail(name, "deploy the stack with its ledger, or give the right table with -ledger-table (or LEDGER_TABLE)", "no table %q in this region", table)
	case err != nil:
		return Fail(name, "allow dynamodb:DescribeTable on the table", "cannot describe %q: %v", table, err)
	case out.Table == nil || out.Table.TableStatus != types.TableStatusActive:
		status := "unknown"
		if out.Table != nil {
			status = string(out.Table.TableStatus)
		}
		return Fail(name, "wait for the table to become ACTIVE, or see the stack's events", "table %q is %s", table, status)
	}
	return Pass(name, "%s is ACTIVE", table)
}
