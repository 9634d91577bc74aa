package faultproxy

import (
	"encoding/json"
	"maps"
	"math"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/dynamap/dynamap/internal/capacity"
	"github.com/dynamap/dynamap/internal/codec"
)

// Capacity is a provisioned-capacity model applied by the proxy to the
// requests it forwards (see package capacity): each table gets a bucket of
// Write units and one of Read units per second, created on the table's first
// request. The zero value meters nothing.
//
// Writes: PutItem and each put of a BatchWriteItem cost one unit per started
// KB of the item (capacity.ItemSize: attribute names plus values);
// UpdateItem, DeleteItem and batch deletes cost one unit (the proxy does not
// read the old item). A write is served when its units fit the bucket.
// Reads: GetItem and each key of a BatchGetItem cost one unit per started
// 4 KB of the item read (the minimum for a missing item), half for an
// eventually consistent read; a Query or Scan page costs the sum of its
// item sizes rounded up once, scaled by ScannedCount/Count when a filter
// dropped items (items cut by a projection are counted as returned). A read
// is served while the bucket holds at least half a unit and charged once its size is
// known, which may take the bucket into debt, as DynamoDB does.
//
// A single request that does not fit is answered HTTP 400
// ProvisionedThroughputExceededException without being forwarded. A
// BatchWriteItem forwards the requests that fit, in order, and returns the
// rest as UnprocessedItems; a BatchGetItem returns the items of the keys
// that fit and the rest as UnprocessedKeys; when none fits the answer is
// ProvisionedThroughputExceededException, as DynamoDB's. When a request
// asks for ReturnConsumedCapacity (TOTAL or INDEXES), the answer's
// ConsumedCapacity is the units the proxy charged. Other operations are
// not metered. Random faults (Config's probabilities) are drawn first; a
// request they hit is not metered.
type Capacity struct {
	// Write and Read are each table's units per second. 0: unmetered.
	Write, Read float64
	// Burst is how much unused capacity a bucket keeps, as a duration of
	// its rate. Default (0) capacity.DefaultBurst, 300 s like DynamoDB's;
	// under a second means one second.
	Burst time.Duration
	// Initial is the capacity a bucket starts with, as a duration of its
	// rate (capped by Burst). Default (0) one second's worth; < 0: empty.
	Initial time.Duration
}

func (c Capacity) on() bool { return c.Write > 0 || c.Read > 0 }

// buckets are one table's write and read buckets.
type buckets struct{ w, r *capacity.Bucket }

// capStats are the capacity model's counters.
type capStats struct {
	throttled, partial, unprocessed atomic.Int64
	wMilli, rMilli                  atomic.Int64 // units charged, in thousandths
}

// noteUnprocessed counts a batch call the model served in part, n of its
// requests or keys left unprocessed (nothing when n is 0).
func (s *capStats) noteUnprocessed(n int) {
	if n > 0 {
		s.partial.Add(1)
		s.unprocessed.Add(int64(n))
	}
}

// setConsumed puts what the model charged in resp's ConsumedCapacity when
// the request asked for it (mode not "").
func setConsumed(resp map[string]json.RawMessage, mode string, charged []consumed) error {
	if mode == "" {
		return nil
	}
	raw, err := json.Marshal(charged)
	if err != nil {
		return err
	}
	resp["ConsumedCapacity"] = raw
	return nil
}

func (s *capStats) charge(write bool, units float64) {
	m := int64(math.Round(units * 1000))
	if write {
		s.wMilli.Add(m)
	} else {
		s.rMilli.Add(m)
	}
}

// tableBuckets returns table's buckets, creating them from the current
// configuration on first use.
func (p *Proxy) tableBuckets(table string) buckets {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.buckets[table]; ok {
		return b
	}
	c := p.cfg.Capacity
	b := buckets{w: capacity.NewBucket(c.Write, c.Burst, c.Initial), r: capacity.NewBucket(c.Read, c.Burst, c.Initial)}
	p.buckets[table] = b
	return b
}

// metered reports whether the capacity model applies to op.
func (p *Proxy) metered(op string) bool {
	p.mu.Lock()
	on := p.cfg.Capacity.on()
	p.mu.Unlock()
	if !on {
		return false
	}
	switch op {
	case "PutItem", "UpdateItem", "DeleteItem", "GetItem", "Query", "Scan", "BatchWriteItem", "BatchGetItem":
		return true
	}
	return false
}

// consumed is DynamoDB's ConsumedCapacity.
type consumed struct {
	TableName          string
	CapacityUnits      float64
	ReadCapacityUnits  float64    `json:",omitempty"`
	WriteCapacityUnits float64    `json:",omitempty"`
	Table              *unitsOnly `json:",omitempty"`
}

type unitsOnly struct {
	CapacityUnits      float64
	ReadCapacityUnits  float64 `json:",omitempty"`
	WriteCapacityUnits float64 `json:",omitempty"`
}

func newConsumed(table string, units float64, write bool, mode string) consumed {
	c := consumed{TableName: table, CapacityUnits: units}
	u := unitsOnly{CapacityUnits: units}
	if write {
		c.WriteCapacityUnits, u.WriteCapacityUnits = units, units
	} else {
		c.ReadCapacityUnits, u.ReadCapacityUnits = units, units
	}
	if mode == "INDEXES" {
		c.Table = &u
	}
	return c
}

// returnMode is the request's ReturnConsumedCapacity ("" for NONE).
func returnMode(in map[string]json.RawMessage) string {
	var s string
	_ = json.Unmarshal(in["ReturnConsumedCapacity"], &s)
	if s == "TOTAL" || s == "INDEXES" {
		return s
	}
	return ""
}

func jsonBool(raw json.RawMessage) bool {
	var b bool
	_ = json.Unmarshal(raw, &b)
	return b
}

func jsonString(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

func (p *Proxy) capThrottle(w http.ResponseWriter) {
	p.cap.throttled.Add(1)
	writeJSON(w, http.StatusBadRequest, map[string]string{
		"__type":  "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
		"message": "faultproxy: capacity model: the level of configured provisioned throughput for the table was exceeded",
	})
}

// serveMetered answers a metered request of op.
func (p *Proxy) serveMetered(w http.ResponseWriter, r *http.Request, op string, body []byte) error {
	var in map[string]json.RawMessage
	if err := json.Unmarshal(body, &in); err != nil {
		return err
	}
	switch op {
	case "BatchWriteItem":
		return p.capBatchWrite(w, r, in)
	case "BatchGetItem":
		return p.capBatchGet(w, r, in)
	}
	table := jsonString(in["TableName"])
	b := p.tableBuckets(table)
	write := op == "PutItem" || op == "UpdateItem" || op == "DeleteItem"
	units := 1.0
	if write {
		if op == "PutItem" {
			size, err := capacity.ItemSize(in["Item"])
			if err != nil {
				return err
			}
			units = capacity.WriteUnits(size)
		}
		if b.w.Fit([]float64{units}) == 0 {
			p.capThrottle(w)
			return nil
		}
	} else if !b.r.Open() {
		p.capThrottle(w)
		return nil
	}
	status, hdr, out, err := p.forward(r, body)
	if err != nil {
		return err
	}
	var resp map[string]json.RawMessage
	if status == http.StatusOK {
		if err := json.Unmarshal(out, &resp); err != nil {
			return err
		}
	}
	if !write {
		units, err = readUnits(op, in, resp)
		if err != nil {
			return err
		}
		b.r.Charge(units)
	}
	p.cap.charge(write, units)
	if mode := returnMode(in); mode != "" && status == http.StatusOK {
		raw, err := json.Marshal(newConsumed(table, units, write, mode))
		if err != nil {
			return err
		}
		resp["ConsumedCapacity"] = raw
		if out, err = json.Marshal(resp); err != nil {
			return err
		}
	}
	copyHeader(w.Header(), hdr)
	writeBody(w, status, out)
	return nil
}

// readUnits is what a GetItem, Query or Scan answer costs (resp nil: the
// request failed, which costs the minimum).
func readUnits(op string, in, resp map[string]json.RawMessage) (float64, error) {
	consistent := jsonBool(in["ConsistentRead"])
	if op == "GetItem" {
		size := 0
		if raw, ok := resp["Item"]; ok && string(raw) != "null" {
			n, err := capacity.ItemSize(raw)
			if err != nil {
				return 0, err
			}
			size = n
		}
		return capacity.ReadUnits(size, consistent), nil
	}
	var items []json.RawMessage
	_ = json.Unmarshal(resp["Items"], &items)
	size := 0
	for _, it := range items {
		n, err := capacity.ItemSize(it)
		if err != nil {
			return 0, err
		}
		size += n
	}
	var count, scanned int
	_ = json.Unmarshal(resp["Count"], &count)
	_ = json.Unmarshal(resp["ScannedCount"], &scanned)
	if len(items) > 0 && scanned > len(items) {
		size = int(math.Ceil(float64(size) * float64(scanned) / float64(len(items))))
	}
	return capacity.ReadUnits(size, consistent), nil
}

// capBatchWrite forwards the write requests that fit their tables' buckets
// and returns the rest as UnprocessedItems.
func (p *Proxy) capBatchWrite(w http.ResponseWriter, r *http.Request, in map[string]json.RawMessage) error {
	var items map[string][]json.RawMessage
	if err := json.Unmarshal(in["RequestItems"], &items); err != nil {
		return err
	}
	tables := slices.Sorted(maps.Keys(items))
	keep := map[string][]json.RawMessage{}
	drop := map[string][]json.RawMessage{}
	var charged []consumed
	mode := returnMode(in)
	nkeep, ndrop := 0, 0
	for _, table := range tables {
		reqs := items[table]
		units := make([]float64, len(reqs))
		for i, rq := range reqs {
			var wr struct {
				PutRequest *struct{ Item json.RawMessage }
			}
			if err := json.Unmarshal(rq, &wr); err != nil {
				return err
			}
			units[i] = 1
			if wr.PutRequest != nil {
				size, err := capacity.ItemSize(wr.PutRequest.Item)
				if err != nil {
					return err
				}
				units[i] = capacity.WriteUnits(size)
			}
		}
		n := p.tableBuckets(table).w.Fit(units)
		if n > 0 {
			keep[table] = reqs[:n]
			sum := 0.0
			for _, u := range units[:n] {
				sum += u
			}
			p.cap.charge(true, sum)
			if mode != "" {
				charged = append(charged, newConsumed(table, sum, true, mode))
			}
		}
		if n < len(reqs) {
			drop[table] = reqs[n:]
		}
		nkeep += n
		ndrop += len(reqs) - n
	}
	if nkeep == 0 {
		p.capThrottle(w)
		return nil
	}
	p.cap.noteUnprocessed(ndrop)
	resp, hdr, done, err := p.forwardKept(w, r, in, keep)
	if err != nil || done {
		return err
	}
	if err := addUnprocessedItems(resp, drop); err != nil {
		return err
	}
	if err := setConsumed(resp, mode, charged); err != nil {
		return err
	}
	return writeResponse(w, hdr, resp)
}

// capBatchGet forwards a BatchGetItem, then keeps, table by table and in the
// order asked, the items of the keys that fit the table's read bucket, and
// returns the other keys as UnprocessedKeys.
func (p *Proxy) capBatchGet(w http.ResponseWriter, r *http.Request, in map[string]json.RawMessage) error {
	var tables map[string]map[string]json.RawMessage
	if err := json.Unmarshal(in["RequestItems"], &tables); err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(tables))
	open := false
	for _, table := range names {
		open = open || p.tableBuckets(table).r.Open()
	}
	if !open {
		p.capThrottle(w)
		return nil
	}
	resp, hdr, done, err := p.forwardKept(w, r, in, tables)
	if err != nil || done {
		return err
	}
	var responses map[string][]json.RawMessage
	if err := json.Unmarshal(resp["Responses"], &responses); err != nil {
		return err
	}
	var back map[string]map[string]json.RawMessage
	if u := resp["UnprocessedKeys"]; len(u) > 0 {
		if err := json.Unmarshal(u, &back); err != nil {
			return err
		}
	}
	mode := returnMode(in)
	served := map[string][]json.RawMessage{}
	unproc := map[string]map[string]json.RawMessage{}
	var charged []consumed
	nserved, ndrop := 0, 0
	for _, table := range names {
		ka := tables[table]
		var keys []json.RawMessage
		if err := json.Unmarshal(ka["Keys"], &keys); err != nil {
			return err
		}
		var notDone []json.RawMessage // left unprocessed by the target
		if b, ok := back[table]; ok {
			if err := json.Unmarshal(b["Keys"], &notDone); err != nil {
				return err
			}
		}
		items, units, left, whole, err := matchKeys(keys, notDone, responses[table], jsonBool(ka["ConsistentRead"]))
		if err != nil {
			return err
		}
		n := len(items)
		if whole {
			for _, u := range units {
				p.tableBuckets(table).r.Charge(u)
			}
		} else {
			n = p.tableBuckets(table).r.FitOpen(units)
		}
		sum := 0.0
		for _, u := range units[:n] {
			sum += u
		}
		p.cap.charge(false, sum)
		if mode != "" && n > 0 {
			charged = append(charged, newConsumed(table, sum, false, mode))
		}
		for _, it := range items[:n] {
			if it != nil {
				served[table] = append(served[table], it)
			}
		}
		nserved += n
		dropped := notDone
		if !whole {
			dropped = append(slices.Clone(left[n:]), notDone...)
			ndrop += len(left) - n
		}
		if len(dropped) > 0 {
			raw, err := json.Marshal(dropped)
			if err != nil {
				return err
			}
			kt := clone(ka)
			kt["Keys"] = raw
			unproc[table] = kt
		}
	}
	if nserved == 0 {
		p.capThrottle(w)
		return nil
	}
	p.cap.noteUnprocessed(ndrop)
	if resp["Responses"], err = json.Marshal(served); err != nil {
		return err
	}
	if resp["UnprocessedKeys"], err = json.Marshal(unproc); err != nil {
		return err
	}
	if err := setConsumed(resp, mode, charged); err != nil {
		return err
	}
	return writeResponse(w, hdr, resp)
}

// matchKeys pairs the keys asked (less those the target left unprocessed)
// with the items read, in the order asked: items[i] is key left[i]'s item
// (nil when it has none) and units[i] what reading it costs. When an item
// cannot be matched to a key (a projection without the key attributes),
// whole is true: every item is served, one entry per item charged by its
// size, and left is empty.
func matchKeys(keys, notDone, got []json.RawMessage, consistent bool) (items []json.RawMessage, units []float64, left []json.RawMessage, whole bool, err error) {
	if len(keys) == 0 {
		return nil, nil, nil, false, nil
	}
	first, err := capacity.WireItem(keys[0])
	if err != nil {
		return nil, nil, nil, false, err
	}
	names := slices.Sorted(maps.Keys(first))
	byKey := make(map[string]json.RawMessage, len(got))
	sizes := make(map[string]int, len(got))
	for _, it := range got {
		av, err := capacity.WireItem(it)
		if err != nil {
			return nil, nil, nil, false, err
		}
		k := capacity.KeyText(av, names)
		byKey[k] = it
		sizes[k] = codec.ItemSize(av)
	}
	skip := map[string]bool{}
	for _, k := range notDone {
		av, err := capacity.WireItem(k)
		if err != nil {
			return nil, nil, nil, false, err
		}
		skip[capacity.KeyText(av, names)] = true
	}
	matched := 0
	for _, k := range keys {
		av, err := capacity.WireItem(k)
		if err != nil {
			return nil, nil, nil, false, err
		}
		kt := capacity.KeyText(av, names)
		if skip[kt] {
			continue
		}
		it, ok := byKey[kt]
		if ok {
			matched++
		}
		left = append(left, k)
		items = append(items, it)
		units = append(units, capacity.ReadUnits(sizes[kt], consistent))
	}
	if matched == len(got) {
		return items, units, left, false, nil
	}
	items, units = nil, nil
	for _, it := range got {
		size, err := capacity.ItemSize(it)
		if err != nil {
			return nil, nil, nil, false, err
		}
		items = append(items, it)
		units = append(units, capacity.ReadUnits(size, consistent))
	}
	return items, units, nil, true, nil
}
