//go:build !race

package dynamap

// Allocation counts differ in race builds (the race runtime allocates on
// its own), so these tests do not run under -race; test.sh runs them in a
// step of their own without it.

import (
	"context"
	"fmt"
	"testing"
)

// Issue 11, "Cost": a typed call costs at most the untyped call plus one
// decode, and T's tags are parsed once per type, never per call. The
// allocation counts are of the library's own work against the instant API
// of overhead_bench_test.go (no SDK pipeline): they are deterministic, so
// the typed path is held to the untyped one's count, with what it does
// differently spelled out.

// allocs is the fewest allocations per call of f over a few rounds of
// testing.AllocsPerRun, failing t on f's error. AllocsPerRun counts every
// goroutine's allocations, and goroutines other tests left behind (HTTP
// connections to DynamoDB Local) can only add some: the fewest is f's own.
func allocs(t *testing.T, f func() error) float64 {
	t.Helper()
	var err error
	best := -1.0
	for range 5 {
		n := testing.AllocsPerRun(20, func() {
			if e := f(); e != nil && err == nil {
				err = e
			}
		})
		if best < 0 || n < best {
			best = n
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return best
}

// TestTypedCostAllocs: before, a typed Query page wrapped every raw item
// in an *Item and decoded it through a fresh M value into a T that escaped
// (464 allocations a 100-item page against Collect's 265); typed Get built
// the *Item too (13, as GetItem + Decode), Put copied T even without
// timestamps (13 against PutItem's 12), and Modify built an *Item, keyed
// the item read again and went through a map to set the version (34
// against Rename's 28).
func TestTypedCostAllocs(t *testing.T) {
	ctx := context.Background()
	ut, _ := benchTable()
	tt := typedBenchTable(t)
	key := Key{"id": "a", "seq": 0}

	t.Run("Query page", func(t *testing.T) {
		untyped := allocs(t, func() error {
			_, err := Collect[benchRow](ctx, ut.Query(Filter{"id__eq": "a"}))
			return err
		})
		typed := allocs(t, func() error {
			rows, err := tt.Query(Filter{"id__eq": "a"}).Collect(ctx)
			if err == nil && len(rows) != 100 {
				err = fmt.Errorf("%d rows, want 100", len(rows))
			}
			return err
		})
		all := allocs(t, func() error {
			n := 0
			for _, err := range tt.Query(Filter{"id__eq": "a"}).All(ctx) {
				if err != nil {
					return err
				}
				n++
			}
			if n != 100 {
				return fmt.Errorf("%d rows, want 100", n)
			}
			return nil
		})
		// The same raw items decoded straight into T: no allocation per
		// item beyond the codec's.
		if typed > untyped || all > untyped {
			t.Errorf("typed Query page: Collect %v, All %v allocations; Collect[T] of the untyped Query %v", typed, all, untyped)
		}
	})
	t.Run("Get", func(t *testing.T) {
		untyped := allocs(t, func() error {
			it, err := ut.GetItem(ctx, key)
			if err != nil {
				return err
			}
			var r benchRow
			return it.Decode(&r)
		})
		typed := allocs(t, func() error {
			r, err := tt.Get(ctx, key)
			if err == nil && r.Name != "name" {
				err = fmt.Errorf("Get = %+v", r)
			}
			return err
		})
		// No *Item between the SDK's map and T.
		if typed >= untyped {
			t.Errorf("typed Get: %v allocations; GetItem + Decode %v (want fewer: no Item)", typed, untyped)
		}
	})
	t.Run("Put", func(t *testing.T) {
		r := benchRow{ID: "a", Seq: 1, Name: "n", Score: 3}
		tr := typedBenchRow(r)
		untyped := allocs(t, func() error { return ut.PutItem(ctx, &r, Overwrite()) })
		typed := allocs(t, func() error { return tt.Put(ctx, &tr, Overwrite()) })
		// One encode of *T, no copy of it without timestamps to set.
		if typed > untyped {
			t.Errorf("typed Put: %v allocations; PutItem %v", typed, untyped)
		}
	})
	t.Run("Modify", func(t *testing.T) {
		untyped := allocs(t, func() error {
			it, err := ut.GetItem(ctx, key)
			if err != nil {
				return err
			}
			if err := it.Set("name", "other"); err != nil {
				return err
			}
			return it.PartialSave(ctx)
		})
		typed := allocs(t, func() error {
			_, err := tt.Modify(ctx, key, func(r *typedBenchRow) error { r.Name = "other"; return nil })
			return err
		})
		// Modify compares T with the item read field by field without
		// encoding it (codec.DiffStruct) and encodes only the one value
		// that changed, and it needs no *Item: 6 fewer than the untyped
		// read-modify-write (21 against 27; it was 27 against 28 when
		// Modify encoded the whole T to diff it).
		if typed > untyped-6 {
			t.Errorf("typed Modify: %v allocations; GetItem + Set + PartialSave %v (want at least 6 fewer)", typed, untyped)
		}
	})
}

// TestTypedModelParsedOncePerType: tables of one model share one parsed
// model (the tags are read once per type), and a call reads no tags: a
// second table's Get costs what the first one's does.
func TestTypedModelParsedOncePerType(t *testing.T) {
	ctx := context.Background()
	a, b := typedBenchTable(t), typedBenchTable(t)
	if a.m == nil || a.m != b.m {
		t.Fatalf("two TableOf[typedBenchRow]: models %p and %p, want one", a.m, b.m)
	}
	key := Key{"id": "a", "seq": 0}
	first := allocs(t, func() error { _, err := a.Get(ctx, key); return err })
	second := allocs(t, func() error { _, err := b.Get(ctx, key); return err })
	if second != first {
		t.Errorf("Get allocations: %v on one table, %v on another of the same model", first, second)
	}
}
