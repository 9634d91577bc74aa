package bench

import "testing"

// TestAddPointerStaysValid: a row's target set through the pointer add
// returned, after more rows were added, is in the report. (With rows kept
// by value the pointer went stale when the slice grew, and the memory
// rows lost their met/MISSED.)
func TestAddPointerStaysValid(t *testing.T) {
	r := &Report{Impls: []string{"raw", "guregu", "dynamap"}}
	m := r.add(Metric{Section: "4 memory", Name: "first", Unit: "MiB"})
	for range 100 {
		r.add(Metric{Section: "4 memory", Name: "more", Unit: "MiB"})
	}
	m.Target, m.Met = "<= raw's", boolp(false)
	if got := r.Metrics[0]; got.Met == nil || *got.Met || got.Target != "<= raw's" {
		t.Errorf("first row = %+v, want its target and MISSED", got)
	}
}

func TestIDs(t *testing.T) {
	r := &Report{}
	for _, s := range []string{"1 overhead", "1 overhead", "2 DynamoDB Local", "1 overhead", "5 auto"} {
		r.add(Metric{Section: s})
	}
	want := []string{"1.1", "1.2", "2.1", "1.3", "5.1"}
	for i, id := range r.IDs() {
		if id != want[i] {
			t.Errorf("IDs()[%d] = %q, want %q", i, id, want[i])
		}
	}
}
