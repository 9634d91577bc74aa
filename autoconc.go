package dynamap

import (
	"context"
	"math"
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
// It is not the default: without either option a batch keeps one call in
// flight (Concurrency(1)). Concurrency and AutoConcurrency set the same
// thing: the last one given wins.
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
	autoBeta     = 0.95                   // pace after throttling: this share of what the table absorbed
	autoWindow   = time.Second            // how far back "what the table absorbed" looks
	autoCalm     = 5 * time.Second        // after this long without throttling, the pace grows fast
	autoSlowGain = 0.01                   // pace growth rate per second just after throttling (~1%/s)
	autoFastGain = 0.2                    // and once calm (~22%/s)
	autoMaxStep  = 250 * time.Millisecond // most time one growth step counts (after an idle spell)
	autoPoll     = 50 * time.Millisecond  // a paced sender looks at the pace again at least this often
	autoUnpace   = 4                      // pace this many times what the table absorbs: stop pacing
	autoMinRate  = 1.0                    // requests per second, the slowest pace
	autoMinSpan  = 20 * time.Millisecond  // a rate is measured over at least this long
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

	win      float64 // AutoConcurrency's window
	ssthresh float64 // below it the window grows by one per call answered (doubling per round trip)
	rate     float64 // the pace, requests per second; 0: unpaced
	tokens   float64 // requests the pace allows now
	maxCall  int     // the largest call so far: with autoPoll of pace, the most tokens kept
	pacers   int     // senders waiting for the pace
	resting  int     // senders holding a slot while they back off before a re-send
	epoch    uint64  // bumped at each back-off; a call carries the epoch it was sent in
	start    time.Time
	firstCng time.Time // the first back-off: the table's rate is measured from then on
	lastCong time.Time
	lastGrow time.Time
	limited  bool       // a sender waited for a slot, with no sender waiting for the pace, since the last growth
	sent     []delivery // requests sent, over the last autoWindow
	taken    []delivery // requests taken in (answered as processed), over the last autoWindow
	stats    BatchStats
	now      func() time.Time
}

// delivery is a number of requests at a time.
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
	if f.pacers == 0 && f.resting == 0 {
		f.limited = true // the window, not the pace or a back-off, holds the sender back
	}
	return false
}

// acquire waits for a free slot (taking one at once if free, even when ctx
// is done) or until ctx ends.
func (f *flow) acquire(ctx context.Context) error {
	for {
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

// rest waits d before a re-send, holding a slot: the window does not grow
// for senders held back meanwhile.
func (f *flow) rest(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.resting++
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.resting--
		f.mu.Unlock()
	}()
	return sleepCtx(ctx, d)
}

// release frees a slot.
func (f *flow) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inflight--
	f.signal()
}

// pace waits until a call of n requests may be sent (at once unless
// AutoConcurrency paces the calls), and returns the epoch to hand to
// observe with its answer.
func (f *flow) pace(ctx context.Context, n int) (uint64, error) {
	f.mu.Lock()
	now := f.now()
	if f.start.IsZero() {
		f.start, f.lastGrow, f.lastCong = now, now, now
	}
	f.maxCall = max(f.maxCall, n)
	if f.fixed > 0 {
		f.mu.Unlock()
		return 0, nil
	}
	f.pacers++
	for {
		f.grow(now)
		if f.rate <= 0 || f.tokens >= float64(n) {
			if f.rate > 0 {
				f.tokens -= float64(n)
			}
			f.pacers--
			f.sent = appendRecent(f.sent, now, n)
			epoch := f.epoch
			f.mu.Unlock()
			return epoch, nil
		}
		wait := min(time.Duration((float64(n)-f.tokens)/f.rate*float64(time.Second)), autoPoll)
		f.mu.Unlock()
		if err := sleepCtx(ctx, wait); err != nil {
			f.mu.Lock()
			f.pacers--
			f.mu.Unlock()
			return 0, err
		}
		f.mu.Lock()
		now = f.now()
	}
}

// grow raises the pace for the time since the last growth (slowly just
// after a back-off, fast once calm) if a sender is waiting for it, and
// adds the requests it allows. f.mu is held.
func (f *flow) grow(now time.Time) {
	dt := min(now.Sub(f.lastGrow), autoMaxStep).Seconds()
	if dt <= 0 {
		return
	}
	f.lastGrow = now
	if f.rate <= 0 {
		return
	}
	if f.pacers > 0 { // only while the pace holds a sender back
		gain := autoSlowGain
		if now.Sub(f.lastCong) > autoCalm {
			gain = autoFastGain
		}
		f.rate *= math.Exp(gain * dt)
	}
	// Keep a call's worth, plus what a late wake-up would lose.
	f.tokens = min(f.tokens+f.rate*dt, float64(f.maxCall)+f.rate*autoPoll.Seconds())
}

// appendRecent appends n requests at now to ds, dropping those older than
// autoWindow.
func appendRecent(ds []delivery, now time.Time, n int) []delivery {
	i := 0
	for i < len(ds) && now.Sub(ds[i].at) > autoWindow {
		i++
	}
	return append(ds[i:], delivery{now, n})
}

// rateOf is the rate of ds's requests over the last autoWindow (or since
// the first back-off, or else the first call, if sooner; but over at least
// autoMinSpan). f.mu is held.
func (f *flow) rateOf(ds []delivery, now time.Time) float64 {
	from := now.Add(-autoWindow)
	first := f.start
	if !f.firstCng.IsZero() && now.Sub(f.firstCng) >= autoMinSpan {
		first = f.firstCng // before it the table may have spent a burst
	}
	if from.Before(first) {
		from = first
	}
	span := max(now.Sub(from), autoMinSpan)
	n := 0
	for _, d := range ds {
		if !d.at.Before(from) {
			n += d.n
		}
	}
	return float64(n) / span.Seconds()
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
//
// A congested answer (throttled, or requests left unprocessed) to a call
// sent since the last back-off backs off again: the window halves, and the
// pace becomes autoBeta times the rate the table took requests in over the
// last second, counted from the first back-off on (at most the pace it had;
// at the first back-off, at least half the rate requests were sent at).
// Any other answer grows the pace, and the window by one if a sender had
// to wait for a slot.
func (f *flow) observe(epoch uint64, sent, processed int, throttled bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	f.stats.Calls++
	if processed > 0 {
		f.taken = appendRecent(f.taken, now, processed)
	}
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
		taken := f.rateOf(f.taken, now)
		r := taken
		if f.rate > 0 {
			r = min(f.rate, taken)
		} else if f.firstCng.IsZero() {
			// The first back-off: what was taken in so far may include a
			// burst, or be nothing yet.
			r = max(taken, f.rateOf(f.sent, now)/2)
		}
		if f.firstCng.IsZero() {
			f.firstCng = now
		}
		f.rate = max(autoMinRate, autoBeta*r)
		f.tokens = 0
		f.signal()
		return
	}
	f.grow(now)
	if d := f.rateOf(f.taken, now); f.rate > 0 && d > 0 && f.rate > autoUnpace*d && now.Sub(f.lastCong) > 2*autoCalm {
		f.rate = 0 // the table keeps up: the window alone decides
	}
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
