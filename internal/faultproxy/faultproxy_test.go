package faultproxy

import (
	"bytes"
	"encoding/json"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// backend is a stand-in for DynamoDB Local: it records the BatchWriteItem
// requests it gets and answers with no unprocessed items.
type backend struct {
	mu   sync.Mutex
	got  []string // write requests' "id"s received
	keys []string // BatchGetItem keys received
}

func (b *backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.ContentLength != int64(len(body)) {
		http.Error(w, "bad content length", http.StatusBadRequest)
		return
	}
	switch r.Header.Get("X-Amz-Target") {
	case "DynamoDB_20120810.BatchWriteItem":
		var in struct {
			RequestItems map[string][]struct {
				PutRequest struct{ Item map[string]map[string]string }
			}
		}
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b.mu.Lock()
		for _, reqs := range in.RequestItems {
			for _, rq := range reqs {
				b.got = append(b.got, rq.PutRequest.Item["id"]["S"])
			}
		}
		b.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"UnprocessedItems": map[string]any{}})
	case "DynamoDB_20120810.BatchGetItem":
		var in struct {
			RequestItems map[string]struct {
				Keys []map[string]map[string]string
			}
		}
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp := map[string][]map[string]map[string]string{}
		b.mu.Lock()
		for table, ka := range in.RequestItems {
			for _, k := range ka.Keys {
				b.keys = append(b.keys, k["id"]["S"])
				resp[table] = append(resp[table], k)
			}
		}
		b.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"Responses": resp, "UnprocessedKeys": map[string]any{}})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"TableNames": []string{}})
	}
}

func start(t *testing.T, cfg Config) (*Proxy, *backend) {
	t.Helper()
	be := &backend{}
	srv := httptest.NewServer(be)
	t.Cleanup(srv.Close)
	cfg.Target = srv.URL
	p, err := Start(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p, be
}

func post(t *testing.T, url, op string, body any) (*http.Response, []byte) {
	t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(raw))
	require.NoError(t, err)
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, out
}

func checkCRC(t *testing.T, resp *http.Response, body []byte) {
	t.Helper()
	h := resp.Header.Get("X-Amz-Crc32")
	require.NotEmpty(t, h)
	assert.Equal(t, strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10), h)
}

func writeBatch(ids ...string) map[string]any {
	var reqs []any
	for _, id := range ids {
		reqs = append(reqs, map[string]any{"PutRequest": map[string]any{"Item": map[string]any{"id": map[string]string{"S": id}}}})
	}
	return map[string]any{"RequestItems": map[string]any{"t": reqs}}
}

type writeAnswer struct {
	UnprocessedItems map[string][]struct {
		PutRequest struct{ Item map[string]map[string]string }
	}
}

func TestPartialWriteSplitsExactly(t *testing.T) {
	p, be := start(t, Config{Partial: 1, Seed: 7})
	ids := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	resp, body := post(t, p.URL, "BatchWriteItem", writeBatch(ids...))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	checkCRC(t, resp, body)
	var ans writeAnswer
	require.NoError(t, json.Unmarshal(body, &ans))
	var back []string
	for _, rq := range ans.UnprocessedItems["t"] {
		back = append(back, rq.PutRequest.Item["id"]["S"])
	}
	assert.NotEmpty(t, back, "a partial answer leaves something unprocessed")
	assert.ElementsMatch(t, ids, append(back, be.got...), "forwarded + unprocessed = sent, each once")
	st := p.Stats()
	assert.Equal(t, int64(1), st.Partial)
	assert.Equal(t, int64(len(back)), st.UnprocessedItems)
}

func TestRefuseAll(t *testing.T) {
	p, be := start(t, Config{RefuseAll: true})
	resp, body := post(t, p.URL, "BatchWriteItem", writeBatch("a", "b", "c"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	checkCRC(t, resp, body)
	var ans writeAnswer
	require.NoError(t, json.Unmarshal(body, &ans))
	assert.Len(t, ans.UnprocessedItems["t"], 3)
	assert.Empty(t, be.got)
	assert.Equal(t, int64(1), p.Stats().Refused)
	assert.Equal(t, int64(0), p.Stats().Forwarded)

	// Other operations pass through.
	resp, body = post(t, p.URL, "ListTables", map[string]any{})
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	checkCRC(t, resp, body)
	assert.Equal(t, int64(1), p.Stats().Forwarded)
}

func TestPartialGetKeepsReadParameters(t *testing.T) {
	p, be := start(t, Config{Partial: 1, Seed: 3})
	var keys []any
	ids := []string{"a", "b", "c", "d", "e", "f"}
	for _, id := range ids {
		keys = append(keys, map[string]any{"id": map[string]string{"S": id}})
	}
	resp, body := post(t, p.URL, "BatchGetItem", map[string]any{"RequestItems": map[string]any{
		"t": map[string]any{"Keys": keys, "ConsistentRead": true, "ProjectionExpression": "#0"},
	}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	checkCRC(t, resp, body)
	var ans struct {
		Responses       map[string][]map[string]map[string]string
		UnprocessedKeys map[string]struct {
			Keys                 []map[string]map[string]string
			ConsistentRead       bool
			ProjectionExpression string
		}
	}
	require.NoError(t, json.Unmarshal(body, &ans))
	u := ans.UnprocessedKeys["t"]
	assert.True(t, u.ConsistentRead)
	assert.Equal(t, "#0", u.ProjectionExpression)
	var all []string
	for _, k := range u.Keys {
		all = append(all, k["id"]["S"])
	}
	assert.NotEmpty(t, all)
	assert.Len(t, ans.Responses["t"], len(be.keys))
	assert.ElementsMatch(t, ids, append(all, be.keys...))
	assert.Equal(t, int64(len(u.Keys)), p.Stats().UnprocessedKeys)
}

func TestThrottleAndServerError(t *testing.T) {
	p, be := start(t, Config{Throttle: 1})
	resp, body := post(t, p.URL, "BatchWriteItem", writeBatch("a"))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	checkCRC(t, resp, body)
	assert.Contains(t, string(body), "ProvisionedThroughputExceededException")
	assert.Empty(t, be.got)
	// Not a fault op by default: passes.
	resp, _ = post(t, p.URL, "ListTables", map[string]any{})
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	p.Update(func(c *Config) { c.Throttle, c.ServerError, c.FaultOps = 0, 1, []string{"ListTables"} })
	resp, body = post(t, p.URL, "ListTables", map[string]any{})
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	checkCRC(t, resp, body)
	st := p.Stats()
	assert.Equal(t, int64(1), st.Throttled)
	assert.Equal(t, int64(1), st.ServerErrors)
	assert.Equal(t, int64(3), st.Requests)
}

func TestReset(t *testing.T) {
	p, _ := start(t, Config{Reset: 1})
	raw, _ := json.Marshal(writeBatch("a"))
	req, err := http.NewRequest(http.MethodPost, p.URL, bytes.NewReader(raw))
	require.NoError(t, err)
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.BatchWriteItem")
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err)
	assert.Equal(t, int64(1), p.Stats().Resets)
}

func TestSeedIsDeterministic(t *testing.T) {
	run := func() []string {
		p, be := start(t, Config{Partial: 1, Seed: 42})
		for i := range 5 {
			post(t, p.URL, "BatchWriteItem", writeBatch(strconv.Itoa(i*3), strconv.Itoa(i*3+1), strconv.Itoa(i*3+2)))
		}
		return be.got
	}
	assert.Equal(t, run(), run())
}

func TestRefusesNonLoopbackTarget(t *testing.T) {
	_, err := Start(Config{Target: "http://example.com:8000"})
	assert.Error(t, err)
}
