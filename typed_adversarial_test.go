package dynamap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// Adversarial probes of TableOf[T] through the public surface (issue 11).

// advDoc is one model of a table that another model (advOther) shares.
type advDoc struct {
	PK    string `dynamodbav:"pk" dynamap:"hash"`
	SK    string `dynamodbav:"sk" dynamap:"range"`
	Title string `dynamodbav:"title"`
	Note  string `dynamodbav:"note,omitempty"`
}

type advOther struct {
	PK    string `dynamodbav:"pk" dynamap:"hash"`
	SK    string `dynamodbav:"sk" dynamap:"range"`
	Title string `dynamodbav:"title"`
	Extra string `dynamodbav:"extra"`
	Count int    `dynamodbav:"count"`
}

func advTable(t *testing.T, rc *requestCounter) (*Table, context.Context) {
	t.Helper()
	c := testConn(t)
	if rc != nil {
		c = testConn(t, rc.option)
	}
	return testTable(t, c, []KeyField{HashKey("pk"), RangeKey("sk")}), context.Background()
}

// Reserved words and names with dots and brackets are attribute names, not
// paths, in Put, Modify and Query.
type advNames struct {
	ID     string `dynamodbav:"id.x" dynamap:"hash"`
	Sort   int    `dynamodbav:"size" dynamap:"range"`
	Dotted string `dynamodbav:"a.b"`
	Brack  string `dynamodbav:"c[0]"`
	Name   string `dynamodbav:"name"`
	Hash   string `dynamodbav:"#x"`
	Colon  string `dynamodbav:":v"`
	Ver    int    `dynamodbav:"ver.sion" dynamap:"version"`
}

func TestAdvOddNames(t *testing.T) {
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id.x"), RangeKey("size", N)})
	ctx := context.Background()
	tt := TableOf[advNames](c, tbl.Name())
	v := advNames{ID: "i", Sort: 1, Dotted: "d", Brack: "b", Name: "n", Hash: "h", Colon: "c"}
	if err := tt.Put(ctx, &v); err != nil {
		t.Fatal(err)
	}
	got, err := tt.Modify(ctx, Key{"id.x": "i", "size": 1}, func(v *advNames) error {
		v.Dotted, v.Brack, v.Name, v.Hash, v.Colon = "d2", "b2", "n2", "h2", "c2"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := advNames{ID: "i", Sort: 1, Dotted: "d2", Brack: "b2", Name: "n2", Hash: "h2", Colon: "c2", Ver: 2}
	if got != want {
		t.Errorf("Modify = %+v", got)
	}
	read, err := tt.Get(ctx, Key{"id.x": "i", "size": 1}, Consistent())
	if err != nil || read != want {
		t.Errorf("Get = %+v, %v; want %+v", read, err, want)
	}
	n, err := tt.Query(Filter{"id.x__eq": "i", "size__gte": 1}).Collect(ctx)
	if err != nil || len(n) != 1 || n[0] != want {
		t.Errorf("Query = %+v, %v", n, err)
	}
	if err := tt.Delete(ctx, &v); !errors.Is(err, ErrConditionalCheckFailed) {
		t.Errorf("Delete of a stale version: %v", err)
	}
	if err := tt.Delete(ctx, &read); err != nil {
		t.Errorf("Delete: %v", err)
	}
}

// []byte hash and Number / uint range keys through every entry point.
type advBinKey struct {
	ID   []byte `dynamodbav:"id" dynamap:"hash"`
	N    Number `dynamodbav:"n" dynamap:"range"`
	U    uint64 `dynamodbav:"u,omitempty" dynamap:"hash:ByU"`
	Body string `dynamodbav:"body"`
}

func TestAdvBinaryNumberKeys(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	tt, err := CreateTableOf[advBinKey](ctx, c, testTableName(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tt.Table().DeleteTable(context.Background()) })
	if err := tt.Table().WaitActive(ctx); err != nil {
		t.Fatal(err)
	}
	id := []byte{0, 1, 2, 255}
	v := advBinKey{ID: id, N: "12345678901234567890123456789012345678", U: 18446744073709551615, Body: "x"}
	if err := tt.Put(ctx, &v); err != nil {
		t.Fatal(err)
	}
	id[0] = 9 // the caller's slice: the stored key must not follow it
	key := Key{"id": []byte{0, 1, 2, 255}, "n": Number("12345678901234567890123456789012345678")}
	got, err := tt.Get(ctx, key, Consistent())
	if err != nil || got.U != v.U || got.Body != "x" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	got, err = tt.Lookup(ctx, []byte{0, 1, 2, 255}, Number("12345678901234567890123456789012345678"))
	if err != nil || got.Body != "x" {
		t.Fatalf("Lookup = %+v, %v", got, err)
	}
	m, err := tt.Modify(ctx, key, func(v *advBinKey) error { v.Body = "y"; v.U = 0; return nil })
	if err != nil || m.Body != "y" || m.U != 0 {
		t.Fatalf("Modify = %+v, %v", m, err)
	}
	all, err := tt.BatchGet([]Key{key, key, {"id": []byte{7}, "n": 1}}).Collect(ctx)
	if err != nil || len(all) != 1 || all[0].Body != "y" {
		t.Errorf("BatchGet with a duplicate and a missing key = %+v, %v", all, err)
	}
	if err := tt.Delete(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if _, err := tt.Get(ctx, key, Consistent()); !errors.Is(err, ErrItemNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
}

// A canceled context is reported as such, and the struct is unchanged.
func TestAdvCanceledContext(t *testing.T) {
	tt := typedMovies(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := tt.Get(ctx, Key{"year": 1, "title": "x"}); err != nil && !errors.Is(err, ErrItemNotFound) {
		t.Fatal(err)
	}
	cancel()
	m := typedMovie{Year: 1, Title: "x", Genre: "g", Rating: 1}
	if err := tt.Put(ctx, &m); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a canceled ctx: %v", err)
	}
	if m.Version != 0 || !m.Created.IsZero() {
		t.Errorf("failed Put changed the struct: %+v", m)
	}
	if _, err := tt.Modify(ctx, Key{"year": 1, "title": "x"}, func(*typedMovie) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Modify with a canceled ctx: %v", err)
	}
	if err := tt.BatchPut(ctx, slices.Values([]typedMovie{m})); !errors.Is(err, context.Canceled) {
		t.Errorf("BatchPut with a canceled ctx: %v", err)
	}
	for _, err := range tt.Scan(nil).All(ctx) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Scan with a canceled ctx: %v", err)
		}
	}
}

// BatchGet of more than 100 keys, with duplicates and missing ones.
func TestAdvBatchGetManyKeys(t *testing.T) {
	tbl, ctx := advTable(t, nil)
	docs := TableOf[advDoc](tbl.Conn(), tbl.Name())
	var all []advDoc
	for i := range 150 {
		all = append(all, advDoc{PK: "p", SK: fmt.Sprintf("%03d", i), Title: "t"})
	}
	if err := docs.BatchPut(ctx, slices.Values(all)); err != nil {
		t.Fatal(err)
	}
	var keys []Key
	for i := range 250 {
		keys = append(keys, Key{"pk": "p", "sk": fmt.Sprintf("%03d", i%200)})
	}
	got, err := docs.BatchGet(keys).Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, d := range got {
		seen[d.SK]++
	}
	if len(seen) != 150 {
		t.Errorf("BatchGet found %d distinct items, want 150", len(seen))
	}
	n, err := docs.BatchGet(keys).Count(ctx)
	if err != nil || n != int64(len(got)) {
		t.Errorf("Count = %d, %v; Collect found %d", n, err, len(got))
	}
}

// Modify: updated moves only when something changed; created is kept.
func TestAdvModifyTimestamps(t *testing.T) {
	tt := typedMovies(t, nil)
	ctx := context.Background()
	m := typedMovie{Year: 2, Title: "x", Genre: "g", Rating: 1}
	if err := tt.Put(ctx, &m); err != nil {
		t.Fatal(err)
	}
	key := Key{"year": 2, "title": "x"}
	same, err := tt.Modify(ctx, key, func(*typedMovie) error { return nil })
	if err != nil || !same.Updated.Equal(m.Updated) || same.Version != 1 {
		t.Errorf("no-op Modify = %+v, %v", same, err)
	}
	time.Sleep(2 * time.Millisecond)
	ch, err := tt.Modify(ctx, key, func(m *typedMovie) error { m.Rating = 2; return nil })
	if err != nil || !ch.Updated.After(m.Updated) || !ch.Created.Equal(m.Created) || ch.Version != 2 {
		t.Errorf("Modify = %+v, %v (put %+v)", ch, err, m)
	}
	read, err := tt.Get(ctx, key, Consistent())
	if err != nil || !read.Updated.Equal(ch.Updated) || read.Version != 2 {
		t.Errorf("Get = %+v, %v; Modify returned %+v", read, err, ch)
	}
}
