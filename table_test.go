package dynamap

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

func allIndexKinds() []SecondaryIndex {
	return []SecondaryIndex{
		AllIndex("LocalAll", HashKey("username"), RangeKey("date_joined", N)),
		KeysOnlyIndex("LocalKeys", HashKey("username"), RangeKey("last_name")),
		IncludeIndex("LocalInclude", []string{"first_name", "age"}, HashKey("username"), RangeKey("avatar", B)),
		GlobalAllIndex("GlobalAll", HashKey("zip", N), RangeKey("date_joined", N)).WithThroughput(7, 3),
		GlobalKeysOnlyIndex("GlobalKeys", HashKey("email")).WithThroughput(2, 1),
		GlobalIncludeIndex("GlobalInclude", []string{"first_name"}, HashKey("last_name"), RangeKey("zip", N)).WithThroughput(4, 5),
	}
}

func TestCreateTableInputCollectsDefinitionsOnce(t *testing.T) {
	cfg := &tableConfig{schema: []KeyField{HashKey("username"), RangeKey("date_joined", N)}, indexes: allIndexKinds()}
	in, err := createTableInput("users", cfg)
	require.NoError(t, err)
	var names []string
	for _, d := range in.AttributeDefinitions {
		names = append(names, *d.AttributeName)
	}
	assert.Equal(t, []string{"username", "date_joined", "last_name", "avatar", "zip", "email"}, names)
	assert.Equal(t, types.BillingModePayPerRequest, in.BillingMode)
	assert.Nil(t, in.ProvisionedThroughput)
	require.Len(t, in.GlobalSecondaryIndexes, 3)
	for _, g := range in.GlobalSecondaryIndexes {
		assert.Nil(t, g.ProvisionedThroughput, "on-demand tables carry no index throughput")
	}
	require.Len(t, in.LocalSecondaryIndexes, 3)
	assert.Equal(t, []string{"first_name", "age"}, in.LocalSecondaryIndexes[2].Projection.NonKeyAttributes)
}

func TestCreateTableInputRejectsBadSchemas(t *testing.T) {
	cases := map[string]*tableConfig{
		"no keys":           {},
		"range first":       {schema: []KeyField{RangeKey("a")}},
		"bad type":          {schema: []KeyField{HashKey("a", DataType("X"))}},
		"type conflict":     {schema: []KeyField{HashKey("a")}, indexes: []SecondaryIndex{GlobalAllIndex("g", HashKey("a", N))}},
		"lsi other hash":    {schema: []KeyField{HashKey("a"), RangeKey("b")}, indexes: []SecondaryIndex{AllIndex("l", HashKey("c"), RangeKey("d"))}},
		"include w/o names": {schema: []KeyField{HashKey("a")}, indexes: []SecondaryIndex{GlobalIncludeIndex("g", nil, HashKey("b"))}},
		"duplicate index":   {schema: []KeyField{HashKey("a")}, indexes: []SecondaryIndex{GlobalAllIndex("g", HashKey("b")), GlobalAllIndex("g", HashKey("c"))}},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := createTableInput("t", cfg)
			assert.ErrorIs(t, err, ErrSchema)
		})
	}
}

func TestSchemaFromDescriptionRejectsUnknownTypes(t *testing.T) {
	base := func() *types.TableDescription {
		return &types.TableDescription{
			AttributeDefinitions: []types.AttributeDefinition{
				{AttributeName: ptr("h"), AttributeType: types.ScalarAttributeTypeS},
				{AttributeName: ptr("g"), AttributeType: types.ScalarAttributeTypeN},
			},
			KeySchema: []types.KeySchemaElement{{AttributeName: ptr("h"), KeyType: types.KeyTypeHash}},
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndexDescription{{
				IndexName:  ptr("ix"),
				KeySchema:  []types.KeySchemaElement{{AttributeName: ptr("g"), KeyType: types.KeyTypeHash}},
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
			}},
		}
	}
	s, err := schemaFromDescription(base())
	require.NoError(t, err)
	assert.Equal(t, []KeyField{HashKey("h")}, s.keys)
	assert.Equal(t, []SecondaryIndex{{Name: "ix", Parts: []KeyField{HashKey("g", N)}, Projection: ProjectAll, Global: true}}, s.indexes)

	d := base()
	d.KeySchema[0].KeyType = "SIDEWAYS"
	_, err = schemaFromDescription(d)
	assert.ErrorIs(t, err, ErrSchema)
	assert.ErrorContains(t, err, "SIDEWAYS")

	d = base()
	d.GlobalSecondaryIndexes[0].Projection.ProjectionType = "SOME"
	_, err = schemaFromDescription(d)
	assert.ErrorIs(t, err, ErrSchema)
	assert.ErrorContains(t, err, "SOME")

	d = base()
	d.AttributeDefinitions[0].AttributeType = "Q"
	_, err = schemaFromDescription(d)
	assert.ErrorIs(t, err, ErrSchema)
}

// pagingTables is a fake ListTables for the paging logic only.
type pagingTables struct {
	conn.API
	names []string
	calls int
}

func (p *pagingTables) ListTables(_ context.Context, in *dynamodb.ListTablesInput, _ ...func(*dynamodb.Options)) (*dynamodb.ListTablesOutput, error) {
	p.calls++
	start := 0
	if in.ExclusiveStartTableName != nil {
		start = slices.Index(p.names, *in.ExclusiveStartTableName) + 1
	}
	end := min(start+2, len(p.names))
	out := &dynamodb.ListTablesOutput{TableNames: p.names[start:end]}
	if end < len(p.names) {
		out.LastEvaluatedTableName = ptr(p.names[end-1])
	}
	return out, nil
}

func TestListTablesPagesLazily(t *testing.T) {
	fake := &pagingTables{names: []string{"a", "b", "c", "d", "e"}}
	c := conn.FromClient(fake)
	var got []string
	for name, err := range ListTables(context.Background(), c) {
		require.NoError(t, err)
		got = append(got, name)
	}
	assert.Equal(t, fake.names, got)
	assert.Equal(t, 3, fake.calls)

	fake.calls = 0
	for name, err := range ListTables(context.Background(), c) {
		require.NoError(t, err)
		if name == "b" {
			break
		}
	}
	assert.Equal(t, 1, fake.calls, "breaking stops fetching")
}

func TestTableRoundTripThroughDescribe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConn(t)
	schema := []KeyField{HashKey("username"), RangeKey("date_joined", N)}
	created := testTable(t, c, schema, WithThroughput(5, 6), WithIndexes(allIndexKinds()...), WithStream(NewAndOldImages))

	opened := NewTable(c, created.Name())
	desc, err := opened.Describe(ctx)
	require.NoError(t, err)
	require.NotNil(t, desc.StreamSpecification)
	assert.Equal(t, NewAndOldImages, desc.StreamSpecification.StreamViewType)

	keys, err := opened.Schema(ctx)
	require.NoError(t, err)
	assert.Equal(t, schema, keys)
	names, err := opened.KeyNames(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"username", "date_joined"}, names)

	tp, err := opened.Throughput(ctx)
	require.NoError(t, err)
	assert.Equal(t, &Throughput{Read: 5, Write: 6}, tp)

	got, err := opened.Indexes(ctx)
	require.NoError(t, err)
	want := allIndexKinds()
	byName := func(a, b SecondaryIndex) int { return compareStrings(a.Name, b.Name) }
	slices.SortFunc(got, byName)
	slices.SortFunc(want, byName)
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i], got[i], "index %s", want[i].Name)
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestKeyNamesDescribesOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var rc requestCounter
	c := testConn(t, rc.option)
	created := testTable(t, c, []KeyField{HashKey("id", N)})
	before := rc.count("DescribeTable")

	tbl := NewTable(c, created.Name())
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			names, err := tbl.KeyNames(ctx)
			if err == nil && !slices.Equal(names, []string{"id"}) {
				err = errors.New("wrong key fields")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 1, rc.count("DescribeTable")-before, "50 concurrent first uses, one DescribeTable")

	_, err := tbl.KeyNames(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rc.count("DescribeTable")-before, "cached afterwards")

	// A declared schema is checked with one DescribeTable too, and nothing
	// else is sent.
	total := rc.total()
	withSchema := NewTable(c, created.Name(), WithSchema(HashKey("id", N)))
	for range 3 {
		_, err = withSchema.KeyNames(ctx)
		require.NoError(t, err)
	}
	assert.Equal(t, 2, rc.count("DescribeTable")-before, "WithSchema is verified with one DescribeTable")
	assert.Equal(t, 1, rc.total()-total, "and no other request")
}

// TestTableLifecycle asserts on the Table it changes: after Update,
// CreateGlobalIndex, DeleteGlobalIndex and WaitActive, that same Table
// reports the new truth without describing again (a fresh Table agrees).
func TestTableLifecycle(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var rc requestCounter
	c := testConn(t, rc.option)
	name := testTableName(t)
	tbl, err := CreateTable(ctx, c, name, []KeyField{HashKey("id")}, WithThroughput(3, 3))
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := tbl.DeleteTable(ctx); err != nil && !errors.Is(err, ErrTableNotFound) {
			t.Errorf("deleting table %s: %v", name, err)
		}
	})
	require.NoError(t, tbl.WaitActive(ctx))
	tp, err := tbl.Throughput(ctx)
	require.NoError(t, err)
	assert.Equal(t, &Throughput{Read: 3, Write: 3}, tp)

	found := false
	for n, err := range ListTables(ctx, c) {
		require.NoError(t, err)
		found = found || n == name
	}
	assert.True(t, found, "ListTables lists the new table")

	// sameTable reads what tbl reports after WaitActive: it must need no
	// DescribeTable of its own, and agree with a fresh Table.
	throughput := func() *Throughput {
		t.Helper()
		before := rc.count("DescribeTable")
		tp, err := tbl.Throughput(ctx)
		require.NoError(t, err)
		assert.Equal(t, before, rc.count("DescribeTable"), "WaitActive refreshed the cache")
		fresh, err := NewTable(c, name).Throughput(ctx)
		require.NoError(t, err)
		assert.Equal(t, fresh, tp, "the updated Table agrees with a fresh one")
		return tp
	}
	indexes := func() []SecondaryIndex {
		t.Helper()
		before := rc.count("DescribeTable")
		ixs, err := tbl.Indexes(ctx)
		require.NoError(t, err)
		assert.Equal(t, before, rc.count("DescribeTable"), "WaitActive refreshed the cache")
		fresh, err := NewTable(c, name).Indexes(ctx)
		require.NoError(t, err)
		assert.Equal(t, fresh, ixs, "the updated Table agrees with a fresh one")
		return ixs
	}

	// Table throughput.
	require.NoError(t, tbl.Update(ctx, WithThroughput(8, 9)))
	require.NoError(t, tbl.WaitActive(ctx))
	assert.Equal(t, &Throughput{Read: 8, Write: 9}, throughput())

	// A global index, its throughput, its removal.
	require.NoError(t, tbl.CreateGlobalIndex(ctx, GlobalKeysOnlyIndex("ByEmail", HashKey("email")).WithThroughput(2, 2)))
	require.NoError(t, tbl.WaitActive(ctx))
	assert.Equal(t, []SecondaryIndex{GlobalKeysOnlyIndex("ByEmail", HashKey("email")).WithThroughput(2, 2)}, indexes())

	require.NoError(t, tbl.Update(ctx, WithGlobalThroughput("ByEmail", 4, 5)))
	require.NoError(t, tbl.WaitActive(ctx))
	assert.Equal(t, []SecondaryIndex{GlobalKeysOnlyIndex("ByEmail", HashKey("email")).WithThroughput(4, 5)}, indexes())

	require.NoError(t, tbl.DeleteGlobalIndex(ctx, "ByEmail"))
	require.NoError(t, tbl.WaitActive(ctx))
	assert.Empty(t, indexes())

	// On-demand billing has no provisioned throughput.
	require.NoError(t, tbl.Update(ctx, WithOnDemand()))
	require.NoError(t, tbl.WaitActive(ctx))
	assert.Nil(t, throughput())

	// TTL.
	require.NoError(t, tbl.EnableTTL(ctx, "expires"))
	ttl, err := tbl.DescribeTTL(ctx)
	require.NoError(t, err)
	assert.Equal(t, "expires", ttl.Attribute)
	assert.Contains(t, []types.TimeToLiveStatus{types.TimeToLiveStatusEnabled, types.TimeToLiveStatusEnabling}, ttl.Status)
	require.NoError(t, tbl.DisableTTL(ctx, "expires"))
	ttl, err = tbl.DescribeTTL(ctx)
	require.NoError(t, err)
	assert.Contains(t, []types.TimeToLiveStatus{types.TimeToLiveStatusDisabled, types.TimeToLiveStatusDisabling}, ttl.Status)

	// Count is DynamoDB's ItemCount: approximate (AWS refreshes it about
	// every six hours), so only its sign is documented. The exact count is
	// a consistent Scan's.
	for i := range 3 {
		_, err := c.API().PutItem(ctx, &dynamodb.PutItemInput{TableName: &name, Item: map[string]types.AttributeValue{
			"id": &types.AttributeValueMemberS{Value: string(rune('a' + i))},
		}})
		require.NoError(t, err)
	}
	n, err := tbl.EstimatedItemCount(ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, int64(0))
	exact, err := tbl.Scan(nil, Consistent()).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 3, exact)

	require.NoError(t, tbl.DeleteTable(ctx))
	require.NoError(t, tbl.WaitDeleted(ctx))
	_, err = tbl.Describe(ctx)
	assert.ErrorIs(t, err, ErrTableNotFound)
	var rnf *types.ResourceNotFoundException
	assert.ErrorAs(t, err, &rnf, "the SDK's exception stays reachable")
	assert.True(t, IsNotFound(err))
	_, err = tbl.Throughput(ctx)
	assert.ErrorIs(t, err, ErrTableNotFound, "a deleted table's schema is not reported from the cache")
}

func TestUnknownTableSchemaIsErrSchema(t *testing.T) {
	t.Parallel()
	c := testConn(t)
	tbl := NewTable(c, "no_such_table_"+testTableName(t))
	_, err := tbl.KeyNames(context.Background())
	assert.ErrorIs(t, err, ErrSchema)
	assert.ErrorIs(t, err, ErrTableNotFound)
}
