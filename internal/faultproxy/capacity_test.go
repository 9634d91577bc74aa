package faultproxy

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sizedBatch is a BatchWriteItem of puts on table "t" whose items are
// about size bytes each ("id" + "data").
func sizedBatch(size int, ids ...string) map[string]any {
	var reqs []any
	for _, id := range ids {
		data := strings.Repeat("x", size-len("id")-len(id)-len("data"))
		reqs = append(reqs, map[string]any{"PutRequest": map[string]any{"Item": map[string]any{
			"id": map[string]string{"S": id}, "data": map[string]string{"S": data}}}})
	}
	return map[string]any{"RequestItems": map[string]any{"t": reqs}, "ReturnConsumedCapacity": "TOTAL"}
}

type capWriteAnswer struct {
	UnprocessedItems map[string][]struct {
		PutRequest struct{ Item map[string]map[string]string }
	}
	ConsumedCapacity []struct {
		TableName          string
		CapacityUnits      float64
		WriteCapacityUnits float64
	}
}

func TestCapacityBatchWriteReturnsWhatDoesNotFit(t *testing.T) {
	// 10 WCU/s, one second's worth at start: 10 units.
	p, be := start(t, Config{Capacity: Capacity{Write: 10, Burst: time.Second}})
	// Items of 1,500 bytes cost 2 WCU each: 5 fit.
	ids := []string{"a", "b", "c", "d", "e", "f", "g"}
	resp, body := post(t, p.URL, "BatchWriteItem", sizedBatch(1500, ids...))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	checkCRC(t, resp, body)
	var ans capWriteAnswer
	require.NoError(t, json.Unmarshal(body, &ans))
	var back []string
	for _, rq := range ans.UnprocessedItems["t"] {
		back = append(back, rq.PutRequest.Item["id"]["S"])
	}
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, be.got, "the first five, in order, are written")
	assert.Equal(t, []string{"f", "g"}, back)
	require.Len(t, ans.ConsumedCapacity, 1)
	assert.Equal(t, "t", ans.ConsumedCapacity[0].TableName)
	assert.Equal(t, 10.0, ans.ConsumedCapacity[0].CapacityUnits)
	assert.Equal(t, 10.0, ans.ConsumedCapacity[0].WriteCapacityUnits)

	// The bucket is empty: nothing fits, and the answer is a throttling error.
	resp, body = post(t, p.URL, "BatchWriteItem", sizedBatch(1500, "h"))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	checkCRC(t, resp, body)
	assert.Contains(t, string(body), "ProvisionedThroughputExceededException")
	assert.Len(t, be.got, 5, "not forwarded")

	st := p.Stats()
	assert.Equal(t, int64(1), st.CapacityThrottled)
	assert.Equal(t, int64(1), st.CapacityPartial)
	assert.Equal(t, int64(2), st.CapacityUnprocessed)
	assert.Equal(t, 10.0, st.WriteUnits)
}

func TestCapacityRefillsAtTheRate(t *testing.T) {
	p, be := start(t, Config{Capacity: Capacity{Write: 100, Burst: time.Second}})
	// 100 units at start; then 100 per second.
	resp, body := post(t, p.URL, "BatchWriteItem", sizedBatch(1000, "a"))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	t0 := time.Now()
	written := 1
	for time.Since(t0) < 500*time.Millisecond {
		ids := make([]string, 25)
		for i := range ids {
			ids[i] = strings.Repeat("k", 1+written%7) + string(rune('a'+i))
		}
		resp, body := post(t, p.URL, "BatchWriteItem", sizedBatch(1000, ids...))
		if resp.StatusCode == http.StatusOK {
			var ans capWriteAnswer
			require.NoError(t, json.Unmarshal(body, &ans))
			written += 25 - len(ans.UnprocessedItems["t"])
		}
		time.Sleep(5 * time.Millisecond)
	}
	el := time.Since(t0).Seconds()
	// At most the initial 100 plus the rate times the time taken.
	assert.LessOrEqual(t, float64(len(be.got)), 100+100*el+1)
	// Refills are used: after a pause of at least 300ms (a loaded machine
	// only makes it longer), 30 units or more have come back, so a batch of
	// 25 one-unit items is served whole. (How many the loop above got
	// depends on how fast the machine sends, so it bounds nothing below.)
	served := len(be.got)
	time.Sleep(300 * time.Millisecond)
	resp, body = post(t, p.URL, "BatchWriteItem", sizedBatch(1000, "r01", "r02", "r03", "r04", "r05", "r06", "r07", "r08", "r09", "r10",
		"r11", "r12", "r13", "r14", "r15", "r16", "r17", "r18", "r19", "r20", "r21", "r22", "r23", "r24", "r25"))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, served+25, len(be.got), "after 300ms at 100 units/s, 25 units fit")
	assert.Equal(t, float64(len(be.got)), p.Stats().WriteUnits, "1,000-byte items cost one unit each")
}

func TestCapacityBatchGetServesKeysThatFit(t *testing.T) {
	p, be := start(t, Config{Capacity: Capacity{Read: 2, Burst: time.Second}})
	var keys []any
	ids := []string{"a", "b", "c", "d", "e", "f"}
	for _, id := range ids {
		keys = append(keys, map[string]any{"id": map[string]string{"S": id}})
	}
	// Eventually consistent: 0.5 units each; 2 units at start: 4 keys.
	resp, body := post(t, p.URL, "BatchGetItem", map[string]any{"RequestItems": map[string]any{
		"t": map[string]any{"Keys": keys, "ProjectionExpression": "#0"},
	}, "ReturnConsumedCapacity": "INDEXES"})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	checkCRC(t, resp, body)
	var ans struct {
		Responses       map[string][]map[string]map[string]string
		UnprocessedKeys map[string]struct {
			Keys                 []map[string]map[string]string
			ProjectionExpression string
		}
		ConsumedCapacity []struct {
			TableName         string
			CapacityUnits     float64
			ReadCapacityUnits float64
			Table             struct{ CapacityUnits float64 }
		}
	}
	require.NoError(t, json.Unmarshal(body, &ans))
	var got, back []string
	for _, it := range ans.Responses["t"] {
		got = append(got, it["id"]["S"])
	}
	for _, k := range ans.UnprocessedKeys["t"].Keys {
		back = append(back, k["id"]["S"])
	}
	assert.ElementsMatch(t, []string{"a", "b", "c", "d"}, got)
	assert.Equal(t, []string{"e", "f"}, back)
	assert.Equal(t, "#0", ans.UnprocessedKeys["t"].ProjectionExpression, "read parameters kept")
	assert.Len(t, be.keys, 6, "every key was read from the target")
	require.Len(t, ans.ConsumedCapacity, 1)
	assert.Equal(t, 2.0, ans.ConsumedCapacity[0].CapacityUnits)
	assert.Equal(t, 2.0, ans.ConsumedCapacity[0].ReadCapacityUnits)
	assert.Equal(t, 2.0, ans.ConsumedCapacity[0].Table.CapacityUnits)

	resp, body = post(t, p.URL, "BatchGetItem", map[string]any{"RequestItems": map[string]any{"t": map[string]any{"Keys": keys[:1]}}})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, string(body), "ProvisionedThroughputExceededException")
	assert.Equal(t, int64(1), p.Stats().CapacityThrottled)
}

func TestCapacitySingleOpsThrottle(t *testing.T) {
	p, _ := start(t, Config{Capacity: Capacity{Write: 3, Read: 1, Burst: time.Second}})
	item := map[string]any{"id": map[string]string{"S": "a"}, "d": map[string]string{"S": strings.Repeat("y", 2000)}}
	// 2 KB: 2 units of the 3.
	resp, body := post(t, p.URL, "PutItem", map[string]any{"TableName": "t", "Item": item, "ReturnConsumedCapacity": "TOTAL"})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var ans struct {
		ConsumedCapacity struct{ CapacityUnits float64 }
	}
	require.NoError(t, json.Unmarshal(body, &ans))
	assert.Equal(t, 2.0, ans.ConsumedCapacity.CapacityUnits)
	resp, body = post(t, p.URL, "PutItem", map[string]any{"TableName": "t", "Item": item})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, string(body), "ProvisionedThroughputExceededException")
	// Another table has its own buckets.
	resp, _ = post(t, p.URL, "PutItem", map[string]any{"TableName": "u", "Item": item})
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	// Reads: admitted while the bucket is not empty, charged after.
	resp, body = post(t, p.URL, "GetItem", map[string]any{"TableName": "t", "Key": item, "ConsistentRead": true, "ReturnConsumedCapacity": "TOTAL"})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.NoError(t, json.Unmarshal(body, &ans))
	assert.Equal(t, 1.0, ans.ConsumedCapacity.CapacityUnits, "the stub has no item: the minimum")
	resp, _ = post(t, p.URL, "GetItem", map[string]any{"TableName": "t", "Key": item})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	st := p.Stats()
	assert.Equal(t, int64(2), st.CapacityThrottled)
	assert.Equal(t, 4.0, st.WriteUnits)
	assert.Equal(t, 1.0, st.ReadUnits)
}

func TestRoundTripAndInFlight(t *testing.T) {
	p, _ := start(t, Config{RoundTrip: 40 * time.Millisecond})
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			post(t, p.URL, "BatchWriteItem", writeBatch(string(rune('a'+i))))
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	assert.GreaterOrEqual(t, el, 40*time.Millisecond)
	st := p.Stats()
	assert.Equal(t, int64(5), st.MaxInFlight, "five requests were held for the round trip at once")
	assert.Equal(t, int64(0), st.InFlight)
}
