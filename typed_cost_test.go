package dynamap

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// TestTypedAllYieldsUnsharedValues: All (and Items) decode every item into
// one T and yield copies; each copy keeps its own slices and maps, so an item kept
// from the loop is not changed by the items decoded after it (against
// DynamoDB Local: the decoding reuses nothing a caller holds).
func TestTypedAllYieldsUnsharedValues(t *testing.T) {
	type doc struct {
		ID   string         `dynamodbav:"id" dynamap:"hash"`
		Seq  int            `dynamodbav:"seq" dynamap:"range"`
		Tags []string       `dynamodbav:"tags"`
		Meta map[string]int `dynamodbav:"meta"`
		Raw  []byte         `dynamodbav:"raw"`
	}
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id"), RangeKey("seq", N)})
	tt := TableOf[doc](c, tbl.Name())
	want := make([]doc, 5)
	for i := range want {
		want[i] = doc{ID: "d", Seq: i, Tags: []string{fmt.Sprint("t", i), "x"}, Meta: map[string]int{fmt.Sprint("k", i): i}, Raw: []byte{byte(i), 9}}
		if i == 2 {
			want[i].Tags, want[i].Meta = nil, nil // absent: must not inherit item 1's
		}
		if err := tt.Put(ctx, &want[i]); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, seq func(func(doc, error) bool)) {
		var kept []doc
		for d, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			kept = append(kept, d)
		}
		if len(kept) != len(want) {
			t.Fatalf("%s yielded %d items, want %d", what, len(kept), len(want))
		}
		for i := range want {
			g, w := kept[i], want[i]
			if g.Seq != w.Seq || !slices.Equal(g.Tags, w.Tags) || !slices.Equal(g.Raw, w.Raw) || fmt.Sprint(g.Meta) != fmt.Sprint(w.Meta) {
				t.Errorf("%s: item %d after the loop = %+v, want %+v", what, i, g, w)
			}
		}
		kept[0].Tags[0], kept[0].Meta["k0"], kept[0].Raw[0] = "changed", -1, 7
		for i := 1; i < len(kept); i++ {
			if slices.Contains(kept[i].Tags, "changed") || kept[i].Meta["k0"] == -1 || kept[i].Raw[0] == 7 {
				t.Errorf("%s: changing item 0 changed item %d: %+v", what, i, kept[i])
			}
		}
	}
	check("TypedTable.Query All", tt.Query(Filter{"id__eq": "d"}, PageSize(2)).All(ctx))
	check("Items", Items[doc](ctx, tbl.Query(Filter{"id__eq": "d"}, PageSize(2))))
}
