package pager

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// source is a fake table of n items (k = 0..n-1) served size per page.
type source struct {
	n, size  int
	delay    time.Duration
	failPage int // 1-based page whose request fails (0: none)

	mu       sync.Mutex
	requests []int32 // the Limit of every request, in order
	active   atomic.Int32
	returned atomic.Int32 // pages returned
}

func (s *source) fetch(ctx context.Context, _ int, start map[string]types.AttributeValue, limit int32, _ bool) (Page, error) {
	s.active.Add(1)
	defer s.active.Add(-1)
	s.mu.Lock()
	s.requests = append(s.requests, limit)
	nreq := len(s.requests)
	s.mu.Unlock()
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return Page{}, fmt.Errorf("fetch: %w", ctx.Err())
		}
	}
	if err := ctx.Err(); err != nil {
		return Page{}, fmt.Errorf("fetch: %w", err)
	}
	if nreq == s.failPage {
		return Page{}, errors.New("page failed")
	}
	pos := 0
	if start != nil {
		pos, _ = strconv.Atoi(start["k"].(*types.AttributeValueMemberN).Value)
		pos++
	}
	m := min(s.size, s.n-pos)
	if limit > 0 {
		m = min(m, int(limit))
	}
	var pg Page
	for j := pos; j < pos+m; j++ {
		pg.Items = append(pg.Items, map[string]types.AttributeValue{"k": &types.AttributeValueMemberN{Value: strconv.Itoa(j)}})
	}
	if pos+m < s.n && m > 0 {
		pg.LastKey = map[string]types.AttributeValue{"k": &types.AttributeValueMemberN{Value: strconv.Itoa(pos + m - 1)}}
		pg.More = true
	}
	pg.Count, pg.Scanned, pg.Capacity = int64(m), int64(m), 0.5
	s.returned.Add(1)
	return pg, nil
}

func (s *source) pager(limit, prefetch int, start string) *Pager {
	r := &Pager{Table: "t", Limit: limit, Start: start}
	r.Build = func(context.Context) (*Plan, error) {
		p := &Plan{Fetch: s.fetch, Segs: []SegState{{}}, KeyAttrs: []string{"k"}, Prefetch: prefetch}
		if start != "" {
			segs, err := DecodeCursor(start, "t", "", 0, []int{0}, map[string]KeySpec{"k": {Type: "N"}})
			if err != nil {
				return nil, err
			}
			p.Segs = segs
		}
		return p, nil
	}
	return r
}

// step is what the caller saw at one item: the item and the cursor after it.
type step struct {
	item   string
	cursor string
}

func run(t *testing.T, r *Pager, stopAfter int) (steps []step, err error) {
	t.Helper()
	r.Run(context.Background(), r.Limit, true, func(_ *Plan, av map[string]types.AttributeValue, _ int, e error) bool {
		if e != nil {
			err = e
			return false
		}
		steps = append(steps, step{av["k"].(*types.AttributeValueMemberN).Value, r.Cursor()})
		return stopAfter == 0 || len(steps) < stopAfter
	})
	return steps, err
}

func TestPrefetchYieldsWhatSequentialYields(t *testing.T) {
	seqSrc := &source{n: 23, size: 5}
	mid, _ := run(t, seqSrc.pager(0, 0, ""), 8)
	startFrom := mid[len(mid)-1].cursor
	for _, limit := range []int{0, 1, 7, 10, 23, 40} {
		for _, start := range []string{"", startFrom} {
			seq := &source{n: 23, size: 5}
			want, werr := run(t, seq.pager(limit, 0, start), 0)
			for _, n := range []int{1, 2, 5} {
				pre := &source{n: 23, size: 5}
				got, gerr := run(t, pre.pager(limit, n, start), 0)
				if werr != nil || gerr != nil {
					t.Fatalf("limit %d: errors %v, %v", limit, werr, gerr)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("limit %d start %q Prefetch(%d):\n got %v\nwant %v", limit, start, n, got, want)
				}
				if fmt.Sprint(pre.requests) != fmt.Sprint(seq.requests) {
					t.Fatalf("limit %d start %q Prefetch(%d): request limits %v, sequential sent %v", limit, start, n, pre.requests, seq.requests)
				}
			}
		}
	}
}

// A break mid-page leaves the cursor right after the last item yielded,
// and stops fetching: at most Prefetch pages past the one being read were
// requested, and no request is running once Run has returned.
func TestPrefetchBreakStopsAndKeepsCursor(t *testing.T) {
	for _, n := range []int{1, 3} {
		seq := &source{n: 100, size: 5}
		want, _ := run(t, seq.pager(0, 0, ""), 7)
		pre := &source{n: 100, size: 5, delay: time.Millisecond}
		r := pre.pager(0, n, "")
		got, _ := run(t, r, 7)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("Prefetch(%d) broken after 7: got %v want %v", n, got, want)
		}
		if a := pre.active.Load(); a != 0 {
			t.Fatalf("Prefetch(%d): %d fetches still running after Run returned", n, a)
		}
		reqs := len(pre.requests)
		if reqs > 2+n { // pages 1-2 read, n ahead
			t.Fatalf("Prefetch(%d): %d requests for a loop broken on page 2", n, reqs)
		}
		time.Sleep(20 * time.Millisecond)
		pre.mu.Lock()
		later := len(pre.requests)
		pre.mu.Unlock()
		if later != reqs {
			t.Fatalf("Prefetch(%d): requests went on after Run returned (%d -> %d)", n, reqs, later)
		}
		// Resuming from the cursor yields the rest.
		rest, err := run(t, (&source{n: 100, size: 5}).pager(0, n, r.Cursor()), 0)
		if err != nil || len(rest) != 93 || rest[0].item != "7" {
			t.Fatalf("resume: %d items from %v, %v", len(rest), rest[:1], err)
		}
	}
}

func TestPrefetchErrorAfterEarlierPages(t *testing.T) {
	pre := &source{n: 100, size: 5, failPage: 3}
	got, err := run(t, pre.pager(0, 2, ""), 0)
	if err == nil || err.Error() != "page failed" {
		t.Fatalf("err = %v, want the page's error", err)
	}
	if len(got) != 10 {
		t.Fatalf("yielded %d items before the error, want the 10 of pages 1-2", len(got))
	}
}

// While the caller is slow, the goroutine stays at most n pages ahead.
func TestPrefetchIsBounded(t *testing.T) {
	for _, n := range []int{1, 2, 4} {
		pre := &source{n: 60, size: 5}
		r := pre.pager(0, n, "")
		yielded, maxAhead := 0, int32(0)
		r.Run(context.Background(), 0, true, func(_ *Plan, _ map[string]types.AttributeValue, _ int, err error) bool {
			if err != nil {
				t.Fatal(err)
			}
			yielded++
			if yielded%5 == 1 { // first item of a page: let the goroutine run ahead
				time.Sleep(15 * time.Millisecond)
				page := int32(yielded/5 + 1)
				maxAhead = max(maxAhead, pre.returned.Load()+pre.active.Load()-page)
			}
			return true
		})
		if maxAhead > int32(n) {
			t.Fatalf("Prefetch(%d): the goroutine was %d pages ahead of the caller", n, maxAhead)
		}
		if maxAhead < int32(n) {
			t.Fatalf("Prefetch(%d): only %d pages ahead while the caller was slow", n, maxAhead)
		}
	}
}

// A caller that spends one round trip per page: with Prefetch(1) the
// requests overlap the work. It runs in a synctest bubble, so the times
// compared are virtual (the source's delay and the caller's work, exactly),
// not how a loaded machine schedules the sleeps.
func TestPrefetchOverlapsWork(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rtt = 15 * time.Millisecond
		elapsed := func(n int) time.Duration {
			s := &source{n: 50, size: 5, delay: rtt}
			t0 := time.Now()
			items := 0
			s.pager(0, n, "").Run(context.Background(), 0, true, func(_ *Plan, _ map[string]types.AttributeValue, left int, err error) bool {
				if err != nil {
					t.Fatal(err)
				}
				items++
				if left == 1 {
					time.Sleep(rtt)
				}
				return true
			})
			if items != 50 {
				t.Fatalf("%d items", items)
			}
			return time.Since(t0)
		}
		seq, pre := elapsed(0), elapsed(1)
		t.Logf("10 pages, a %v request and %v of work each: sequential %v, Prefetch(1) %v", rtt, rtt, seq, pre)
		if float64(pre) > 0.8*float64(seq) {
			t.Fatalf("Prefetch(1) took %v, sequential %v: no overlap", pre, seq)
		}
	})
}

func TestPrefetchContextCanceledInLoop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pre := &source{n: 100, size: 5}
	r := pre.pager(0, 2, "")
	var items int
	var got error
	r.Run(ctx, 0, true, func(_ *Plan, _ map[string]types.AttributeValue, _ int, err error) bool {
		if err != nil {
			got = err
			return false
		}
		items++
		if items == 3 {
			cancel()
		}
		return true
	})
	if !errors.Is(got, context.Canceled) || items != 5 {
		t.Fatalf("after a cancel on item 3: %d items, err %v; want the page's 5 items then context.Canceled", items, got)
	}
	if a := pre.active.Load(); a != 0 {
		t.Fatalf("%d fetches running after Run returned", a)
	}
}
