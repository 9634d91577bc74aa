package dynamap

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testFlow is an AutoConcurrency flow on a hand-moved clock.
func testFlow(max int) (*flow, *time.Time) {
	f := newFlow(0, max, 0)
	now := time.Unix(1000, 0)
	f.now = func() time.Time { return now }
	return f, &now
}

func TestFlowFixedNeverAdapts(t *testing.T) {
	f := newFlow(3, 0, 0)
	for range 10 {
		e, err := f.pace(context.Background(), 25)
		require.NoError(t, err)
		f.observe(e, 25, 10, true)
	}
	st := f.snapshot()
	assert.Equal(t, 3, st.Concurrency)
	assert.Equal(t, 0.0, st.Rate)
	assert.Equal(t, 10, st.Calls)
	assert.Equal(t, 10, st.Throttled)
	assert.Equal(t, 0, st.Partial, "a throttled call counts once, as throttled")
}

func TestFlowSlowStartGrowsOnlyWhenTheWindowBinds(t *testing.T) {
	f, now := testFlow(8)
	ctx := context.Background()
	// Nobody waits for a slot: answers in full do not grow the window.
	for range 5 {
		require.True(t, f.tryAcquire())
		e, _ := f.pace(ctx, 25)
		*now = now.Add(10 * time.Millisecond)
		f.observe(e, 25, 25, false)
		f.release()
	}
	assert.Equal(t, 1, f.snapshot().Concurrency)
	// A sender waits for a slot: each answer in full adds one, up to max.
	for i := range 12 {
		for f.tryAcquire() {
		}
		e, _ := f.pace(ctx, 25)
		*now = now.Add(10 * time.Millisecond)
		f.observe(e, 25, 25, false)
		f.mu.Lock()
		f.inflight = 0
		f.mu.Unlock()
		assert.Equal(t, min(i+2, 8), f.snapshot().Concurrency)
	}
	assert.Equal(t, 0.0, f.snapshot().Rate, "not paced while nothing is throttled")
}

func TestFlowBacksOffOncePerRoundAndPaces(t *testing.T) {
	f, now := testFlow(16)
	ctx := context.Background()
	f.mu.Lock()
	f.win = 8
	f.mu.Unlock()
	// Eight calls in flight, sent in the same epoch; 500 requests a second
	// taken in so far.
	var epochs []uint64
	for range 8 {
		e, err := f.pace(ctx, 25)
		require.NoError(t, err)
		epochs = append(epochs, e)
	}
	for range 20 {
		*now = now.Add(50 * time.Millisecond)
		f.observe(epochs[0], 25, 25, false)
	}
	// All eight come back partly processed: one back-off, not eight.
	for _, e := range epochs {
		f.observe(e, 25, 5, false)
	}
	st := f.snapshot()
	assert.Equal(t, 4, st.Concurrency, "halved once")
	assert.InDelta(t, autoBeta*(20*25+5)/1.0, st.Rate, 1, "paced at autoBeta times what was taken in over the last second, when the first back-off came")
	assert.Equal(t, 8, st.Partial)

	// A call sent after the back-off and throttled backs off again.
	f.mu.Lock()
	e := f.epoch // what pace hands out now (the clock is frozen: it would wait forever)
	f.mu.Unlock()
	f.observe(e, 1, 0, true)
	assert.Equal(t, 2, f.snapshot().Concurrency)
	assert.LessOrEqual(t, f.snapshot().Rate, st.Rate, "never raised by a back-off")
}

func TestFlowPaceSpacesCalls(t *testing.T) {
	f := newFlow(0, 4, 0) // real clock
	f.mu.Lock()
	f.start, f.lastGrow, f.lastCong = time.Now(), time.Now(), time.Now()
	f.rate, f.tokens, f.maxCall = 500, 0, 25 // 25 requests take 50 ms
	f.mu.Unlock()
	t0 := time.Now()
	for range 4 {
		_, err := f.pace(context.Background(), 25)
		require.NoError(t, err)
	}
	el := time.Since(t0)
	assert.GreaterOrEqual(t, el, 190*time.Millisecond, "4 calls of 25 at 500/s")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.pace(ctx, 25)
	assert.ErrorIs(t, err, context.Canceled, "a paced wait ends with its context")
}

func TestFlowCapsAtConnMaxConcurrency(t *testing.T) {
	assert.Equal(t, 4, newFlow(0, 32, 4).max)
	assert.Equal(t, 32, newFlow(0, 32, 0).max)
	assert.Equal(t, 8, newFlow(8, 0, 4).fixed, "a fixed Concurrency is left to the connection's own cap")
}
