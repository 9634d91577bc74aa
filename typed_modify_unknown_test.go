package dynamap

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Modify through one model must keep the attributes it does not know
// (written by another model of the same table): it sends only what fn
// changed.
func TestAdvModifyKeepsUnknownAttributes(t *testing.T) {
	tbl, ctx := advTable(t, nil)
	others := TableOf[advOther](tbl.Conn(), tbl.Name())
	docs := TableOf[advDoc](tbl.Conn(), tbl.Name())
	o := advOther{PK: "a", SK: "1", Title: "t", Extra: "keep me", Count: 7}
	if err := others.Put(ctx, &o); err != nil {
		t.Fatal(err)
	}
	key := Key{"pk": "a", "sk": "1"}
	if _, err := docs.Modify(ctx, key, func(d *advDoc) error { d.Title = "t2"; return nil }); err != nil {
		t.Fatal(err)
	}
	got, err := others.Get(ctx, key, Consistent())
	if err != nil {
		t.Fatal(err)
	}
	want := advOther{PK: "a", SK: "1", Title: "t2", Extra: "keep me", Count: 7}
	if got != want {
		t.Errorf("after Modify through another model: %+v, want %+v", got, want)
	}
}

// A fn that changes nothing sends no write, even when the stored item has
// attributes the model does not know.
func TestAdvModifyNoChangeWithUnknownAttributesSendsNothing(t *testing.T) {
	var rc requestCounter
	tbl, ctx := advTable(t, &rc)
	if err := tbl.PutItem(ctx, map[string]any{"pk": "a", "sk": "1", "title": "t", "other": "x"}); err != nil {
		t.Fatal(err)
	}
	docs := TableOf[advDoc](tbl.Conn(), tbl.Name())
	if _, err := docs.Modify(ctx, Key{"pk": "a", "sk": "1"}, func(*advDoc) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if n := rc.count("UpdateItem"); n != 0 {
		t.Errorf("a no-op Modify sent %d UpdateItem", n)
	}
	it, err := tbl.GetItem(ctx, Key{"pk": "a", "sk": "1"}, Consistent())
	if err != nil {
		t.Fatal(err)
	}
	if it.Get("other") != "x" {
		t.Errorf("attribute other = %v after a no-op Modify", it.Get("other"))
	}
}

// A no-op fn sends nothing even when the stored item holds values the
// model reads only in part: a number with more digits than a float64, a
// NULL where the model has an omitempty string. Nothing is rewritten.
func TestAdvModifyNoChangeLossyValuesSendsNothing(t *testing.T) {
	type lossy struct {
		PK    string  `dynamodbav:"pk" dynamap:"hash"`
		SK    string  `dynamodbav:"sk" dynamap:"range"`
		Score float64 `dynamodbav:"score"`
		Note  string  `dynamodbav:"note,omitempty"`
		Title string  `dynamodbav:"title"`
	}
	var rc requestCounter
	tbl, ctx := advTable(t, &rc)
	if err := tbl.PutItem(ctx, map[string]any{"pk": "a", "sk": "1", "score": Number("0.10000000000000000000000000001"), "note": nil, "title": "t"}); err != nil {
		t.Fatal(err)
	}
	tt := TableOf[lossy](tbl.Conn(), tbl.Name())
	key := Key{"pk": "a", "sk": "1"}
	if _, err := tt.Modify(ctx, key, func(*lossy) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if n := rc.count("UpdateItem"); n != 0 {
		t.Errorf("a no-op Modify sent %d UpdateItem", n)
	}
	// Changing another field leaves them as stored.
	if _, err := tt.Modify(ctx, key, func(v *lossy) error { v.Title = "t2"; return nil }); err != nil {
		t.Fatal(err)
	}
	it, err := tbl.GetItem(ctx, key, Consistent())
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := it.GetNumber("score"); n != "0.10000000000000000000000000001" || !it.Has("note") || it.Get("note") != nil || it.Get("title") != "t2" {
		t.Errorf("stored after Modify of title: %v", it.Map())
	}
}

// A change wider than one update expression (written as PartialSave
// writes it) keeps the attributes the model does not know too.
func TestAdvModifyWideKeepsUnknownAttributes(t *testing.T) {
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	ctx := context.Background()
	if err := tbl.PutItem(ctx, map[string]any{"id": "w", "f000": "old", "other": "keep me"}); err != nil {
		t.Fatal(err)
	}
	tt := TableOf[advWide](c, tbl.Name())
	for _, n := range []int{200, 320} {
		got, err := tt.Modify(ctx, Key{"id": "w"}, func(v *advWide) error {
			rv := reflect.ValueOf(v).Elem()
			for i := range n {
				rv.Field(1 + i).SetString(fmt.Sprintf("v%d", n))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Modify of %d fields: %v", n, err)
		}
		it, err := tbl.GetItem(ctx, Key{"id": "w"}, Consistent())
		if err != nil {
			t.Fatal(err)
		}
		if it.Get("other") != "keep me" {
			t.Errorf("Modify of %d fields lost the attribute other: %v", n, it.Get("other"))
		}
		want := fmt.Sprintf("v%d", n)
		if it.Get("f000") != want || it.Get(fmt.Sprintf("f%03d", n-1)) != want || got.F000 != want {
			t.Errorf("Modify of %d fields: stored f000 = %v", n, it.Get("f000"))
		}
	}
}

// The 400 KB check of Modify counts the attributes the model does not
// know, which the write keeps.
func TestAdvLargeItems(t *testing.T) {
	var rc requestCounter
	tbl, ctx := advTable(t, &rc)
	docs := TableOf[advDoc](tbl.Conn(), tbl.Name())
	big := advDoc{PK: "p", SK: "1", Title: strings.Repeat("x", 410*1024)}
	if err := docs.Put(ctx, &big); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("Put of 410 KB: %v", err)
	}
	if err := docs.BatchPut(ctx, slices.Values([]advDoc{big})); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("BatchPut of 410 KB: %v", err)
	}
	if rc.count("PutItem")+rc.count("BatchWriteItem") != 0 {
		t.Errorf("requests sent for an item over 400 KB")
	}
	// An item near the limit, by another model, with an extra attribute:
	// a change that takes it over is refused before the write.
	if err := tbl.PutItem(ctx, map[string]any{"pk": "p", "sk": "2", "title": "t", "other": strings.Repeat("y", 300*1024)}); err != nil {
		t.Fatal(err)
	}
	_, err := docs.Modify(ctx, Key{"pk": "p", "sk": "2"}, func(d *advDoc) error { d.Title = strings.Repeat("z", 200*1024); return nil })
	if !errors.Is(err, ErrInvalidValue) {
		t.Errorf("Modify over 400 KB with the stored extra: %v", err)
	}
	if n := rc.count("UpdateItem"); n != 0 {
		t.Errorf("Modify sent %d UpdateItem", n)
	}
	got, err := docs.Modify(ctx, Key{"pk": "p", "sk": "2"}, func(d *advDoc) error { d.Title = strings.Repeat("z", 90*1024); return nil })
	if err != nil || len(got.Title) != 90*1024 {
		t.Errorf("Modify to 390 KB: %v", err)
	}
}
