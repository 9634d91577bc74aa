package dynamap

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
)

// AutoConcurrency lets a batch choose for itself how many requests it keeps
// in flight, between 1 and maxInFlight (and never more than the
// connection's conn.Options.MaxConcurrency): BatchWrite and BatchWriteFunc
// for their BatchWriteItem calls, BatchGet for its BatchGetItem calls.
// maxInFlight < 1 means 1.
//
// It starts with one request in flight and adds one for each call answered
// in full while the caller had to wait for a free slot (so the number
// doubles every round trip at first, then grows by one per round trip once
// it has had to back off), as long as nothing is throttled. A call that is
// throttled (an error after the SDK's retries, or an answer that needed SDK
// retries) or that leaves requests unprocessed halves it, once per round of
// calls. When it is down to what the table's capacity allows, it also
// paces the calls: at a little under the rate of requests the table
// absorbed over the last second, raised slowly while calls are answered in
// full and faster the longer nothing is throttled. BatchTable.Stats and
// ResultSet.BatchStats tell what it settled on.
//
// Concurrency and AutoConcurrency set the same thing: the last one given
// wins.
func AutoConcurrency(maxInFlight int) BatchSharedOption { return autoOption(max(maxInFlight, 1)) }

type autoOption int

func (n autoOption) applyBatch(c *batchConfig) { c.concurrency, c.autoMax = 0, int(n) }
func (n autoOption) applyBatchGet(c *readConfig) {
	c.batchConcurrency, c.batchAutoMax = 0, int(n)
}

// BatchStats tells how a batch sent its calls: with Concurrency(n), n calls
// in flight at most; with AutoConcurrency, what it settled on.
type BatchStats struct {
	// Concurrency is how many calls the batch lets be in flight now: n for
	// Concurrency(n), the current choice for AutoConcurrency.
	Concurrency int
	// MaxInFlight is the most calls that were in flight at once.
	MaxInFlight int
	// Rate is AutoConcurrency's pace, in requests (puts and deletes, or
	// keys) per second; 0 means the calls are not paced.
	Rate float64
	// Calls counts the BatchWriteItem or BatchGetItem calls answered
	// (SDK retries of one call are one call), Throttled those that were
	// throttled or needed SDK retries, and Partial those answered with
	// requests left unprocessed.
	Calls, Throttled, Partial int
}

// Pacing constants of AutoConcurrency.
const (
	autoBeta     = 0.9                   // pace after throttling: this share of what the table absorbed
	autoWindow   = time.Second           // how far back "what the table absorbed" looks
	autoCalm     = time.Second           // after this long without throttling, the pace grows fast
	autoSlowGain = 0.1                   // pace growth per second just after throttling (10%/s)
	autoFastGain = 2.8                   // and once calm (about doubling every 250 ms)
	autoUnpace   = 4                     // pace this many times what the table absorbs: stop pacing
	autoMinRate  = 1.0                   // requests per second, the slowest pace
	autoHistory  = 2 * autoWindow        // deliveries kept
	autoMinSpan  = 20 * time.Millisecond // shortest span a delivered rate is measured over
)

// flow decides when a batch may send a call: a fixed number in flight, or
// AutoConcurrency's adaptive window and pace. It is shared by the batch's
// senders and safe for concurrent use.
type flow struct {
	mu       sync.Mutex
	wake     chan struct{} // closed (and replaced) when a slot frees or the window grows
	inflight int
	fixed    int // > 0: Concurrency(fixed)
	max      int // AutoConcurrency's cap

	win      float64   // AutoConcurrency's window
	ssthresh float64   // below it the window doubles per round trip
	rate     float64   // requests per second; 0: unpaced
	next     time.Time // the pacer's next free time
	epoch    uint64    // bumped at each back-off; a call carries the epoch it was sent in
	start    time.Time
	lastCong time.Time
	lastGrow time.Time
	limited  bool // a sender waited for a slot, with the pacer idle, since the last growth
	sent     int  // requests sent so far
	hist     []delivery
	stats    BatchStats
	now      func() time.Time
}

// delivery is what one answer took in.
type delivery struct {
	at time.Time
	n  int
}

// newFlow returns Concurrency(fixed) when fixed > 0, else AutoConcurrency
// up to min(autoMax, connMax) (connMax <= 0: no cap).
func newFlow(fixed, autoMax, connMax int) *flow {
	f := &flow{wake: make(chan struct{}), now: time.Now}
	if fixed > 0 || autoMax <= 0 {
		f.fixed = max(fixed, 1)
		f.stats.Concurrency = f.fixed
		return f
	}
	f.max = autoMax
	if connMax > 0 {
		f.max = min(f.max, connMax)
	}
	f.win, f.ssthresh = 1, float64(f.max)
	f.stats.Concurrency = 1
	return f
}

// limit is how many calls may be in flight. f.mu is held.
func (f *flow) limit() int {
	if f.fixed > 0 {
		return f.fixed
	}
	return min(max(int(f.win), 1), f.max)
}

func (f *flow) signal() {
	close(f.wake)
	f.wake = make(chan struct{})
}

// tryAcquire takes a slot if one is free.
func (f *flow) tryAcquire() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inflight < f.limit() {
		f.inflight++
		f.stats.MaxInFlight = max(f.stats.MaxInFlight, f.inflight)
		return true
	}
	if !f.next.After(f.now()) {
		f.limited = true // the window, not the pacer, holds the sender back
	}
	return false
}

// acquire waits for a free slot (taking one at once if free, even when ctx
// is done) or until ctx ends.
func (f *flow) acquire(ctx context.Context) error {
	for {
		if f.tryAcquire() {
			return nil
		}
		f.mu.Lock()
		ch := f.wake
		f.mu.Unlock()
		if f.tryAcquire() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// release frees a slot.
func (f *flow) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inflight--
	f.signal()
}

// pace waits until a call of n requests may be sent, and returns the epoch
// to hand to observe with its answer.
func (f *flow) pace(ctx context.Context, n int) (uint64, error) {
	f.mu.Lock()
	epoch := f.epoch
	now := f.now()
	if f.start.IsZero() {
		f.start, f.lastGrow, f.lastCong = now, now, now
	}
	f.sent += n
	if f.fixed > 0 || f.rate <= 0 {
		f.mu.Unlock()
		return epoch, nil
	}
	at := f.next
	if at.Before(now) {
		at = now
	}
	f.next = at.Add(time.Duration(float64(n) / f.rate * float64(time.Second)))
	f.mu.Unlock()
	return epoch, sleepCtx(ctx, at.Sub(now))
}

// attempts is how many HTTP attempts the SDK made for an answer.
func attempts(md middleware.Metadata) int {
	if r, ok := retry.GetAttemptResults(md); ok {
		return len(r.Results)
	}
	return 1
}

// observe takes in the answer to a call sent in epoch with sent requests,
// of which processed were taken in; throttled says the call was throttled
// (or needed SDK retries).
func (f *flow) observe(epoch uint64, sent, processed int, throttled bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	f.stats.Calls++
	if processed > 0 {
		f.hist = append(f.hist, delivery{now, processed})
	}
	i := 0
	for i < len(f.hist) && now.Sub(f.hist[i].at) > autoHistory {
		i++
	}
	f.hist = f.hist[i:]
	congested := throttled || processed < sent
	if throttled {
		f.stats.Throttled++
	} else if processed < sent {
		f.stats.Partial++
	}
	if f.fixed > 0 {
		return
	}
	defer func() {
		f.stats.Concurrency, f.stats.Rate = f.limit(), f.rate
	}()
	if congested {
		if epoch != f.epoch {
			return // sent before the last back-off, which it already caused
		}
		f.epoch++
		f.lastCong, f.lastGrow = now, now
		f.win = max(1, f.win/2)
		f.ssthresh = f.win
		r := f.delivered(now)
		if r <= 0 {
			// Nothing taken in yet: half of what was sent.
			if span := now.Sub(f.start); span > 0 {
				r = float64(f.sent) / span.Seconds() / 2
			}
		}
		if f.rate > 0 && (r <= 0 || f.rate < r) {
			r = f.rate
		}
		f.rate = max(autoMinRate, autoBeta*r)
		f.signal()
		return
	}
	if f.rate > 0 {
		dt := min(now.Sub(f.lastGrow), autoWindow).Seconds()
		gain := autoSlowGain
		if now.Sub(f.lastCong) > autoCalm {
			gain = autoFastGain
		}
		f.rate *= 1 + gain*dt
		if d := f.delivered(now); d > 0 && f.rate > autoUnpace*d && now.Sub(f.lastCong) > 2*autoCalm {
			f.rate = 0 // the table keeps up: the window alone decides
		}
	}
	f.lastGrow = now
	if f.limited {
		f.limited = false
		if f.win < f.ssthresh {
			f.win++
		} else {
			f.win += 1 / f.win
		}
		f.win = min(f.win, float64(f.max))
		f.signal()
	}
}

// delivered is the rate of requests taken in over the last autoWindow (or
// since the first call, if sooner), 0 when that is too short to tell. f.mu
// is held.
func (f *flow) delivered(now time.Time) float64 {
	from := now.Add(-autoWindow)
	if from.Before(f.start) {
		from = f.start
	}
	span := now.Sub(from)
	if span < autoMinSpan {
		return 0
	}
	n := 0
	for _, d := range f.hist {
		if d.at.After(from) {
			n += d.n
		}
	}
	return float64(n) / span.Seconds()
}

// snapshot returns the stats so far.
func (f *flow) snapshot() BatchStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	s.Concurrency = f.limit()
	s.Rate = f.rate
	return s
}

// BatchStats tells how a BatchGet has sent its BatchGetItem calls so far
// (over all its iterations): with AutoConcurrency, how many calls it lets
// be in flight now and its pace (see BatchStats). For a Query or Scan it
// is the zero BatchStats.
func (rs *ResultSet) BatchStats() BatchStats {
	if rs.batchStats == nil {
		return BatchStats{}
	}
	return rs.batchStats()
}
