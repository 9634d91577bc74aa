package bench

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/dynamap/dynamap"
	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/internal/faultproxy"
)

func init() { sections = append(sections, section{"auto", (*runner).auto}) }

// autoFixed are the fixed Concurrency settings swept.
var autoFixed = []int{1, 2, 4, 8, 16, 32}

// autoMax is the AutoConcurrency cap every auto run uses: no tuning.
const autoMax = 32

// autoInitial is the capacity a table starts with: a tenth of a second's
// worth, so that a short run is not all burst.
const autoInitial = 100 * time.Millisecond

// autoRun is the outcome of one load.
type autoRun struct {
	itemsPerSec float64
	calls       int64 // BatchWriteItem HTTP requests, SDK retries included
	congested   int64 // of which throttled or partly processed
	stats       dynamap.BatchStats
	err         error
}

func (a autoRun) congestedShare() float64 {
	if a.calls == 0 {
		return 0
	}
	return float64(a.congested) / float64(a.calls)
}

// autoLoad loads n rows with dynamap's writer and opt through a fresh
// capacity-model proxy (w write units per second, 0: unmetered; rtt per
// request) in front of the instant endpoint, and checks that every row
// reached the endpoint exactly once.
func (r *runner) autoLoad(ctx context.Context, f *Fake, w float64, rtt time.Duration, rows []Row, opt dynamap.BatchOption) autoRun {
	p, err := faultproxy.Start(faultproxy.Config{Target: f.URL(), RoundTrip: rtt,
		// One second of burst, full at the start: a short run is not all
		// burst, and every setting gets the same head start.
		Capacity: faultproxy.Capacity{Write: w, Burst: time.Second, Initial: autoInitial}})
	if err != nil {
		return autoRun{err: err}
	}
	defer p.Close()
	counter := NewCounter()
	client := NewClient(p.URL, counter)
	t := dynamap.NewTable(conn.FromClient(client), "bench", dynamap.WithSchema(rowSchema...))
	// Learn the schema before the clock starts.
	if _, err := t.Schema(ctx); err != nil {
		return autoRun{err: err}
	}
	before := f.Puts.Load()
	bt := t.BatchWrite(opt)
	t0 := time.Now()
	for i := range rows {
		if err = bt.PutItem(ctx, rows[i]); err != nil {
			break
		}
	}
	if cerr := bt.Close(ctx); err == nil {
		err = cerr
	}
	el := time.Since(t0)
	st := p.Stats()
	out := autoRun{itemsPerSec: float64(len(rows)) / el.Seconds(), calls: counter.Diff(nil)["BatchWriteItem"],
		congested: st.CapacityThrottled + st.CapacityPartial, stats: bt.Stats(), err: err}
	if got := f.Puts.Load() - before; err == nil && got != int64(len(rows)) {
		r.rep.mismatch("auto: %d rows loaded, the endpoint received %d puts", len(rows), got)
	}
	return out
}

// auto compares AutoConcurrency with the best fixed Concurrency against the
// capacity model, and unthrottled at a 10 ms round trip.
func (r *runner) auto(ctx context.Context) error {
	f := NewFake()
	defer f.Close()
	const sec = "5 adaptive concurrency"
	secs, autoSecs := 3.0, 8.0 // seconds of capacity per throttled load: fixed, auto
	fixed := autoFixed
	unthrottledN := 24000
	if r.cfg.Quick {
		secs, autoSecs, fixed, unthrottledN = 0.25, 0.25, []int{1, 8}, 400
	}
	type setup struct {
		w   float64
		rtt time.Duration
	}
	setups := []setup{{500, 2 * time.Millisecond}, {500, 10 * time.Millisecond}, {2000, 2 * time.Millisecond}, {2000, 10 * time.Millisecond}, {0, 10 * time.Millisecond}}
	makeRows := func(n int) []Row {
		rows := make([]Row, n)
		for i := range rows {
			rows[i] = MakeRow(fmt.Sprintf("a%d", i%50), int64(i))
		}
		return rows
	}
	for _, s := range setups {
		fixedRows, autoRows := makeRows(int(s.w*secs)), makeRows(int(s.w*autoSecs))
		label := fmt.Sprintf("%.0f WCU, %s round trip", s.w, s.rtt)
		unthrottled := s.w == 0
		if unthrottled {
			fixedRows, autoRows = makeRows(unthrottledN), makeRows(unthrottledN)
			label = fmt.Sprintf("unthrottled, %s round trip", s.rtt)
		}
		// load runs opt and keeps the run of median items/s: unthrottled
		// runs of 8 or more in flight are short (under a second), so they
		// take the median of 3 (2 in quick runs).
		load := func(rows []Row, opt dynamap.BatchOption, c int) autoRun {
			reps := 1
			if unthrottled && c >= 8 {
				reps = 3
				if r.cfg.Quick {
					reps = 2
				}
			}
			var runs []autoRun
			for range reps {
				res := r.autoLoad(ctx, f, s.w, s.rtt, rows, opt)
				if res.err != nil {
					return res
				}
				runs = append(runs, res)
			}
			return medianRun(runs)
		}
		best, bestC := math.Inf(-1), 0
		var sweep []string
		for _, c := range fixed {
			res := load(fixedRows, dynamap.Concurrency(c), c)
			if res.err != nil {
				sweep = append(sweep, fmt.Sprintf("%d: failed (%v)", c, res.err))
				continue
			}
			sweep = append(sweep, fmt.Sprintf("%d: %.0f items/s, %.1f%% congested", c, res.itemsPerSec, 100*res.congestedShare()))
			if res.itemsPerSec > best {
				best, bestC = res.itemsPerSec, c
			}
		}
		var auto autoRun
		if unthrottled && bestC > 0 {
			// Short runs drift with the machine's load: AutoConcurrency and
			// the best fixed setting run in turns (3 pairs, 2 in quick
			// runs, the order alternating), and each row is a median.
			var autos, bests []autoRun
			for k := range 3 - btoi(r.cfg.Quick) {
				for j := range 2 {
					if (j+k)%2 == 0 {
						autos = append(autos, r.autoLoad(ctx, f, s.w, s.rtt, autoRows, dynamap.AutoConcurrency(autoMax)))
					} else {
						bests = append(bests, r.autoLoad(ctx, f, s.w, s.rtt, fixedRows, dynamap.Concurrency(bestC)))
					}
				}
			}
			auto, best = medianRun(autos), medianRun(bests).itemsPerSec
			sweep = append(sweep, fmt.Sprintf("best (%d) again, in turns with AutoConcurrency: %.0f items/s", bestC, best))
		} else {
			auto = load(autoRows, dynamap.AutoConcurrency(autoMax), autoMax)
		}
		if auto.err != nil {
			return fmt.Errorf("auto load (%s): %w", label, auto.err)
		}
		r.logf("%s: fixed %s; auto %.0f items/s, %.1f%% congested, %+v", label, strings.Join(sweep, "; "), auto.itemsPerSec, 100*auto.congestedShare(), auto.stats)
		name := "load, " + label
		r.rep.add(Metric{Section: sec, Name: fmt.Sprintf("%s: best fixed Concurrency (of %s), %d items", name, intsList(fixed), len(fixedRows)), Unit: "items/s",
			Values: r.dynOnly(best), DynamapOnly: true})
		r.rep.add(Metric{Section: sec, Name: name + ": best fixed Concurrency is", Unit: "n", Values: r.dynOnly(float64(bestC)), DynamapOnly: true})
		r.rep.add(Metric{Section: sec, Name: fmt.Sprintf("%s: AutoConcurrency(%d), %d items", name, autoMax, len(autoRows)), Unit: "items/s",
			Values: r.dynOnly(auto.itemsPerSec), DynamapOnly: true,
			Target: fmt.Sprintf(">= 90%% of best fixed (%.0f)", 0.9*best), Met: boolp(auto.itemsPerSec >= 0.9*best)})
		if s.w > 0 {
			r.rep.add(Metric{Section: sec, Name: name + ": AutoConcurrency calls throttled or partly processed", Unit: "%",
				Values: r.dynOnly(100 * auto.congestedShare()), DynamapOnly: true,
				Target: "<= 5%", Met: boolp(auto.congestedShare() <= 0.05)})
		}
		r.rep.add(Metric{Section: sec, Name: name + ": AutoConcurrency settled on", Unit: "in flight", Values: r.dynOnly(float64(auto.stats.Concurrency)), DynamapOnly: true})
		r.rep.Notes = append(r.rep.Notes, fmt.Sprintf("Section 5, %s: fixed Concurrency (%d items) %s. AutoConcurrency(%d) (%d items): %.0f items/s, %d calls, %.1f%% throttled or partly processed, settled on %d in flight, pace %.0f items/s, most in flight %d.",
			label, len(fixedRows), strings.Join(sweep, "; "), autoMax, len(autoRows), auto.itemsPerSec, auto.calls, 100*auto.congestedShare(), auto.stats.Concurrency, auto.stats.Rate, auto.stats.MaxInFlight))
	}
	r.rep.Notes = append(r.rep.Notes, fmt.Sprintf(
		"Section 5: every load goes through internal/faultproxy's capacity model (a token bucket per table of W write units a second, at most one second of unused capacity kept, a tenth of a second's worth at the start; 1 WCU per started KB of each item; what does not fit comes back as UnprocessedItems, or ProvisionedThroughputExceededException when nothing fits) and its injected round trip, in front of the instant endpoint, which counts the puts it receives (each row exactly once, checked). Throttled loads hold %.0f seconds of capacity for each fixed setting and %.0f seconds for AutoConcurrency (its start, while it finds the table's rate, is then a smaller share of its run; the initial burst is a larger share of the fixed runs, which favours them by about 1%%). Unthrottled runs of 8 or more in flight are the median of 3 runs; then the best fixed setting and AutoConcurrency run 3 more times each, in turns, and their rows are those medians (the machine's load drifts over a run of the section). The SDK client is the bench's shared one (standard retryer: a throttled call is retried after about a second). Calls counted are BatchWriteItem HTTP requests, SDK retries included.", secs, autoSecs))
	return nil
}

// dynOnly is a row's values with v for dynamap alone.
func (r *runner) dynOnly(v float64) []float64 {
	out := r.values()
	if d := r.rep.idx("dynamap"); d >= 0 {
		out[d] = v
	}
	return out
}

func intsList(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// medianRun is the run of median items/s (the first that failed, if any).
func medianRun(runs []autoRun) autoRun {
	for _, r := range runs {
		if r.err != nil {
			return r
		}
	}
	runs = slices.Clone(runs)
	slices.SortFunc(runs, func(a, b autoRun) int { return cmp.Compare(a.itemsPerSec, b.itemsPerSec) })
	return runs[len(runs)/2]
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
