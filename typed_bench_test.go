package dynamap

import (
	"context"
	"testing"
)

// The typed calls' own cost, beside the untyped benchmarks of
// overhead_bench_test.go on the same instant API: a typed call should cost
// the untyped call plus one decode (issue 11, "Cost").
//
//	BenchmarkTypedGet          vs BenchmarkOverheadGetItemDecode
//	BenchmarkTypedPut          vs BenchmarkOverheadPutItem
//	BenchmarkTypedQueryPage100 vs BenchmarkOverheadQueryPage100
//	BenchmarkTypedModify       vs BenchmarkOverheadRename

// typedBenchRow is benchRow as a typed model.
type typedBenchRow struct {
	ID    string `dynamodbav:"id" dynamap:"hash"`
	Seq   int    `dynamodbav:"seq" dynamap:"range"`
	Name  string `dynamodbav:"name"`
	Score int    `dynamodbav:"score"`
}

func typedBenchTable(b testing.TB) *TypedTable[typedBenchRow] {
	t, _ := benchTable()
	tt := TableOf[typedBenchRow](t.Conn(), t.Name())
	if _, err := tt.schema(context.Background()); err != nil {
		b.Fatal(err)
	}
	return tt
}

func BenchmarkTypedGet(b *testing.B) {
	tt := typedBenchTable(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tt.Get(ctx, Key{"id": "a", "seq": 0}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTypedPut(b *testing.B) {
	tt := typedBenchTable(b)
	ctx := context.Background()
	r := typedBenchRow{ID: "a", Seq: 1, Name: "n", Score: 3}
	b.ReportAllocs()
	for b.Loop() {
		if err := tt.Put(ctx, &r, Overwrite()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTypedQueryPage100(b *testing.B) {
	tt := typedBenchTable(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		rows, err := tt.Query(Filter{"id__eq": "a"}).Collect(ctx)
		if err != nil || len(rows) != 100 {
			b.Fatal(err, len(rows))
		}
	}
}

func BenchmarkTypedQueryPage100All(b *testing.B) {
	tt := typedBenchTable(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, err := range tt.Query(Filter{"id__eq": "a"}).All(ctx) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 100 {
			b.Fatal(n)
		}
	}
}

func BenchmarkTypedModify(b *testing.B) {
	tt := typedBenchTable(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tt.Modify(ctx, Key{"id": "a", "seq": 0}, func(r *typedBenchRow) error { r.Name = "other"; return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
