package bench

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/dynamap/dynamap"
	"github.com/dynamap/dynamap/conn"
)

// dyn is dynamap. Its table is built WithSchema, which is checked against
// one DescribeTable on first use, then never again.
type dyn struct {
	t *dynamap.Table
}

var rowSchema = []dynamap.KeyField{dynamap.HashKey("pk"), dynamap.RangeKey("sk", dynamap.N)}

func newDynamap(c *dynamodb.Client, table string) Impl {
	return &dyn{t: dynamap.NewTable(conn.FromClient(c), table, dynamap.WithSchema(rowSchema...))}
}

func init() {
	Implementations = append(Implementations, Implementation{"dynamap", newDynamap})
	describeProbe = func(ctx context.Context, c *dynamodb.Client, table string, n int) error {
		t := dynamap.NewTable(conn.FromClient(c), table) // no WithSchema: describes on first use
		for range n {
			if _, err := t.GetItem(ctx, dynamap.Key{"pk": "g", "sk": 1}); err != nil {
				return err
			}
		}
		return nil
	}
}

func dynKey(k RowKey) dynamap.Key { return dynamap.Key{"pk": k.PK, "sk": k.SK} }

func (d *dyn) GetItem(ctx context.Context, k RowKey) (Row, error) {
	var row Row
	it, err := d.t.GetItem(ctx, dynKey(k))
	if err != nil {
		return row, err
	}
	err = it.Decode(&row)
	return row, err
}

// PutItem overwrites: dynamap's default PutItem refuses to clobber an
// existing item, which the other two do not check.
func (d *dyn) PutItem(ctx context.Context, row Row) error {
	return d.t.PutItem(ctx, row, dynamap.Overwrite())
}

func (d *dyn) Rename(ctx context.Context, k RowKey, name string) error {
	it, err := d.t.GetItem(ctx, dynKey(k))
	if err != nil {
		return err
	}
	if err := it.Set("name", name); err != nil {
		return err
	}
	return it.PartialSave(ctx)
}

func (d *dyn) QueryAll(ctx context.Context, pk string) ([]Row, error) {
	return dynamap.Collect[Row](ctx, d.t.Query(dynamap.Filter{"pk__eq": pk}))
}

func (d *dyn) QueryEach(ctx context.Context, pk string, fn func(*Row)) (int, error) {
	n := 0
	for row, err := range dynamap.Items[Row](ctx, d.t.Query(dynamap.Filter{"pk__eq": pk})) {
		if err != nil {
			return n, err
		}
		fn(&row)
		n++
	}
	return n, nil
}

// QueryFirst uses Where and Limit: dynamap's Limit counts the items
// returned, across pages.
func (d *dyn) QueryFirst(ctx context.Context, pk, match string, limit int) ([]Row, error) {
	return dynamap.Collect[Row](ctx, d.t.Query(dynamap.Filter{"pk__eq": pk},
		dynamap.Where(dynamap.Filter{"name__eq": match}), dynamap.Limit(limit)))
}

func (d *dyn) Scan(ctx context.Context, segments int) ([]Row, error) {
	var opts []dynamap.ScanOption
	if segments > 1 {
		opts = append(opts, dynamap.Parallel(segments))
	}
	return dynamap.Collect[Row](ctx, d.t.Scan(nil, opts...))
}
