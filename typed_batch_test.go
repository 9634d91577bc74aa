package dynamap

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/faultproxy"
)

// typedFilm is a catalogue entry for bulk loads: versioned and stamped,
// without indexes.
type typedFilm struct {
	Year    int       `dynamodbav:"year" dynamap:"hash"`
	Title   string    `dynamodbav:"title" dynamap:"range"`
	Rating  float64   `dynamodbav:"rating"`
	Version int       `dynamodbav:"version" dynamap:"version"`
	Created time.Time `dynamodbav:"created" dynamap:"created"`
	Updated time.Time `dynamodbav:"updated" dynamap:"updated"`
}

func TestTypedBatchPut20000(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("year", N), RangeKey("title")})
	tt := TableOf[typedFilm](c, tbl.Name())
	const n = 20000
	films := make([]typedFilm, n)
	for i := range films {
		films[i] = typedFilm{Year: 1900 + i%100, Title: fmt.Sprintf("film %05d", i), Rating: float64(i%100) / 10}
	}
	var mu sync.Mutex
	var calls, lastWritten, lastPending int
	start := time.Now()
	err := tt.BatchPut(ctx, slices.Values(films), Concurrency(4), OnProgress(func(written, pending int) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if written < lastWritten {
			t.Errorf("OnProgress written went back from %d to %d", lastWritten, written)
		}
		lastWritten, lastPending = written, pending
	}))
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("BatchPut: %v", err)
	}
	t.Logf("BatchPut of %d items: %v (%d OnProgress calls)", n, elapsed, calls)
	if lastWritten != n || lastPending != 0 || calls < n/25 {
		t.Errorf("OnProgress: %d calls, last written %d pending %d; want >= %d calls ending at %d, 0", calls, lastWritten, lastPending, n/25, n)
	}
	// Nothing lost: every item is stored, version 1, stamped.
	count, err := tt.Scan(nil, Consistent(), Parallel(4)).Count(ctx)
	if err != nil || count != n {
		t.Fatalf("Scan Count = %d, %v; want %d", count, err, n)
	}
	got, err := tt.Query(Filter{"year__eq": 1950}, Consistent()).Collect(ctx)
	if err != nil || len(got) != n/100 {
		t.Fatalf("Query 1950 = %d items, %v", len(got), err)
	}
	for _, f := range got {
		if f.Version != 1 || f.Created.IsZero() || !f.Updated.Equal(f.Created) {
			t.Fatalf("stored %+v: want version 1 and timestamps", f)
		}
	}
	if films[0].Version != 0 || !films[0].Created.IsZero() {
		t.Errorf("BatchPut changed the caller's values: %+v", films[0])
	}
}

func TestTypedBatchWriteVersionsAndDeletes(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("year", N), RangeKey("title")})
	tt := TableOf[typedFilm](c, tbl.Name())
	a := typedFilm{Year: 2000, Title: "a"}
	if err := tt.Put(ctx, &a); err != nil {
		t.Fatal(err)
	}
	created := a.Created
	a.Version = 5 // batch puts carry no condition: v is written as v+1
	b := tt.BatchWrite()
	if err := b.Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, typedFilm{Year: 2000, Title: "b"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Batch().PutItem(ctx, map[string]any{"year": 2000, "title": "c"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := tt.Get(ctx, Key{"year": 2000, "title": "a"}, Consistent())
	if err != nil || got.Version != 6 || !got.Created.Equal(created) || !got.Updated.After(created) {
		t.Errorf("batch put of version 5 stored %+v, %v; want version 6, created kept, updated later", got, err)
	}

	d := tt.BatchWrite()
	if err := d.Delete(ctx, typedFilm{Year: 2000, Title: "a", Version: 99}); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteKey(ctx, Key{"year": 2000, "title": "b"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, typedFilm{Year: 2000}); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("batch put with an empty key: %v, want ErrInvalidKey", err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	left, err := tt.Scan(nil, Consistent()).Collect(ctx)
	if err != nil || len(left) != 1 || left[0].Title != "c" {
		t.Errorf("after deletes: %+v, %v", left, err)
	}
}

func TestTypedBatchPutStopsAtABadItem(t *testing.T) {
	ctx := context.Background()
	var rc requestCounter
	c := testConn(t, rc.option)
	tbl := testTable(t, c, []KeyField{HashKey("year", N), RangeKey("title")})
	tt := TableOf[typedFilm](c, tbl.Name())
	consumed := 0
	items := iter.Seq[typedFilm](func(yield func(typedFilm) bool) {
		for i := range 40 {
			consumed++
			f := typedFilm{Year: 1, Title: fmt.Sprint(i)}
			if i == 30 {
				f.Title = "" // refused
			}
			if !yield(f) {
				return
			}
		}
	})
	err := tt.BatchPut(ctx, items)
	if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), "item 30") {
		t.Fatalf("BatchPut: %v, want ErrInvalidKey naming item 30", err)
	}
	if consumed != 31 {
		t.Errorf("consumed %d items, want 31 (stop at the bad one)", consumed)
	}
	n, err := tt.Scan(nil, Consistent()).Count(ctx)
	if err != nil || n != 30 {
		t.Errorf("stored %d, %v; want the 30 items before the bad one", n, err)
	}
}

// unprocessedPuts gathers the puts of every *UnprocessedError in err's tree.
func unprocessedPuts(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if ue, ok := e.(*UnprocessedError); ok {
			for _, p := range ue.Puts {
				out = append(out, keyString([]KeyField{HashKey("year", N), RangeKey("title")}, p))
			}
		}
		switch x := e.(type) {
		case interface{ Unwrap() []error }:
			for _, c := range x.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			walk(x.Unwrap())
		}
	}
	walk(err)
	slices.Sort(out)
	return out
}

func TestTypedBatchPutRefusedLosesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("year", N), RangeKey("title")})
	p := newProxy(t, faultproxy.Config{RefuseAll: true})
	tt := TableOf[typedFilm](endpointConn(t, p.URL), tbl.Name())
	var handed []string
	items := iter.Seq[typedFilm](func(yield func(typedFilm) bool) {
		for i := range 200 {
			f := typedFilm{Year: 7, Title: fmt.Sprintf("t%03d", i)}
			handed = append(handed, keyString([]KeyField{HashKey("year", N), RangeKey("title")}, map[string]types.AttributeValue{
				"year": &types.AttributeValueMemberN{Value: "7"}, "title": &types.AttributeValueMemberS{Value: f.Title}}))
			if !yield(f) {
				return
			}
		}
	})
	err := tt.BatchPut(ctx, items, MaxResends(1), Backoff(time.Millisecond, time.Millisecond), Concurrency(2))
	if !errors.Is(err, ErrUnprocessed) {
		t.Fatalf("BatchPut through a refusing proxy: %v, want ErrUnprocessed", err)
	}
	slices.Sort(handed)
	if got := unprocessedPuts(err); !slices.Equal(got, handed) {
		t.Errorf("the error lists %d puts, %d items were handed over: every one must be listed once", len(got), len(handed))
	}
	if n, err := NewTable(testConn(t), tbl.Name()).Scan(nil, Consistent()).Count(ctx); err != nil || n != 0 {
		t.Errorf("stored %d, %v", n, err)
	}
}
