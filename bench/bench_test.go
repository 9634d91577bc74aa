package bench

import (
	"bytes"
	"context"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSmoke runs the quick suite end to end (DynamoDB Local included) and
// checks that every implementation did the same work: the suite itself
// compares item counts and decoded results and records any difference as a
// mismatch. It asserts nothing about timings.
func TestSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var log bytes.Buffer
	rep, err := Run(ctx, Config{Quick: true, Log: &log})
	if err != nil {
		t.Fatalf("quick run: %v\nlog:\n%s", err, log.String())
	}
	for _, m := range rep.Mismatches {
		t.Errorf("implementations did different work: %s", m)
	}
	want := []string{"raw", "guregu", "dynamap"}
	if strings.Join(rep.Impls, ",") != strings.Join(want, ",") {
		t.Errorf("implementations = %v, want %v", rep.Impls, want)
	}
	sections := map[string]bool{}
	for _, m := range rep.Metrics {
		sections[m.Section[:1]] = true
		if strings.ContainsAny(m.Section[:1], "1234") && !m.Fair {
			t.Errorf("%s %s %s: not marked fair (sections 1-4 compare equal work at equal concurrency)", m.Section, m.Name, m.Unit)
		}
		for i, v := range m.Values {
			if m.DynamapOnly && rep.Impls[i] != "dynamap" {
				continue
			}
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				t.Errorf("%s %s %s: %s has no valid value (%v)", m.Section, m.Name, m.Unit, rep.Impls[i], v)
			}
		}
		if m.Unit == "requests/op" || m.Unit == "requests" {
			for i, v := range m.Values {
				if v < 1 && !strings.Contains(m.Name, "DescribeTable") {
					t.Errorf("%s %s: %s sent %v requests", m.Section, m.Name, rep.Impls[i], v)
				}
			}
		}
	}
	for _, s := range []string{"1", "2", "3", "4"} {
		if !sections[s] {
			t.Errorf("section %s produced no rows", s)
		}
	}

	dir := t.TempDir()
	if err := WriteFiles(rep, dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "RESULTS.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"nproc", "aws-sdk-go-v2/service/dynamodb", "guregu/dynamo/v2", "DynamoDB Local", "## Targets", "GetItem + decode"} {
		if !bytes.Contains(md, []byte(s)) {
			t.Errorf("RESULTS.md lacks %q", s)
		}
	}
	res, err := ParseResults(md)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != len(rep.Metrics) || res.Full {
		t.Errorf("RESULTS.md parsed back: %d rows (want %d), full run %v (want false)", len(res.Rows), len(rep.Metrics), res.Full)
	}
	for i, row := range res.Rows {
		if m := rep.Metrics[i]; row.ID != rep.IDs()[i] || row.Work != m.Name || row.Unit != m.Unit || row.Fair != m.Fair {
			t.Errorf("RESULTS.md row %d = %+v, want %s %q %q fair %v", i, row, rep.IDs()[i], m.Name, m.Unit, m.Fair)
		}
	}
	f, err := os.Open(filepath.Join(dir, "ratios.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("ratios.png: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 200 {
		t.Errorf("ratios.png is %v, too small to hold the chart", b)
	}
}

// TestFakeVirtualTable checks the instant endpoint's paging: every
// implementation reads exactly N items from a virtual table, sequentially
// and with parallel segments.
func TestFakeVirtualTable(t *testing.T) {
	f := NewFake()
	defer f.Close()
	client := NewClient(f.URL(), NewCounter())
	ctx := context.Background()
	for _, im := range Implementations {
		h := im.New(client, VirtualTable(2500, 100))
		n, err := h.QueryEach(ctx, "v", func(*Row) {})
		if err != nil || n != 2500 {
			t.Errorf("%s: QueryEach = %d, %v; want 2500", im.Name, n, err)
		}
		for _, segs := range []int{1, 3, 8} {
			rows, err := h.Scan(ctx, segs)
			if err != nil || len(rows) != 2500 {
				t.Errorf("%s: Scan(%d) = %d rows, %v; want 2500", im.Name, segs, len(rows), err)
			}
		}
	}
}
