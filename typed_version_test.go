package dynamap

import (
	"context"
	"errors"
	"slices"
	"testing"
)

type advSmallVersion struct {
	ID      string `dynamodbav:"id" dynamap:"hash"`
	Name    string `dynamodbav:"name"`
	Version int8   `dynamodbav:"version" dynamap:"version"`
}

// A version that would overflow its Go field is refused before the write,
// never written and then reported as a decode failure.
func TestAdvVersionOverflowRefusedBeforeWrite(t *testing.T) {
	var rc requestCounter
	c := testConn(t, rc.option)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	ctx := context.Background()
	tt := TableOf[advSmallVersion](c, tbl.Name())
	if err := tbl.PutItem(ctx, map[string]any{"id": "x", "name": "a", "version": 127}); err != nil {
		t.Fatal(err)
	}
	v := advSmallVersion{ID: "x", Name: "b", Version: 127}
	puts := rc.count("PutItem")
	err := tt.Put(ctx, &v)
	if !errors.Is(err, ErrInvalidValue) {
		t.Errorf("Put at version 127 of an int8 version: %v, want ErrInvalidValue", err)
	}
	if rc.count("PutItem") != puts {
		t.Errorf("Put sent a request")
	}
	if v.Version != 127 || v.Name != "b" {
		t.Errorf("failed Put changed the struct: %+v", v)
	}
	_, err = tt.Modify(ctx, Key{"id": "x"}, func(v *advSmallVersion) error { v.Name = "c"; return nil })
	if !errors.Is(err, ErrInvalidValue) {
		t.Errorf("Modify at version 127 of an int8 version: %v, want ErrInvalidValue", err)
	}
	if n := rc.count("UpdateItem"); n != 0 {
		t.Errorf("Modify sent %d UpdateItem", n)
	}
	if err := tt.BatchPut(ctx, slices.Values([]advSmallVersion{{ID: "y", Version: 127}})); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("BatchPut at version 127: %v, want ErrInvalidValue", err)
	}
	if n := rc.count("BatchWriteItem"); n != 0 {
		t.Errorf("BatchPut sent %d BatchWriteItem", n)
	}
	if err := TransactWrite(ctx, c, tt.TxPut(&v)); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("TxPut at version 127: %v, want ErrInvalidValue", err)
	}
	if n := rc.count("TransactWriteItems"); n != 0 {
		t.Errorf("TxPut sent %d TransactWriteItems", n)
	}
	it, err := tbl.GetItem(ctx, Key{"id": "x"}, Consistent())
	if err != nil {
		t.Fatal(err)
	}
	if it.Get("name") != "a" {
		t.Errorf("stored item changed: %v", it.Map())
	}
}

type advUintVersion struct {
	ID      string `dynamodbav:"id" dynamap:"hash"`
	Version uint64 `dynamodbav:"version" dynamap:"version"`
}

func TestAdvUint64VersionMaxRefused(t *testing.T) {
	var rc requestCounter
	c := testConn(t, rc.option)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	ctx := context.Background()
	tt := TableOf[advUintVersion](c, tbl.Name())
	err := tt.BatchPut(ctx, slices.Values([]advUintVersion{{ID: "y", Version: ^uint64(0)}}))
	if !errors.Is(err, ErrInvalidValue) {
		t.Errorf("BatchPut at the maximal uint64 version: %v, want ErrInvalidValue", err)
	}
	if n := rc.count("BatchWriteItem"); n != 0 {
		t.Errorf("BatchPut sent %d BatchWriteItem", n)
	}
}
