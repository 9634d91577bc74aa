package dynamap

import (
	"context"
	"errors"
	"testing"
)

// advIndexed names an index its table does not have.
type advIndexed struct {
	PK    string `dynamodbav:"pk" dynamap:"hash"`
	SK    string `dynamodbav:"sk" dynamap:"range"`
	Title string `dynamodbav:"title,omitempty" dynamap:"hash:ByTitle"`
}

// TxGet checks the model against the table as every other call does: tags
// that disagree with the table are a *SchemaMismatchError from
// TransactGet, before any request (TransactGet used to read and decode
// silently).
func TestAdvTxGetChecksTheModel(t *testing.T) {
	var rc requestCounter
	tbl, ctx := advTable(t, &rc)
	if err := tbl.PutItem(ctx, map[string]any{"pk": "a", "sk": "1", "title": "t"}); err != nil {
		t.Fatal(err)
	}
	tt := TableOf[advIndexed](tbl.Conn(), tbl.Name())
	var got *advIndexed
	_, err := TransactGet(ctx, tbl.Conn(), tt.TxGet(Key{"pk": "a", "sk": "1"}, &got))
	var sm *SchemaMismatchError
	if !errors.As(err, &sm) || !errors.Is(err, ErrSchema) {
		t.Errorf("TransactGet through a model whose index the table lacks: %v, %+v; want a *SchemaMismatchError", err, got)
	}
	if n := rc.count("TransactGetItems"); n != 0 {
		t.Errorf("%d TransactGetItems sent", n)
	}
	// The same as Get.
	if _, err := tt.Get(context.Background(), Key{"pk": "a", "sk": "1"}); !errors.As(err, &sm) {
		t.Errorf("Get: %v", err)
	}
}
