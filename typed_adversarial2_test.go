package dynamap

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

type advBase struct {
	ID      string    `dynamodbav:"id" dynamap:"hash"`
	Version int       `dynamodbav:"version" dynamap:"version"`
	Created time.Time `dynamodbav:"created" dynamap:"created"`
	Updated time.Time `dynamodbav:"updated" dynamap:"updated"`
}

type advUnexportedEmbed struct {
	advBase
	Name string `dynamodbav:"name"`
}

func TestAdvUnexportedEmbeddedValue(t *testing.T) {
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	ctx := context.Background()
	tt := TableOf[advUnexportedEmbed](c, tbl.Name())
	v := advUnexportedEmbed{Name: "n"}
	v.ID = "x"
	if err := tt.Put(ctx, &v); err != nil {
		t.Fatal(err)
	}
	if v.Version != 1 || v.Created.IsZero() {
		t.Errorf("after Put: %+v", v)
	}
	got, err := tt.Modify(ctx, Key{"id": "x"}, func(v *advUnexportedEmbed) error { v.Name = "m"; return nil })
	if err != nil || got.Version != 2 || got.Name != "m" {
		t.Errorf("Modify = %+v, %v", got, err)
	}
	if err := tt.BatchPut(ctx, slices.Values([]advUnexportedEmbed{v})); err != nil {
		t.Error(err)
	}
	read, err := tt.Get(ctx, Key{"id": "x"}, Consistent())
	if err != nil || read.Version != 2 || read.Name != "n" || !read.Created.Equal(v.Created) {
		t.Errorf("after BatchPut at version 1: %+v, %v", read, err)
	}
}

type advPtrs struct {
	ID    string   `dynamodbav:"id" dynamap:"hash"`
	Name  *string  `dynamodbav:"name,omitempty"`
	Count *int     `dynamodbav:"count"`
	Tags  []string `dynamodbav:"tags,stringset,omitempty"`
	Attrs map[string]any
}

func TestAdvPointerFields(t *testing.T) {
	var rc requestCounter
	c := testConn(t, rc.option)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	ctx := context.Background()
	tt := TableOf[advPtrs](c, tbl.Name())
	v := advPtrs{ID: "p", Tags: []string{"b", "a"}, Attrs: map[string]any{"x": map[string]any{"y": 1}}}
	if err := tt.Put(ctx, &v); err != nil {
		t.Fatal(err)
	}
	name, n := "nm", 3
	got, err := tt.Modify(ctx, Key{"id": "p"}, func(v *advPtrs) error {
		v.Name, v.Count = &name, &n
		v.Tags = []string{"a", "b"} // same set, other order
		return nil
	})
	if err != nil || got.Name == nil || *got.Name != "nm" || *got.Count != 3 {
		t.Fatalf("Modify = %+v, %v", got, err)
	}
	got, err = tt.Modify(ctx, Key{"id": "p"}, func(v *advPtrs) error {
		v.Name, v.Count = nil, nil
		v.Attrs["x"].(map[string]any)["y"] = 2
		return nil
	})
	if err != nil || got.Name != nil || got.Count != nil {
		t.Fatalf("Modify = %+v, %v", got, err)
	}
	it, _ := tbl.GetItem(ctx, Key{"id": "p"}, Consistent())
	if it.Has("name") || !it.Has("count") || it.Get("count") != nil {
		t.Errorf("stored: %v", it.Map())
	}
	if y, _ := it.GetNumber("Attrs.x.y"); y != "2" {
		t.Errorf("stored Attrs: %v", it.Map())
	}
	ups := rc.count("UpdateItem")
	if _, err := tt.Modify(ctx, Key{"id": "p"}, func(v *advPtrs) error { slices.Reverse(v.Tags); return nil }); err != nil {
		t.Fatal(err)
	}
	if rc.count("UpdateItem") != ups {
		t.Errorf("reordering a set sent an update")
	}
}

type advCounter struct {
	ID string `dynamodbav:"id" dynamap:"hash"`
	N  int    `dynamodbav:"n"`
	M  int    `dynamodbav:"m"`
}

type advCounterV struct {
	ID string `dynamodbav:"id" dynamap:"hash"`
	N  int    `dynamodbav:"n"`
	V  int    `dynamodbav:"v" dynamap:"version"`
}

func TestAdvConcurrentModify(t *testing.T) {
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	ctx := context.Background()
	un := TableOf[advCounter](c, tbl.Name())
	ver := TableOf[advCounterV](c, tbl.Name())
	if err := un.Put(ctx, &advCounter{ID: "u"}); err != nil {
		t.Fatal(err)
	}
	if err := ver.Put(ctx, &advCounterV{ID: "v"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	const g, k = 4, 5
	errs := make(chan error, 2*g*k)
	for range g {
		wg.Go(func() {
			for range k {
				_, err := un.Modify(ctx, Key{"id": "u"}, func(v *advCounter) error { v.N++; return nil }, RetryConflicts(50))
				errs <- err
				_, err = ver.Modify(ctx, Key{"id": "v"}, func(v *advCounterV) error { v.N++; return nil }, RetryConflicts(50))
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	u, _ := un.Get(ctx, Key{"id": "u"}, Consistent())
	v, _ := ver.Get(ctx, Key{"id": "v"}, Consistent())
	if u.N != g*k || v.N != g*k || v.V != g*k+1 {
		t.Errorf("after %d increments: unversioned %+v, versioned %+v", g*k, u, v)
	}
}

func TestAdvTxStaleReasons(t *testing.T) {
	tt := typedMovies(t, nil)
	ctx := context.Background()
	c := tt.Table().Conn()
	a := typedMovie{Year: 1, Title: "a", Genre: "g", Rating: 1}
	b := typedMovie{Year: 1, Title: "b", Genre: "g", Rating: 1}
	if err := tt.Put(ctx, &a); err != nil {
		t.Fatal(err)
	}
	stale := a
	stale.Version = 0
	b2 := b
	err := TransactWrite(ctx, c, tt.TxPut(&b2), tt.TxPut(&stale))
	var tce *TransactionCanceledError
	if !errors.As(err, &tce) {
		t.Fatalf("TransactWrite: %v", err)
	}
	if len(tce.Reasons) != 2 || tce.Reasons[1].Code != "ConditionalCheckFailed" || tce.Reasons[0].Code == "ConditionalCheckFailed" {
		t.Errorf("reasons = %+v, want the stale put (action 1) alone to fail", tce.Reasons)
	}
	if tce.Reasons[1].Item["version"] == nil {
		t.Errorf("the failed action's reason has no stored item: %+v", tce.Reasons[1])
	}
	if b2.Version != 0 || !b2.Created.IsZero() {
		t.Errorf("canceled TxPut changed its struct: %+v", b2)
	}
	// No change: a condition check, and stale version fails it.
	before, after := a, a
	if err := TransactWrite(ctx, c, tt.TxSaveChanges(&before, &after)); err != nil {
		t.Errorf("TxSaveChanges with no change: %v", err)
	}
	var got *typedMovie
	missing := &typedMovie{}
	if _, err := TransactGet(ctx, c, tt.TxGet(Key{"year": 1, "title": "a"}, &got), tt.TxGet(Key{"year": 1, "title": "zz"}, &missing), tt.TxGet(Key{"year": 1, "title": "b"}, nil)); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Version != 1 || missing != nil {
		t.Errorf("TxGet: %+v, %+v", got, missing)
	}
}
