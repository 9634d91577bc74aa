package dynamap

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestTypedCreateTableOfRoundTripsThroughDescribe(t *testing.T) {
	ctx := context.Background()
	tt := typedMovies(t, nil)
	// A fresh Table learns everything from DescribeTable.
	fresh := NewTable(tt.Table().Conn(), tt.Table().Name())
	d, err := fresh.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := fresh.Schema(ctx)
	if want := []KeyField{HashKey("year", N), RangeKey("title", S)}; !slices.Equal(keys, want) {
		t.Errorf("keys = %v, want %v", keys, want)
	}
	ixs, _ := fresh.Indexes(ctx)
	var got []string
	for _, ix := range ixs {
		got = append(got, indexString(ix))
	}
	slices.Sort(got)
	want := []string{
		"global [genre (HASH S), rating (RANGE N)] projecting ALL",
		"local [year (HASH N), studio (RANGE S)] projecting ALL",
	}
	if !slices.Equal(got, want) {
		t.Errorf("indexes = %q, want %q", got, want)
	}
	if d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing = %+v, want on-demand", d.BillingModeSummary)
	}
	ttl, err := fresh.DescribeTTL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ttl.Attribute != "expires" || ttl.Status != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL = %+v, want expires ENABLED", ttl)
	}
	// TableOf over the created table agrees with it.
	if _, err := TableOf[typedMovie](fresh.Conn(), fresh.Name()).Scan(nil).Count(ctx); err != nil {
		t.Errorf("TableOf over the created table: %v", err)
	}
}

func TestTypedCreateTableOfOptions(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	name := testTableName(t)
	// An index given with WithIndexes replaces the tagged one (projection);
	// throughput and stream apply.
	tt, err := CreateTableOf[typedMovie](ctx, c, name,
		WithIndexes(GlobalKeysOnlyIndex("ByGenre", HashKey("genre"), RangeKey("rating", N))),
		WithThroughput(5, 5), WithStream(NewImage))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tt.Table().DeleteTable(context.Background()) })
	d, err := NewTable(c, name).Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.GlobalSecondaryIndexes) != 1 || d.GlobalSecondaryIndexes[0].Projection.ProjectionType != types.ProjectionTypeKeysOnly {
		t.Errorf("GSIs = %+v", d.GlobalSecondaryIndexes)
	}
	if len(d.LocalSecondaryIndexes) != 1 || d.ProvisionedThroughput == nil || deref(d.ProvisionedThroughput.ReadCapacityUnits) != 5 {
		t.Errorf("LSIs %d, throughput %+v", len(d.LocalSecondaryIndexes), d.ProvisionedThroughput)
	}
	if d.StreamSpecification == nil || d.StreamSpecification.StreamViewType != types.StreamViewTypeNewImage {
		t.Errorf("stream = %+v", d.StreamSpecification)
	}
	// The keys-only index still checks out (projection is not part of the check).
	m := typedMovie{Year: 1, Title: "a", Genre: "g", Rating: 2}
	if err := tt.Put(ctx, &m); err != nil {
		t.Fatal(err)
	}
	ms, err := tt.Query(Filter{"genre__eq": "g"}, Index("ByGenre")).Collect(ctx)
	if err != nil || len(ms) != 1 || ms[0].Version != 0 || ms[0].Title != "a" {
		t.Errorf("keys-only index query = %+v, %v", ms, err)
	}
}

func TestTypedSchemaMismatchCheckedOnce(t *testing.T) {
	ctx := context.Background()
	var rc requestCounter
	c := testConn(t, rc.option)
	// year is a string here; the model says a number.
	tbl := testTable(t, c, []KeyField{HashKey("year"), RangeKey("title")})
	before := rc.total()
	describes := rc.count("DescribeTable")
	tt := TableOf[typedMovie](c, tbl.Name())
	if rc.total() != before {
		t.Fatal("TableOf sent a request")
	}
	calls := map[string]func() error{
		"Get":    func() error { _, err := tt.Get(ctx, Key{"year": 1, "title": "a"}); return err },
		"Lookup": func() error { _, err := tt.Lookup(ctx, 1, "a"); return err },
		"Put":    func() error { return tt.Put(ctx, &typedMovie{Year: 1, Title: "a", Genre: "g"}) },
		"Query":  func() error { _, err := tt.Query(Filter{"year__eq": 1}).Collect(ctx); return err },
		"Scan":   func() error { _, err := tt.Scan(nil).Count(ctx); return err },
		"BatchPut": func() error {
			return tt.BatchPut(ctx, slices.Values([]typedMovie{{Year: 1, Title: "a", Genre: "g"}}))
		},
		"BatchGet":  func() error { _, err := tt.BatchGet([]Key{{"year": 1, "title": "a"}}).Collect(ctx); return err },
		"Delete":    func() error { return tt.Delete(ctx, &typedMovie{Year: 1, Title: "a"}) },
		"DeleteKey": func() error { return tt.DeleteKey(ctx, Key{"year": 1, "title": "a"}) },
	}
	for _, name := range slices.Sorted(maps.Keys(calls)) {
		err := calls[name]()
		var me *SchemaMismatchError
		if !errors.As(err, &me) || !errors.Is(err, ErrSchema) {
			t.Errorf("%s: %v, want *SchemaMismatchError", name, err)
			continue
		}
		if !strings.Contains(me.Declared, "year (HASH N)") || !strings.Contains(me.Actual, "year (HASH S)") {
			t.Errorf("%s: declared %q, actual %q: want both sides", name, me.Declared, me.Actual)
		}
	}
	if n := rc.total() - before; n != 1 {
		t.Errorf("%d requests, want the one DescribeTable", n)
	}
	if n := rc.count("DescribeTable") - describes; n != 1 {
		t.Errorf("%d DescribeTable requests, want 1", n)
	}
}

func TestTypedIndexMismatch(t *testing.T) {
	ctx := context.Background()
	var rc requestCounter
	c := testConn(t, rc.option)
	// Right table keys; ByGenre keyed on genre only, ByStudio missing.
	tbl := testTable(t, c, []KeyField{HashKey("year", N), RangeKey("title")},
		WithIndexes(GlobalAllIndex("ByGenre", HashKey("genre")), GlobalAllIndex("Other", HashKey("x"))))
	before := rc.total()
	tt := TableOf[typedMovie](c, tbl.Name())
	for range 3 {
		_, err := tt.Get(ctx, Key{"year": 1, "title": "a"})
		var me *SchemaMismatchError
		if !errors.As(err, &me) {
			t.Fatalf("Get: %v, want *SchemaMismatchError", err)
		}
		if !strings.Contains(me.What, `"ByGenre"`) || me.Declared != "global [genre (HASH S), rating (RANGE N)]" || me.Actual != "global [genre (HASH S)]" {
			t.Errorf("mismatch = %+v", me)
		}
	}
	if n := rc.total() - before; n != 1 {
		t.Errorf("%d requests, want one DescribeTable", n)
	}

	// A model naming a missing index.
	type studioOnly struct {
		Year   int    `dynamodbav:"year" dynamap:"hash"`
		Title  string `dynamodbav:"title" dynamap:"range"`
		Studio string `dynamodbav:"studio" dynamap:"range:ByStudio,local"`
	}
	_, err := TableOf[studioOnly](c, tbl.Name()).Get(ctx, Key{"year": 1, "title": "a"})
	var me *SchemaMismatchError
	if !errors.As(err, &me) || me.Actual != "absent" || me.Declared != "local [year (HASH N), studio (RANGE S)]" {
		t.Errorf("missing index: %v", err)
	}

	// A model naming fewer indexes than the table has is fine.
	type keysOnly struct {
		Year  int    `dynamodbav:"year" dynamap:"hash"`
		Title string `dynamodbav:"title" dynamap:"range"`
	}
	if _, err := TableOf[keysOnly](c, tbl.Name()).Get(ctx, Key{"year": 1, "title": "a"}); !errors.Is(err, ErrItemNotFound) {
		t.Errorf("model without indexes: %v, want ErrItemNotFound", err)
	}
}

func TestTypedBadModelSendsNothing(t *testing.T) {
	ctx := context.Background()
	type noHash struct {
		A string `dynamap:"range"`
	}
	type boolKey struct {
		A bool `dynamap:"hash"`
	}
	type floatVersion struct {
		H string  `dynamap:"hash"`
		V float64 `dynamap:"version"`
	}
	type unknownWord struct {
		H string `dynamap:"hash,sortkey"`
	}
	var rc requestCounter
	c := testConn(t, rc.option)
	check := func(name, field string, err error) {
		t.Helper()
		var me *ModelError
		if !errors.As(err, &me) || !errors.Is(err, ErrSchema) || me.Field != field {
			t.Errorf("%s: %v, want *ModelError on field %q", name, err, field)
			return
		}
		if !strings.HasPrefix(err.Error(), "dynamap: model dynamap.") || strings.Count(err.Error(), "dynamap: ") != 1 {
			t.Errorf("%s: message %q", name, err)
		}
	}
	runAll := func(name, field string, calls ...func() error) {
		for _, call := range calls {
			check(name, field, call())
		}
	}
	{
		tt := TableOf[noHash](c, "never")
		_, err := CreateTableOf[noHash](ctx, c, "never")
		check("noHash CreateTableOf", "", err)
		runAll("noHash", "",
			func() error { _, err := tt.Get(ctx, Key{"A": "x"}); return err },
			func() error { return tt.Put(ctx, &noHash{A: "x"}) },
			func() error { _, err := tt.Query(Filter{"A__eq": "x"}).Collect(ctx); return err },
			func() error { _, err := tt.Scan(nil).Count(ctx); return err },
			func() error { return tt.BatchPut(ctx, slices.Values([]noHash{{A: "x"}})) },
			func() error { return tt.BatchWrite().Put(ctx, noHash{A: "x"}) },
			func() error { return tt.DeleteKey(ctx, Key{"A": "x"}) },
		)
	}
	{
		_, err := TableOf[boolKey](c, "never").Lookup(ctx, true)
		check("boolKey", "A", err)
		_, err = CreateTableOf[floatVersion](ctx, c, "never")
		check("floatVersion", "V", err)
		err = TableOf[unknownWord](c, "never").Delete(ctx, &unknownWord{H: "x"})
		check("unknownWord", "H", err)
	}
	if n := rc.total(); n != 0 {
		t.Errorf("bad models sent %d requests", n)
	}
}
