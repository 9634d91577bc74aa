package dynamap

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pageSource serves pages of n items each, failing at page failAt (-1:
// never), and counts calls.
func pageSource(pages, n, failAt int, calls *int) func() (pageFunc, func()) {
	return func() (pageFunc, func()) {
		p := 0
		return func(ctx context.Context) ([]map[string]types.AttributeValue, bool, error) {
			*calls++
			if p == failAt {
				return nil, false, errors.New("boom")
			}
			var items []map[string]types.AttributeValue
			for i := range n {
				items = append(items, map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: fmt.Sprintf("%d-%d", p, i)}})
			}
			p++
			return items, p < pages, nil
		}, nil
	}
}

func TestResultSetFromPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var calls int
	rs := newResultSetFromPages(nil, false, pageSource(3, 4, -1, &calls))
	assert.Equal(t, 0, calls, "no I/O before iterating")
	items, err := rs.Collect(ctx)
	require.NoError(t, err)
	assert.Len(t, items, 12)
	assert.Equal(t, 3, calls)
	assert.Empty(t, rs.Cursor())
	// Every All starts over; a break stops fetching.
	calls = 0
	n := 0
	for _, err := range rs.All(ctx) {
		require.NoError(t, err)
		if n++; n == 5 {
			break
		}
	}
	assert.Equal(t, 2, calls)
	cnt, err := rs.Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 12, cnt)

	// An error is yielded once and ends the sequence.
	calls = 0
	var errs, got int
	for it, err := range newResultSetFromPages(nil, false, pageSource(3, 4, 1, &calls)).All(ctx) {
		if err != nil {
			errs++
			assert.Nil(t, it)
			continue
		}
		got++
	}
	assert.Equal(t, 1, errs)
	assert.Equal(t, 4, got)
	assert.Equal(t, 2, calls)

	// Typed decoding.
	type row struct {
		ID string `dynamodbav:"id"`
	}
	rows, err := Collect[row](ctx, newResultSetFromPages(nil, false, pageSource(2, 2, -1, &calls)))
	require.NoError(t, err)
	assert.Equal(t, []row{{"0-0"}, {"0-1"}, {"1-0"}, {"1-1"}}, rows)

	// A canceled context stops before the next page.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	calls = 0
	var last error
	for _, err := range newResultSetFromPages(nil, false, pageSource(3, 2, -1, &calls)).All(cctx) {
		cancel()
		last = err
	}
	assert.ErrorIs(t, last, context.Canceled)
	assert.Equal(t, 1, calls)
}
