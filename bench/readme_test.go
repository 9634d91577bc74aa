package bench

import (
	"bytes"
	"flag"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite ../README.md's benchmark table from RESULTS.md")

// TestReadmeTable checks that the project README's benchmark table is the
// one generated from the committed RESULTS.md (go test -run TestReadmeTable
// -update rewrites it, as go run ./cmd/bench -readme-only does).
func TestReadmeTable(t *testing.T) {
	md, err := os.ReadFile("RESULTS.md")
	if err != nil {
		t.Fatal(err)
	}
	res, err := ParseResults(md)
	if err != nil {
		t.Fatal(err)
	}
	table, err := ReadmeTable(res)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := UpdateReadme(readme, table)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("../README.md", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(readme, want) {
		t.Errorf("README.md's benchmark table is not the one generated from bench/RESULTS.md: run `go run ./cmd/bench -readme-only` (or go test -run TestReadmeTable -update) in bench/")
	}
}

// sampleReport is a small report with a fair and an unfair row per kind.
func sampleReport(quick bool, sections ...string) *Report {
	nan := math.NaN()
	r := &Report{Impls: []string{"raw", "guregu", "dynamap"}, Quick: quick, Sections: sections,
		Started: time.Date(2026, 11, 22, 1, 45, 0, 0, time.UTC), Took: time.Minute,
		Env: Env{NProc: 2, CPU: "AMD EPYC", Go: "go1.26.8", OSArch: "linux/amd64", SDK: "v1.73.1", Guregu: "v2.1.1",
			DynamoDBLocal: "3.3.0 (npm)", LoadStart: "1.00 1.00 1.00", LoadEnd: "2.00 2.00 2.00"}}
	r.add(Metric{Section: "1 overhead", Name: "GetItem + decode", Unit: "CPU µs/op", Values: []float64{100, 110, 102}, Fair: true,
		Ratios: map[string]float64{"raw": 1.02, "guregu": 0.93}, Target: "<= 1.05x raw", Met: boolp(true)})
	r.add(Metric{Section: "1 overhead", Name: "GetItem + decode", Unit: "wall µs/op", Values: []float64{100, 110, 102}, Fair: true})
	r.add(Metric{Section: "1 overhead", Name: "GetItem + decode", Unit: "allocs/op", Values: []float64{427, 428, 431}, Fair: true,
		Target: "<= raw + 10", Met: boolp(true)})
	r.add(Metric{Section: "2 DynamoDB Local", Name: "batch load 10000 items, 4 in flight", Unit: "items/s", Values: []float64{5000, 4000, 5100}, Fair: true,
		Ratios: map[string]float64{"raw": 1.02, "guregu": 1.27}, Target: ">= 0.95x raw", Met: boolp(true)})
	r.add(Metric{Section: "2 DynamoDB Local", Name: "batch load | piped name", Unit: "requests", Values: []float64{400, 400, 401}, Fair: true,
		Target: "<= raw", Met: boolp(false)})
	r.add(Metric{Section: "3 10 ms round trip", Name: "batch load, dynamap Concurrency(16); others sequential", Unit: "items/s", Values: []float64{2000, 2000, 27000},
		Target: ">= 10x raw", Met: boolp(true)}) // not fair: must not be quoted
	r.add(Metric{Section: "5 adaptive", Name: "AutoConcurrency over best fixed", Unit: "fraction", Values: []float64{nan, nan, 0.97}, DynamapOnly: true, Fair: true,
		Target: ">= 0.9", Met: boolp(true)})
	return r
}

func TestReadmeTableQuotesOnlyFairRows(t *testing.T) {
	var md bytes.Buffer
	sampleReport(false).WriteMarkdown(&md)
	res, err := ParseResults(md.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 7 || res.Rows[4].ID != "2.2" || res.Rows[4].Work != "batch load | piped name" || !res.Rows[4].Fair || res.Rows[5].Fair {
		t.Fatalf("parsed rows = %+v", res.Rows)
	}
	table, err := ReadmeTable(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| GetItem + decode | CPU 1.020x · allocs +4 | CPU 0.930x · allocs +3 | CPU ≤ 1.05x raw: met · allocs ≤ raw + 10: met | 1.1, 1.3 |",
		"| batch load 10000 items, 4 in flight (DynamoDB Local) | items/s 1.020x | items/s 1.27x | ≥ 0.95x raw: met | 2.1 |",
		"| batch load \\| piped name (DynamoDB Local) | requests 401 vs 400 | requests 401 vs 400 | ≤ raw: MISSED | 2.2 |",
		"| AutoConcurrency over best fixed | fraction 0.97 |  | ≥ 0.9: met | 5.1 |",
		"From the full run of 2026-11-22 01:45 UTC (took 1m0s; 2 cores AMD EPYC,", "load average at start / end 1.00 1.00 1.00 / 2.00 2.00 2.00",
		"5 of the 6 targets in RESULTS.md met; missed: rows 2.2.",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	for _, not := range []string{"others sequential", "wall"} {
		if strings.Contains(table, not) {
			t.Errorf("table quotes %q (an unfair row or a row without a target):\n%s", not, table)
		}
	}
}

func TestReadmeTableRefusesPartialRuns(t *testing.T) {
	for _, rep := range []*Report{sampleReport(true), sampleReport(false, "local")} {
		var md bytes.Buffer
		rep.WriteMarkdown(&md)
		res, err := ParseResults(md.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ReadmeTable(res); err == nil {
			t.Errorf("ReadmeTable of a %q run: no error", res.Generated)
		}
	}
}

func TestUpdateReadme(t *testing.T) {
	in := []byte("# x\n\nbefore\n" + ReadmeStart + "\nold table\n" + ReadmeEnd + "\nafter\n")
	got, err := UpdateReadme(in, "new table\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "# x\n\nbefore\n" + ReadmeStart + "\nnew table\n" + ReadmeEnd + "\nafter\n"; string(got) != want {
		t.Errorf("UpdateReadme = %q, want %q", got, want)
	}
	if _, err := UpdateReadme([]byte("# no markers\n"), "t"); err == nil {
		t.Error("UpdateReadme without markers: no error")
	}
}

func TestWhole(t *testing.T) {
	for in, want := range map[string]string{"50.0": "50", "1.00": "1", "400": "400", "2.50": "2.50", "-": "-"} {
		if got := whole(in); got != want {
			t.Errorf("whole(%q) = %q, want %q", in, got, want)
		}
	}
}
