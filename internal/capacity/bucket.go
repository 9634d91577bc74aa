// Package capacity models DynamoDB's provisioned capacity for tests and
// benchmarks: a token bucket of capacity units per second that keeps unused
// capacity for a while (DynamoDB keeps up to 300 seconds of it as burst
// capacity), and the arithmetic DynamoDB uses to turn item sizes into write
// and read capacity units. internal/faultproxy applies it to the requests it
// forwards to DynamoDB Local.
package capacity

import (
	"sync"
	"time"
)

// DefaultBurst is how much unused capacity DynamoDB retains: 300 seconds of
// the provisioned rate.
const DefaultBurst = 300 * time.Second

// Bucket is a token bucket of capacity units, refilled continuously at its
// rate and holding at most its burst. A nil *Bucket is unmetered: every
// request fits. A Bucket is safe for concurrent use.
type Bucket struct {
	mu     sync.Mutex
	rate   float64 // units per second
	max    float64 // most units held
	tokens float64 // may go negative: reads are charged after they are served
	last   time.Time
	now    func() time.Time
}

// NewBucket returns a bucket refilled at rate units per second. It holds at
// most burst worth of the rate (0 means DefaultBurst; anything under one
// second means one second, so that a request of one second's units can
// fit) and starts with initial worth of the rate (capped by the maximum; 0
// means one second's worth, < 0 empty). rate <= 0 returns nil: unmetered.
func NewBucket(rate float64, burst, initial time.Duration) *Bucket {
	if rate <= 0 {
		return nil
	}
	if burst == 0 {
		burst = DefaultBurst
	}
	burst = max(burst, time.Second)
	switch {
	case initial == 0:
		initial = time.Second
	case initial < 0:
		initial = 0
	}
	b := &Bucket{rate: rate, max: rate * burst.Seconds(), now: time.Now}
	b.tokens = min(b.max, rate*initial.Seconds())
	b.last = b.now()
	return b
}

// refill adds the units earned since the last call. b.mu is held.
func (b *Bucket) refill() {
	now := b.now()
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.max, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
}

// Tokens returns the units the bucket holds now (negative when in debt).
// A nil bucket returns 0.
func (b *Bucket) Tokens() float64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	return b.tokens
}

// Fit takes, in order, the units of each request that fits and stops at
// the first that does not, returning how many fit. A request of u units
// fits when the bucket holds at least u, or when the bucket is full (a
// request bigger than the whole bucket then takes it into debt instead of
// never fitting). A nil bucket fits everything.
func (b *Bucket) Fit(units []float64) int {
	if b == nil {
		return len(units)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	for i, u := range units {
		if b.tokens < u && b.tokens < b.max {
			return i
		}
		b.tokens -= u
	}
	return len(units)
}

// MinRead is the smallest read's cost (an eventually consistent read of up
// to 4 KB): a bucket holding less is empty for reads.
const MinRead = 0.5

// Open reports whether the bucket holds at least MinRead: a read is
// admitted when it does and charged (with Charge) once its size is known,
// as DynamoDB does. A nil bucket is always open.
func (b *Bucket) Open() bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	return b.tokens >= MinRead
}

// FitOpen charges, in order, each request while the bucket holds at least
// MinRead before it (it may end in debt) and returns how many were charged: the
// rule for the items of a BatchGetItem, whose sizes are known only once
// they are read. A nil bucket charges nothing and fits everything.
func (b *Bucket) FitOpen(units []float64) int {
	if b == nil {
		return len(units)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	for i, u := range units {
		if b.tokens < MinRead {
			return i
		}
		b.tokens -= u
	}
	return len(units)
}

// Charge takes units whether or not the bucket holds them (it may go into
// debt, which later refills pay back).
func (b *Bucket) Charge(units float64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	b.tokens -= units
}
