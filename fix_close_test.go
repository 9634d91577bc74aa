package dynamap

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

// slowWrites delays every BatchWriteItem after the first fast ones.
type slowWrites struct {
	conn.API
	delay time.Duration
	fast  int64
	calls atomic.Int64
}

func (s *slowWrites) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	if s.calls.Add(1) > s.fast {
		time.Sleep(s.delay)
	}
	return s.API.BatchWriteItem(ctx, in, o...)
}

func consistentCount(t *testing.T, tb *Table) int64 {
	t.Helper()
	n, err := tb.Scan(nil, Consistent()).Count(context.Background())
	require.NoError(t, err)
	return n
}

// A second Close, running while the first still waits, waits too: no Close
// returns while requests are on their way.
func TestBatchWriteConcurrentCloseWaits(t *testing.T) {
	t.Parallel()
	direct := testConn(t)
	tb := testTable(t, direct, batchSchema)
	pt := NewTable(conn.FromClient(&slowWrites{API: direct.API(), delay: 300 * time.Millisecond}), tb.Name())
	ctx := context.Background()
	b := pt.BatchWrite()
	for i := range 10 {
		require.NoError(t, b.PutItem(ctx, batchItem(i)))
	}
	first := make(chan error, 1)
	go func() { first <- b.Close(ctx) }()
	time.Sleep(50 * time.Millisecond) // the first Close has sent the buffer and waits
	require.NoError(t, b.Close(ctx))
	require.Equal(t, int64(10), consistentCount(t, tb), "the second Close returned before the writes were done")
	require.NoError(t, <-first)
	require.ErrorIs(t, b.PutItem(ctx, batchItem(11)), ErrClosed)
}

// BatchWriteFunc whose OnProgress callback closes the writer: BatchWriteFunc's
// own Close still waits for every send.
func TestBatchWriteFuncCloseInCallbackWaits(t *testing.T) {
	t.Parallel()
	direct := testConn(t)
	tb := testTable(t, direct, batchSchema)
	pt := NewTable(conn.FromClient(&slowWrites{API: direct.API(), delay: time.Second, fast: 1}), tb.Name())
	ctx := context.Background()
	var b *BatchTable
	var once sync.Once
	cbErr := make(chan error, 1)
	closing := make(chan struct{})
	err := pt.BatchWriteFunc(ctx, func(bt *BatchTable) error {
		b = bt
		for i := range 60 {
			if err := bt.PutItem(ctx, batchItem(i)); err != nil {
				return err
			}
		}
		// Let the callback's Close be the first one: BatchWriteFunc's own
		// Close then finds the writer closed.
		<-closing
		time.Sleep(200 * time.Millisecond)
		return nil
	}, Concurrency(2), OnProgress(func(int, int) {
		once.Do(func() {
			close(closing)
			cbErr <- b.Close(ctx)
		})
	}))
	n := consistentCount(t, tb)
	require.NoError(t, err)
	require.Equal(t, int64(60), n, "BatchWriteFunc returned before the writes were done")
	require.NoError(t, <-cbErr)
}

// WaitActive after this Table deleted its own new table reports the table
// missing at once, instead of waiting out CreateTable's grace period.
func TestWaitActiveAfterOwnDeleteTable(t *testing.T) {
	t.Parallel()
	c := testConn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tb, err := CreateTable(ctx, c, testTableName(t), []KeyField{HashKey("id")})
	require.NoError(t, err)
	require.NoError(t, tb.WaitActive(ctx))
	require.NoError(t, tb.DeleteTable(ctx))
	require.NoError(t, tb.WaitDeleted(ctx))
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	err = tb.WaitActive(wctx)
	require.ErrorIs(t, err, ErrTableNotFound)
	require.NoError(t, wctx.Err(), "WaitActive polled until its context ended")
}
