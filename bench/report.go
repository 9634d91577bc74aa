package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// Metric is one row of the results: a measured quantity per implementation.
type Metric struct {
	Section string    // "1 overhead", "2 DynamoDB Local", ...
	Name    string    // the unit of work
	Unit    string    // "µs/op", "allocs/op", "ms", "items/s", ...
	Values  []float64 // indexed like Report.Impls; NaN: not measured
	// Chart draws dynamap's ratios for this row in ratios.png.
	Chart bool
	// DynamapOnly rows hold a value for dynamap alone.
	DynamapOnly bool
	// Fair rows compare like with like: every implementation did the same
	// work at the same concurrency (or, for a DynamapOnly row, the claim
	// compares dynamap with itself on the same work). Only Fair rows may be
	// quoted in the README's benchmark table. Default false.
	Fair bool
	// Ratios, when set, are dynamap's ratios by baseline name, measured
	// directly (medians of per-round ratios) instead of value over value.
	Ratios map[string]float64
	// Target is the goal in words ("" for none); Met says if dynamap met it.
	Target string
	Met    *bool
}

// Report is the outcome of a run.
type Report struct {
	Impls      []string
	Metrics    []*Metric // in the order added
	Mismatches []string  // work that differed between implementations
	Notes      []string
	Env        Env
	Started    time.Time
	Took       time.Duration
	Quick      bool
	// Sections are the sections run when not all of them were.
	Sections []string
}

func (r *Report) idx(name string) int {
	for i, n := range r.Impls {
		if n == name {
			return i
		}
	}
	return -1
}

// add appends m and returns it, to set its target or Met afterwards (the
// pointer stays valid when more rows are added).
func (r *Report) add(m Metric) *Metric {
	p := &m
	r.Metrics = append(r.Metrics, p)
	return p
}

func (r *Report) mismatch(format string, args ...any) {
	r.Mismatches = append(r.Mismatches, fmt.Sprintf(format, args...))
}

// Ratio is dynamap's value over impl's for m (NaN when either is missing).
func (r *Report) Ratio(m *Metric, impl string) float64 {
	if v, ok := m.Ratios[impl]; ok {
		return v
	}
	d, o := r.idx("dynamap"), r.idx(impl)
	if d < 0 || o < 0 {
		return math.NaN()
	}
	return m.Values[d] / m.Values[o]
}

func fmtVal(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v == 0:
		return "0"
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func fmtRatio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	if v > 0.9 && v < 1.2 {
		return fmt.Sprintf("%.3fx", v) // near the 1.05x target: one more digit
	}
	return fmt.Sprintf("%.2fx", v)
}

func metLabel(m *bool) string {
	switch {
	case m == nil:
		return ""
	case *m:
		return "met"
	default:
		return "MISSED"
	}
}

// IDs names every metric for citing: its section's number (the Section
// label up to the first space), a dot, and its place in that section
// counting from 1 ("2.7"), in the order the metrics were added.
func (r *Report) IDs() []string {
	ids := make([]string, len(r.Metrics))
	n := map[string]int{}
	for i, m := range r.Metrics {
		sec, _, _ := strings.Cut(m.Section, " ")
		n[sec]++
		ids[i] = fmt.Sprintf("%s.%d", sec, n[sec])
	}
	return ids
}

func (r *Report) header() []string {
	h := []string{"row", "section", "work", "unit"}
	h = append(h, r.Impls...)
	return append(h, "dynamap/raw", "dynamap/guregu", "target", "met", "fair")
}

func (r *Report) cells(id string, m *Metric) []string {
	c := []string{id, m.Section, m.Name, m.Unit}
	for _, v := range m.Values {
		c = append(c, fmtVal(v))
	}
	fair := ""
	if m.Fair {
		fair = "fair"
	}
	return append(c, fmtRatio(r.Ratio(m, "raw")), fmtRatio(r.Ratio(m, "guregu")), m.Target, metLabel(m.Met), fair)
}

// WriteTable prints the results as an aligned text table.
func (r *Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(r.header(), "\t"))
	for i, m := range r.Metrics {
		fmt.Fprintln(tw, strings.Join(r.cells(r.IDs()[i], m), "\t"))
	}
	tw.Flush()
	for _, s := range r.Mismatches {
		fmt.Fprintln(w, "MISMATCH:", s)
	}
}

// resultsPreamble explains the columns of RESULTS.md's table.
const resultsPreamble = "Medians; ratios are dynamap's value over the other's (below 1 means dynamap is lower: faster, fewer allocations, fewer requests; for items/s and speedup rows above 1 is better). `row` names the row for citing. `fair`: raw, guregu and dynamap did the same work at the same concurrency (or, for a dynamap-only row, the claim compares dynamap with itself); only fair rows are quoted in the project README, whose benchmark table is generated from this file (`go run ./cmd/bench -readme-only`). See README.md in this directory for what each row measures."

// WriteMarkdown writes RESULTS.md.
func (r *Report) WriteMarkdown(w io.Writer) {
	fmt.Fprintf(w, "# dynamap benchmark results\n\n")
	mode := "full run"
	switch {
	case r.Quick:
		mode = "quick smoke run (-quick): sizes are small, numbers are not meaningful"
	case len(r.Sections) > 0:
		mode = "partial run (-sections " + strings.Join(r.Sections, ",") + ")"
	}
	fmt.Fprintf(w, "Generated by `go run ./cmd/bench` (%s) on %s, took %s.\n\n", mode, r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Took.Round(time.Second))
	fmt.Fprintf(w, "## Machine and versions\n\n")
	fmt.Fprintf(w, "| | |\n|---|---|\n")
	for _, kv := range r.Env.Pairs() {
		fmt.Fprintf(w, "| %s | %s |\n", kv[0], kv[1])
	}
	fmt.Fprintf(w, "\n## Results\n\n%s\n\n", resultsPreamble)
	h := r.header()
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(h, " | "), strings.Repeat("---|", len(h)))
	ids := r.IDs()
	for i, m := range r.Metrics {
		c := r.cells(ids[i], m)
		for k := range c {
			c[k] = strings.ReplaceAll(c[k], "|", "\\|")
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(c, " | "))
	}
	fmt.Fprintf(w, "\n![dynamap's ratios](ratios.png)\n\n## Targets\n\n")
	for i, m := range r.Metrics {
		if m.Met != nil {
			fmt.Fprintf(w, "- %s — %s %s, %s: %s (target %s)\n", metLabel(m.Met), ids[i], m.Section, m.Name, m.Unit, m.Target)
		}
	}
	if len(r.Mismatches) > 0 {
		fmt.Fprintf(w, "\n## Work mismatches\n\n")
		for _, s := range r.Mismatches {
			fmt.Fprintf(w, "- %s\n", s)
		}
	} else {
		fmt.Fprintf(w, "\nEvery implementation did the same work: same item counts, equal decoded results, checked in this run.\n")
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(w, "\n## Notes\n\n")
		for _, s := range r.Notes {
			fmt.Fprintf(w, "- %s\n", s)
		}
	}
}
