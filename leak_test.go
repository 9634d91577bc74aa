package dynamap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

// libraryDir is the module root: goroutines with a frame in a non-test file
// under it (outside internal/ and ddblocal/) are running library code.
var libraryDir = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}()

func isLibraryFrame(file string) bool {
	rel, err := filepath.Rel(libraryDir, file)
	if err != nil || strings.HasPrefix(rel, "..") || strings.HasSuffix(file, "_test.go") {
		return false
	}
	return !strings.HasPrefix(rel, "internal"+string(filepath.Separator)) &&
		!strings.HasPrefix(rel, "ddblocal"+string(filepath.Separator)) &&
		!strings.HasPrefix(rel, "examples"+string(filepath.Separator))
}

const leakLabel = "dynamap-leaktest"

// labeledGoroutines counts the goroutines labeled leakLabel=id (every
// goroutine started, directly or not, inside withLabel(id)), and among them
// those running library code; dump is their stacks.
func labeledGoroutines(id string) (library, all int, dump string) {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		panic(err)
	}
	want := fmt.Sprintf("%q:%q", leakLabel, id)
	var out strings.Builder
	for _, rec := range strings.Split(buf.String(), "\n\n") {
		lines := strings.Split(rec, "\n")
		labeled, lib := false, false
		for _, l := range lines {
			if strings.HasPrefix(l, "# labels: ") && strings.Contains(l, want) {
				labeled = true
			}
			if f := strings.Split(strings.TrimPrefix(l, "#\t"), "\t"); strings.HasPrefix(l, "#\t") && len(f) == 3 {
				file := f[2]
				if i := strings.LastIndexByte(file, ':'); i > 0 {
					file = file[:i]
				}
				lib = lib || isLibraryFrame(file)
			}
		}
		if !labeled {
			continue
		}
		var n int
		fmt.Sscanf(lines[0], "%d @", &n)
		all += n
		if lib {
			library += n
		}
		out.WriteString(rec)
		out.WriteString("\n\n")
	}
	return library, all, out.String()
}

var leakSeq atomic.Int64

// withLabel runs fn with a fresh label that every goroutine it starts
// inherits, and returns the label.
func withLabel(ctx context.Context, fn func(ctx context.Context)) string {
	id := fmt.Sprint(leakSeq.Add(1))
	pprof.Do(ctx, pprof.Labels(leakLabel, id), fn)
	return id
}

// assertNoLeak waits up to a second for the goroutines labeled id that run
// library code to end (they must all be gone once the call returned), then
// up to five more seconds for all of them, HTTP connection goroutines
// included: those end when their connection has been idle for idleTimeout,
// which a loaded 2-core machine can stretch well past a second.
func assertNoLeak(t *testing.T, id string) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		lib, _, dump := labeledGoroutines(id)
		if lib == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d library goroutines still running a second after the call returned:\n%s", lib, dump)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		_, all, dump := labeledGoroutines(id)
		if all == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d goroutines started by the call still running a second after it returned:\n%s", all, dump)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// slowProxy forwards to target after delay (cut short if the client goes
// away).
type slowProxy struct {
	srv    *httptest.Server
	target *url.URL
	client *http.Client
	delay  atomic.Int64
}

func newSlowProxy(t *testing.T, target string, delay time.Duration) *slowProxy {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	p := &slowProxy{target: u, client: &http.Client{Transport: &http.Transport{DisableCompression: true}}}
	p.delay.Store(int64(delay))
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		select {
		case <-time.After(time.Duration(p.delay.Load())):
		case <-r.Context().Done():
			return
		}
		resp, err := forwardTo(r, p.client, p.target, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		writeResponse(w, resp)
	}))
	t.Cleanup(func() {
		p.srv.Close()
		p.client.CloseIdleConnections()
	})
	return p
}

// idleTimeout is how long the test conns keep an idle connection: the
// transport's goroutines for it end then.
const idleTimeout = 150 * time.Millisecond

// transportConn is a conn to endpoint whose HTTP transport drops idle
// connections after idleTimeout. (The SDK's buildable client clones its
// transport when it builds, so a test cannot reach the one in use to call
// CloseIdleConnections; and config.LoadDefaultConfig refuses a plain
// *http.Client when AWS_CA_BUNDLE is set.)
func transportConn(t *testing.T, endpoint string) *conn.Conn {
	t.Helper()
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) { t.IdleConnTimeout = idleTimeout })
	return retryingConn(t, endpoint, func(o *conn.Options) { o.HTTPClient = hc })
}

// drain iterates rs to the end and returns the first error.
func drain(ctx context.Context, rs *ResultSet) error {
	for _, err := range rs.All(ctx) {
		if err != nil {
			return err
		}
	}
	return nil
}

// TestCancelStopsEveryOperation cancels each operation about 50 ms into a
// request that the proxy holds for 2 s (or, for the "paged" cases, into a
// walk over many quick pages): it must return context.Canceled within 100 ms
// of the cancel and leave no goroutine behind. It does not call t.Parallel,
// so that the latencies are measured without the rest of the suite competing
// for the CPU.
func TestCancelStopsEveryOperation(t *testing.T) {
	ctx := context.Background()
	direct := testConn(t)
	tb := testTable(t, direct, reliabSchema)
	var keys []Key
	require.NoError(t, tb.BatchWriteFunc(ctx, func(b *BatchTable) error {
		for i := range 300 {
			it := reliabItem(fmt.Sprintf("p%d", i%3), i)
			keys = append(keys, Key{"pk": it["pk"], "n": it["n"]})
			if err := b.PutItem(ctx, it); err != nil {
				return err
			}
		}
		return nil
	}))
	sp := newSlowProxy(t, testEndpoint(t), 2*time.Second)
	pc := transportConn(t, sp.srv.URL)
	pt := NewTable(pc, tb.Name(), WithSchema(reliabSchema...))
	key := Key{"pk": "p0", "n": 0}

	cases := []struct {
		name  string
		paged bool // 10 ms per request instead of 2 s
		run   func(ctx context.Context) error
	}{
		{"GetItem", false, func(ctx context.Context) error { _, err := pt.GetItem(ctx, key); return err }},
		{"PutItem", false, func(ctx context.Context) error {
			return pt.PutItem(ctx, reliabItem("new", 1), Overwrite())
		}},
		{"UpdateItem", false, func(ctx context.Context) error {
			_, err := pt.UpdateItem(ctx, key, SetValue("x", 1))
			return err
		}},
		{"Increment", false, func(ctx context.Context) error { _, err := pt.Increment(ctx, key, "c", 1); return err }},
		{"DeleteItem", false, func(ctx context.Context) error { _, err := pt.DeleteItem(ctx, Key{"pk": "zz", "n": 1}); return err }},
		{"Query.All", false, func(ctx context.Context) error {
			return drain(ctx, pt.Query(Filter{"pk__eq": "p1"}, PageSize(3)))
		}},
		{"Query.All/paged", true, func(ctx context.Context) error {
			return drain(ctx, pt.Query(Filter{"pk__eq": "p1"}, PageSize(2)))
		}},
		{"Query.Count", false, func(ctx context.Context) error {
			_, err := pt.Query(Filter{"pk__eq": "p1"}, PageSize(3)).Count(ctx)
			return err
		}},
		{"Scan.Parallel(4).All", false, func(ctx context.Context) error {
			return drain(ctx, pt.Scan(nil, Parallel(4), PageSize(5)))
		}},
		{"Scan.Parallel(4).All/paged", true, func(ctx context.Context) error {
			return drain(ctx, pt.Scan(nil, Parallel(4), PageSize(2)))
		}},
		{"Scan.Parallel(4).Count", false, func(ctx context.Context) error {
			_, err := pt.Scan(nil, Parallel(4), PageSize(5)).Count(ctx)
			return err
		}},
		{"Table.EstimatedItemCount", false, func(ctx context.Context) error { _, err := pt.EstimatedItemCount(ctx); return err }},
		{"BatchWrite.Close(Concurrency(4))", false, func(ctx context.Context) error {
			// 100 puts are four requests: three sent while buffering, the
			// last by Close, which then waits for all four.
			b := pt.BatchWrite(Concurrency(4))
			for i := range 100 {
				if err := b.PutItem(ctx, reliabItem("bw", i)); err != nil {
					return errors.Join(err, b.Close(ctx))
				}
			}
			return b.Close(ctx)
		}},
		{"BatchGet.All", false, func(ctx context.Context) error { return drain(ctx, pt.BatchGet(keys)) }},
		{"TransactWrite", false, func(ctx context.Context) error {
			return TransactWrite(ctx, pc, pt.TxPut(reliabItem("tx", 1), Overwrite()))
		}},
		{"TransactGet", false, func(ctx context.Context) error {
			_, err := TransactGet(ctx, pc, pt.TxGet(key))
			return err
		}},
		{"WaitActive", false, func(ctx context.Context) error { return NewTable(pc, tb.Name()).WaitActive(ctx) }},
		{"Describe", false, func(ctx context.Context) error { _, err := NewTable(pc, tb.Name()).Describe(ctx); return err }},
		{"ListTables", false, func(ctx context.Context) error {
			for _, err := range ListTables(ctx, pc) {
				if err != nil {
					return err
				}
			}
			return nil
		}},
	}
	var report strings.Builder
	var worst time.Duration
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.paged {
				sp.delay.Store(int64(10 * time.Millisecond))
			} else {
				sp.delay.Store(int64(2 * time.Second))
			}
			var latency time.Duration
			var err error
			id := withLabel(ctx, func(lctx context.Context) {
				cctx, cancel := context.WithCancel(lctx)
				defer cancel()
				done := make(chan time.Time, 1)
				go func() {
					err = c.run(cctx)
					done <- time.Now()
				}()
				time.Sleep(50 * time.Millisecond)
				canceledAt := time.Now()
				cancel()
				select {
				case at := <-done:
					latency = at.Sub(canceledAt)
				case <-time.After(5 * time.Second):
					t.Fatalf("still running 5 s after the cancel")
				}
			})
			fmt.Fprintf(&report, "\n  %-34s %v", c.name, latency)
			worst = max(worst, latency)
			assert.ErrorIs(t, err, context.Canceled)
			// Bounds a loaded CI machine cannot break and that still prove
			// the cancel interrupted the call: a single request is held 2 s,
			// so returning within 1 s means it was abandoned; a paged read
			// has at least 330 ms of 10 ms pages left after the cancel
			// (50 pages of p1, 38 per scan segment), so returning within
			// 250 ms means it stopped between pages.
			bound := time.Second
			if c.paged {
				bound = 250 * time.Millisecond
			}
			assert.LessOrEqual(t, latency, bound, "returned %v after the cancel", latency)
			assertNoLeak(t, id)
		})
	}
	t.Logf("return latency after cancel (max %v):%s", worst, report.String())
}

// TestLeakNoGoroutinesAfterOperations runs operations to completion, and
// iterations abandoned early (breaking out of a parallel scan, a paged
// query, a batch get), and checks that nothing they started keeps running.
func TestLeakNoGoroutinesAfterOperations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := transportConn(t, testEndpoint(t))
	tb := testTable(t, testConn(t), reliabSchema)
	tb = NewTable(c, tb.Name(), WithSchema(reliabSchema...))
	var keys []Key
	for i := range 150 {
		keys = append(keys, Key{"pk": fmt.Sprintf("p%d", i%3), "n": i})
	}
	breakAfter := func(rs *ResultSet, n int) error {
		i := 0
		for _, err := range rs.All(ctx) {
			if err != nil {
				return err
			}
			if i++; i == n {
				break
			}
		}
		return nil
	}
	steps := []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"BatchWrite(Concurrency(4))", func(ctx context.Context) error {
			return tb.BatchWriteFunc(ctx, func(b *BatchTable) error {
				for _, k := range keys {
					if err := b.PutItem(ctx, reliabItem(k["pk"].(string), k["n"].(int))); err != nil {
						return err
					}
				}
				return nil
			}, Concurrency(4))
		}},
		{"GetItem", func(ctx context.Context) error { _, err := tb.GetItem(ctx, keys[0]); return err }},
		{"Scan.Parallel(4).All/break", func(ctx context.Context) error { return breakAfter(tb.Scan(nil, Parallel(4), PageSize(5)), 3) }},
		{"Scan.Parallel(4).All", func(ctx context.Context) error { return drain(ctx, tb.Scan(nil, Parallel(4), PageSize(7))) }},
		{"Scan.Parallel(4).Count", func(ctx context.Context) error {
			_, err := tb.Scan(nil, Parallel(4), PageSize(7)).Count(ctx)
			return err
		}},
		{"Query.All/break", func(ctx context.Context) error { return breakAfter(tb.Query(Filter{"pk__eq": "p1"}, PageSize(2)), 5) }},
		{"BatchGet.All/break", func(ctx context.Context) error { return breakAfter(tb.BatchGet(keys), 10) }},
		{"BatchGet.All", func(ctx context.Context) error { return drain(ctx, tb.BatchGet(keys)) }},
		{"TransactWrite", func(ctx context.Context) error {
			return TransactWrite(ctx, c, tb.TxUpdate(keys[1], Add("c", 1)))
		}},
		{"BatchWrite.Close(Concurrency(4))", func(ctx context.Context) error {
			b := tb.BatchWrite(Concurrency(4))
			for _, k := range keys {
				if err := b.DeleteItem(ctx, k); err != nil {
					return err
				}
			}
			return b.Close(ctx)
		}},
	}
	for _, s := range steps {
		var err error
		id := withLabel(ctx, func(ctx context.Context) { err = s.run(ctx) })
		require.NoError(t, err, s.name)
		t.Run(s.name, func(t *testing.T) { assertNoLeak(t, id) })
	}
}
