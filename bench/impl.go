package bench

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Impl is one implementation of the benchmarked work. Every method does a
// whole unit of work, decoding into Row where results come back.
type Impl interface {
	// GetItem reads one item by key and decodes it.
	GetItem(ctx context.Context, k RowKey) (Row, error)
	// PutItem writes r unconditionally (replacing any item with its key).
	PutItem(ctx context.Context, r Row) error
	// Rename reads the item at k, changes its name and saves only that
	// attribute, conditioned on the name it read.
	Rename(ctx context.Context, k RowKey, name string) error
	// QueryAll reads the whole partition pk, decoded, in key order.
	QueryAll(ctx context.Context, pk string) ([]Row, error)
	// QueryEach decodes the partition pk item by item without keeping the
	// items, calling fn on each; it returns how many it saw.
	QueryEach(ctx context.Context, pk string, fn func(*Row)) (int, error)
	// BatchPut writes rows with BatchWriteItem, re-sending unprocessed
	// items, with up to concurrency requests in flight (every
	// implementation: rows compare at equal concurrency).
	BatchPut(ctx context.Context, rows []Row, concurrency int) error
	// BatchGet reads keys with BatchGetItem, re-asking unprocessed keys,
	// with up to concurrency requests in flight (result order unspecified).
	BatchGet(ctx context.Context, keys []RowKey, concurrency int) ([]Row, error)
	// QueryFirst reads partition pk with a filter name = match, at most
	// limit items (0: all), decoded in key order. A careful
	// implementation does not send the limit as the request's Limit when
	// there is a filter (DynamoDB applies it before the filter).
	QueryFirst(ctx context.Context, pk, match string, limit int) ([]Row, error)
	// Scan reads the whole table with the given number of parallel
	// segments (1: sequential), result order unspecified.
	Scan(ctx context.Context, segments int) ([]Row, error)
}

// Factory makes an Impl for one table reached through client.
type Factory func(client *dynamodb.Client, table string) Impl

// Implementation is a named Factory.
type Implementation struct {
	Name string
	New  Factory
}

// Implementations are the contenders, baseline first.
var Implementations = []Implementation{
	{"raw", newRaw},
	{"guregu", newGuregu},
}
