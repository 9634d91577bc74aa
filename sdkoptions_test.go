package dynamap

import (
	"context"
	"slices"
	"sync"
	"testing"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/require"
)

// opRecorder is an SDK option that installs a real middleware recording the
// operation of every request it runs in.
type opRecorder struct {
	mu  sync.Mutex
	ops []string
}

func (r *opRecorder) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("dynamapTestRecorder",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				r.mu.Lock()
				r.ops = append(r.ops, awsmiddleware.GetOperationName(ctx))
				r.mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
}

func (r *opRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops := r.ops
	r.ops = nil
	return ops
}

// SDKOptions reaches the SDK call of every item operation: each request the
// call sends runs the middleware it installs, and no other request does.
func TestSDKOptionsReachEveryRequest(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	_, err := tbl.KeyNames(ctx) // the schema, learnt before recording
	require.NoError(t, err)
	var r opRecorder
	sdk := SDKOptions(r.option)

	steps := []struct {
		name string
		call func() error
		want []string
	}{
		{"PutItem", func() error { return tbl.PutItem(ctx, map[string]any{"id": "a", "v": 1}, sdk) }, []string{"PutItem"}},
		{"GetItem", func() error { _, err := tbl.GetItem(ctx, Key{"id": "a"}, sdk); return err }, []string{"GetItem"}},
		{"HasItem", func() error { _, err := tbl.HasItem(ctx, Key{"id": "a"}, sdk); return err }, []string{"GetItem"}},
		{"UpdateItem", func() error { _, err := tbl.UpdateItem(ctx, Key{"id": "a"}, SetValue("v", 2), sdk); return err }, []string{"UpdateItem"}},
		{"Query", func() error { _, err := tbl.Query(Filter{"id__eq": "a"}, sdk).Collect(ctx); return err }, []string{"Query"}},
		{"Scan pages", func() error { _, err := tbl.Scan(nil, PageSize(1), sdk).Collect(ctx); return err }, []string{"Scan", "Scan"}},
		{"BatchGet", func() error { _, err := tbl.BatchGet([]Key{{"id": "a"}}, sdk).Collect(ctx); return err }, []string{"BatchGetItem"}},
		{"Save", func() error {
			it, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
			if err != nil {
				return err
			}
			r.take() // the GetItem above had no SDKOptions
			if err := it.Set("v", 3); err != nil {
				return err
			}
			return it.Save(ctx, sdk)
		}, []string{"PutItem"}},
		{"TransactWrite", func() error {
			return TransactWrite(ctx, c, tbl.TxPut(map[string]any{"id": "b"}), sdk)
		}, []string{"TransactWriteItems"}},
		{"DeleteItem", func() error { _, err := tbl.DeleteItem(ctx, Key{"id": "b"}, sdk); return err }, []string{"DeleteItem"}},
		{"Item.Delete", func() error {
			it, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
			if err != nil {
				return err
			}
			r.take()
			return it.Delete(ctx, sdk)
		}, []string{"DeleteItem"}},
		{"without", func() error { return tbl.PutItem(ctx, map[string]any{"id": "c"}) }, nil},
	}
	for _, s := range steps {
		require.NoError(t, s.call(), s.name)
		got := r.take()
		require.True(t, slices.Equal(s.want, got), "%s: middleware ran for %v, want %v", s.name, got, s.want)
	}
}
