package bench

import (
	"context"
	"fmt"
	"sync"

	"github.com/dynamap/dynamap"
)

// TypedRow is Row as a dynamap typed model: the same fields, attributes and
// types (so a Row converts to it and back), with the key roles in dynamap
// tags.
type TypedRow struct {
	PK     string   `dynamodbav:"pk" dynamap:"hash"`
	SK     int64    `dynamodbav:"sk" dynamap:"range"`
	Name   string   `dynamodbav:"name"`
	Email  string   `dynamodbav:"email"`
	Score  float64  `dynamodbav:"score"`
	Active bool     `dynamodbav:"active"`
	Tags   []string `dynamodbav:"tags"`
	Bio    string   `dynamodbav:"bio"`
}

// typedTables holds the typed table of each dynamap handle (*dyn), made
// on first use from the handle's connection and table name.
var typedTables sync.Map // *dyn → *dynamap.TypedTable[TypedRow]

func typedOf(d *dyn) *dynamap.TypedTable[TypedRow] {
	if tt, ok := typedTables.Load(d); ok {
		return tt.(*dynamap.TypedTable[TypedRow])
	}
	tt, _ := typedTables.LoadOrStore(d, dynamap.TableOf[TypedRow](d.t.Conn(), d.t.Name()))
	return tt.(*dynamap.TypedTable[TypedRow])
}

// typedGet is the dynamap column of "typed Get": TypedTable.Get; the others
// do their GetItem + decode.
func typedGet(ctx context.Context, im Impl, k RowKey) (Row, error) {
	d, ok := im.(*dyn)
	if !ok {
		return im.GetItem(ctx, k)
	}
	r, err := typedOf(d).Get(ctx, dynKey(k))
	return Row(r), err
}

// typedPut is the dynamap column of "typed Put": TypedTable.Put with
// Overwrite (the others write unconditionally too).
func typedPut(ctx context.Context, im Impl, row Row) error {
	d, ok := im.(*dyn)
	if !ok {
		return im.PutItem(ctx, row)
	}
	r := TypedRow(row)
	return typedOf(d).Put(ctx, &r, dynamap.Overwrite())
}

// typedModify is the dynamap column of "typed Modify": TypedTable.Modify
// setting the name (one consistent read, one UpdateItem of that attribute
// conditioned on its old value); the others do their Rename.
func typedModify(ctx context.Context, im Impl, k RowKey, name string) error {
	d, ok := im.(*dyn)
	if !ok {
		return im.Rename(ctx, k, name)
	}
	_, err := typedOf(d).Modify(ctx, dynKey(k), func(r *TypedRow) error { r.Name = name; return nil })
	return err
}

// typedQueryLen is the timed work of "typed Query": TypedTable.Query
// collected into []TypedRow (the others' QueryAll into []Row), returning
// how many rows; unlike typedQuery it does not copy the rows into a []Row,
// which the raw and guregu columns do not pay for either.
func typedQueryLen(ctx context.Context, im Impl, pk string) (int, error) {
	d, ok := im.(*dyn)
	if !ok {
		rows, err := im.QueryAll(ctx, pk)
		return len(rows), err
	}
	rows, err := typedOf(d).Query(dynamap.Filter{"pk__eq": pk}).Collect(ctx)
	return len(rows), err
}

// typedQuery is the dynamap column of "typed Query": TypedTable.Query
// collected into []TypedRow, then copied into []Row for the comparison of
// results.
func typedQuery(ctx context.Context, im Impl, pk string) ([]Row, error) {
	d, ok := im.(*dyn)
	if !ok {
		return im.QueryAll(ctx, pk)
	}
	rs, err := typedOf(d).Query(dynamap.Filter{"pk__eq": pk}).Collect(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]Row, len(rs))
	for i, r := range rs {
		rows[i] = Row(r)
	}
	return rows, err
}

// typedOverheadOps are section 1's rows for dynamap's typed API (TableOf),
// beside the same work done by the raw SDK and guregu.
func typedOverheadOps() []overheadOp {
	getKey := RowKey{"g", 1}
	want := MakeRow("g", 1)
	put := MakeRow("p", 7)
	q100 := VirtualTable(100, 100)
	return []overheadOp{
		{"typed Get + decode", "bench",
			func(ctx context.Context, im Impl) error { _, err := typedGet(ctx, im, getKey); return err },
			func(ctx context.Context, im Impl, _ *Fake) (string, error) {
				row, err := typedGet(ctx, im, getKey)
				if err == nil && !EqualRows([]Row{row}, []Row{want}) {
					return "", fmt.Errorf("decoded %+v, want %+v", row, want)
				}
				return fmt.Sprintf("%+v", row), err
			}},
		{"typed Put", "bench",
			func(ctx context.Context, im Impl) error { return typedPut(ctx, im, put) },
			func(ctx context.Context, im Impl, _ *Fake) (string, error) { return "put", typedPut(ctx, im, put) }},
		{"typed Modify (GetItem + 1-attr update)", "bench",
			func(ctx context.Context, im Impl) error { return typedModify(ctx, im, getKey, "renamed") },
			func(ctx context.Context, im Impl, _ *Fake) (string, error) {
				return "rename", typedModify(ctx, im, getKey, "renamed")
			}},
		{"typed Query 100-item page + decode", q100,
			func(ctx context.Context, im Impl) error {
				n, err := typedQueryLen(ctx, im, "v")
				if err == nil && n != 100 {
					err = fmt.Errorf("query returned %d rows, want 100", n)
				}
				return err
			},
			func(ctx context.Context, im Impl, _ *Fake) (string, error) {
				rows, err := typedQuery(ctx, im, "v")
				return fmt.Sprintf("%d rows %+v", len(rows), rows), err
			}},
	}
}
