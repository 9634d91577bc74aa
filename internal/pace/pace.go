// Package pace is dynamap's capacity limiter: a budget of capacity units per
// second that a read or a batch spends request by request. Before a request
// it waits until the budget allows one (Wait); after it, it charges what
// DynamoDB reports the request consumed (Charge). The cost of a request is
// known only once it is answered, so the budget may run into debt: the next
// request then waits until the debt is paid off. Over any run the units
// charged stay within rate × elapsed time plus the requests in flight.
package pace

import (
	"context"
	"math"
	"sync"
	"time"
)

// Clock is the time source of a Limiter: the real one (nil in New), or a
// test's.
type Clock interface {
	Now() time.Time
	// Sleep pauses for d or until ctx is done, and then returns ctx's
	// error (nil when d passed).
	Sleep(ctx context.Context, d time.Duration) error
}

// Limiter is a budget of Rate capacity units per second, safe for
// concurrent use: every goroutine that Waits and Charges shares it.
//
// Unused budget is kept up to one second's worth, so a caller that pauses
// may then spend that much at once. A new Limiter starts with none, and
// starts filling at its first Wait.
type Limiter struct {
	rate  float64
	burst float64
	clock Clock

	mu    sync.Mutex
	avail float64   // units that may be spent now (negative: debt)
	last  time.Time // when avail was last brought up to date
	est   float64   // the expected cost of a request (moving average)
	seen  bool      // est is based on a charge
	// probe is closed when the one request let through to learn the cost
	// (before any charge) is charged; nil when none is out.
	probe  chan struct{}
	used   float64 // units charged so far
	charge int     // requests charged so far
}

// New returns a Limiter of rate units per second (rate must be positive
// and finite; the caller checks) on clock (nil: the real clock).
func New(rate float64, clock Clock) *Limiter {
	if clock == nil {
		clock = realClock{}
	}
	return &Limiter{rate: rate, burst: rate, clock: clock}
}

// Rate returns the limiter's rate in units per second.
func (l *Limiter) Rate() float64 { return l.rate }

// Valid reports whether rate is a usable rate: positive and finite.
func Valid(rate float64) bool {
	return rate > 0 && !math.IsInf(rate, 0) && !math.IsNaN(rate)
}

// refill brings avail up to now. The budget starts filling at the first
// Wait, not when the Limiter is made. l.mu is held.
func (l *Limiter) refill() {
	now := l.clock.Now()
	if l.last.IsZero() {
		l.last = now
	}
	if dt := now.Sub(l.last); dt > 0 {
		l.avail = math.Min(l.burst, l.avail+dt.Seconds()*l.rate)
		l.last = now
	}
}

// Wait blocks until the budget is not in debt, then reserves the expected
// cost of one request (the moving average of the costs charged so far) so
// that concurrent requests do not all start at once. Until a cost is known,
// one request at a time goes (reserving 0) and the others wait for its
// charge.
// It returns the units reserved, to pass to Charge, or ctx's error if ctx
// ends first (nothing is reserved then).
func (l *Limiter) Wait(ctx context.Context) (reserved float64, err error) {
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		l.mu.Lock()
		if !l.seen && l.probe != nil {
			// The cost is not known yet: wait for the first request's.
			ch := l.probe
			l.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		l.refill()
		if l.avail >= 0 {
			if !l.seen {
				l.probe = make(chan struct{})
			}
			r := l.est
			l.avail -= r
			l.mu.Unlock()
			return r, nil
		}
		d := time.Duration(math.Ceil(-l.avail / l.rate * float64(time.Second)))
		l.mu.Unlock()
		if err := l.clock.Sleep(ctx, max(d, time.Microsecond)); err != nil {
			return 0, err
		}
	}
}

// Charge settles a request that reserved units: it spends used (what the
// request consumed) instead. A request that was not sent, or failed before
// consuming anything, charges 0 and gives its reservation back.
func (l *Limiter) Charge(reserved, used float64) {
	if used < 0 || math.IsNaN(used) || math.IsInf(used, 0) {
		used = 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refill()
	l.avail += reserved - used
	l.used += used
	l.charge++
	if l.probe != nil && !l.seen {
		close(l.probe)
		l.probe = nil
	}
	if used > 0 {
		if !l.seen {
			l.est, l.seen = used, true
		} else {
			l.est += (used - l.est) / 4
		}
	}
}

// Used returns the units charged so far and the number of charges.
func (l *Limiter) Used() (units float64, requests int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.used, l.charge
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
