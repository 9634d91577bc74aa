package bench

import (
	"context"

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

// BatchPut uses Batch().Write(), which sends one request at a time.
func (g *gur) BatchPut(ctx context.Context, rows []Row, _ int) error {
	items := make([]any, len(rows))
	for i := range rows {
		items[i] = rows[i]
	}
	_, err := g.t.Batch().Write().Put(items...).Run(ctx)
	return err
}

func (g *gur) BatchGet(ctx context.Context, keys []RowKey) ([]Row, error) {
	ks := make([]dynamo.Keyed, len(keys))
	for i, k := range keys {
		ks[i] = dynamo.Keys{k.PK, k.SK}
	}
	var rows []Row
	err := g.t.Batch("pk", "sk").Get(ks...).All(ctx, &rows)
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
