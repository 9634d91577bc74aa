package dynamap

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestTypedPutVersioned(t *testing.T) {
	ctx := context.Background()
	var rc requestCounter
	tt := typedMovies(t, &rc)
	key := Key{"year": 1995, "title": "Heat"}

	a := typedMovie{Year: 1995, Title: "Heat", Genre: "crime", Rating: 8.3}
	if err := tt.Put(ctx, &a); err != nil {
		t.Fatal(err)
	}
	// A second new item (version 0) with the same key is refused.
	b := typedMovie{Year: 1995, Title: "Heat", Genre: "crime", Rating: 1}
	err := tt.Put(ctx, &b)
	var cf *ConditionFailedError
	if !errors.As(err, &cf) || !errors.Is(err, ErrConditionalCheckFailed) {
		t.Fatalf("second Put of a new item: %v, want *ConditionFailedError", err)
	}
	if cf.Item == nil || cf.Item.Get("rating") == nil {
		t.Errorf("ConditionFailedError.Item = %v, want the stored item", cf.Item)
	}
	if b.Version != 0 || !b.Created.IsZero() || !b.Updated.IsZero() {
		t.Errorf("failed Put changed the struct: %+v", b)
	}

	// Version v: the stored version must be v, and v+1 is written.
	stale, err := tt.Get(ctx, key, Consistent())
	if err != nil || stale.Version != 1 {
		t.Fatalf("Get = %+v, %v", stale, err)
	}
	time.Sleep(2 * time.Millisecond)
	a.Rating = 8.4
	if err := tt.Put(ctx, &a); err != nil {
		t.Fatalf("Put at version 1: %v", err)
	}
	if a.Version != 2 || !a.Updated.After(a.Created) || !a.Created.Equal(stale.Created) {
		t.Errorf("after the second Put: version %d, created %v, updated %v (first created %v)", a.Version, a.Created, a.Updated, stale.Created)
	}
	stale.Rating = 1
	err = tt.Put(ctx, &stale)
	if !errors.As(err, &cf) {
		t.Fatalf("Put of a stale version: %v, want *ConditionFailedError", err)
	}
	if stale.Version != 1 {
		t.Errorf("stale Put changed the version to %d", stale.Version)
	}
	got, err := tt.Get(ctx, key, Consistent())
	if err != nil || got.Version != 2 || got.Rating != 8.4 {
		t.Errorf("stored = %+v, %v; want version 2, rating 8.4", got, err)
	}
	if !got.Updated.Equal(a.Updated) || !got.Created.Equal(a.Created) {
		t.Errorf("the struct's timestamps (%v, %v) are not what was stored (%v, %v)", a.Created, a.Updated, got.Created, got.Updated)
	}

	// Overwrite: no condition, v+1 written.
	if err := tt.Put(ctx, &stale, Overwrite()); err != nil {
		t.Fatalf("Put Overwrite: %v", err)
	}
	if stale.Version != 2 {
		t.Errorf("Overwrite wrote version %d, want 2", stale.Version)
	}

	// Bad input: nothing is sent.
	puts := rc.count("PutItem")
	if err := tt.Put(ctx, nil); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("Put(nil): %v", err)
	}
	if err := tt.Put(ctx, &typedMovie{Year: 1995, Genre: "g"}); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("Put with an empty range key: %v, want ErrInvalidKey", err)
	}
	if err := tt.Put(ctx, &typedMovie{Year: 1995, Title: "x", Genre: "g", Version: -1}); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("Put with a negative version: %v", err)
	}
	if err := tt.Delete(ctx, nil); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("Delete(nil): %v", err)
	}
	if n := rc.count("PutItem") + rc.count("DeleteItem") - puts; n != 0 {
		t.Errorf("bad Puts sent %d PutItem", n)
	}
}

func TestTypedDeleteVersioned(t *testing.T) {
	ctx := context.Background()
	tt := typedMovies(t, nil)
	m := typedMovie{Year: 2001, Title: "Memento", Genre: "thriller"}
	if err := tt.Put(ctx, &m); err != nil {
		t.Fatal(err)
	}
	stale := m
	if err := tt.Put(ctx, &m); err != nil {
		t.Fatal(err)
	}
	var cf *ConditionFailedError
	if err := tt.Delete(ctx, &stale); !errors.As(err, &cf) {
		t.Fatalf("Delete of a stale version: %v, want *ConditionFailedError", err)
	}
	never := typedMovie{Year: 2001, Title: "Memento", Genre: "thriller"} // version 0: must not be stored with a version
	if err := tt.Delete(ctx, &never); !errors.As(err, &cf) {
		t.Fatalf("Delete at version 0 of a stored item: %v", err)
	}
	var old *Item
	if err := tt.Delete(ctx, &m, OldItem(&old)); err != nil {
		t.Fatalf("Delete at the stored version: %v", err)
	}
	if old == nil || old.Get("version") == nil {
		t.Errorf("OldItem = %v", old)
	}
	if _, err := tt.Get(ctx, Key{"year": 2001, "title": "Memento"}, Consistent()); !errors.Is(err, ErrItemNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}

	// DeleteKey: no version check; Expected applies.
	if err := tt.Put(ctx, &typedMovie{Year: 2002, Title: "Insomnia", Genre: "thriller"}); err != nil {
		t.Fatal(err)
	}
	key := Key{"year": 2002, "title": "Insomnia"}
	if err := tt.DeleteKey(ctx, key, Expected(Filter{"genre__eq": "comedy"})); !errors.As(err, &cf) {
		t.Errorf("DeleteKey with a failing Expected: %v", err)
	}
	if err := tt.DeleteKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := tt.DeleteKey(ctx, key); err != nil {
		t.Errorf("DeleteKey of a missing item: %v", err)
	}
	if err := tt.DeleteKey(ctx, Key{"year": "x", "title": "y"}); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("DeleteKey with a mistyped key: %v", err)
	}
}

// note is a model without a version, with integer timestamps.
type typedNote struct {
	ID      string `dynamodbav:"id" dynamap:"hash"`
	Text    string `dynamodbav:"text"`
	Created int64  `dynamodbav:"created" dynamap:"created"`
	Updated uint64 `dynamodbav:"updated" dynamap:"updated"`
	Expires int64  `dynamodbav:"expires" dynamap:"ttl"`
}

func TestTypedPutUnversioned(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	tt := TableOf[typedNote](c, tbl.Name())
	n := typedNote{ID: "a", Text: "one", Expires: 4000000000}
	start := time.Now().Unix()
	if err := tt.Put(ctx, &n); err != nil {
		t.Fatal(err)
	}
	if n.Created < start || n.Updated < uint64(start) {
		t.Errorf("timestamps %d %d, want Unix seconds >= %d", n.Created, n.Updated, start)
	}
	n2 := typedNote{ID: "a", Text: "two"}
	var cf *ConditionFailedError
	if err := tt.Put(ctx, &n2); !errors.As(err, &cf) {
		t.Fatalf("Put over an existing item: %v, want *ConditionFailedError", err)
	}
	if err := tt.Put(ctx, &n2, Overwrite()); err != nil {
		t.Fatal(err)
	}
	got, err := tt.Get(ctx, Key{"id": "a"}, Consistent())
	if err != nil || got.Text != "two" || got.Expires != 0 {
		t.Errorf("Get = %+v, %v", got, err)
	}
	it, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := it.avMap()["created"].(*types.AttributeValueMemberN); !ok {
		t.Errorf("created stored as %#v, want N", it.avMap()["created"])
	}
	if err := tt.Delete(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if err := tt.Delete(ctx, &got); err != nil {
		t.Errorf("Delete of a missing unversioned item: %v", err)
	}
}

// typedEmbedded keeps its version and timestamps in an embedded pointer.
type typedEmbedded struct {
	ID string `dynamodbav:"id" dynamap:"hash"`
	*TypedMeta
}

type TypedMeta struct {
	Version int       `dynamodbav:"v" dynamap:"version"`
	Updated time.Time `dynamodbav:"u" dynamap:"updated"`
}

func TestTypedPutEmbeddedPointer(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	tt := TableOf[typedEmbedded](c, tbl.Name())
	meta := &TypedMeta{}
	e := typedEmbedded{ID: "x", TypedMeta: meta}
	if err := tt.Put(ctx, &e); err != nil {
		t.Fatal(err)
	}
	if e.Version != 1 || e.Updated.IsZero() {
		t.Errorf("after Put: %+v", *e.TypedMeta)
	}
	// A failed Put leaves the caller's embedded struct alone.
	stale := typedEmbedded{ID: "x", TypedMeta: &TypedMeta{}}
	if err := tt.Put(ctx, &stale); !errors.Is(err, ErrConditionalCheckFailed) {
		t.Fatalf("Put: %v", err)
	}
	if !stale.Updated.IsZero() || stale.Version != 0 {
		t.Errorf("failed Put changed the embedded struct: %+v", *stale.TypedMeta)
	}
	// A nil embedded pointer: version 0, allocated on success.
	nilMeta := typedEmbedded{ID: "y"}
	if err := tt.Put(ctx, &nilMeta); err != nil {
		t.Fatal(err)
	}
	if nilMeta.TypedMeta == nil || nilMeta.Version != 1 {
		t.Errorf("after Put: %+v", nilMeta.TypedMeta)
	}
}
