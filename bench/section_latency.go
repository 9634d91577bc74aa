package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// latencyRTT is the round trip the instant endpoint injects in section 3.
const latencyRTT = 10 * time.Millisecond

func (r *runner) latency(ctx context.Context) error {
	f := NewFake()
	defer f.Close()
	f.SetLatency(latencyRTT)
	counter := NewCounter()
	client := NewClient(f.URL(), counter)
	sz := r.sz
	const sec = "3 10 ms round trip"

	// Batch loads at equal concurrency. More items at higher concurrency,
	// so that every row runs about as many rounds of requests.
	impls := r.handles(client, "bench")
	var rttSeen float64
	for _, c := range sz.latConc {
		n := min(sz.latLoadCap, sz.latLoadPer*c)
		rows := make([]Row, n)
		for i := range rows {
			rows[i] = MakeRow("l", int64(i))
		}
		name := fmt.Sprintf("batch load %d items, %d in flight", n, c)
		times, reqs, err := r.timed(sz.latReps, counter, func(i int) error {
			before := f.Puts.Load()
			err := impls[i].BatchPut(ctx, rows, c)
			if got := f.Puts.Load() - before; err == nil && got != int64(n) {
				r.rep.mismatch("%s: %s sent %d puts, want %d", name, r.impls[i].Name, got, n)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r.throughputRows(sec, name, n, times, reqs, true)
		if b := r.rep.idx("raw"); c == 1 && b >= 0 {
			rttSeen = median(times[b]) / reqs[b]
		}
	}
	if rttSeen > 0 {
		r.rep.Notes = append(r.rep.Notes, fmt.Sprintf(
			"Section 3: %s injected per request; raw's one-at-a-time load saw %.1f ms per 25-item request on this machine (the client and the in-process server share the cores), so n in flight can reach at most n x 25 / %.1f ms items/s (%.0f at n = %d). Every implementation runs at the concurrency the row names (see section 2's note for how).",
			latencyRTT, rttSeen*1e3, rttSeen*1e3, float64(sz.latConc[len(sz.latConc)-1]*25)/rttSeen, sz.latConc[len(sz.latConc)-1]))
	}

	// BatchGet at equal concurrency.
	for _, c := range sz.latConc {
		n := min(sz.latBGCap, sz.latBGPer*c)
		keys := make([]RowKey, n)
		want := make([]Row, n)
		for i := range keys {
			want[i] = MakeRow("g", int64(i))
			keys[i] = want[i].Key()
		}
		name := fmt.Sprintf("BatchGet %d keys + decode, %d in flight", n, c)
		got := make([][]Row, len(impls))
		times, reqs, err := r.timed(sz.latReps, counter, func(i int) error {
			rows, err := impls[i].BatchGet(ctx, keys, c)
			got[i] = rows
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r.throughputRows(sec, name, n, times, reqs, true)
		r.checkRows(name, got, want, true)
	}

	// Scan: one segment, then 8 parallel segments.
	table := VirtualTable(sz.latScanN, sz.latScanPg)
	one, par := make([][]float64, len(r.impls)), make([][]float64, len(r.impls))
	var ref []Row
	for rep := range sz.latReps {
		for i, im := range r.impls {
			h := im.New(client, table)
			for _, segs := range []int{1, 8} {
				t0 := time.Now()
				got, err := h.Scan(ctx, segs)
				if err != nil {
					return fmt.Errorf("latency scan (%s, %d segments): %w", im.Name, segs, err)
				}
				d := time.Since(t0).Seconds()
				if segs == 1 {
					one[i] = append(one[i], d)
				} else {
					par[i] = append(par[i], d)
				}
				SortRows(got)
				if rep == 0 {
					if len(got) != sz.latScanN {
						r.rep.mismatch("latency scan: %s read %d items with %d segments, want %d", im.Name, len(got), segs, sz.latScanN)
					}
					if ref == nil {
						ref = got
					} else if !EqualRows(ref, got) {
						r.rep.mismatch("latency scan: %s with %d segments decoded different rows", im.Name, segs)
					}
				}
			}
		}
	}
	speed, oneMs, parMs := r.values(), r.values(), r.values()
	for i := range one {
		oneMs[i], parMs[i] = median(one[i])*1e3, median(par[i])*1e3
		speed[i] = oneMs[i] / parMs[i]
	}
	sname := fmt.Sprintf("Scan %d items, %d per page", sz.latScanN, sz.latScanPg)
	r.rep.add(Metric{Section: sec, Name: sname + ", 1 segment", Unit: "ms", Values: oneMs, Chart: true, Fair: true})
	r.rep.add(Metric{Section: sec, Name: sname + ", Parallel(8)", Unit: "ms", Values: parMs, Chart: true, Fair: true})
	ms := r.rep.add(Metric{Section: sec, Name: sname + ": Parallel(8) speedup", Unit: "x", Values: speed, Fair: true, Target: ">= 6x one segment"})
	if d := r.rep.idx("dynamap"); d >= 0 {
		ms.Met = boolp(speed[d] >= 6)
	}
	r.logf("%s: speedup %v", sname, speed)
	return nil
}

// handles makes every implementation's handle on table.
func (r *runner) handles(client *dynamodb.Client, table string) []Impl {
	impls := make([]Impl, len(r.impls))
	for i, im := range r.impls {
		impls[i] = im.New(client, table)
	}
	return impls
}
