package conn

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// instrumented is the API returned by Conn.API. Each method is one call
// into invoke with the method's operation; the logic lives in invoke.
type instrumented struct{ c *Conn }

var _ API = (*instrumented)(nil)

func (a *instrumented) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return invoke(ctx, a.c, &getItemOp, in, optFns)
}

func (a *instrumented) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return invoke(ctx, a.c, &putItemOp, in, optFns)
}

func (a *instrumented) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return invoke(ctx, a.c, &updateItemOp, in, optFns)
}

func (a *instrumented) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return invoke(ctx, a.c, &deleteItemOp, in, optFns)
}

func (a *instrumented) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return invoke(ctx, a.c, &queryOp, in, optFns)
}

func (a *instrumented) Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	return invoke(ctx, a.c, &scanOp, in, optFns)
}

func (a *instrumented) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	return invoke(ctx, a.c, &batchWriteItemOp, in, optFns)
}

func (a *instrumented) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return invoke(ctx, a.c, &batchGetItemOp, in, optFns)
}

func (a *instrumented) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return invoke(ctx, a.c, &transactWriteItemsOp, in, optFns)
}

func (a *instrumented) TransactGetItems(ctx context.Context, in *dynamodb.TransactGetItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactGetItemsOutput, error) {
	return invoke(ctx, a.c, &transactGetItemsOp, in, optFns)
}

func (a *instrumented) CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	return invoke(ctx, a.c, &createTableOp, in, optFns)
}

func (a *instrumented) DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	return invoke(ctx, a.c, &describeTableOp, in, optFns)
}

func (a *instrumented) UpdateTable(ctx context.Context, in *dynamodb.UpdateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTableOutput, error) {
	return invoke(ctx, a.c, &updateTableOp, in, optFns)
}

func (a *instrumented) DeleteTable(ctx context.Context, in *dynamodb.DeleteTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error) {
	return invoke(ctx, a.c, &deleteTableOp, in, optFns)
}

func (a *instrumented) ListTables(ctx context.Context, in *dynamodb.ListTablesInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ListTablesOutput, error) {
	return invoke(ctx, a.c, &listTablesOp, in, optFns)
}

func (a *instrumented) UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error) {
	return invoke(ctx, a.c, &updateTimeToLiveOp, in, optFns)
}

func (a *instrumented) DescribeTimeToLive(ctx context.Context, in *dynamodb.DescribeTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error) {
	return invoke(ctx, a.c, &describeTimeToLiveOp, in, optFns)
}

// The operations: for each API method, where its input keeps the table
// name and ReturnConsumedCapacity, and where its output keeps the metadata
// and consumed capacity. Go has no generic field access, so these small
// accessors are written out; they hold no logic.
var (
	getItemOp = operation[dynamodb.GetItemInput, dynamodb.GetItemOutput]{
		name: "GetItem", call: API.GetItem,
		table:    func(in *dynamodb.GetItemInput) string { return str(in.TableName) },
		capacity: func(in *dynamodb.GetItemInput) *types.ReturnConsumedCapacity { return &in.ReturnConsumedCapacity },
		meta: func(o *dynamodb.GetItemOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, one(o.ConsumedCapacity)
		},
	}
	putItemOp = operation[dynamodb.PutItemInput, dynamodb.PutItemOutput]{
		name: "PutItem", call: API.PutItem,
		table:    func(in *dynamodb.PutItemInput) string { return str(in.TableName) },
		capacity: func(in *dynamodb.PutItemInput) *types.ReturnConsumedCapacity { return &in.ReturnConsumedCapacity },
		meta: func(o *dynamodb.PutItemOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, one(o.ConsumedCapacity)
		},
	}
	updateItemOp = operation[dynamodb.UpdateItemInput, dynamodb.UpdateItemOutput]{
		name: "UpdateItem", call: API.UpdateItem,
		table:    func(in *dynamodb.UpdateItemInput) string { return str(in.TableName) },
		capacity: func(in *dynamodb.UpdateItemInput) *types.ReturnConsumedCapacity { return &in.ReturnConsumedCapacity },
		meta: func(o *dynamodb.UpdateItemOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, one(o.ConsumedCapacity)
		},
	}
	deleteItemOp = operation[dynamodb.DeleteItemInput, dynamodb.DeleteItemOutput]{
		name: "DeleteItem", call: API.DeleteItem,
		table:    func(in *dynamodb.DeleteItemInput) string { return str(in.TableName) },
		capacity: func(in *dynamodb.DeleteItemInput) *types.ReturnConsumedCapacity { return &in.ReturnConsumedCapacity },
		meta: func(o *dynamodb.DeleteItemOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, one(o.ConsumedCapacity)
		},
	}
	queryOp = operation[dynamodb.QueryInput, dynamodb.QueryOutput]{
		name: "Query", call: API.Query,
		table:    func(in *dynamodb.QueryInput) string { return str(in.TableName) },
		capacity: func(in *dynamodb.QueryInput) *types.ReturnConsumedCapacity { return &in.ReturnConsumedCapacity },
		meta: func(o *dynamodb.QueryOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, one(o.ConsumedCapacity)
		},
	}
	scanOp = operation[dynamodb.ScanInput, dynamodb.ScanOutput]{
		name: "Scan", call: API.Scan,
		table:    func(in *dynamodb.ScanInput) string { return str(in.TableName) },
		capacity: func(in *dynamodb.ScanInput) *types.ReturnConsumedCapacity { return &in.ReturnConsumedCapacity },
		meta: func(o *dynamodb.ScanOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, one(o.ConsumedCapacity)
		},
	}
	batchWriteItemOp = operation[dynamodb.BatchWriteItemInput, dynamodb.BatchWriteItemOutput]{
		name: "BatchWriteItem", call: API.BatchWriteItem,
		table: func(in *dynamodb.BatchWriteItemInput) string { return sortedKeys(in.RequestItems) },
		capacity: func(in *dynamodb.BatchWriteItemInput) *types.ReturnConsumedCapacity {
			return &in.ReturnConsumedCapacity
		},
		meta: func(o *dynamodb.BatchWriteItemOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, o.ConsumedCapacity
		},
	}
	batchGetItemOp = operation[dynamodb.BatchGetItemInput, dynamodb.BatchGetItemOutput]{
		name: "BatchGetItem", call: API.BatchGetItem,
		table:    func(in *dynamodb.BatchGetItemInput) string { return sortedKeys(in.RequestItems) },
		capacity: func(in *dynamodb.BatchGetItemInput) *types.ReturnConsumedCapacity { return &in.ReturnConsumedCapacity },
		meta: func(o *dynamodb.BatchGetItemOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, o.ConsumedCapacity
		},
	}
	transactWriteItemsOp = operation[dynamodb.TransactWriteItemsInput, dynamodb.TransactWriteItemsOutput]{
		name: "TransactWriteItems", call: API.TransactWriteItems,
		table: func(in *dynamodb.TransactWriteItemsInput) string {
			names := make([]string, 0, len(in.TransactItems))
			for _, it := range in.TransactItems {
				switch {
				case it.Put != nil:
					names = append(names, str(it.Put.TableName))
				case it.Update != nil:
					names = append(names, str(it.Update.TableName))
				case it.Delete != nil:
					names = append(names, str(it.Delete.TableName))
				case it.ConditionCheck != nil:
					names = append(names, str(it.ConditionCheck.TableName))
				}
			}
			return joinDistinct(names)
		},
		capacity: func(in *dynamodb.TransactWriteItemsInput) *types.ReturnConsumedCapacity {
			return &in.ReturnConsumedCapacity
		},
		meta: func(o *dynamodb.TransactWriteItemsOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, o.ConsumedCapacity
		},
	}
	transactGetItemsOp = operation[dynamodb.TransactGetItemsInput, dynamodb.TransactGetItemsOutput]{
		name: "TransactGetItems", call: API.TransactGetItems,
		table: func(in *dynamodb.TransactGetItemsInput) string {
			names := make([]string, 0, len(in.TransactItems))
			for _, it := range in.TransactItems {
				if it.Get != nil {
					names = append(names, str(it.Get.TableName))
				}
			}
			return joinDistinct(names)
		},
		capacity: func(in *dynamodb.TransactGetItemsInput) *types.ReturnConsumedCapacity {
			return &in.ReturnConsumedCapacity
		},
		meta: func(o *dynamodb.TransactGetItemsOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, o.ConsumedCapacity
		},
	}
	createTableOp = operation[dynamodb.CreateTableInput, dynamodb.CreateTableOutput]{
		name: "CreateTable", call: API.CreateTable,
		table: func(in *dynamodb.CreateTableInput) string { return str(in.TableName) },
		meta: func(o *dynamodb.CreateTableOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, nil
		},
	}
	describeTableOp = operation[dynamodb.DescribeTableInput, dynamodb.DescribeTableOutput]{
		name: "DescribeTable", call: API.DescribeTable,
		table: func(in *dynamodb.DescribeTableInput) string { return str(in.TableName) },
		meta: func(o *dynamodb.DescribeTableOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, nil
		},
	}
	updateTableOp = operation[dynamodb.UpdateTableInput, dynamodb.UpdateTableOutput]{
		name: "UpdateTable", call: API.UpdateTable,
		table: func(in *dynamodb.UpdateTableInput) string { return str(in.TableName) },
		meta: func(o *dynamodb.UpdateTableOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, nil
		},
	}
	deleteTableOp = operation[dynamodb.DeleteTableInput, dynamodb.DeleteTableOutput]{
		name: "DeleteTable", call: API.DeleteTable,
		table: func(in *dynamodb.DeleteTableInput) string { return str(in.TableName) },
		meta: func(o *dynamodb.DeleteTableOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, nil
		},
	}
	listTablesOp = operation[dynamodb.ListTablesInput, dynamodb.ListTablesOutput]{
		name: "ListTables", call: API.ListTables,
		meta: func(o *dynamodb.ListTablesOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, nil
		},
	}
	updateTimeToLiveOp = operation[dynamodb.UpdateTimeToLiveInput, dynamodb.UpdateTimeToLiveOutput]{
		name: "UpdateTimeToLive", call: API.UpdateTimeToLive,
		table: func(in *dynamodb.UpdateTimeToLiveInput) string { return str(in.TableName) },
		meta: func(o *dynamodb.UpdateTimeToLiveOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, nil
		},
	}
	describeTimeToLiveOp = operation[dynamodb.DescribeTimeToLiveInput, dynamodb.DescribeTimeToLiveOutput]{
		name: "DescribeTimeToLive", call: API.DescribeTimeToLive,
		table: func(in *dynamodb.DescribeTimeToLiveInput) string { return str(in.TableName) },
		meta: func(o *dynamodb.DescribeTimeToLiveOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			return o.ResultMetadata, nil
		},
	}
)

func one(cc *types.ConsumedCapacity) []types.ConsumedCapacity {
	if cc == nil {
		return nil
	}
	return []types.ConsumedCapacity{*cc}
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// sortedKeys returns m's keys, sorted and comma-joined.
func sortedKeys[V any](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

// joinDistinct comma-joins the non-empty names, each once, in order of
// first appearance.
func joinDistinct(names []string) string {
	out := names[:0]
	for _, n := range names {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return strings.Join(out, ",")
}
