package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap"
	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/internal/faultproxy"
)

func init() { sections = append(sections, section{"ratelimit", (*runner).ratelimit}) }

// ratelimit measures section 7 against the capacity model (faultproxy in
// front of DynamoDB Local): a table provisioned with 400 read and 400 write
// units per second (1 s of burst), a background Scan and a background batch
// load held to RateLimit(100), and a second client on the same table that
// wants 150 units per second, alone, next to the unlimited job and next to
// the limited one.
func (r *runner) ratelimit(ctx context.Context) error {
	const (
		capUnits = 400.0 // the table's read and write units per second
		limit    = 100.0 // RateLimit of the background jobs
		demand   = 150.0 // the second client's units per second
		rtt      = 2 * time.Millisecond
	)
	run, second, rows := 10*time.Second, 5*time.Second, 2000
	if r.cfg.Quick {
		run, second, rows = time.Second, 500*time.Millisecond, 300
	}
	endpoint, _, stop, err := localEndpoint(ctx, r.cfg.Endpoint)
	if err != nil {
		return err
	}
	defer stop()
	direct := NewClient(endpoint, NewCounter())
	name := fmt.Sprintf("bench_ratelimit_%d", time.Now().UnixNano())
	if err := createTable(ctx, direct, name); err != nil {
		return err
	}
	defer func() {
		_, _ = direct.DeleteTable(context.WithoutCancel(ctx), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	}()
	data := make([]Row, rows)
	for i := range data {
		data[i] = MakeRow("r", int64(i))
	}
	if err := newRaw(direct, name).BatchPut(ctx, data, 1); err != nil { // unmetered: straight to DynamoDB Local
		return err
	}
	p, err := faultproxy.Start(faultproxy.Config{Target: endpoint, RoundTrip: rtt,
		Capacity: faultproxy.Capacity{Read: capUnits, Write: capUnits, Burst: time.Second}})
	if err != nil {
		return err
	}
	defer p.Close()
	client := NewClient(p.URL, NewCounter())
	tb := dynamap.NewTable(conn.FromClient(client), name, dynamap.WithSchema(rowSchema...))
	const sec = "7 rate limit"
	di := r.rep.idx("dynamap")
	one := func(v float64) []float64 { vals := r.values(); vals[di] = v; return vals }

	// The background jobs, run until ctx ends. A RateLimit value is one
	// budget: every Scan of the loop spends from the same one.
	scanJob := func(opts ...dynamap.ScanOption) func(ctx context.Context) {
		return func(ctx context.Context) {
			for ctx.Err() == nil {
				for _, err := range tb.Scan(nil, append([]dynamap.ScanOption{dynamap.PageSize(400), dynamap.Consistent(), dynamap.Parallel(4)}, opts...)...).All(ctx) {
					if err != nil {
						break // throttled or stopped: start over
					}
				}
			}
		}
	}
	loadJob := func(opts ...dynamap.BatchOption) func(ctx context.Context) {
		return func(ctx context.Context) {
			b := tb.BatchWrite(append([]dynamap.BatchOption{dynamap.Concurrency(4), dynamap.MaxResends(3)}, opts...)...)
			for i := 0; ctx.Err() == nil; i++ {
				row := data[i%len(data)]
				row.Score = float64(i)
				if err := b.PutItem(ctx, row); err != nil && ctx.Err() == nil {
					continue // an earlier request given up on (unlimited, throttled): go on
				}
			}
			_ = b.Close(context.WithoutCancel(ctx))
		}
	}
	// background runs job until the returned stop is called (which waits
	// for it).
	background := func(job func(context.Context)) (stop func()) {
		bctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() { job(bctx) })
		return func() { cancel(); wg.Wait() }
	}
	settle := func() { time.Sleep(1500 * time.Millisecond) } // buckets refill (1 s of burst)
	// Warm up DynamoDB Local's JVM and the table handle (its schema check)
	// before anything is measured.
	for range 3 {
		if _, err := newRaw(direct, name).Scan(ctx, 1); err != nil {
			return err
		}
	}
	if _, err := tb.Scan(nil, dynamap.Limit(1)).Count(ctx); err != nil {
		return err
	}

	// 1. The rate a limited job holds, alone on the table.
	for _, kind := range []string{"Scan", "BatchWrite"} {
		settle()
		before := p.Stats()
		t0 := time.Now()
		var stopJob func()
		if kind == "Scan" {
			stopJob = background(scanJob(dynamap.RateLimit(limit)))
		} else {
			stopJob = background(loadJob(dynamap.RateLimit(limit)))
		}
		time.Sleep(run)
		stopJob()
		elapsed := time.Since(t0)
		after := p.Stats()
		units := after.ReadUnits - before.ReadUnits
		what := "read"
		if kind == "BatchWrite" {
			units, what = after.WriteUnits-before.WriteUnits, "write"
		}
		rate := units / elapsed.Seconds()
		m := r.rep.add(Metric{Section: sec, Name: fmt.Sprintf("%s with RateLimit(%.0f) for %s (table: %.0f %s units/s)", kind, limit, run, capUnits, what),
			Unit: "units/s", Values: one(rate), DynamapOnly: true, Target: fmt.Sprintf("%.0f ±10%%", limit)})
		m.Met = boolp(rate >= 0.9*limit && rate <= 1.1*limit)
		r.logf("ratelimit %s: %.1f %s units/s over %v (throttled %d)", kind, rate, what, elapsed, after.CapacityThrottled-before.CapacityThrottled)
	}

	// 2. A second client that wants demand units/s, next to each job.
	for _, kind := range []string{"GetItem", "PutItem"} {
		var unlimited, limited func(context.Context)
		jobName := "Scan"
		if kind == "GetItem" {
			unlimited, limited = scanJob(), scanJob(dynamap.RateLimit(limit))
		} else {
			jobName = "BatchWrite"
			unlimited, limited = loadJob(), loadJob(dynamap.RateLimit(limit))
		}
		rates := map[string]float64{}
		for _, phase := range []string{"alone", "unlimited", "limited"} {
			settle()
			stopJob := func() {}
			switch phase {
			case "unlimited":
				stopJob = background(unlimited)
			case "limited":
				stopJob = background(limited)
			}
			time.Sleep(200 * time.Millisecond) // the job is under way
			rates[phase] = secondClient(ctx, client, name, kind, data, demand, second)
			stopJob()
			r.logf("ratelimit second client %s %s: %.1f units/s", kind, phase, rates[phase])
		}
		base := fmt.Sprintf("second client (%s, wants %.0f units/s) on the same table", kind, demand)
		r.rep.add(Metric{Section: sec, Name: base + ": alone", Unit: "units/s", Values: one(rates["alone"]), DynamapOnly: true})
		r.rep.add(Metric{Section: sec, Name: base + fmt.Sprintf(": next to a dynamap %s without RateLimit", jobName), Unit: "units/s", Values: one(rates["unlimited"]), DynamapOnly: true})
		m := r.rep.add(Metric{Section: sec, Name: base + fmt.Sprintf(": next to a dynamap %s with RateLimit(%.0f)", jobName, limit), Unit: "units/s", Values: one(rates["limited"]), DynamapOnly: true,
			Target: ">= 90% of alone"})
		m.Met = boolp(rates["limited"] >= 0.9*rates["alone"])
	}
	r.rep.Notes = append(r.rep.Notes, fmt.Sprintf(
		"Section 7 (dynamap only: raw and guregu have no rate limit): the capacity model (internal/faultproxy, %s round trip) gives the table %.0f read and %.0f write units per second with 1 s of burst. The limited jobs (a dynamap Scan with Parallel(4), whose segments share the one budget, looping over %d rows, consistent, PageSize(400), and a dynamap batch load with Concurrency(4)) run with RateLimit(%.0f) for %s; their rate is the units the model charged over that time. The second client is the raw SDK (GetItem consistent reads or PutItems of ~250-byte rows, 1 unit each), paced to %.0f requests/s by 4 workers, measured for %s: alone, next to the job without RateLimit, next to it with RateLimit(%.0f).",
		rtt, capUnits, capUnits, rows, limit, run, demand, second, limit))
	return nil
}

// secondClient sends GetItem (consistent) or PutItem requests of one unit
// each at demand requests per second for d, from 4 workers, and returns the
// units per second that succeeded.
func secondClient(ctx context.Context, c *dynamodb.Client, table, op string, data []Row, demand float64, d time.Duration) float64 {
	var next, ok atomic.Int64
	t0 := time.Now()
	end := t0.Add(d)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				at := t0.Add(time.Duration(float64(i) / demand * float64(time.Second)))
				if !at.Before(end) {
					return
				}
				time.Sleep(time.Until(at))
				row := data[rand.N(len(data))]
				key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: row.PK}, "sk": &types.AttributeValueMemberN{Value: fmt.Sprint(row.SK)}}
				var err error
				if op == "GetItem" {
					_, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
				} else {
					var item map[string]types.AttributeValue
					if item, err = attributevalue.MarshalMap(row); err == nil {
						_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
					}
				}
				if err == nil && time.Now().Before(end.Add(time.Second)) {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(ok.Load()) / time.Since(t0).Seconds()
}
