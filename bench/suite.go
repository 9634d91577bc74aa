package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Config says what to run.
type Config struct {
	// Quick runs every section with small sizes and few rounds: a smoke
	// run whose numbers mean little.
	Quick bool
	// Endpoint is DynamoDB Local's URL; "" starts one with ddblocal.
	Endpoint string
	// Sections limits the run to these sections (see SectionNames:
	// "overhead", "local", "latency", "memory", then any registered by other
	// files); empty runs them all. An unknown name is an error.
	Sections []string
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

type sizes struct {
	rounds     int           // overhead rounds (median taken)
	roundDur   time.Duration // target duration of one overhead round
	localN     int           // items loaded into DynamoDB Local
	localQ     int           // of which in the queried partition
	localBG    int           // keys of the BatchGet
	localLoadN int           // items of the timed batch loads
	localConc  []int         // requests in flight of the batch rows
	localReps  int
	latConc    []int // requests in flight of the latency batch rows
	latLoadPer int   // items of a latency batch load per request in flight
	latLoadCap int   // at most this many
	latBGPer   int   // keys of a latency BatchGet per request in flight
	latBGCap   int   // at most this many
	latScanN   int   // items of the latency scan
	latScanPg  int   // page size of the latency scan
	latReps    int
	memSizes   []int
	memPage    int
	memReps    int
}

func sizesFor(quick bool) sizes {
	if quick {
		return sizes{rounds: 2, roundDur: 20 * time.Millisecond,
			localN: 600, localQ: 250, localBG: 150, localLoadN: 300, localConc: []int{1, 4, 8}, localReps: 1,
			latConc: []int{1, 4, 16}, latLoadPer: 50, latLoadCap: 400, latBGPer: 100, latBGCap: 800,
			latScanN: 400, latScanPg: 25, latReps: 1, memSizes: []int{2000, 5000, 10000}, memPage: 1000, memReps: 1}
	}
	return sizes{rounds: 21, roundDur: 120 * time.Millisecond,
		localN: 20000, localQ: 10000, localBG: 5000, localLoadN: 10000, localConc: []int{1, 4, 8}, localReps: 5,
		latConc: []int{1, 4, 16}, latLoadPer: 4000, latLoadCap: 32000, latBGPer: 2000, latBGCap: 32000,
		latScanN: 4000, latScanPg: 25, latReps: 2, memSizes: []int{10000, 100000, 1000000}, memPage: 1000, memReps: 3}
}

type runner struct {
	cfg   Config
	sz    sizes
	rep   *Report
	impls []Implementation
}

func (r *runner) logf(format string, args ...any) {
	if r.cfg.Log != nil {
		fmt.Fprintf(r.cfg.Log, format+"\n", args...)
	}
}

func (r *runner) values() []float64 {
	v := make([]float64, len(r.impls))
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

// section is one named part of the suite.
type section struct {
	name string // what Config.Sections and -sections select
	run  func(r *runner, ctx context.Context) error
}

// sections are the parts of the suite, run in this order. A new part lives
// in its own file and registers itself there, after the built-in ones:
//
//	func init() { sections = append(sections, section{"auto", (*runner).auto}) }
//
// Its rows use a Section label starting with its own number ("5 ...").
var sections = []section{
	{"overhead", (*runner).overhead},
	{"local", (*runner).local},
	{"latency", (*runner).latency},
	{"memory", (*runner).memory},
}

// SectionNames lists the sections in the order they run.
func SectionNames() []string {
	names := make([]string, len(sections))
	for i, s := range sections {
		names[i] = s.name
	}
	return names
}

// Run runs the sections cfg selects (all by default) and returns the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	r := &runner{cfg: cfg, sz: sizesFor(cfg.Quick), impls: Implementations,
		rep: &Report{Env: CurrentEnv(), Started: time.Now(), Quick: cfg.Quick, Sections: cfg.Sections}}
	for _, im := range r.impls {
		r.rep.Impls = append(r.rep.Impls, im.Name)
	}
	for _, name := range cfg.Sections {
		if !slices.ContainsFunc(sections, func(s section) bool { return s.name == name }) {
			return nil, fmt.Errorf("bench: no section %q (have %s)", name, strings.Join(SectionNames(), ", "))
		}
	}
	for _, s := range sections {
		if len(cfg.Sections) > 0 && !slices.Contains(cfg.Sections, s.name) {
			continue
		}
		r.logf("== %s", s.name)
		if err := s.run(r, ctx); err != nil {
			return r.rep, fmt.Errorf("bench: %s: %w", s.name, err)
		}
	}
	r.rep.Took = time.Since(r.rep.Started)
	r.rep.Env.LoadEnd = loadAvg()
	return r.rep, nil
}

func boolp(b bool) *bool { return &b }

// ---------------------------------------------------------------- section 1

type overheadOp struct {
	name  string
	table string
	run   func(ctx context.Context, im Impl) error
	// check verifies one call's result; it returns a description of the
	// work done, compared across implementations.
	check func(ctx context.Context, im Impl, f *Fake) (string, error)
}

func (r *runner) overheadOps() []overheadOp {
	getKey := RowKey{"g", 1}
	want := MakeRow("g", 1)
	put := MakeRow("p", 7)
	batch := make([]Row, 25)
	for i := range batch {
		batch[i] = MakeRow("b", int64(i))
	}
	q100 := VirtualTable(100, 100)
	return []overheadOp{
		{"GetItem + decode", "bench",
			func(ctx context.Context, im Impl) error { _, err := im.GetItem(ctx, getKey); return err },
			func(ctx context.Context, im Impl, _ *Fake) (string, error) {
				row, err := im.GetItem(ctx, getKey)
				if err == nil && !EqualRows([]Row{row}, []Row{want}) {
					return "", fmt.Errorf("decoded %+v, want %+v", row, want)
				}
				return fmt.Sprintf("%+v", row), err
			}},
		{"PutItem", "bench",
			func(ctx context.Context, im Impl) error { return im.PutItem(ctx, put) },
			func(ctx context.Context, im Impl, _ *Fake) (string, error) { return "put", im.PutItem(ctx, put) }},
		{"Rename (GetItem + 1-attr update)", "bench",
			func(ctx context.Context, im Impl) error { return im.Rename(ctx, getKey, "renamed") },
			func(ctx context.Context, im Impl, _ *Fake) (string, error) {
				return "rename", im.Rename(ctx, getKey, "renamed")
			}},
		{"Query 100-item page + decode", q100,
			func(ctx context.Context, im Impl) error {
				rows, err := im.QueryAll(ctx, "v")
				if err == nil && len(rows) != 100 {
					err = fmt.Errorf("query returned %d rows, want 100", len(rows))
				}
				return err
			},
			func(ctx context.Context, im Impl, _ *Fake) (string, error) {
				rows, err := im.QueryAll(ctx, "v")
				return fmt.Sprintf("%d rows %+v", len(rows), rows), err
			}},
		{"BatchWrite 25 items", "bench",
			func(ctx context.Context, im Impl) error { return im.BatchPut(ctx, batch, 1) },
			func(ctx context.Context, im Impl, f *Fake) (string, error) {
				before := f.Puts.Load()
				err := im.BatchPut(ctx, batch, 1)
				return fmt.Sprintf("%d puts", f.Puts.Load()-before), err
			}},
	}
}

func (r *runner) overhead(ctx context.Context) error {
	f := NewFake()
	defer f.Close()
	counter := NewCounter()
	client := NewClient(f.URL(), counter)
	const sec = "1 overhead"
	for _, op := range append(r.overheadOps(), typedOverheadOps()...) {
		impls := make([]Impl, len(r.impls))
		for i, im := range r.impls {
			impls[i] = im.New(client, op.table)
		}
		// Same work: one checked call each.
		var ref string
		for i, im := range impls {
			got, err := op.check(ctx, im, f)
			if err != nil {
				return fmt.Errorf("%s (%s): %w", op.name, r.impls[i].Name, err)
			}
			if i == 0 {
				ref = got
			} else if got != ref {
				r.rep.mismatch("%s: %s did %q, %s did %q", op.name, r.impls[i].Name, short(got), r.impls[0].Name, short(ref))
			}
		}
		// Warm up and calibrate on the baseline.
		n := 0
		for i, im := range impls {
			warm := func() error { return op.run(ctx, im) }
			s, err := measureRound(30, warm)
			if err != nil {
				return fmt.Errorf("%s (%s): %w", op.name, r.impls[i].Name, err)
			}
			if i == 0 {
				n = max(10, int(float64(r.sz.roundDur)/s.wallNs))
			}
		}
		wall := make([][]float64, len(impls))
		cpu := make([][]float64, len(impls))
		allocs := make([][]float64, len(impls))
		bytes := make([][]float64, len(impls))
		reqs := r.values()
		for round := range r.sz.rounds {
			for k := range impls {
				i := (k + round) % len(impls) // rotate who goes first
				im := impls[i]
				before := counter.Snapshot()
				s, err := measureRound(n, func() error { return op.run(ctx, im) })
				if err != nil {
					return fmt.Errorf("%s (%s): %w", op.name, r.impls[i].Name, err)
				}
				total := int64(0)
				for _, d := range counter.Diff(before) {
					total += d
				}
				reqs[i] = float64(total) / float64(n)
				wall[i] = append(wall[i], s.wallNs/1e3)
				cpu[i] = append(cpu[i], s.cpuNs/1e3)
				allocs[i] = append(allocs[i], s.allocs)
				bytes[i] = append(bytes[i], s.bytes)
			}
		}
		med := func(xs [][]float64) []float64 {
			v := r.values()
			for i := range xs {
				v[i] = median(xs[i])
			}
			return v
		}
		// Ratios are medians of per-round ratios: the three run back to
		// back in a round, which cancels drift and noisy neighbours.
		paired := func(xs [][]float64) map[string]float64 {
			d := r.rep.idx("dynamap")
			if d < 0 {
				return nil
			}
			out := map[string]float64{}
			for _, b := range []string{"raw", "guregu"} {
				o := r.rep.idx(b)
				var rs []float64
				for k := range xs[d] {
					rs = append(rs, xs[d][k]/xs[o][k])
				}
				out[b] = median(rs)
			}
			return out
		}
		r.logf("%s: n=%d per round, %d rounds", op.name, n, r.sz.rounds)
		mc := r.rep.add(Metric{Section: sec, Fair: true, Name: op.name, Unit: "CPU µs/op", Values: med(cpu), Ratios: paired(cpu), Chart: true, Target: "<= 1.05x raw"})
		if mc.Ratios != nil {
			mc.Met = boolp(mc.Ratios["raw"] <= 1.05)
		}
		r.rep.add(Metric{Section: sec, Fair: true, Name: op.name, Unit: "wall µs/op", Values: med(wall), Ratios: paired(wall)})
		ma := r.rep.add(Metric{Section: sec, Fair: true, Name: op.name, Unit: "allocs/op", Values: med(allocs), Chart: true, Target: "<= raw + 10"})
		if d, b := r.rep.idx("dynamap"), r.rep.idx("raw"); d >= 0 {
			ma.Met = boolp(ma.Values[d] <= ma.Values[b]+10)
		}
		r.rep.add(Metric{Section: sec, Fair: true, Name: op.name, Unit: "B/op", Values: med(bytes)})
		mr := r.rep.add(Metric{Section: sec, Fair: true, Name: op.name, Unit: "requests/op", Values: reqs, Target: "<= raw"})
		if d, b := r.rep.idx("dynamap"), r.rep.idx("raw"); d >= 0 {
			mr.Met = boolp(mr.Values[d] <= mr.Values[b])
		}
	}
	if err := r.describeCount(ctx, client, counter); err != nil {
		return err
	}
	return r.unchangedSaveCount(ctx, client, counter)
}

// unchangedSaveCount counts the requests of 100 renames to the name the item
// already has: a read, then a save of nothing new. A mapper that tracks
// changes knows there is nothing to write.
func (r *runner) unchangedSaveCount(ctx context.Context, client *dynamodb.Client, counter *Counter) error {
	v := r.values()
	same := MakeRow("g", 1).Name // what the instant endpoint's GetItem returns
	for i, im := range r.impls {
		before := counter.Snapshot()
		h := im.New(client, "bench")
		for range 100 {
			if err := h.Rename(ctx, RowKey{"g", 1}, same); err != nil {
				return err
			}
		}
		var n int64
		for _, d := range counter.Diff(before) {
			n += d
		}
		v[i] = float64(n)
	}
	m := r.rep.add(Metric{Section: "1 overhead", Fair: true, Name: "requests for 100 renames to the current name (read + unchanged save)", Unit: "requests", Values: v, Target: "<= raw"})
	if d, b := r.rep.idx("dynamap"), r.rep.idx("raw"); d >= 0 {
		m.Met = boolp(v[d] <= v[b])
	}
	return nil
}

// describeCount counts the DescribeTable requests of 100 GetItems and a
// Query through a fresh table handle.
func (r *runner) describeCount(ctx context.Context, client *dynamodb.Client, counter *Counter) error {
	v := r.values()
	for i, im := range r.impls {
		before := counter.Snapshot()
		h := im.New(client, "bench")
		for range 100 {
			if _, err := h.GetItem(ctx, RowKey{"g", 1}); err != nil {
				return err
			}
		}
		v[i] = float64(counter.Diff(before)["DescribeTable"])
	}
	m := r.rep.add(Metric{Section: "1 overhead", Fair: true, Name: "DescribeTable per new table handle (100 GetItems)", Unit: "requests", Values: v, Target: "<= raw + 1 (the declared schema is checked once)"})
	if d, b := r.rep.idx("dynamap"), r.rep.idx("raw"); d >= 0 {
		m.Met = boolp(v[d] <= v[b]+1)
	}
	if describeProbe != nil {
		before := counter.Snapshot()
		if err := describeProbe(ctx, client, "bench", 100); err != nil {
			return err
		}
		r.rep.Notes = append(r.rep.Notes, fmt.Sprintf(
			"dynamap tables are built WithSchema, checked against one DescribeTable on first use. A dynamap.NewTable without WithSchema sent %d DescribeTable for 100 GetItems (once per Table value, then cached); the rows above do not include it.",
			counter.Diff(before)["DescribeTable"]))
	}
	return nil
}

// describeProbe, set by the dynamap side, does n GetItems through a table
// handle built without WithSchema.
var describeProbe func(ctx context.Context, client *dynamodb.Client, table string, n int) error

func short(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// ---------------------------------------------------------------- section 2

func createTable(ctx context.Context, c *dynamodb.Client, name string) error {
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeN},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		return err
	}
	return dynamodb.NewTableExistsWaiter(c).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute)
}
