package bench

import (
	"context"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/guregu/dynamo/v2"
)

// gur is guregu/dynamo v2 used the way its README shows.
type gur struct {
	t dynamo.Table
}

func newGuregu(c *dynamodb.Client, table string) Impl {
	return &gur{t: dynamo.NewFromIface(c).Table(table)}
}

func (g *gur) GetItem(ctx context.Context, k RowKey) (Row, error) {
	var row Row
	err := g.t.Get("pk", k.PK).Range("sk", dynamo.Equal, k.SK).One(ctx, &row)
	return row, err
}

func (g *gur) PutItem(ctx context.Context, row Row) error {
	return g.t.Put(row).Run(ctx)
}

func (g *gur) Rename(ctx context.Context, k RowKey, name string) error {
	row, err := g.GetItem(ctx, k)
	if err != nil {
		return err
	}
	return g.t.Update("pk", k.PK).Range("sk", k.SK).Set("name", name).If("$ = ?", "name", row.Name).Run(ctx)
}

func (g *gur) QueryAll(ctx context.Context, pk string) ([]Row, error) {
	var rows []Row
	err := g.t.Get("pk", pk).All(ctx, &rows)
	return rows, err
}

func (g *gur) QueryEach(ctx context.Context, pk string, fn func(*Row)) (int, error) {
	it := g.t.Get("pk", pk).Iter()
	n := 0
	var row Row
	for it.Next(ctx, &row) {
		fn(&row)
		n++
		row = Row{}
	}
	return n, it.Err()
}

// BatchPut uses Batch().Write(), which sends one request at a time: for
// concurrency n, n goroutines each write a contiguous share of rows with
// their own Batch().Write() (what a guregu user does to load faster).
func (g *gur) BatchPut(ctx context.Context, rows []Row, concurrency int) error {
	return shares(ctx, concurrency, len(rows), 25, func(ctx context.Context, lo, hi int) error {
		items := make([]any, hi-lo)
		for i := range items {
			items[i] = rows[lo+i]
		}
		_, err := g.t.Batch().Write().Put(items...).Run(ctx)
		return err
	})
}

// BatchGet uses Batch().Get(), one request at a time: for concurrency n, n
// goroutines each read a contiguous share of the keys.
func (g *gur) BatchGet(ctx context.Context, keys []RowKey, concurrency int) ([]Row, error) {
	var mu sync.Mutex
	var rows []Row
	err := shares(ctx, concurrency, len(keys), 100, func(ctx context.Context, lo, hi int) error {
		ks := make([]dynamo.Keyed, hi-lo)
		for i, k := range keys[lo:hi] {
			ks[i] = dynamo.Keys{k.PK, k.SK}
		}
		var got []Row
		if err := g.t.Batch("pk", "sk").Get(ks...).All(ctx, &got); err != nil {
			return err
		}
		mu.Lock()
		rows = append(rows, got...)
		mu.Unlock()
		return nil
	})
	return rows, err
}

// shares splits [0, n) into up to conc contiguous shares, each a whole
// number of batches of size batch (the last may be short), and runs fn on
// every share in its own goroutine. It returns the first error.
func shares(ctx context.Context, conc, n, batch int, fn func(ctx context.Context, lo, hi int) error) error {
	batches := (n + batch - 1) / batch
	conc = max(1, min(conc, batches))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, conc)
	var wg sync.WaitGroup
	for w := range conc {
		lo := min(n, w*batches/conc*batch)
		hi := min(n, (w+1)*batches/conc*batch)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[w] = fn(ctx, lo, hi); errs[w] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// QueryFirst uses Filter and Limit: guregu's Limit counts results, and
// with a filter it is not sent as the request's Limit.
func (g *gur) QueryFirst(ctx context.Context, pk, match string, limit int) ([]Row, error) {
	q := g.t.Get("pk", pk).Filter("$ = ?", "name", match)
	if limit > 0 {
		q = q.Limit(limit)
	}
	var rows []Row
	err := q.All(ctx, &rows)
	return rows, err
}

func (g *gur) Scan(ctx context.Context, segments int) ([]Row, error) {
	var rows []Row
	if segments <= 1 {
		err := g.t.Scan().All(ctx, &rows)
		return rows, err
	}
	err := g.t.Scan().AllParallel(ctx, segments, &rows)
	return rows, err
}
