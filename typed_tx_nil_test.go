package dynamap

import (
	"context"
	"errors"
	"testing"
)

// TxDelete(nil) and TxSaveChanges(nil, nil) of a versioned model are a
// *ValueError from TransactWrite, before any request (TxDelete(nil) used
// to panic reading the version of a nil *T).
func TestAdvTxDeleteNil(t *testing.T) {
	tt := typedMovies(t, nil)
	ctx := context.Background()
	err := TransactWrite(ctx, tt.Table().Conn(), tt.TxDelete(nil))
	if !errors.Is(err, ErrInvalidValue) {
		t.Errorf("TxDelete(nil): %v", err)
	}
	err = TransactWrite(ctx, tt.Table().Conn(), tt.TxSaveChanges(nil, nil))
	if !errors.Is(err, ErrInvalidValue) {
		t.Errorf("TxSaveChanges(nil): %v", err)
	}
}
