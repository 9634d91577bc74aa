package dynamap

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// jsonMovie is modelled through json tags: under WithCodec(TagKey "json")
// its attribute names are the json ones, which differ from the Go names
// and from the dynamodbav ones (that json overrides).
type jsonMovie struct {
	Year    int       `dynamodbav:"year" json:"yr" dynamap:"hash"`
	Title   string    `json:"t" dynamap:"range"`
	Genre   string    `json:"g" dynamap:"hash:ByGenre"`
	Rating  float64   `json:"r" dynamap:"range:ByGenre"`
	Studio  string    `json:"s,omitempty" dynamap:"range:ByStudio,local"`
	Rev     int64     `dynamodbav:"version" json:"rev" dynamap:"version"`
	Created time.Time `json:"cr" dynamap:"created"`
	Updated time.Time `json:"up" dynamap:"updated"`
	Expires time.Time `json:"exp,unixtime" dynamap:"ttl"`
	Note    string    `dynamodbav:"note" json:"-"` // json's "-" wins: not stored
}

// millisCodec is a json codec that stores times as N milliseconds: created
// and updated follow it, the ttl (unixtime) stays in epoch seconds.
func millisCodec() TableOption {
	return WithCodec(CodecOptions{
		TagKey: "json",
		EncodeTime: func(t time.Time) (types.AttributeValue, error) {
			return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.UnixMilli(), 10)}, nil
		},
		DecodeTime: attributevalue.DecodeTimeAttributes{N: func(s string) (time.Time, error) {
			ms, err := strconv.ParseInt(s, 10, 64)
			return time.UnixMilli(ms).UTC(), err
		}},
	})
}

func TestTypedCodecJSONTagsRoundTrip(t *testing.T) {
	ctx := context.Background()
	var rc requestCounter
	c := testConn(t, rc.option)
	name := testTableName(t)
	created, err := CreateTableOf[jsonMovie](ctx, c, name, millisCodec())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = created.Table().DeleteTable(context.Background()) })

	// Describe: keys, indexes and TTL carry the json names.
	fresh := NewTable(c, name)
	keys, err := fresh.Schema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []KeyField{HashKey("yr", N), RangeKey("t", S)}; !slices.Equal(keys, want) {
		t.Errorf("keys = %v, want %v", keys, want)
	}
	ixs, err := fresh.Indexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ix := range ixs {
		got = append(got, ix.Name+" "+indexString(ix))
	}
	slices.Sort(got)
	want := []string{
		"ByGenre global [g (HASH S), r (RANGE N)] projecting ALL",
		"ByStudio local [yr (HASH N), s (RANGE S)] projecting ALL",
	}
	if !slices.Equal(got, want) {
		t.Errorf("indexes = %q, want %q", got, want)
	}
	ttl, err := fresh.DescribeTTL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ttl.Attribute != "exp" || ttl.Status != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL = %+v, want exp ENABLED", ttl)
	}

	// TableOf with the same codec options agrees with the table.
	tt := TableOf[jsonMovie](c, name, millisCodec())
	expires := time.Unix(2000000000, 0).UTC()
	m := jsonMovie{Year: 1995, Title: "Heat", Genre: "crime", Rating: 8.3, Studio: "WB", Expires: expires, Note: "not stored"}
	if err := tt.Put(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if m.Rev != 1 || m.Created.IsZero() || !m.Updated.Equal(m.Created) {
		t.Fatalf("after Put: rev %d created %v updated %v, want 1 and both set", m.Rev, m.Created, m.Updated)
	}
	dup := m
	dup.Rev = 0
	if err := tt.Put(ctx, &dup); !errors.Is(err, ErrConditionalCheckFailed) {
		t.Errorf("second Put of a new versioned item: %v, want ErrConditionalCheckFailed", err)
	}

	// The stored item: json names only, times as the codec says.
	raw, err := fresh.GetItem(ctx, Key{"yr": 1995, "t": "Heat"})
	if err != nil {
		t.Fatal(err)
	}
	attrs := slices.Sorted(maps.Keys(raw.data))
	if w := []string{"cr", "exp", "g", "r", "rev", "s", "t", "up", "yr"}; !slices.Equal(attrs, w) {
		t.Errorf("stored attributes %v, want %v", attrs, w)
	}
	if n, ok := raw.data["exp"].(*types.AttributeValueMemberN); !ok || n.Value != "2000000000" {
		t.Errorf("exp = %#v, want N 2000000000 (epoch seconds)", raw.data["exp"])
	}
	if n, ok := raw.data["cr"].(*types.AttributeValueMemberN); !ok || n.Value != strconv.FormatInt(m.Created.UnixMilli(), 10) {
		t.Errorf("cr = %#v, want N %d (EncodeTime's milliseconds)", raw.data["cr"], m.Created.UnixMilli())
	}

	want1 := m
	want1.Note = ""
	check := func(what string, got jsonMovie, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !sameMovie(got, want1) {
			t.Errorf("%s = %+v, want %+v", what, got, want1)
		}
	}
	g, err := tt.Get(ctx, Key{"yr": 1995, "t": "Heat"}, Consistent())
	check("Get", g, err)
	g, err = tt.Lookup(ctx, 1995, "Heat")
	check("Lookup", g, err)
	q, err := tt.Query(Filter{"yr__eq": 1995}).Collect(ctx)
	if len(q) != 1 {
		t.Fatalf("Query = %d items, %v", len(q), err)
	}
	check("Query", q[0], err)
	q, err = tt.Query(Filter{"g__eq": "crime", "r__gt": 8}, Index("ByGenre")).Collect(ctx)
	if len(q) != 1 {
		t.Fatalf("Query ByGenre = %d items, %v", len(q), err)
	}
	check("Query ByGenre", q[0], err)
	q, err = tt.Query(Filter{"yr__eq": 1995, "s__eq": "WB"}, Index("ByStudio")).Collect(ctx)
	if len(q) != 1 {
		t.Fatalf("Query ByStudio = %d items, %v", len(q), err)
	}
	check("Query ByStudio", q[0], err)

	// The version goes on; a stale version fails; Delete checks it.
	stale := m
	m.Rating = 8.4
	if err := tt.Put(ctx, &m); err != nil || m.Rev != 2 {
		t.Fatalf("Put at rev 1: %v, rev %d", err, m.Rev)
	}
	if err := tt.Put(ctx, &stale); !errors.Is(err, ErrConditionalCheckFailed) {
		t.Errorf("stale Put: %v, want ErrConditionalCheckFailed", err)
	}
	if err := tt.Delete(ctx, &stale); !errors.Is(err, ErrConditionalCheckFailed) {
		t.Errorf("stale Delete: %v, want ErrConditionalCheckFailed", err)
	}
	if err := tt.Delete(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if _, err := tt.Get(ctx, Key{"yr": 1995, "t": "Heat"}, Consistent()); !errors.Is(err, ErrItemNotFound) {
		t.Errorf("Get after Delete: %v, want ErrItemNotFound", err)
	}

	// Under the default codec the same struct is another model: json
	// tags are not read, so its ttl is not unixtime.
	before := rc.total()
	_, err = TableOf[jsonMovie](c, name).Get(ctx, Key{"year": 1995, "Title": "Heat"})
	var me *ModelError
	if !errors.As(err, &me) || me.Field != "Expires" || !errors.Is(err, ErrSchema) {
		t.Errorf("default codec: %v, want a *ModelError for Expires", err)
	}
	if n := rc.total() - before; n != 0 {
		t.Errorf("the bad model sent %d requests", n)
	}
}

// sameMovie compares two jsonMovies, their times as instants.
func sameMovie(a, b jsonMovie) bool {
	if !a.Created.Equal(b.Created) || !a.Updated.Equal(b.Updated) || !a.Expires.Equal(b.Expires) {
		return false
	}
	a.Created, a.Updated, a.Expires = b.Created, b.Updated, b.Expires
	return a == b
}

// jsonHidden carries a dynamap tag on a field the json codec ignores.
type jsonHidden struct {
	ID   string `json:"id" dynamap:"hash"`
	Sort string `dynamodbav:"sort" json:"-" dynamap:"range"`
}

func TestTypedCodecIgnoredRoleFieldIsModelError(t *testing.T) {
	ctx := context.Background()
	var rc requestCounter
	c := testConn(t, rc.option)
	name := testTableName(t)
	isModelError := func(what string, err error) {
		t.Helper()
		var me *ModelError
		if !errors.As(err, &me) || me.Field != "Sort" || !errors.Is(err, ErrSchema) {
			t.Errorf("%s: %v, want a *ModelError for Sort", what, err)
		}
	}
	_, err := CreateTableOf[jsonHidden](ctx, c, name, WithCodec(CodecOptions{TagKey: "json"}))
	isModelError("CreateTableOf", err)
	tt := TableOf[jsonHidden](c, name, WithCodec(CodecOptions{TagKey: "json"}))
	_, err = tt.Get(ctx, Key{"id": "a"})
	isModelError("Get", err)
	isModelError("Put", tt.Put(ctx, &jsonHidden{ID: "a"}))
	_, err = tt.Query(Filter{"id__eq": "a"}).Collect(ctx)
	isModelError("Query", err)
	if n := rc.total(); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
	// Under the default codec the field is stored, and the model is good.
	if tt := TableOf[jsonHidden](c, name); tt.err != nil || tt.m.Range.Attr != "sort" {
		t.Errorf("default codec: %v", tt.err)
	}
}

// codecPair is one struct stored by two tables with different codecs.
type codecPair struct {
	ID      string    `dynamodbav:"id" json:"pk" dynamap:"hash"`
	Rev     int64     `dynamodbav:"version" json:"rev" dynamap:"version"`
	Updated time.Time `dynamodbav:"updated" json:"upd" dynamap:"updated"`
	Body    string    `dynamodbav:"body" json:"b"`
}

func TestTypedCodecTwoCodecsOneType(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	jsonCodec := WithCodec(CodecOptions{TagKey: "json"})
	plain, err := CreateTableOf[codecPair](ctx, c, testTableName(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = plain.Table().DeleteTable(context.Background()) })
	js, err := CreateTableOf[codecPair](ctx, c, testTableName(t), jsonCodec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = js.Table().DeleteTable(context.Background()) })
	if plain.m == js.m || plain.m.Hash.Attr != "id" || js.m.Hash.Attr != "pk" {
		t.Fatalf("models: plain hash %q, json hash %q (one model: %v)", plain.m.Hash.Attr, js.m.Hash.Attr, plain.m == js.m)
	}
	if err := plain.Table().WaitActive(ctx); err != nil {
		t.Fatal(err)
	}
	if err := js.Table().WaitActive(ctx); err != nil {
		t.Fatal(err)
	}

	// Both in parallel, each through its own codec.
	tables := []struct {
		tt    *TypedTable[codecPair]
		key   string
		attrs []string
	}{
		{plain, "id", []string{"body", "id", "updated", "version"}},
		{TableOf[codecPair](c, js.Table().Name(), jsonCodec), "pk", []string{"b", "pk", "rev", "upd"}},
	}
	var wg sync.WaitGroup
	errs := make([]error, len(tables)*10)
	for ti, tb := range tables {
		for i := range 10 {
			wg.Go(func() {
				v := codecPair{ID: strconv.Itoa(i), Body: tb.key}
				if err := tb.tt.Put(ctx, &v); err != nil {
					errs[ti*10+i] = err
					return
				}
				got, err := tb.tt.Get(ctx, Key{tb.key: v.ID}, Consistent())
				if err == nil && (!got.Updated.Equal(v.Updated) || got.ID != v.ID || got.Rev != v.Rev || got.Body != v.Body) {
					err = errors.New("Get " + v.ID + " differs from what Put stored")
				}
				errs[ti*10+i] = err
			})
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		raw, err := tb.tt.Table().GetItem(ctx, Key{tb.key: "3"})
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Sorted(maps.Keys(raw.data)); !slices.Equal(got, tb.attrs) {
			t.Errorf("%s stores %v, want %v", tb.tt.Table().Name(), got, tb.attrs)
		}
		n, err := tb.tt.Scan(nil).Count(ctx)
		if err != nil || n != 10 {
			t.Errorf("%s holds %d items (%v), want 10", tb.tt.Table().Name(), n, err)
		}
	}

	// The json model over the plain table disagrees with it, named.
	_, err = TableOf[codecPair](c, plain.Table().Name(), jsonCodec).Get(ctx, Key{"pk": "1"})
	var sm *SchemaMismatchError
	if !errors.As(err, &sm) {
		t.Errorf("json model over the plain table: %v, want a *SchemaMismatchError", err)
	}
}
