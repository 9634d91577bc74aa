package pace

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeClock is a deterministic clock: Sleep advances it by d at once.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	slept  time.Duration
	sleeps int
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.advance(d)
	c.mu.Lock()
	c.slept += d
	c.sleeps++
	c.mu.Unlock()
	return nil
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestValid(t *testing.T) {
	for _, r := range []float64{0, -1, math.NaN(), math.Inf(1), math.Inf(-1)} {
		if Valid(r) {
			t.Errorf("Valid(%v) = true", r)
		}
	}
	for _, r := range []float64{0.001, 1, 1e9} {
		if !Valid(r) {
			t.Errorf("Valid(%v) = false", r)
		}
	}
}

// A sequential reader charging 5 units a request at 10 units/s: the first
// request goes at once, every later one waits until the debt is paid, so
// n requests take (n-1)*5/10 s of clock time, exactly.
func TestSequentialHoldsRate(t *testing.T) {
	clk := newFakeClock()
	l := New(10, clk)
	start := clk.Now()
	const n, cost = 100, 5.0
	for range n {
		r, err := l.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		l.Charge(r, cost)
	}
	elapsed := clk.Now().Sub(start).Seconds()
	if want := (n - 1) * cost / 10; math.Abs(elapsed-want) > 1e-3 {
		t.Fatalf("%d requests of %v units at 10/s took %.3fs of clock, want %.3fs", n, cost, elapsed, want)
	}
	if u, k := l.Used(); u != n*cost || k != n {
		t.Fatalf("Used() = %v, %d; want %v, %d", u, k, n*cost, n)
	}
}

// Requests whose cost varies (0 included: a failed request) still average
// the rate: units charged before the last request started never exceed
// rate × elapsed.
func TestVaryingCostsNeverExceedRate(t *testing.T) {
	clk := newFakeClock()
	l := New(25, clk)
	start := clk.Now()
	costs := []float64{0.5, 12, 0, 3, 40, 1, 1, 0, 7.5, 25}
	var charged float64
	for i := range 200 {
		r, err := l.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if budget := 25*clk.Now().Sub(start).Seconds() + 1e-6; charged > budget {
			t.Fatalf("request %d started with %.2f units charged, over the %.2f the rate allows so far", i, charged, budget)
		}
		c := costs[i%len(costs)]
		l.Charge(r, c)
		charged += c
	}
	// And it is not slower than needed: the limiter waits only for debt.
	elapsed := clk.Now().Sub(start).Seconds()
	last := costs[199%len(costs)]
	if want := (charged - last) / 25; elapsed > want+1e-3 {
		t.Fatalf("took %.3fs of clock, the rate needs only %.3fs", elapsed, want)
	}
}

// Budget left unused while the caller is busy elsewhere is kept up to one
// second's worth, no more: after a long pause, requests go without waiting
// only until that second's worth is spent.
func TestBurstIsOneSecond(t *testing.T) {
	clk := newFakeClock()
	l := New(10, clk)
	r, _ := l.Wait(context.Background())
	l.Charge(r, 1) // est = 1
	clk.advance(time.Hour)
	sleeps := clk.sleeps
	free := 0
	for clk.sleeps == sleeps {
		r, err := l.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if clk.sleeps != sleeps {
			break
		}
		free++
		l.Charge(r, 1)
	}
	// 10 units of credit (one second), 1 unit per request, the last one
	// may start at 0 credit.
	if free < 10 || free > 11 {
		t.Fatalf("%d requests went without waiting after an hour idle, want 10 or 11 (one second's worth)", free)
	}
}

// With the cost of a request known, concurrent waiters reserve it: a
// second request does not start while the first one's expected cost is
// unpaid.
func TestReservationSpacesConcurrentStarts(t *testing.T) {
	clk := newFakeClock()
	l := New(10, clk)
	r, _ := l.Wait(context.Background())
	l.Charge(r, 5) // est = 5, debt 5
	clk.advance(500 * time.Millisecond)
	r1, err := l.Wait(context.Background()) // debt paid: goes, reserving 5
	if err != nil || r1 != 5 {
		t.Fatalf("Wait = %v, %v; want 5 reserved", r1, err)
	}
	before := clk.Now()
	r2, err := l.Wait(context.Background()) // must wait for r1's reservation
	if err != nil {
		t.Fatal(err)
	}
	if waited := clk.Now().Sub(before); waited < 500*time.Millisecond {
		t.Fatalf("second concurrent Wait waited %v, want >= 500ms (the first one's reserved 5 units at 10/s)", waited)
	}
	// The first costs less than reserved: the difference comes back.
	l.Charge(r1, 1)
	l.Charge(r2, 5)
	if u, _ := l.Used(); u != 11 {
		t.Fatalf("Used = %v, want 11", u)
	}
}

func TestWaitStopsWithContext(t *testing.T) {
	clk := newFakeClock()
	l := New(1, clk)
	r, _ := l.Wait(context.Background())
	l.Charge(r, 100) // 100 s of debt
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with a canceled context = %v, want context.Canceled", err)
	}
	// Real clock: a deadline ends a long wait promptly.
	l = New(1, nil)
	r, _ = l.Wait(context.Background())
	l.Charge(r, 100)
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if _, err := l.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Fatalf("Wait took %v after a 20ms deadline", d)
	}
}

// Many goroutines sharing one limiter on the real clock: the units charged
// before any request starts stay within rate × elapsed plus what the other
// goroutines may have in flight (their reservations are what spaces them).
func TestConcurrentShareOneBudget(t *testing.T) {
	const rate, cost, workers = 2000.0, 20.0, 4
	l := New(rate, nil)
	start := time.Now()
	var mu sync.Mutex
	var charged float64
	var over error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Since(start) < 300*time.Millisecond {
				r, err := l.Wait(context.Background())
				if err != nil {
					return
				}
				mu.Lock()
				if budget := rate*time.Since(start).Seconds() + workers*cost; charged > budget && over == nil {
					over = errors.New("units charged ran ahead of the rate")
				}
				mu.Unlock()
				time.Sleep(time.Millisecond) // the request
				mu.Lock()
				charged += cost
				mu.Unlock()
				l.Charge(r, cost)
			}
		})
	}
	wg.Wait()
	if over != nil {
		t.Fatal(over)
	}
	if max := rate*time.Since(start).Seconds() + workers*cost; charged > max {
		t.Fatalf("charged %.0f units in %v, over %.0f", charged, time.Since(start), max)
	}
}

// Before any cost is known, concurrent waiters let one request through and
// wait for its charge, so that they do not all start on an empty budget.
func TestFirstRequestProbesAlone(t *testing.T) {
	l := New(1000, nil)
	r1, err := l.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan float64)
	go func() {
		r, _ := l.Wait(context.Background())
		done <- r
	}()
	select {
	case <-done:
		t.Fatal("a second request started before the first one's cost was known")
	case <-time.After(30 * time.Millisecond):
	}
	l.Charge(r1, 5)
	select {
	case r := <-done:
		if r != 5 {
			t.Fatalf("second request reserved %v, want the 5 learnt", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second request still waiting after the first was charged")
	}
	// A failed first request (charged 0) lets the next one probe.
	l = New(1000, nil)
	r1, _ = l.Wait(context.Background())
	l.Charge(r1, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := l.Wait(ctx); err != nil {
		t.Fatalf("after a zero charge: %v", err)
	}
}

// A Limiter made long before it is used has no budget saved up.
func TestNoCreditBeforeFirstWait(t *testing.T) {
	clk := newFakeClock()
	l := New(10, clk)
	clk.advance(time.Hour)
	r, _ := l.Wait(context.Background())
	l.Charge(r, 5)
	before := clk.Now()
	r, _ = l.Wait(context.Background())
	if waited := clk.Now().Sub(before); waited != 500*time.Millisecond {
		t.Fatalf("second request waited %v, want 500ms: the hour before the first Wait must not count", waited)
	}
	l.Charge(r, 5)
}

// Workers sharing one limiter on the real clock inside a synctest bubble
// (virtual time: exact however loaded the machine is), each request taking
// longer than the spacing the rate sets so that several are in flight at
// once, with costs that vary: the units charged before any request starts
// never exceed rate × elapsed plus what the other workers have in flight,
// and over the run the limiter keeps up the rate (it does not wait longer
// than the debt needs).
func TestConcurrentRateInVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate, workers, n = 100.0, 4, 200
		costs := []float64{10, 30, 5, 25, 15, 0, 35} // 0: a failed request
		l := New(rate, nil)
		start := time.Now()
		var mu sync.Mutex
		var charged, biggest float64
		var starts []time.Time
		var startUnits []float64 // units charged when each request started
		var startCost []float64  // and its own cost
		inFlight, overlap := 0, 0
		next := 0
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for {
					mu.Lock()
					if next == n {
						mu.Unlock()
						return
					}
					c := costs[next%len(costs)]
					next++
					mu.Unlock()
					r, err := l.Wait(context.Background())
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					starts = append(starts, time.Now())
					startUnits = append(startUnits, charged)
					startCost = append(startCost, c)
					inFlight++
					overlap = max(overlap, inFlight)
					mu.Unlock()
					time.Sleep(400 * time.Millisecond) // the request: the rate allows one every 0.05 to 0.35s
					l.Charge(r, c)
					mu.Lock() // after Charge: a start never sees units the limiter was not charged yet
					charged += c
					biggest = max(biggest, c)
					inFlight--
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if overlap < 2 {
			t.Fatalf("at most %d request in flight: the test does not exercise the reservations", overlap)
		}
		for i, s := range starts {
			if budget := rate * s.Sub(start).Seconds(); startUnits[i] > budget+1e-9 {
				t.Fatalf("request %d started at %v with %.1f units charged, over the %.1f the rate allows", i, s.Sub(start), startUnits[i], budget)
			}
		}
		// Over the run: every unit but those in flight with the last
		// request was paid for when it started; and the limiter kept up
		// the rate, within 10% (the reservations are the average cost, not
		// each request's own).
		last := starts[len(starts)-1].Sub(start).Seconds()
		if ahead := rate*last + workers*biggest; charged > ahead {
			t.Fatalf("%.0f units charged, the last request started at %.2fs: over %.0f", charged, last, ahead)
		}
		lastCost := startCost[len(startCost)-1]
		if got := (charged - lastCost) / last; got < 0.9*rate {
			t.Fatalf("%.1f units/s: the limiter waited longer than the budget needs (limit %.0f)", got, rate)
		}
		t.Logf("%d requests, %.0f units, the last started at %.2fs: %.1f units/s (limit %.0f), up to %d in flight", n, charged, last, (charged-lastCost)/last, rate, overlap)
	})
}
