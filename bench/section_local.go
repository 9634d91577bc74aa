package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// throughputTarget is the goal of every equal-concurrency throughput row:
// dynamap at least as fast as the hand-written SDK loader, within the
// run-to-run noise of a shared 2-core machine.
const throughputTarget = 0.95

// timed runs run(i) for every implementation reps times, rotating who
// goes first, and returns the seconds of every repetition per
// implementation (repetition k of each ran in the same round) and the
// requests of the last repetition: every operation but DescribeTable, which
// a dynamap handle built WithSchema sends once on first use to check the
// declared schema (counted in its own row of section 1).
func (r *runner) timed(reps int, counter *Counter, run func(i int) error) (times [][]float64, reqs []float64, err error) {
	times = make([][]float64, len(r.impls))
	reqs = r.values()
	for rep := range reps {
		for k := range r.impls {
			i := (k + rep) % len(r.impls)
			before := counter.Snapshot()
			t0 := time.Now()
			if err := run(i); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", r.impls[i].Name, err)
			}
			times[i] = append(times[i], time.Since(t0).Seconds())
			total := int64(0)
			for op, d := range counter.Diff(before) {
				if op != "DescribeTable" {
					total += d
				}
			}
			reqs[i] = float64(total)
		}
	}
	return times, reqs, nil
}

// pairedRatios are dynamap's ratios to raw and guregu as medians of the
// per-round ratios f(dynamap's, other's) of times: the three ran back to
// back in a round, which cancels drift and noisy neighbours.
func (r *runner) pairedRatios(times [][]float64, f func(d, o float64) float64) map[string]float64 {
	d := r.rep.idx("dynamap")
	if d < 0 {
		return nil
	}
	out := map[string]float64{}
	for _, b := range []string{"raw", "guregu"} {
		o := r.rep.idx(b)
		if o < 0 {
			continue
		}
		var rs []float64
		for k := range times[d] {
			rs = append(rs, f(times[d][k], times[o][k]))
		}
		out[b] = median(rs)
	}
	return out
}

// throughputRows adds the rows of one piece of work every implementation
// did at the same concurrency: ms (charted), items/s (target: dynamap >=
// throughputTarget x raw, as the median of per-round ratios, when
// withTarget) and requests (target <= raw).
func (r *runner) throughputRows(sec, name string, items int, times [][]float64, reqs []float64, withTarget bool) {
	ms, ips := r.values(), r.values()
	for i := range times {
		t := median(times[i])
		ms[i] = t * 1e3
		ips[i] = float64(items) / t
	}
	r.logf("%s: %v items/s, %v requests", name, ips, reqs)
	r.rep.add(Metric{Section: sec, Name: name, Unit: "ms", Values: ms, Chart: true, Fair: true,
		Ratios: r.pairedRatios(times, func(d, o float64) float64 { return d / o })})
	m := r.rep.add(Metric{Section: sec, Name: name, Unit: "items/s", Values: ips, Fair: true,
		Ratios: r.pairedRatios(times, func(d, o float64) float64 { return o / d })})
	d, b := r.rep.idx("dynamap"), r.rep.idx("raw")
	if withTarget && d >= 0 && b >= 0 {
		m.Target = fmt.Sprintf(">= %.2fx raw", throughputTarget)
		m.Met = boolp(m.Ratios["raw"] >= throughputTarget)
	}
	mr := r.rep.add(Metric{Section: sec, Name: name, Unit: "requests", Values: reqs, Fair: true, Target: "<= raw"})
	if d >= 0 && b >= 0 {
		mr.Met = boolp(reqs[d] <= reqs[b])
	}
}

func (r *runner) local(ctx context.Context) error {
	endpoint, version, stop, err := localEndpoint(ctx, r.cfg.Endpoint)
	if err != nil {
		return err
	}
	defer stop()
	r.rep.Env.DynamoDBLocal = version
	counter := NewCounter()
	client := NewClient(endpoint, counter)
	sz := r.sz
	data := Dataset(sz.localN, sz.localQ)
	wantQuery := slices.Clone(data[:sz.localQ])
	// BatchGet keys: every k-th row, spread over all partitions.
	var bgKeys []RowKey
	var wantBG []Row
	step := max(1, sz.localN/sz.localBG)
	for i := 0; i < sz.localN && len(bgKeys) < sz.localBG; i += step {
		bgKeys = append(bgKeys, data[i].Key())
		wantBG = append(wantBG, data[i])
	}
	SortRows(wantBG)
	wantScan := slices.Clone(data)
	SortRows(wantScan)
	// The selective filter matches one item three quarters into the
	// queried partition (a page or more from its start).
	matchRow := data[sz.localQ*3/4]

	stamp := time.Now().UnixNano()
	names := make([]string, len(r.impls))
	impls := make([]Impl, len(r.impls))
	for i, im := range r.impls {
		names[i] = fmt.Sprintf("bench_%s_%d", im.Name, stamp)
		if err := createTable(ctx, client, names[i]); err != nil {
			return err
		}
		impls[i] = im.New(client, names[i])
	}
	defer func() {
		for _, n := range names {
			_, _ = client.DeleteTable(context.WithoutCancel(ctx), &dynamodb.DeleteTableInput{TableName: aws.String(n)})
		}
	}()

	// Warm the JVM up so that whoever goes first is not penalised, and
	// load every table with the whole data set (untimed): the timed loads
	// below then overwrite items, the same work on every repetition.
	warm := fmt.Sprintf("bench_warmup_%d", stamp)
	if err := createTable(ctx, client, warm); err != nil {
		return err
	}
	wi := newRaw(client, warm)
	if err := wi.BatchPut(ctx, data[:min(len(data), 3000)], 4); err != nil {
		return err
	}
	if _, err := wi.Scan(ctx, 4); err != nil {
		return err
	}
	if _, err := wi.QueryAll(ctx, "q"); err != nil {
		return err
	}
	_, _ = client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(warm)})
	for _, n := range names {
		if err := newRaw(client, n).BatchPut(ctx, data, 8); err != nil {
			return fmt.Errorf("preload %s: %w", n, err)
		}
	}

	const sec = "2 DynamoDB Local"
	load := data[:min(len(data), sz.localLoadN)]
	for _, c := range sz.localConc {
		name := fmt.Sprintf("batch load %d items, %d in flight", len(load), c)
		times, reqs, err := r.timed(sz.localReps, counter, func(i int) error { return impls[i].BatchPut(ctx, load, c) })
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r.throughputRows(sec, name, len(load), times, reqs, true)
	}
	for _, c := range sz.localConc {
		name := fmt.Sprintf("BatchGet %d keys + decode, %d in flight", len(bgKeys), c)
		got := make([][]Row, len(impls))
		times, reqs, err := r.timed(sz.localReps, counter, func(i int) error {
			rows, err := impls[i].BatchGet(ctx, bgKeys, c)
			got[i] = rows
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r.throughputRows(sec, name, len(bgKeys), times, reqs, true)
		r.checkRows(name, got, wantBG, true)
	}

	queryName := fmt.Sprintf("Query %d items + decode", sz.localQ)
	got := make([][]Row, len(impls))
	times, reqs, err := r.timed(sz.localReps, counter, func(i int) error {
		rows, err := impls[i].QueryAll(ctx, "q")
		got[i] = rows
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", queryName, err)
	}
	r.throughputRows(sec, queryName, sz.localQ, times, reqs, false)
	r.checkRows(queryName, got, wantQuery, false)

	scanName := fmt.Sprintf("Scan %d items Parallel(4) + decode", sz.localN)
	times, reqs, err = r.timed(sz.localReps, counter, func(i int) error {
		rows, err := impls[i].Scan(ctx, 4)
		got[i] = rows
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", scanName, err)
	}
	r.throughputRows(sec, scanName, sz.localN, times, reqs, false)
	r.checkRows(scanName, got, wantScan, true)

	if err := r.limitFilter(ctx, sec, counter, impls, matchRow); err != nil {
		return err
	}
	r.rep.Notes = append(r.rep.Notes, fmt.Sprintf(
		"Section 2: every implementation runs at the concurrency the row names: raw with that many workers sending BatchWriteItem / BatchGetItem and re-sending what comes back unprocessed, guregu with that many goroutines each running Batch().Write() / Batch().Get() on its share, dynamap with Concurrency(n). Each implementation loads and reads its own table, loaded with the %d items before the timed rows; loads overwrite the same items on each repetition (%d repetitions rotated; values are medians, ratios medians of the per-repetition ratios).",
		sz.localN, sz.localReps))
	return nil
}

// checkRows records a mismatch for every implementation that did not read
// exactly want (sorted first when unordered).
func (r *runner) checkRows(name string, got [][]Row, want []Row, unordered bool) {
	for i, rows := range got {
		if unordered {
			SortRows(rows)
		}
		if !EqualRows(rows, want) {
			r.rep.mismatch("%s: %s read %d rows, not the %d loaded (or they differ)", name, r.impls[i].Name, len(rows), len(want))
		}
	}
}

// limitFilter counts the requests of a Query with a selective filter
// (matching one item deep in the partition) with a limit of one item, and
// of the same read without a limit.
func (r *runner) limitFilter(ctx context.Context, sec string, counter *Counter, impls []Impl, match Row) error {
	limited, all := r.values(), r.values()
	for i, h := range impls {
		for _, limit := range []int{1, 0} {
			before := counter.Snapshot()
			rows, err := h.QueryFirst(ctx, match.PK, match.Name, limit)
			if err != nil {
				return fmt.Errorf("Limit(1) + filter (%s): %w", r.impls[i].Name, err)
			}
			n := float64(counter.Diff(before)["Query"])
			if limit == 1 {
				limited[i] = n
			} else {
				all[i] = n
			}
			if !EqualRows(rows, []Row{match}) {
				r.rep.mismatch("Limit(%d) + filter: %s read %d rows, want the one matching", limit, r.impls[i].Name, len(rows))
			}
		}
	}
	name := fmt.Sprintf("Query %d items, filter matching 1 (%s)", r.sz.localQ, match.Name)
	r.rep.add(Metric{Section: sec, Name: name + ", no limit", Unit: "requests", Values: all, Fair: true})
	m := r.rep.add(Metric{Section: sec, Name: name + ", Limit(1)", Unit: "requests", Values: limited, Fair: true,
		Target: "<= the same read without Limit + 1"})
	if d := r.rep.idx("dynamap"); d >= 0 {
		m.Met = boolp(limited[d] <= all[d]+1)
	}
	return nil
}
