package dynamap

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestAdvReadsResumeAndDecodeErrors(t *testing.T) {
	var rc requestCounter
	tbl, ctx := advTable(t, &rc)
	docs := TableOf[advDoc](tbl.Conn(), tbl.Name())
	var all []advDoc
	for i := range 30 {
		all = append(all, advDoc{PK: "p", SK: fmt.Sprintf("%02d", i), Title: "t"})
	}
	if err := docs.BatchPut(ctx, slices.Values(all), Concurrency(3)); err != nil {
		t.Fatal(err)
	}
	// Break after 7 with Prefetch and RateLimit; resume from the cursor.
	r := docs.Query(Filter{"pk__eq": "p"}, PageSize(4), Prefetch(2), RateLimit(1000))
	var first []string
	for d, err := range r.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		first = append(first, d.SK)
		if len(first) == 7 {
			break
		}
	}
	rest, err := docs.Query(Filter{"pk__eq": "p"}, StartFrom(r.Cursor()), PageSize(5)).Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	got = append(got, first...)
	for _, d := range rest {
		got = append(got, d.SK)
	}
	var want []string
	for _, d := range all {
		want = append(want, d.SK)
	}
	if !slices.Equal(got, want) {
		t.Errorf("break at 7 then resume = %v", got)
	}
	// An item that does not decode: a *ValueError, items before it kept.
	if err := tbl.PutItem(ctx, map[string]any{"pk": "p", "sk": "15x", "title": []any{1, 2}}); err != nil {
		t.Fatal(err)
	}
	ds, err := docs.Query(Filter{"pk__eq": "p"}, PageSize(4)).Collect(ctx)
	var ve *ValueError
	if !errors.As(err, &ve) || len(ds) != 16 {
		t.Errorf("Collect over a bad item = %d items, %v; want 16 and a *ValueError", len(ds), err)
	}
	n := 0
	for _, err := range docs.Scan(nil, Parallel(3)).All(ctx) {
		if err != nil {
			if !errors.As(err, &ve) {
				t.Errorf("Scan Parallel: %v", err)
			}
			n++
		}
	}
	if n != 1 {
		t.Errorf("Scan Parallel yielded %d errors, want 1", n)
	}
	cnt, err := docs.Scan(nil).Count(ctx)
	if err != nil || cnt != 31 {
		t.Errorf("Count = %d, %v", cnt, err)
	}
}

func TestAdvBatchPutDuplicatesAndDeletes(t *testing.T) {
	tbl, ctx := advTable(t, nil)
	docs := TableOf[advDoc](tbl.Conn(), tbl.Name())
	items := []advDoc{{PK: "p", SK: "1", Title: "a"}, {PK: "p", SK: "2", Title: "b"}, {PK: "p", SK: "1", Title: "c"}}
	if err := docs.BatchPut(ctx, slices.Values(items)); err != nil {
		t.Fatal(err)
	}
	got, err := docs.Get(ctx, Key{"pk": "p", "sk": "1"}, Consistent())
	if err != nil || got.Title != "c" {
		t.Errorf("after BatchPut with a duplicate key: %+v, %v; want the last", got, err)
	}
	b := docs.BatchWrite()
	if err := b.Put(ctx, advDoc{PK: "p", SK: "3", Title: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteKey(ctx, Key{"pk": "p", "sk": "3"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, advDoc{PK: "p", SK: "2"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, advDoc{PK: "p"}); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("Delete with an empty range key: %v", err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := docs.Query(Filter{"pk__eq": "p"}, Consistent()).Count(ctx)
	if err != nil || n != 1 {
		t.Errorf("after put+delete of 3 and delete of 2: %d items, %v", n, err)
	}
	// A Seq that stops early: what it yielded is written.
	stop := func(yield func(advDoc) bool) {
		for i := range 40 {
			if !yield(advDoc{PK: "q", SK: fmt.Sprint(i), Title: "t"}) {
				return
			}
		}
	}
	if err := docs.BatchPut(ctx, stop, Concurrency(2)); err != nil {
		t.Fatal(err)
	}
	if n, err := docs.Query(Filter{"pk__eq": "q"}, Consistent()).Count(ctx); err != nil || n != 40 {
		t.Errorf("BatchPut of 40 = %d, %v", n, err)
	}
}
