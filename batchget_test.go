package dynamap

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/internal/faultproxy"
)

// loadItems writes items 0..n-1 with a BatchTable.
func loadItems(t *testing.T, tb *Table, n int) map[string]map[string]any {
	t.Helper()
	want := map[string]map[string]any{}
	require.NoError(t, tb.BatchWriteFunc(context.Background(), func(b *BatchTable) error {
		for i := range n {
			it := batchItem(i)
			want[keyOf(it)] = it
			if err := b.PutItem(context.Background(), it); err != nil {
				return err
			}
		}
		return nil
	}, batchOpts(Concurrency(4))...))
	return want
}

func keyFor(i int) Key {
	it := batchItem(i)
	return Key{"pk": it["pk"], "n": it["n"]}
}

// collectKeys reads rs fully and returns items by canonical key, failing on
// an item returned twice.
func collectKeys(t *testing.T, rs *ResultSet) (map[string]*Item, error) {
	t.Helper()
	out := map[string]*Item{}
	for it, err := range rs.All(context.Background()) {
		if err != nil {
			return out, err
		}
		k := keyString(batchSchema, it.avMap())
		_, dup := out[k]
		require.False(t, dup, "item %s returned twice", k)
		out[k] = it
	}
	return out, nil
}

// batchGetCounter counts BatchGetItem calls and their keys.
type batchGetCounter struct {
	conn.API
	calls, keys atomic.Int64
	maxKeys     atomic.Int64
}

func (c *batchGetCounter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.calls.Add(1)
	for _, ka := range in.RequestItems {
		c.keys.Add(int64(len(ka.Keys)))
		if n := int64(len(ka.Keys)); n > c.maxKeys.Load() {
			c.maxKeys.Store(n)
		}
	}
	return c.API.BatchGetItem(ctx, in, o...)
}

func TestBatchGetMissingAndDuplicateKeys(t *testing.T) {
	t.Parallel()
	direct := testConn(t)
	tb := testTable(t, direct, batchSchema)
	want := loadItems(t, tb, 230)
	counter := &batchGetCounter{API: direct.API()}
	tbc := NewTable(conn.FromClient(counter), tb.name, WithSchema(batchSchema...))

	var keys []Key
	for i := range 250 { // 230 present, 20 missing
		keys = append(keys, keyFor(i))
	}
	keys = append(keys, keyFor(3), keyFor(240)) // duplicates are asked once
	got, err := collectKeys(t, tbc.BatchGet(keys, Consistent()))
	require.NoError(t, err)
	require.Len(t, got, 230)
	for k, w := range want {
		it, ok := got[k]
		require.True(t, ok, "missing %s", k)
		assert.Equal(t, w["pk"], it.Get("pk"))
	}
	assert.Equal(t, int64(3), counter.calls.Load(), "250 distinct keys: 100+100+50")
	assert.Equal(t, int64(250), counter.keys.Load())
	assert.Equal(t, int64(100), counter.maxKeys.Load())

	// A chunk where nothing exists is not an error.
	none, err := collectKeys(t, tbc.BatchGet([]Key{keyFor(1000), keyFor(1001)}))
	require.NoError(t, err)
	assert.Empty(t, none)

	// Nothing asked, nothing sent.
	calls := counter.calls.Load()
	empty, err := collectKeys(t, tbc.BatchGet(nil))
	require.NoError(t, err)
	assert.Empty(t, empty)
	assert.Equal(t, calls, counter.calls.Load())
}

func TestBatchGetAttributesAndInvalidKeys(t *testing.T) {
	t.Parallel()
	direct := testConn(t)
	tb := testTable(t, direct, batchSchema)
	loadItems(t, tb, 5)
	counter := &batchGetCounter{API: direct.API()}
	tbc := NewTable(conn.FromClient(counter), tb.name, WithSchema(batchSchema...))

	var n int
	for it, err := range tbc.BatchGet([]Key{keyFor(1), keyFor(2)}, Attributes("payload", "n")).All(context.Background()) {
		require.NoError(t, err)
		n++
		assert.NotNil(t, it.Get("pk"), "a projection keeps the table key")
		assert.NotNil(t, it.Get("payload"))
	}
	assert.Equal(t, 2, n)

	calls := counter.calls.Load()
	var ke *KeyError
	_, err := collectKeys(t, tbc.BatchGet([]Key{keyFor(1), {"pk": "x"}}))
	require.ErrorAs(t, err, &ke)
	assert.ErrorIs(t, err, ErrMissingKey)
	_, err = collectKeys(t, tbc.BatchGet([]Key{keyFor(1), {"pk": "x", "n": "one"}}))
	assert.ErrorIs(t, err, ErrInvalidKey)
	assert.Equal(t, calls, counter.calls.Load(), "no request for an invalid batch")
}

func TestBatchGetThroughFaultyProxy(t *testing.T) {
	t.Parallel()
	direct := testConn(t)
	tb := testTable(t, direct, batchSchema)
	want := loadItems(t, tb, 1000)
	p := newProxy(t, faultproxy.Config{Seed: 9, Partial: 0.3, Throttle: 0.1})
	viaProxy := NewTable(endpointConn(t, p.URL), tb.name, WithSchema(batchSchema...))
	var keys []Key
	for i := range 1000 {
		keys = append(keys, keyFor(i))
	}
	got, err := collectKeys(t, viaProxy.BatchGet(keys, MaxResends(60), Backoff(time.Millisecond, 10*time.Millisecond)))
	require.NoError(t, err)
	assert.Len(t, got, len(want))
	for k := range want {
		assert.Contains(t, got, k)
	}
	st := p.Stats()
	assert.Positive(t, st.Partial)
	assert.Positive(t, st.UnprocessedKeys)
	t.Logf("BatchGet of 1000 keys through the proxy: %+v", st)
}

func TestBatchGetBudgetRunsOut(t *testing.T) {
	t.Parallel()
	direct := testConn(t)
	tb := testTable(t, direct, batchSchema)
	loadItems(t, tb, 150)
	p := newProxy(t, faultproxy.Config{RefuseAll: true})
	viaProxy := NewTable(endpointConn(t, p.URL), tb.name, WithSchema(batchSchema...))
	var keys []Key
	var ids []string
	for i := range 150 {
		keys = append(keys, keyFor(i))
		ids = append(ids, keyOf(batchItem(i)))
	}
	got, err := collectKeys(t, viaProxy.BatchGet(keys, MaxResends(2), Backoff(0, 0)))
	var ue *UnprocessedError
	require.ErrorAs(t, err, &ue)
	assert.Empty(t, got)
	assert.ElementsMatch(t, ids, avKeys(ue.Keys))
	assert.Equal(t, int64(2*3), p.Stats().Refused, "two chunks, 1+2 sends each")
}

// fakeGets answers BatchGetItem from a map, leaving the first ask of every
// other key unprocessed, and fails for good when hard is set.
type fakeGets struct {
	conn.API
	items map[string]map[string]types.AttributeValue
	asked map[string]int
	hard  error
}

func (f *fakeGets) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if f.hard != nil {
		return nil, f.hard
	}
	return answerGets(in, f.items, f.asked, 2), nil
}

// answerGets answers a BatchGetItem from items, leaving the first ask of
// every nth key of a request unprocessed; asked counts the asks per key.
func answerGets(in *dynamodb.BatchGetItemInput, items map[string]map[string]types.AttributeValue, asked map[string]int, nth int) *dynamodb.BatchGetItemOutput {
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}, UnprocessedKeys: map[string]types.KeysAndAttributes{}}
	for table, ka := range in.RequestItems {
		var un []map[string]types.AttributeValue
		for i, k := range ka.Keys {
			id := keyString(batchSchema, k)
			asked[id]++
			if i%nth == 0 && asked[id] == 1 {
				un = append(un, k)
				continue
			}
			if it, ok := items[id]; ok {
				out.Responses[table] = append(out.Responses[table], it)
			}
		}
		if len(un) > 0 {
			out.UnprocessedKeys[table] = types.KeysAndAttributes{Keys: un}
		}
	}
	return out
}

func TestBatchGetRetriesAndHardErrors(t *testing.T) {
	t.Parallel()
	f := &fakeGets{items: map[string]map[string]types.AttributeValue{}, asked: map[string]int{}}
	var keys []Key
	for i := range 300 {
		av, err := marshalItem(batchItem(i))
		require.NoError(t, err)
		if i%3 != 0 {
			f.items[keyString(batchSchema, av)] = av
		}
		keys = append(keys, keyFor(i))
	}
	tb := NewTable(conn.FromClient(withSchemaOf(f, "fake", batchSchema)), "fake", WithSchema(batchSchema...))
	got, err := collectKeys(t, tb.BatchGet(keys, Backoff(0, 0)))
	require.NoError(t, err)
	assert.Len(t, got, 200)
	for id, n := range f.asked {
		assert.LessOrEqual(t, n, 2, "key %s asked at most twice", id)
	}

	f.hard = &types.ResourceNotFoundException{Message: ptr("no table")}
	got, err = collectKeys(t, tb.BatchGet(keys[:10]))
	var ue *UnprocessedError
	require.ErrorAs(t, err, &ue)
	assert.ErrorIs(t, err, ErrTableNotFound)
	assert.Len(t, ue.Keys, 10)
	assert.Empty(t, got)
}
