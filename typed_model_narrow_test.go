package dynamap

import (
	"context"
	"errors"
	"testing"
)

type advNarrow struct {
	ID      string `dynamodbav:"id" dynamap:"hash"`
	Created int16  `dynamodbav:"c" dynamap:"created"`
}

// An integer timestamp too narrow for Unix seconds is a *ModelError naming
// the field, before any request (it used to be written wrapped: -29806).
func TestAdvNarrowTimestampIsModelError(t *testing.T) {
	var rc requestCounter
	c := testConn(t, rc.option)
	tt := TableOf[advNarrow](c, "never-created")
	err := tt.Put(context.Background(), &advNarrow{ID: "a"})
	var me *ModelError
	if !errors.As(err, &me) || me.Field != "Created" || !errors.Is(err, ErrSchema) {
		t.Errorf("Put with an int16 created field: %v, want a *ModelError naming Created", err)
	}
	if n := rc.total(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
