package dynamap

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

// adminFake is a table-administration fake: DescribeTable, CreateTable and
// UpdateTable answer with scripted descriptions. Item calls panic (the
// embedded API is nil), which proves that none are sent.
type adminFake struct {
	conn.API
	mu        sync.Mutex
	describe  []describeAnswer // consumed in order; the last one repeats
	update    []*types.TableDescription
	describes int
	updates   []*dynamodb.UpdateTableInput
}

type describeAnswer struct {
	d   *types.TableDescription
	err error
}

func (f *adminFake) DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.describes++
	a := f.describe[0]
	if len(f.describe) > 1 {
		f.describe = f.describe[1:]
	}
	if a.err != nil {
		return nil, a.err
	}
	return &dynamodb.DescribeTableOutput{Table: a.d}, nil
}

func (f *adminFake) CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	return &dynamodb.CreateTableOutput{}, nil
}

func (f *adminFake) UpdateTable(_ context.Context, in *dynamodb.UpdateTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateTableOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, in)
	d := f.update[0]
	f.update = f.update[1:]
	return &dynamodb.UpdateTableOutput{TableDescription: d}, nil
}

func (f *adminFake) describeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.describes
}

// provisioned makes d a provisioned table (and its global indexes) with
// read/write capacity r, w.
func provisioned(d *types.TableDescription, r, w int64) *types.TableDescription {
	d.BillingModeSummary = &types.BillingModeSummary{BillingMode: types.BillingModeProvisioned}
	d.ProvisionedThroughput = &types.ProvisionedThroughputDescription{ReadCapacityUnits: &r, WriteCapacityUnits: &w}
	for i := range d.GlobalSecondaryIndexes {
		d.GlobalSecondaryIndexes[i].ProvisionedThroughput = &types.ProvisionedThroughputDescription{ReadCapacityUnits: &r, WriteCapacityUnits: &w}
	}
	return d
}

var notFound = &types.ResourceNotFoundException{Message: ptr("Requested resource not found")}

// TestChangesReportDynamoDBsAnswer: what Update, CreateGlobalIndex and
// DeleteGlobalIndex change, the same Table reports from DynamoDB's answer,
// with no DescribeTable of its own. Update used to keep the old values.
func TestChangesReportDynamoDBsAnswer(t *testing.T) {
	ctx := context.Background()
	keys := []KeyField{HashKey("id")}
	byEmail := GlobalKeysOnlyIndex("ByEmail", HashKey("email"))
	updating := func(d *types.TableDescription) *types.TableDescription {
		d.TableStatus = types.TableStatusUpdating
		return d
	}
	// DynamoDB lists an index being created before its attribute
	// definitions (DynamoDB Local does); the request gave them.
	creating := updating(provisioned(describedAs("t", keys, byEmail), 8, 9))
	creating.AttributeDefinitions = creating.AttributeDefinitions[:1]
	creating.GlobalSecondaryIndexes[0].IndexStatus = types.IndexStatusCreating
	creating.GlobalSecondaryIndexes[0].ProvisionedThroughput.ReadCapacityUnits = ptr(int64(2))
	deleting := updating(provisioned(describedAs("t", keys, byEmail), 8, 9))
	deleting.GlobalSecondaryIndexes[0].IndexStatus = types.IndexStatusDeleting
	// Switching to on-demand: the answer may still carry the old numbers.
	onDemand := updating(provisioned(describedAs("t", keys, byEmail), 8, 9))
	onDemand.BillingModeSummary.BillingMode = types.BillingModePayPerRequest

	f := &adminFake{
		describe: []describeAnswer{{d: provisioned(describedAs("t", keys), 3, 3)}},
		update: []*types.TableDescription{
			updating(provisioned(describedAs("t", keys), 8, 9)),
			creating,
			deleting,
			onDemand,
			nil, // an answer without a description
		},
	}
	tbl := NewTable(conn.FromClient(f), "t")
	tp, err := tbl.Throughput(ctx)
	require.NoError(t, err)
	assert.Equal(t, &Throughput{Read: 3, Write: 3}, tp)

	require.NoError(t, tbl.Update(ctx, WithThroughput(8, 9)))
	tp, err = tbl.Throughput(ctx)
	require.NoError(t, err)
	assert.Equal(t, &Throughput{Read: 8, Write: 9}, tp, "Update's answer")

	require.NoError(t, tbl.CreateGlobalIndex(ctx, byEmail.WithThroughput(2, 9)))
	ixs, err := tbl.Indexes(ctx)
	require.NoError(t, err)
	assert.Equal(t, []SecondaryIndex{byEmail.WithThroughput(2, 9)}, ixs, "CreateGlobalIndex's answer")

	require.NoError(t, tbl.DeleteGlobalIndex(ctx, "ByEmail"))
	ixs, err = tbl.Indexes(ctx)
	require.NoError(t, err)
	assert.Empty(t, ixs, "an index being deleted is not listed")

	require.NoError(t, tbl.Update(ctx, WithOnDemand()))
	tp, err = tbl.Throughput(ctx)
	require.NoError(t, err)
	assert.Nil(t, tp, "an on-demand table has no throughput")
	assert.Equal(t, 1, f.describeCount(), "every answer was used; no DescribeTable")

	// An answer that does not describe the table: the next use asks.
	require.NoError(t, tbl.Update(ctx, WithStream(NewImage)))
	tp, err = tbl.Throughput(ctx)
	require.NoError(t, err)
	assert.Equal(t, &Throughput{Read: 3, Write: 3}, tp)
	assert.Equal(t, 2, f.describeCount())
}

// TestCreateTableReportsWhatItCreated: an on-demand CreateTable has no
// throughput even with WithThroughput given alongside WithOnDemand, and a
// global index on a provisioned table without its own throughput reports
// the table's, as created.
func TestCreateTableReportsWhatItCreated(t *testing.T) {
	ctx := context.Background()
	f := &adminFake{}
	c := conn.FromClient(f)
	tbl, err := CreateTable(ctx, c, "t", []KeyField{HashKey("id")}, WithThroughput(5, 6), WithOnDemand(),
		WithIndexes(GlobalAllIndex("G", HashKey("g"))))
	require.NoError(t, err)
	tp, err := tbl.Throughput(ctx)
	require.NoError(t, err)
	assert.Nil(t, tp)
	ixs, err := tbl.Indexes(ctx)
	require.NoError(t, err)
	assert.Equal(t, []SecondaryIndex{GlobalAllIndex("G", HashKey("g"))}, ixs)

	tbl, err = CreateTable(ctx, c, "t", []KeyField{HashKey("id")}, WithThroughput(5, 6),
		WithIndexes(GlobalAllIndex("G", HashKey("g")), GlobalAllIndex("H", HashKey("h")).WithThroughput(1, 2)))
	require.NoError(t, err)
	tp, err = tbl.Throughput(ctx)
	require.NoError(t, err)
	assert.Equal(t, &Throughput{Read: 5, Write: 6}, tp)
	ixs, err = tbl.Indexes(ctx)
	require.NoError(t, err)
	assert.Equal(t, []SecondaryIndex{
		GlobalAllIndex("G", HashKey("g")).WithThroughput(5, 6),
		GlobalAllIndex("H", HashKey("h")).WithThroughput(1, 2),
	}, ixs)
	assert.Zero(t, f.describeCount(), "a created table is trusted")
}

// TestWaitActiveRefreshesAndReportsMissing: WaitActive keeps what its last
// answer describes; a missing table is ErrTableNotFound at once, except
// just after this Table's CreateTable (DescribeTable is eventually
// consistent).
func TestWaitActiveRefreshesAndReportsMissing(t *testing.T) {
	ctx := context.Background()
	keys := []KeyField{HashKey("id")}
	final := provisioned(describedAs("t", keys), 7, 7)
	creatingTable := provisioned(describedAs("t", keys), 7, 7)
	creatingTable.TableStatus = types.TableStatusCreating
	f := &adminFake{describe: []describeAnswer{{err: notFound}, {err: notFound}, {d: creatingTable}, {d: final}}}
	tbl, err := CreateTable(ctx, conn.FromClient(f), "t", keys, WithThroughput(1, 1))
	require.NoError(t, err)
	require.NoError(t, tbl.WaitActive(ctx))
	assert.Equal(t, 4, f.describeCount())
	tp, err := tbl.Throughput(ctx)
	require.NoError(t, err)
	assert.Equal(t, &Throughput{Read: 7, Write: 7}, tp, "the last answer, not what CreateTable asked")
	assert.Equal(t, 4, f.describeCount())

	f = &adminFake{describe: []describeAnswer{{err: notFound}}}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err = NewTable(conn.FromClient(f), "t").WaitActive(ctx)
	assert.ErrorIs(t, err, ErrTableNotFound)
	var rnf *types.ResourceNotFoundException
	assert.ErrorAs(t, err, &rnf)
	assert.Equal(t, 1, f.describeCount(), "no polling")
}

// TestDeclarationMismatches: every way a declaration can disagree with the
// table is a *SchemaMismatchError naming both sides, returned (and
// remembered) before any item request; what agrees works.
func TestDeclarationMismatches(t *testing.T) {
	ctx := context.Background()
	keys := []KeyField{HashKey("pk"), RangeKey("n", N)}
	byLabel := KeysOnlyIndex("ByLabel", HashKey("pk"), RangeKey("label"))
	byKind := GlobalIncludeIndex("ByKind", []string{"a", "b"}, HashKey("kind"), RangeKey("n", N))
	real := describedAs("t", keys, byLabel, byKind)

	mismatches := map[string]struct {
		opts               []TableOption
		what, decl, actual string
	}{
		"missing range key": {[]TableOption{WithSchema(HashKey("pk"))},
			"key schema", "[pk (HASH S)]", "[pk (HASH S), n (RANGE N)]"},
		"key type": {[]TableOption{WithSchema(HashKey("pk", N), RangeKey("n", N))},
			"key schema", "[pk (HASH N), n (RANGE N)]", "[pk (HASH S), n (RANGE N)]"},
		"key name": {[]TableOption{WithSchema(HashKey("id"), RangeKey("n", N))},
			"key schema", "[id (HASH S), n (RANGE N)]", "[pk (HASH S), n (RANGE N)]"},
		"key order": {[]TableOption{WithSchema(HashKey("n", N), RangeKey("pk"))},
			"key schema", "[n (HASH N), pk (RANGE S)]", "[pk (HASH S), n (RANGE N)]"},
		"index not declared": {[]TableOption{WithSchema(keys...), WithIndexes(byLabel)},
			`index "ByKind"`, "absent", "global [kind (HASH S), n (RANGE N)] projecting INCLUDE [a b]"},
		"index not in table": {[]TableOption{WithSchema(keys...), WithIndexes(byLabel, byKind, GlobalAllIndex("Extra", HashKey("x")))},
			`index "Extra"`, "global [x (HASH S)] projecting ALL", "absent"},
		"local declared global": {[]TableOption{WithSchema(keys...), WithIndexes(byKind), WithGlobalIndexes(byLabel)},
			`index "ByLabel"`, "global [pk (HASH S), label (RANGE S)] projecting KEYS_ONLY", "local [pk (HASH S), label (RANGE S)] projecting KEYS_ONLY"},
		"index key parts": {[]TableOption{WithSchema(keys...), WithIndexes(byLabel, GlobalIncludeIndex("ByKind", []string{"a", "b"}, HashKey("kind")))},
			`index "ByKind"`, "global [kind (HASH S)] projecting INCLUDE [a b]", "global [kind (HASH S), n (RANGE N)] projecting INCLUDE [a b]"},
		"projection type": {[]TableOption{WithSchema(keys...), WithIndexes(byKind, AllIndex("ByLabel", HashKey("pk"), RangeKey("label")))},
			`index "ByLabel"`, "local [pk (HASH S), label (RANGE S)] projecting ALL", "local [pk (HASH S), label (RANGE S)] projecting KEYS_ONLY"},
		"include list": {[]TableOption{WithSchema(keys...), WithIndexes(byLabel, GlobalIncludeIndex("ByKind", []string{"a", "c"}, HashKey("kind"), RangeKey("n", N)))},
			`index "ByKind"`, "global [kind (HASH S), n (RANGE N)] projecting INCLUDE [a c]", "global [kind (HASH S), n (RANGE N)] projecting INCLUDE [a b]"},
		"indexes without keys": {[]TableOption{WithIndexes(byLabel)},
			`index "ByKind"`, "absent", "global [kind (HASH S), n (RANGE N)] projecting INCLUDE [a b]"},
	}
	for name, tc := range mismatches {
		t.Run(name, func(t *testing.T) {
			var rc requestCounter
			api := withTables(&adminFake{}, real)
			tbl := NewTable(conn.FromClient(api, rc.option), "t", tc.opts...)
			for range 2 {
				_, err := tbl.GetItem(ctx, Key{"pk": "a", "n": 1})
				var me *SchemaMismatchError
				require.ErrorAs(t, err, &me)
				assert.ErrorIs(t, err, ErrSchema)
				assert.Equal(t, SchemaMismatchError{Table: "t", What: tc.what, Declared: tc.decl, Actual: tc.actual}, *me)
				assert.Contains(t, err.Error(), tc.decl)
				assert.Contains(t, err.Error(), tc.actual)
			}
			bt := tbl.BatchWrite()
			assert.ErrorIs(t, bt.PutItem(ctx, map[string]any{"pk": "a", "n": 1}), ErrSchema)
			assert.NoError(t, bt.Close(ctx), "nothing was buffered")
			_, err := tbl.Indexes(ctx)
			assert.ErrorIs(t, err, ErrSchema)
			assert.Equal(t, 1, rc.total(), "one DescribeTable, remembered; no item request")
		})
	}

	agreements := map[string][]TableOption{
		"keys only, indexes learnt": {WithSchema(keys...)},
		"everything, other order":   {WithIndexes(GlobalIncludeIndex("ByKind", []string{"b", "a"}, HashKey("kind"), RangeKey("n", N))), WithSchema(keys...), WithIndexes(byLabel)},
		"global via WithGlobalIndexes": {WithSchema(keys...), WithIndexes(byLabel),
			WithGlobalIndexes(IncludeIndex("ByKind", []string{"a", "b"}, HashKey("kind"), RangeKey("n", N)))},
		"indexes only, keys learnt": {WithIndexes(byLabel, byKind)},
	}
	for name, opts := range agreements {
		t.Run(name, func(t *testing.T) {
			api := withTables(&adminFake{}, real)
			tbl := NewTable(conn.FromClient(api), "t", opts...)
			got, err := tbl.Schema(ctx)
			require.NoError(t, err)
			assert.Equal(t, keys, got)
			ixs, err := tbl.Indexes(ctx)
			require.NoError(t, err)
			assert.Equal(t, []SecondaryIndex{byLabel, byKind}, ixs, "the table's own indexes")
			assert.Equal(t, 1, api.describeCount())
		})
	}
}

// TestChangesBeforeFirstUseKeepTheDeclarationHonest: a change made through
// a Table whose declaration is not checked yet checks it against
// DynamoDB's answer; the change itself succeeds, a mismatch is reported by
// the next call that needs the schema, and an index the library deleted is
// no longer expected.
func TestChangesBeforeFirstUseKeepTheDeclarationHonest(t *testing.T) {
	ctx := context.Background()
	keys := []KeyField{HashKey("id")}
	byEmail := GlobalKeysOnlyIndex("ByEmail", HashKey("email"))
	deleting := describedAs("t", keys, byEmail)
	deleting.GlobalSecondaryIndexes[0].IndexStatus = types.IndexStatusDeleting

	f := &adminFake{update: []*types.TableDescription{deleting}}
	tbl := NewTable(conn.FromClient(f), "t", WithSchema(keys...), WithIndexes(byEmail))
	require.NoError(t, tbl.DeleteGlobalIndex(ctx, "ByEmail"))
	ixs, err := tbl.Indexes(ctx)
	require.NoError(t, err)
	assert.Empty(t, ixs)
	assert.Zero(t, f.describeCount(), "the answer checked the declaration")

	f = &adminFake{update: []*types.TableDescription{describedAs("t", []KeyField{HashKey("id"), RangeKey("n", N)})}}
	tbl = NewTable(conn.FromClient(f), "t", WithSchema(keys...))
	require.NoError(t, tbl.Update(ctx, WithStream(NewImage)), "the update itself succeeded")
	_, err = tbl.GetItem(ctx, Key{"id": "a"})
	var me *SchemaMismatchError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, "key schema", me.What)
	assert.Zero(t, f.describeCount())
}
