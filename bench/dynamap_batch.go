package bench

import (
	"context"

	"github.com/dynamap/dynamap"
)

// BatchPut uses dynamap's batch writer with Concurrency(concurrency).
func (d *dyn) BatchPut(ctx context.Context, rows []Row, concurrency int) error {
	bt := d.t.BatchWrite(dynamap.Concurrency(max(concurrency, 1)))
	for i := range rows {
		if err := bt.PutItem(ctx, rows[i]); err != nil {
			_ = bt.Close(ctx)
			return err
		}
	}
	return bt.Close(ctx)
}

// BatchGet uses BatchGet with Concurrency(concurrency).
func (d *dyn) BatchGet(ctx context.Context, keys []RowKey, concurrency int) ([]Row, error) {
	ks := make([]dynamap.Key, len(keys))
	for i, k := range keys {
		ks[i] = dynKey(k)
	}
	return dynamap.Collect[Row](ctx, d.t.BatchGet(ks, dynamap.Concurrency(max(concurrency, 1))))
}
