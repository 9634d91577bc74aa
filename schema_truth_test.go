package dynamap

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

// Schema truth (DESIGN rule 5): a cached schema is refreshed when the
// library changes the table, and a declared schema that disagrees with the
// table is caught before any item request.

// describedAs is the DescribeTable answer for an ACTIVE on-demand table with
// the given keys and indexes, built the way CreateTable would ask for it.
func describedAs(name string, keys []KeyField, indexes ...SecondaryIndex) *types.TableDescription {
	in, err := createTableInput(name, &tableConfig{schema: keys, indexes: indexes})
	if err != nil {
		panic(err)
	}
	d := &types.TableDescription{
		TableName:            &name,
		TableStatus:          types.TableStatusActive,
		KeySchema:            in.KeySchema,
		AttributeDefinitions: in.AttributeDefinitions,
		BillingModeSummary:   &types.BillingModeSummary{BillingMode: types.BillingModePayPerRequest},
	}
	for _, l := range in.LocalSecondaryIndexes {
		d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, types.LocalSecondaryIndexDescription{
			IndexName: l.IndexName, KeySchema: l.KeySchema, Projection: l.Projection,
		})
	}
	for _, g := range in.GlobalSecondaryIndexes {
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, types.GlobalSecondaryIndexDescription{
			IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection, IndexStatus: types.IndexStatusActive,
		})
	}
	return d
}

// schemaAPI answers DescribeTable from fixed descriptions, by table name,
// and passes every other call to the API it wraps (a fake). It lets fakes
// serve a Table built with WithSchema, which checks its declaration against
// one DescribeTable on first use.
type schemaAPI struct {
	conn.API
	mu        sync.Mutex
	tables    map[string]*types.TableDescription
	describes int
}

// withTables wraps api so that DescribeTable answers with descs.
func withTables(api conn.API, descs ...*types.TableDescription) *schemaAPI {
	s := &schemaAPI{API: api, tables: map[string]*types.TableDescription{}}
	for _, d := range descs {
		s.tables[*d.TableName] = d
	}
	return s
}

// withSchemaOf wraps api so that DescribeTable on name answers with keys and
// indexes.
func withSchemaOf(api conn.API, name string, keys []KeyField, indexes ...SecondaryIndex) *schemaAPI {
	return withTables(api, describedAs(name, keys, indexes...))
}

// connDescribing is a connection through api whose DescribeTable on name
// answers with keys and indexes (see withSchemaOf).
func connDescribing(api conn.API, name string, keys []KeyField, optFns ...func(*conn.Options)) *conn.Conn {
	return conn.FromClient(withSchemaOf(api, name, keys), optFns...)
}

func (s *schemaAPI) DescribeTable(_ context.Context, in *dynamodb.DescribeTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.describes++
	d, ok := s.tables[deref(in.TableName)]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: ptr("Requested resource not found")}
	}
	return &dynamodb.DescribeTableOutput{Table: d}, nil
}

func (s *schemaAPI) describeCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.describes
}

// TestDeclaredSchemaMissingRangeKeyIsCaught: a WithSchema without the
// table's range key used to make BatchWrite collapse 10 distinct items
// (same hash key, different range keys) into 1 and return nil.
func TestDeclaredSchemaMissingRangeKeyIsCaught(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	real := testTable(t, testConn(t), []KeyField{HashKey("pk"), RangeKey("n", N)})
	var rc requestCounter
	c := testConn(t, rc.option)
	tbl := NewTable(c, real.Name(), WithSchema(HashKey("pk")))

	bt := tbl.BatchWrite()
	var errs []error
	for i := range 10 {
		errs = append(errs, bt.PutItem(ctx, map[string]any{"pk": "same", "n": i, "v": fmt.Sprint(i)}))
	}
	errs = append(errs, bt.Close(ctx))
	err := errors.Join(errs...)
	require.ErrorIs(t, err, ErrSchema)
	var me *SchemaMismatchError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, "key schema", me.What)
	assert.ErrorContains(t, err, "n (RANGE N)", "the error names the table's real key")
	assert.ErrorContains(t, err, "pk (HASH S)", "and the declared one")
	assert.Equal(t, 1, rc.count("DescribeTable"), "verified once")
	assert.Equal(t, 1, rc.total(), "no item request at all")

	n, err := real.Scan(nil, Consistent()).Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing was written")
}

// TestDeclaredIndexProjectionMismatchIsCaught: an index declared ALL that is
// really KEYS_ONLY used to let Save of an item read through the index wipe
// the attributes the index does not project.
func TestDeclaredIndexProjectionMismatchIsCaught(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	keys := []KeyField{HashKey("id")}
	real := testTable(t, testConn(t), keys, WithIndexes(GlobalKeysOnlyIndex("ByKind", HashKey("kind"))))
	require.NoError(t, real.PutItem(ctx, map[string]any{"id": "a", "kind": "k", "secret": "keep me"}))

	var rc requestCounter
	c := testConn(t, rc.option)
	tbl := NewTable(c, real.Name(), WithSchema(keys...), WithIndexes(GlobalAllIndex("ByKind", HashKey("kind"))))
	n := 0
	for it, err := range tbl.Query(Filter{"kind__eq": "k"}, Index("ByKind")).All(ctx) {
		n++
		require.Error(t, err, "got item %v", it)
		assert.ErrorIs(t, err, ErrSchema)
		assert.ErrorContains(t, err, "KEYS_ONLY")
		assert.ErrorContains(t, err, "ALL")
	}
	assert.Equal(t, 1, n)
	_, err := tbl.GetItem(ctx, Key{"id": "a"})
	assert.ErrorIs(t, err, ErrSchema, "every call that needs the schema reports it")
	err = tbl.PutItem(ctx, map[string]any{"id": "a"}, Overwrite())
	assert.ErrorIs(t, err, ErrSchema)
	assert.Equal(t, 1, rc.count("DescribeTable"), "verified once, the mismatch is remembered")
	assert.Equal(t, 1, rc.total(), "no item request at all")

	got, err := real.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, "keep me", got.Get("secret"))
}

// TestMatchingDeclarationWorks: a declaration that agrees with the table
// costs one DescribeTable, shared by concurrent first uses, then none.
func TestMatchingDeclarationWorks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	keys := []KeyField{HashKey("id"), RangeKey("n", N)}
	indexes := []SecondaryIndex{
		GlobalIncludeIndex("ByKind", []string{"b", "a"}, HashKey("kind"), RangeKey("n", N)),
		KeysOnlyIndex("ByLabel", HashKey("id"), RangeKey("label")),
	}
	real := testTable(t, testConn(t), keys, WithIndexes(indexes...))

	var rc requestCounter
	c := testConn(t, rc.option)
	// The include list in another order is the same projection.
	tbl := NewTable(c, real.Name(), WithSchema(keys...), WithIndexes(
		KeysOnlyIndex("ByLabel", HashKey("id"), RangeKey("label")),
		GlobalIncludeIndex("ByKind", []string{"a", "b"}, HashKey("kind"), RangeKey("n", N)),
	))
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() { errs <- tbl.PutItem(ctx, map[string]any{"id": "x", "n": i, "kind": "k", "label": "l"}) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 1, rc.count("DescribeTable"), "20 concurrent first uses, one DescribeTable")
	assert.Equal(t, 20, rc.count("PutItem"))

	// The local index reads consistently (a global one would not).
	items, err := tbl.Query(Filter{"id__eq": "x", "label__eq": "l"}, Index("ByLabel"), Consistent()).Collect(ctx)
	require.NoError(t, err)
	assert.Len(t, items, 20)
	assert.Equal(t, 1, rc.count("DescribeTable"), "cached afterwards")
}

// TestWaitActiveOnMissingTable: WaitActive used to poll a table that does
// not exist until the context ended.
func TestWaitActiveOnMissingTable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tbl := NewTable(testConn(t), "no_such_table_"+testTableName(t))
	start := time.Now()
	err := tbl.WaitActive(ctx)
	assert.ErrorIs(t, err, ErrTableNotFound)
	var rnf *types.ResourceNotFoundException
	assert.ErrorAs(t, err, &rnf, "the SDK's exception stays reachable")
	assert.NoError(t, ctx.Err(), "answered before the context ended (%v)", time.Since(start))

	require.NoError(t, tbl.WaitDeleted(ctx), "a missing table is what WaitDeleted waits for")
}
