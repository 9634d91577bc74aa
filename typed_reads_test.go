package dynamap

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// seedMovies puts a small catalogue: two years, three genres, two studios.
func seedMovies(t *testing.T, tt *TypedTable[typedMovie]) []typedMovie {
	t.Helper()
	ms := []typedMovie{
		{Year: 1995, Title: "Heat", Genre: "crime", Rating: 8.3, Studio: "WB"},
		{Year: 1995, Title: "Casino", Genre: "crime", Rating: 8.2, Studio: "Universal"},
		{Year: 1995, Title: "Toy Story", Genre: "family", Rating: 8.3, Studio: "Pixar"},
		{Year: 1995, Title: "Se7en", Genre: "crime", Rating: 8.6, Studio: "New Line"},
		{Year: 1994, Title: "Pulp Fiction", Genre: "crime", Rating: 8.9, Studio: "Miramax"},
		{Year: 1994, Title: "Speed", Genre: "action", Rating: 7.3, Studio: "Fox"},
	}
	for i := range ms {
		if err := tt.Put(context.Background(), &ms[i]); err != nil {
			t.Fatalf("Put %s: %v", ms[i].Title, err)
		}
	}
	return ms
}

func titles(ms []typedMovie) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Title
	}
	return out
}

func TestTypedReads(t *testing.T) {
	ctx := context.Background()
	var rc requestCounter
	tt := typedMovies(t, &rc)
	describes := rc.count("DescribeTable")
	seedMovies(t, tt)

	t.Run("Get with Consistent and Attributes", func(t *testing.T) {
		m, err := tt.Get(ctx, Key{"year": 1995, "title": "Heat"}, Consistent(), Attributes("genre"))
		if err != nil {
			t.Fatal(err)
		}
		if m.Year != 1995 || m.Title != "Heat" || m.Genre != "crime" || m.Rating != 0 || m.Version != 0 {
			t.Errorf("projected Get = %+v: want keys and genre only", m)
		}
		if _, err := tt.Get(ctx, Key{"year": 1995}); !errors.Is(err, ErrMissingKey) {
			t.Errorf("Get without the range key: %v, want ErrMissingKey", err)
		}
	})
	t.Run("Lookup", func(t *testing.T) {
		m, err := tt.Lookup(ctx, 1994, "Speed")
		if err != nil || m.Genre != "action" || m.Version != 1 {
			t.Fatalf("Lookup = %+v, %v", m, err)
		}
		if _, err := tt.Lookup(ctx, 1994, "Nope"); !errors.Is(err, ErrItemNotFound) {
			t.Errorf("Lookup of a missing item: %v", err)
		}
	})
	t.Run("Query table, Where, Count", func(t *testing.T) {
		ms, err := tt.Query(Filter{"year__eq": 1995}, Consistent()).Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := titles(ms), []string{"Casino", "Heat", "Se7en", "Toy Story"}; !slices.Equal(got, want) {
			t.Errorf("Query = %q, want %q", got, want)
		}
		ms, err = tt.Query(Filter{"year__eq": 1995}, Where(Filter{"genre__eq": "crime"}), Reverse()).Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := titles(ms), []string{"Se7en", "Heat", "Casino"}; !slices.Equal(got, want) {
			t.Errorf("Query Where Reverse = %q, want %q", got, want)
		}
		n, err := tt.Query(Filter{"year__eq": 1995, "title__beginswith": "S"}).Count(ctx)
		if err != nil || n != 1 {
			t.Errorf("Count = %d, %v; want 1", n, err)
		}
	})
	t.Run("Query global and local index", func(t *testing.T) {
		ms, err := tt.Query(Filter{"genre__eq": "crime", "rating__gte": 8.3}, Index("ByGenre"), Reverse()).Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := titles(ms), []string{"Pulp Fiction", "Se7en", "Heat"}; !slices.Equal(got, want) {
			t.Errorf("ByGenre = %q, want %q", got, want)
		}
		ms, err = tt.Query(Filter{"year__eq": 1995, "studio__beginswith": "P"}, Index("ByStudio"), Consistent()).Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := titles(ms); !slices.Equal(got, []string{"Toy Story"}) {
			t.Errorf("ByStudio = %q", got)
		}
	})
	t.Run("Limit, Cursor, StartFrom, Attributes", func(t *testing.T) {
		r := tt.Query(Filter{"year__eq": 1995}, Limit(2), Attributes("rating"))
		var first []typedMovie
		for m, err := range r.All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			first = append(first, m)
		}
		if got := titles(first); !slices.Equal(got, []string{"Casino", "Heat"}) || first[0].Rating != 8.2 || first[0].Genre != "" {
			t.Fatalf("first page = %+v", first)
		}
		cur := r.Cursor()
		if cur == "" {
			t.Fatal("no cursor after Limit(2) of 4")
		}
		rest, err := tt.Query(Filter{"year__eq": 1995}, StartFrom(cur)).Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := titles(rest); !slices.Equal(got, []string{"Se7en", "Toy Story"}) {
			t.Errorf("resumed = %q", got)
		}
		if r.ScannedCount() < 2 || r.ConsumedCapacity() <= 0 {
			t.Errorf("ScannedCount %d ConsumedCapacity %v", r.ScannedCount(), r.ConsumedCapacity())
		}
	})
	t.Run("Scan Parallel and filter", func(t *testing.T) {
		r := tt.Scan(Filter{"rating__gte": 8.3}, Parallel(3), Consistent())
		ms, err := r.Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := titles(ms)
		slices.Sort(got)
		if want := []string{"Heat", "Pulp Fiction", "Se7en", "Toy Story"}; !slices.Equal(got, want) {
			t.Errorf("Scan = %q, want %q", got, want)
		}
		if r.ScannedCount() != 6 {
			t.Errorf("ScannedCount = %d, want 6", r.ScannedCount())
		}
		n, err := tt.Scan(nil, Index("ByGenre")).Count(ctx)
		if err != nil || n != 6 {
			t.Errorf("Scan ByGenre Count = %d, %v", n, err)
		}
	})
	t.Run("BatchGet", func(t *testing.T) {
		keys := []Key{{"year": 1995, "title": "Heat"}, {"year": 1994, "title": "Speed"}, {"year": 2000, "title": "Missing"}}
		ms, err := tt.BatchGet(keys, Consistent(), Attributes("genre")).Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := titles(ms)
		slices.Sort(got)
		if !slices.Equal(got, []string{"Heat", "Speed"}) {
			t.Errorf("BatchGet = %q", got)
		}
		for _, m := range ms {
			if m.Genre == "" || m.Rating != 0 {
				t.Errorf("BatchGet with Attributes: %+v", m)
			}
		}
	})
	t.Run("an item that does not decode", func(t *testing.T) {
		if err := tt.Table().PutItem(ctx, map[string]any{"year": 1990, "title": "Odd", "created": true}); err != nil {
			t.Fatal(err)
		}
		var n int
		for m, err := range tt.Query(Filter{"year__eq": 1990}).All(ctx) {
			n++
			var ve *ValueError
			if !errors.As(err, &ve) || m.Title != "" || !strings.Contains(err.Error(), "typedMovie") {
				t.Errorf("All: %+v, %v; want a *ValueError naming the type", m, err)
			}
		}
		if n != 1 {
			t.Errorf("yielded %d times, want once", n)
		}
		if _, err := tt.Get(ctx, Key{"year": 1990, "title": "Odd"}); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("Get: %v, want ErrInvalidValue", err)
		}
	})
	if n := rc.count("DescribeTable") - describes; n != 0 {
		// CreateTableOf knows the schema it created.
		t.Errorf("%d DescribeTable requests after CreateTableOf and WaitActive", n)
	}
}

func TestTypedReadsStopWhenBroken(t *testing.T) {
	ctx := context.Background()
	var rc requestCounter
	tt := typedMovies(t, &rc)
	seedMovies(t, tt)
	before := rc.count("Query")
	for m, err := range tt.Query(Filter{"year__eq": 1995}, PageSize(1)).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		_ = m
		break
	}
	if n := rc.count("Query") - before; n != 1 {
		t.Errorf("breaking after the first item sent %d Query requests, want 1", n)
	}
	cctx, cancel := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel()
	<-cctx.Done()
	if _, err := tt.Query(Filter{"year__eq": 1995}).Collect(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Collect with a dead context: %v", err)
	}
}
