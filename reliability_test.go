package dynamap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/internal/faultproxy"
)

// allOps is every DynamoDB operation the library's public surface makes.
var allOps = []string{
	"CreateTable", "DescribeTable", "ListTables",
	"GetItem", "PutItem", "DeleteItem", "UpdateItem",
	"Query", "Scan", "BatchWriteItem", "BatchGetItem",
	"TransactWriteItems", "TransactGetItems",
}

// attemptLog records, per operation, how many calls went through a conn and
// how many HTTP attempts they took.
type attemptLog struct {
	mu       sync.Mutex
	calls    map[string]int
	attempts map[string]int
}

func (a *attemptLog) option(o *conn.Options) {
	o.OnRequest = func(m conn.Measurement) {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.calls == nil {
			a.calls, a.attempts = map[string]int{}, map[string]int{}
		}
		a.calls[m.Op]++
		a.attempts[m.Op] += m.Attempts
	}
}

func (a *attemptLog) retries() (total int, byOp map[string]int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	byOp = map[string]int{}
	for op, n := range a.attempts {
		if r := n - a.calls[op]; r > 0 {
			byOp[op] = r
			total += r
		}
	}
	return total, byOp
}

// retryingConn is a conn to endpoint with the SDK retryer at 5 retries and a
// short backoff.
func retryingConn(t testing.TB, endpoint string, more ...func(*conn.Options)) *conn.Conn {
	t.Helper()
	c, err := conn.New(context.Background(), append([]func(*conn.Options){func(o *conn.Options) {
		o.Endpoint = endpoint
		o.Region = "us-east-1"
		o.AccessKeyID = "dynamap"
		o.SecretAccessKey = "dynamap-test-secret"
		o.MaxRetries = 5
		o.RetryMaxBackoff = 3 * time.Millisecond
	}}, more...)...)
	require.NoError(t, err)
	return c
}

// errKind classifies an error a call returned through a faulty network. The
// empty string means the error is of no recognised type: a test failure.
func errKind(err error) string {
	var (
		mae *retry.MaxAttemptsError
		qe  *ratelimit.QuotaExceededError
		ae  smithy.APIError
		rse *smithyhttp.RequestSendError
		ue  *UnprocessedError
	)
	switch {
	case err == nil:
		return "ok"
	case IsThrottled(err):
		return "throttled"
	case errors.As(err, &ue):
		return "unprocessed"
	case errors.As(err, &qe):
		return "retry-quota"
	case errors.As(err, &ae):
		return "api:" + ae.ErrorCode()
	case errors.As(err, &rse):
		return "send"
	case errors.As(err, &mae):
		return "max-attempts"
	}
	return ""
}

// outcomes counts results per operation and fails the test on an untyped
// error.
type outcomes struct {
	mu   sync.Mutex
	seen map[string]map[string]int
}

// ok reports whether err is nil; a non-nil err must be typed.
func (o *outcomes) ok(t *testing.T, op string, err error) bool {
	t.Helper()
	k := errKind(err)
	if k == "" {
		t.Errorf("%s: untyped error %T: %v", op, err, err)
		k = "UNTYPED"
	}
	o.mu.Lock()
	if o.seen == nil {
		o.seen = map[string]map[string]int{}
	}
	if o.seen[op] == nil {
		o.seen[op] = map[string]int{}
	}
	o.seen[op][k]++
	o.mu.Unlock()
	return err == nil
}

func (o *outcomes) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	ops := slices.Sorted(func(yield func(string) bool) {
		for k := range o.seen {
			if !yield(k) {
				return
			}
		}
	})
	var b strings.Builder
	for _, op := range ops {
		fmt.Fprintf(&b, "\n  %-16s %v", op, o.seen[op])
	}
	return b.String()
}

var reliabSchema = []KeyField{HashKey("pk"), RangeKey("n", N)}

func reliabItem(pk string, n int) map[string]any {
	return map[string]any{"pk": pk, "n": n, "v": fmt.Sprintf("%s/%d", pk, n), "tags": StringSet{"a", pk}}
}

// assertItemData checks that it holds exactly want's attributes.
func assertItemData(t *testing.T, want map[string]any, it *Item) {
	t.Helper()
	if !assert.NotNil(t, it) {
		return
	}
	wav, err := marshalItem(want)
	require.NoError(t, err)
	assert.True(t, equalAVMap(wav, it.avMap()), "item %v differs: %v", want, it.Map())
}

// TestReliabEveryOperationThroughFaults runs every public operation through
// a proxy that throttles, answers 500 and resets connections (before
// forwarding) on every operation, with the SDK retryer on. Each call must
// either succeed with the right data, checked through a clean conn, or fail
// with a typed error.
func TestReliabEveryOperationThroughFaults(t *testing.T) {
	t.Parallel()
	res := runThroughFaults(t, faultproxy.Config{Seed: 42, Throttle: 0.1, ServerError: 0.1, Reset: 0.06, FaultOps: allOps}, 5)
	// At these rates five retries nearly always get through.
	assert.Positive(t, res.count("ok"))
}

// TestReliabEveryOperationFailsTyped is the same with faults on most
// attempts and a single retry, so that many calls fail: each failure must be
// typed, and must have changed nothing.
func TestReliabEveryOperationFailsTyped(t *testing.T) {
	t.Parallel()
	res := runThroughFaults(t, faultproxy.Config{Seed: 7, Throttle: 0.3, ServerError: 0.25, Reset: 0.15, FaultOps: allOps}, 1)
	assert.Positive(t, res.count("throttled"))
	assert.Positive(t, res.count("api:InternalServerError"))
	assert.Positive(t, res.count("send"))
}

func (o *outcomes) count(kind string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, m := range o.seen {
		n += m[kind]
	}
	return n
}

func runThroughFaults(t *testing.T, cfg faultproxy.Config, maxRetries int) *outcomes {
	ctx := context.Background()
	direct := testConn(t)
	tb := testTable(t, direct, reliabSchema)
	seed := map[string]map[string]any{}
	require.NoError(t, tb.BatchWriteFunc(ctx, func(b *BatchTable) error {
		for p := range 4 {
			for n := range 30 {
				it := reliabItem(fmt.Sprintf("seed%d", p), n)
				seed[keyOf(it)] = it
				if err := b.PutItem(ctx, it); err != nil {
					return err
				}
			}
		}
		return nil
	}))

	p := newProxy(t, cfg)
	var log attemptLog
	pc := retryingConn(t, p.URL, log.option, func(o *conn.Options) { o.MaxRetries = maxRetries })
	pt := NewTable(pc, tb.Name(), WithSchema(reliabSchema...))
	var res outcomes
	const rounds = 12

	t.Run("group", func(t *testing.T) {
		t.Run("CreateTableDescribe", func(t *testing.T) {
			t.Parallel()
			for i := range 2 {
				name := fmt.Sprintf("%s_c%d", testTableName(t), i)
				nt, err := CreateTable(ctx, pc, name, reliabSchema)
				if res.ok(t, "CreateTable", err) {
					t.Cleanup(func() { _ = NewTable(direct, name).DeleteTable(context.Background()) })
					if res.ok(t, "WaitActive", nt.WaitActive(ctx)) {
						d, err := NewTable(direct, name).Describe(ctx)
						require.NoError(t, err)
						assert.Len(t, d.KeySchema, 2)
					}
				} else {
					// No fault of this proxy reaches DynamoDB, so a failed
					// CreateTable created nothing.
					_, err := NewTable(direct, name).Describe(ctx)
					assert.ErrorIs(t, err, ErrTableNotFound)
				}
			}
			for range rounds {
				fresh := NewTable(pc, tb.Name()) // no schema: Describe first
				kf, err := fresh.KeyNames(ctx)
				if res.ok(t, "KeyNames", err) {
					assert.Equal(t, []string{"pk", "n"}, kf)
				}
				d, err := fresh.Describe(ctx)
				if res.ok(t, "Describe", err) {
					assert.Equal(t, tb.Name(), *d.TableName)
				}
			}
		})
		t.Run("Reads", func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(1, 2))
			for range rounds {
				want := reliabItem(fmt.Sprintf("seed%d", rng.IntN(4)), rng.IntN(30))
				key := Key{"pk": want["pk"], "n": want["n"]}
				it, err := pt.GetItem(ctx, key, Consistent())
				if res.ok(t, "GetItem", err) {
					assertItemData(t, want, it)
				}
				_, err = pt.GetItem(ctx, Key{"pk": "absent", "n": 1})
				if !errors.Is(err, ErrItemNotFound) {
					res.ok(t, "GetItem(absent)", err)
				}
				has, err := pt.HasItem(ctx, key)
				if res.ok(t, "HasItem", err) {
					assert.True(t, has)
				}
				has, err = pt.HasItem(ctx, Key{"pk": "absent", "n": 1})
				if res.ok(t, "HasItem(absent)", err) {
					assert.False(t, has)
				}
				it, err = pt.Lookup(ctx, want["pk"], want["n"])
				if res.ok(t, "Lookup", err) {
					assertItemData(t, want, it)
				}
			}
		})
		t.Run("Writes", func(t *testing.T) {
			t.Parallel()
			dt := NewTable(direct, tb.Name(), WithSchema(reliabSchema...))
			for i := range rounds {
				pk := fmt.Sprintf("w%d", i)
				want := reliabItem(pk, i)
				key := Key{"pk": pk, "n": i}
				putOK := res.ok(t, "PutItem", pt.PutItem(ctx, want))
				got, err := dt.GetItem(ctx, key, Consistent())
				if putOK {
					require.NoError(t, err)
					assertItemData(t, want, got)
				} else {
					// Faults never reach DynamoDB: nothing was written.
					assert.ErrorIs(t, err, ErrItemNotFound)
					require.NoError(t, dt.PutItem(ctx, want))
				}

				upd, err := pt.UpdateItem(ctx, key, SetValue("v", "updated"), Add("count", 5), ReturnNew())
				got, gerr := dt.GetItem(ctx, key, Consistent())
				require.NoError(t, gerr)
				if res.ok(t, "UpdateItem", err) {
					assert.Equal(t, "updated", upd.Get("v"))
					assert.Equal(t, "updated", got.Get("v"))
					n, _ := got.GetNumber("count")
					assert.Equal(t, Number("5"), n)
				} else {
					assert.Equal(t, want["v"], got.Get("v"))
					assert.False(t, got.Has("count"))
				}

				deleted, err := pt.DeleteItem(ctx, key)
				_, gerr = dt.GetItem(ctx, key, Consistent())
				if res.ok(t, "DeleteItem", err) {
					assert.True(t, deleted)
					assert.ErrorIs(t, gerr, ErrItemNotFound)
				} else {
					assert.NoError(t, gerr, "a failed delete removed the item")
				}
			}
		})
		t.Run("Increment", func(t *testing.T) {
			t.Parallel()
			key := Key{"pk": "counter", "n": 0}
			applied := 0
			for range 3 * rounds {
				_, err := pt.Increment(ctx, key, "hits", 1)
				if res.ok(t, "Increment", err) {
					applied++
				}
			}
			got, err := NewTable(direct, tb.Name(), WithSchema(reliabSchema...)).GetItem(ctx, key, Consistent())
			require.NoError(t, err)
			n, _ := got.GetNumber("hits")
			// This proxy's faults are never forwarded, so each increment is
			// applied exactly once when it succeeds and never when it fails.
			assert.Equal(t, Number(fmt.Sprint(applied)), n)
		})
		t.Run("ItemMethods", func(t *testing.T) {
			t.Parallel()
			dt := NewTable(direct, tb.Name(), WithSchema(reliabSchema...))
			for i := range rounds {
				pk := fmt.Sprintf("item%d", i)
				key := Key{"pk": pk, "n": i}
				want := reliabItem(pk, i)
				it, err := pt.NewItem(want)
				require.NoError(t, err)
				if !res.ok(t, "Item.Save", it.Save(ctx)) {
					_, err := dt.GetItem(ctx, key, Consistent())
					assert.ErrorIs(t, err, ErrItemNotFound)
					continue
				}
				got, err := dt.GetItem(ctx, key, Consistent())
				require.NoError(t, err)
				assertItemData(t, want, got)

				require.NoError(t, it.Set("v", "partial"))
				require.NoError(t, it.Set("extra", 7))
				if res.ok(t, "Item.PartialSave", it.PartialSave(ctx)) {
					want["v"], want["extra"] = "partial", 7
				}
				got, err = dt.GetItem(ctx, key, Consistent())
				require.NoError(t, err)
				assertItemData(t, want, got)

				err = it.Delete(ctx)
				_, gerr := dt.GetItem(ctx, key, Consistent())
				if res.ok(t, "Item.Delete", err) {
					assert.ErrorIs(t, gerr, ErrItemNotFound)
				} else {
					assert.NoError(t, gerr)
				}
			}
		})
		t.Run("QueryScan", func(t *testing.T) {
			t.Parallel()
			wantAll := map[string]bool{}
			wantP1 := map[string]bool{}
			for k, it := range seed {
				wantAll[k] = true
				if it["pk"] == "seed1" {
					wantP1[k] = true
				}
			}
			collect := func(op string, rs *ResultSet, want map[string]bool) {
				t.Helper()
				got := map[string]bool{}
				var err error
				for it, e := range rs.All(ctx) {
					if e != nil {
						err = e
						break
					}
					k := keyString(reliabSchema, it.avMap())
					if pk, _ := it.GetString("pk"); !strings.HasPrefix(pk, "seed") {
						continue // written by the concurrent subtests
					}
					assert.False(t, got[k], "%s returned %s twice", op, k)
					got[k] = true
				}
				if res.ok(t, op, err) {
					assert.Equal(t, want, got, "%s: a successful iteration must return every item", op)
				}
			}
			count := func(op string, rs *ResultSet, want int) {
				t.Helper()
				n, err := rs.Count(ctx)
				if res.ok(t, op, err) {
					assert.EqualValues(t, want, n)
				}
			}
			for range rounds / 2 {
				collect("Query.All", pt.Query(Filter{"pk__eq": "seed1"}, PageSize(7), Consistent()), wantP1)
				count("Query.Count", pt.Query(Filter{"pk__eq": "seed1"}, PageSize(7), Consistent()), len(wantP1))
				collect("Scan.All", pt.Scan(Filter{"pk__beginswith": "seed"}, PageSize(13), Consistent()), wantAll)
				collect("Scan.Parallel.All", pt.Scan(Filter{"pk__beginswith": "seed"}, PageSize(13), Parallel(3), Consistent()), wantAll)
				count("Scan.Parallel.Count", pt.Scan(Filter{"pk__beginswith": "seed"}, PageSize(13), Parallel(3), Consistent()), len(wantAll))
				var keys []Key
				want := map[string]bool{}
				for i := range 40 {
					it := reliabItem(fmt.Sprintf("seed%d", i%4), i%30)
					keys = append(keys, Key{"pk": it["pk"], "n": it["n"]})
					want[keyOf(it)] = true
				}
				collect("BatchGet.All", pt.BatchGet(keys, MaxResends(30), Backoff(time.Millisecond, 5*time.Millisecond)), want)
			}
		})
		t.Run("Transactions", func(t *testing.T) {
			t.Parallel()
			dt := NewTable(direct, tb.Name(), WithSchema(reliabSchema...))
			for i := range rounds {
				a := reliabItem("txa", i)
				b := reliabItem("txb", i)
				err := TransactWrite(ctx, pc, pt.TxPut(a), pt.TxPut(b))
				_, ea := dt.GetItem(ctx, Key{"pk": "txa", "n": i}, Consistent())
				_, eb := dt.GetItem(ctx, Key{"pk": "txb", "n": i}, Consistent())
				if res.ok(t, "TransactWrite", err) {
					assert.NoError(t, ea)
					assert.NoError(t, eb)
				} else {
					assert.ErrorIs(t, ea, ErrItemNotFound)
					assert.ErrorIs(t, eb, ErrItemNotFound)
					continue
				}
				items, err := TransactGet(ctx, pc, pt.TxGet(Key{"pk": "txb", "n": i}), pt.TxGet(Key{"pk": "nope", "n": i}), pt.TxGet(Key{"pk": "txa", "n": i}))
				if res.ok(t, "TransactGet", err) {
					require.Len(t, items, 3)
					assertItemData(t, b, items[0])
					assert.Nil(t, items[1])
					assertItemData(t, a, items[2])
				}
			}
		})
		t.Run("ListTables", func(t *testing.T) {
			t.Parallel()
			for range rounds / 2 {
				found := false
				var err error
				for name, e := range ListTables(ctx, pc) {
					if e != nil {
						err = e
						break
					}
					found = found || name == tb.Name()
				}
				if res.ok(t, "ListTables", err) {
					assert.True(t, found, "ListTables succeeded without %s", tb.Name())
				}
			}
		})
	})

	st := p.Stats()
	retries, byOp := log.retries()
	t.Logf("proxy: %+v\nSDK retries: %d %v\noutcomes:%s", st, retries, byOp, res.String())
	assert.Positive(t, st.Throttled)
	assert.Positive(t, st.ServerErrors)
	assert.Positive(t, st.Resets)
	assert.Positive(t, retries)
	return &res
}

// applyThenResetProxy forwards every request to target and then, for the
// operations in ops and with probability rate, resets the connection instead
// of returning DynamoDB's answer: the write was applied, the client never
// learns it.
type applyThenResetProxy struct {
	srv    *httptest.Server
	target *url.URL
	client *http.Client
	ops    []string
	rate   float64

	mu        sync.Mutex
	rng       *rand.Rand
	forwarded map[string]int
	resets    map[string]int
}

func newApplyThenResetProxy(t *testing.T, target string, seed uint64, rate float64, ops ...string) *applyThenResetProxy {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	p := &applyThenResetProxy{
		target: u, ops: ops, rate: rate,
		rng:       rand.New(rand.NewPCG(seed, seed+1)),
		client:    &http.Client{Transport: &http.Transport{DisableCompression: true}},
		forwarded: map[string]int{}, resets: map[string]int{},
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() {
		p.srv.Close()
		p.client.CloseIdleConnections()
	})
	return p
}

func (p *applyThenResetProxy) counts(op string) (forwarded, resets int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.forwarded[op], p.resets[op]
}

func (p *applyThenResetProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	op := r.Header.Get("X-Amz-Target")
	op = op[strings.LastIndexByte(op, '.')+1:]
	resp, err := forwardTo(r, p.client, p.target, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	p.mu.Lock()
	p.forwarded[op]++
	reset := slices.Contains(p.ops, op) && p.rng.Float64() < p.rate
	if reset {
		p.resets[op]++
	}
	p.mu.Unlock()
	if reset {
		c, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
		return
	}
	writeResponse(w, resp)
}

// forwardedResponse is a target's answer, read whole.
type forwardedResponse struct {
	status int
	header http.Header
	body   []byte
}

func forwardTo(r *http.Request, client *http.Client, target *url.URL, body []byte) (*forwardedResponse, error) {
	u := *target
	u.Path, u.RawQuery = r.URL.Path, r.URL.RawQuery
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, vs := range r.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Length", "Connection", "Accept-Encoding":
			continue
		}
		req.Header[k] = vs
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &forwardedResponse{resp.StatusCode, resp.Header, out}, nil
}

func writeResponse(w http.ResponseWriter, r *forwardedResponse) {
	for k, vs := range r.header {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Length", "Connection", "Transfer-Encoding", "Content-Encoding":
			continue
		}
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(r.body)))
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}

// TestReliabNonIdempotentRetryAfterApply documents what a connection reset
// after DynamoDB applied a write does once the SDK retries it: an Increment
// (or an UpdateItem Add) is applied once per HTTP attempt that reached
// DynamoDB, i.e. twice or more when a retry is recorded; a TransactWrite is
// applied once, thanks to its idempotency token; a conditional PutItem and a
// DeleteItem report on the retry, not on the applied first attempt.
func TestReliabNonIdempotentRetryAfterApply(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	direct := testConn(t)
	tb := testTable(t, direct, reliabSchema)
	dt := NewTable(direct, tb.Name(), WithSchema(reliabSchema...))
	p := newApplyThenResetProxy(t, testEndpoint(t), 7, 0.3, "UpdateItem", "TransactWriteItems", "PutItem", "DeleteItem")

	type call struct {
		attempts int
		err      error
	}
	var mu sync.Mutex
	var last call
	pc := retryingConn(t, p.srv.URL, func(o *conn.Options) {
		o.OnRequest = func(m conn.Measurement) {
			mu.Lock()
			last = call{m.Attempts, m.Err}
			mu.Unlock()
		}
	})
	pt := NewTable(pc, tb.Name(), WithSchema(reliabSchema...))
	lastCall := func() call {
		mu.Lock()
		defer mu.Unlock()
		return last
	}

	t.Run("Increment", func(t *testing.T) {
		key := Key{"pk": "inc", "n": 0}
		succeeded, attempts, retried := 0, 0, 0
		for range 40 {
			_, err := pt.Increment(ctx, key, "hits", 1)
			c := lastCall()
			require.Equal(t, "", func() string {
				if err != nil && errKind(err) == "" {
					return err.Error()
				}
				return ""
			}())
			if err == nil {
				succeeded++
			}
			attempts += c.attempts
			if c.attempts > 1 {
				retried++
			}
		}
		got, err := dt.GetItem(ctx, key, Consistent())
		require.NoError(t, err)
		n, _ := got.GetNumber("hits")
		fwd, resets := p.counts("UpdateItem")
		t.Logf("40 Increments: %d succeeded, %d retried, %d HTTP attempts, %d applied-then-reset; stored value %s",
			succeeded, retried, attempts, resets, n)
		// Every attempt reached DynamoDB and was applied: the stored value is
		// the number of attempts, not the number of calls.
		assert.Equal(t, Number(fmt.Sprint(fwd)), n)
		assert.Equal(t, attempts, fwd)
		assert.Positive(t, resets, "the proxy reset no answer; the test proves nothing")
		// Applied once per call, plus once more per retry after an applied
		// attempt: never more than that.
		v, _ := n.Int64()
		assert.GreaterOrEqual(t, v, int64(succeeded))
		assert.LessOrEqual(t, v, int64(attempts))
		assert.Greater(t, v, int64(40-retried), "sanity")
	})

	t.Run("TransactWriteIsIdempotent", func(t *testing.T) {
		key := Key{"pk": "tx", "n": 0}
		require.NoError(t, dt.PutItem(ctx, map[string]any{"pk": "tx", "n": 0, "hits": 0}))
		succeeded, retried := 0, 0
		for range 30 {
			err := TransactWrite(ctx, pc, pt.TxUpdate(key, Add("hits", 1)))
			if err == nil {
				succeeded++
			} else {
				assert.NotEmpty(t, errKind(err), "untyped error %T: %v", err, err)
			}
			if lastCall().attempts > 1 {
				retried++
			}
		}
		got, err := dt.GetItem(ctx, key, Consistent())
		require.NoError(t, err)
		n, _ := got.GetNumber("hits")
		_, resets := p.counts("TransactWriteItems")
		t.Logf("30 TransactWrites: %d succeeded, %d retried, %d applied-then-reset; stored value %s", succeeded, retried, resets, n)
		assert.Positive(t, resets)
		// The SDK fills in ClientRequestToken once per call and resends it on
		// retries, so a retried transaction is applied once.
		assert.Equal(t, Number(fmt.Sprint(succeeded)), n)
	})

	t.Run("ConditionalPutAndDelete", func(t *testing.T) {
		var putFalseFail, delFalse, putRetried, delRetried int
		for i := range 30 {
			it := reliabItem("cp", i)
			key := Key{"pk": "cp", "n": i}
			err := pt.PutItem(ctx, it)
			if lastCall().attempts > 1 {
				putRetried++
			}
			stored, gerr := dt.GetItem(ctx, key, Consistent())
			require.NoError(t, gerr, "every PutItem attempt reached DynamoDB")
			assertItemData(t, it, stored)
			if err != nil {
				// Only possible cause: the retry of an applied put found the
				// item it had itself written.
				require.ErrorIs(t, err, ErrConditionalCheckFailed)
				assert.Greater(t, lastCall().attempts, 1)
				putFalseFail++
			}
			deleted, err := pt.DeleteItem(ctx, key)
			require.NoError(t, err)
			if lastCall().attempts > 1 {
				delRetried++
			}
			_, gerr = dt.GetItem(ctx, key, Consistent())
			require.ErrorIs(t, gerr, ErrItemNotFound)
			if !deleted {
				assert.Greater(t, lastCall().attempts, 1)
				delFalse++
			}
		}
		_, putResets := p.counts("PutItem")
		_, delResets := p.counts("DeleteItem")
		t.Logf("30 conditional PutItems: %d reset after apply, %d reported ErrConditionalCheckFailed for their own write; "+
			"30 DeleteItems: %d reset after apply, %d reported false for their own delete", putResets, putFalseFail, delResets, delFalse)
		assert.Positive(t, putResets)
		assert.Positive(t, delResets)
		// Every retried call retried an applied attempt (this proxy resets
		// only after forwarding), and so reported on the retry.
		assert.Equal(t, putRetried, putFalseFail)
		assert.Equal(t, delRetried, delFalse)
	})
}
