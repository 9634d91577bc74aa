// Package faultproxy is an HTTP proxy for tests that sits in front of
// DynamoDB Local and misbehaves on purpose: it answers BatchWriteItem and
// BatchGetItem by forwarding only part of each request and returning the rest
// as UnprocessedItems / UnprocessedKeys, throttles, answers 500, and resets
// connections, each with a configurable probability drawn from a seeded RNG.
// It can also act as a provisioned table (Capacity: a model of DynamoDB's
// capacity units, throttling and unprocessed items) reached over a network
// (RoundTrip: a delay per request), and counts the requests in flight.
// It listens on 127.0.0.1 only.
//
// DynamoDB Local does not verify request signatures, so rewriting a request
// body (and its Content-Length) is harmless. Every response the proxy writes
// carries an X-Amz-Crc32 header computed over the body it sends.
package faultproxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config says how the proxy misbehaves. Probabilities are in [0, 1] and are
// drawn independently for each request, in this order: Reset, ServerError,
// Throttle, then (for batch operations) Partial.
type Config struct {
	// Target is the URL of DynamoDB Local, such as "http://127.0.0.1:8000".
	// It must be a loopback address.
	Target string
	// Seed seeds the RNG. Default 0 (still deterministic for a given order
	// of requests).
	Seed uint64
	// Partial is the probability that a BatchWriteItem or BatchGetItem is
	// forwarded with only a random part of its items or keys; the rest are
	// returned as UnprocessedItems / UnprocessedKeys. Default 0.
	Partial float64
	// Throttle is the probability of answering HTTP 400
	// ProvisionedThroughputExceededException without forwarding. Default 0.
	Throttle float64
	// ServerError is the probability of answering HTTP 500
	// InternalServerError without forwarding. Default 0.
	ServerError float64
	// Reset is the probability of closing the connection (with a TCP reset)
	// instead of answering. The request is not forwarded. Default 0.
	Reset float64
	// RefuseAll answers every BatchWriteItem and BatchGetItem with all of its
	// items or keys unprocessed, without forwarding. Default false.
	RefuseAll bool
	// FaultOps lists the operations ("BatchWriteItem", "DescribeTable", ...)
	// that Throttle, ServerError and Reset apply to. Default (nil):
	// BatchWriteItem and BatchGetItem.
	FaultOps []string
	// Capacity meters requests against provisioned capacity (see
	// Capacity). Default: unmetered. Changing it with Update starts every
	// table's buckets afresh.
	Capacity Capacity
	// RoundTrip delays every request by this much before the proxy handles
	// it, as a network round trip would. Default 0.
	RoundTrip time.Duration
}

// Stats counts what the proxy did.
type Stats struct {
	Requests         int64 // requests received
	Forwarded        int64 // requests forwarded to the target
	Throttled        int64 // throttling answers
	ServerErrors     int64 // 500 answers
	Resets           int64 // connections reset
	Partial          int64 // batch calls forwarded in part
	Refused          int64 // batch calls answered all-unprocessed (RefuseAll)
	UnprocessedItems int64 // write requests returned as UnprocessedItems by the proxy
	UnprocessedKeys  int64 // keys returned as UnprocessedKeys by the proxy

	// The capacity model's counters (see Capacity).
	CapacityThrottled   int64   // requests answered ProvisionedThroughputExceededException
	CapacityPartial     int64   // batch calls answered with part of them unprocessed
	CapacityUnprocessed int64   // write requests and keys it left unprocessed
	WriteUnits          float64 // write units charged
	ReadUnits           float64 // read units charged

	InFlight    int64 // requests being handled now (round trip included)
	MaxInFlight int64 // most requests handled at once so far
}

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	// URL is the proxy's address, to use as a DynamoDB endpoint.
	URL string

	target *url.URL
	srv    *http.Server
	ln     net.Listener
	client *http.Client

	mu  sync.Mutex
	cfg Config
	rng *rand.Rand

	requests, forwarded, throttled, serverErrors, resets, partial, refused, uItems, uKeys atomic.Int64

	buckets             map[string]buckets // by table; under mu
	cap                 capStats
	inflight, maxFlight atomic.Int64
}

// Start starts a proxy on a free 127.0.0.1 port.
func Start(cfg Config) (*Proxy, error) {
	u, err := url.Parse(cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: target: %w", err)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("faultproxy: target %q is not a loopback address", cfg.Target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{
		URL:     "http://" + ln.Addr().String(),
		target:  u,
		ln:      ln,
		cfg:     cfg,
		buckets: map[string]buckets{},
		rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		client: &http.Client{Transport: &http.Transport{
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		}},
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln) //nolint:errcheck // returns http.ErrServerClosed on Close
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() error {
	err := p.srv.Close()
	p.client.CloseIdleConnections()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Update changes the configuration of a running proxy (Target is ignored).
func (p *Proxy) Update(fn func(*Config)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	target, capa := p.cfg.Target, p.cfg.Capacity
	fn(&p.cfg)
	p.cfg.Target = target
	if p.cfg.Capacity != capa {
		clear(p.buckets)
	}
}

// Stats returns the counters so far.
func (p *Proxy) Stats() Stats {
	return Stats{
		Requests:         p.requests.Load(),
		Forwarded:        p.forwarded.Load(),
		Throttled:        p.throttled.Load(),
		ServerErrors:     p.serverErrors.Load(),
		Resets:           p.resets.Load(),
		Partial:          p.partial.Load(),
		Refused:          p.refused.Load(),
		UnprocessedItems: p.uItems.Load(),
		UnprocessedKeys:  p.uKeys.Load(),

		CapacityThrottled:   p.cap.throttled.Load(),
		CapacityPartial:     p.cap.partial.Load(),
		CapacityUnprocessed: p.cap.unprocessed.Load(),
		WriteUnits:          float64(p.cap.wMilli.Load()) / 1000,
		ReadUnits:           float64(p.cap.rMilli.Load()) / 1000,
		InFlight:            p.inflight.Load(),
		MaxInFlight:         p.maxFlight.Load(),
	}
}

// fault is what the proxy decided to do with one request.
type fault int

const (
	pass fault = iota
	reset
	serverError
	throttle
	partial
	refuse
)

// decide draws the fate of one request of op.
func (p *Proxy) decide(op string) (fault, *rand.Rand) {
	p.mu.Lock()
	defer p.mu.Unlock()
	batch := op == "BatchWriteItem" || op == "BatchGetItem"
	faulty := batch
	if p.cfg.FaultOps != nil {
		faulty = slices.Contains(p.cfg.FaultOps, op)
	}
	// Draw every probability each time so that a seed gives one sequence.
	rs, re, rt, rp := p.rng.Float64(), p.rng.Float64(), p.rng.Float64(), p.rng.Float64()
	// A private RNG for the subset choice, seeded from the shared one.
	sub := rand.New(rand.NewPCG(p.rng.Uint64(), p.rng.Uint64()))
	switch {
	case faulty && rs < p.cfg.Reset:
		return reset, sub
	case faulty && re < p.cfg.ServerError:
		return serverError, sub
	case faulty && rt < p.cfg.Throttle:
		return throttle, sub
	case batch && p.cfg.RefuseAll:
		return refuse, sub
	case batch && rp < p.cfg.Partial:
		return partial, sub
	}
	return pass, sub
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	n := p.inflight.Add(1)
	defer p.inflight.Add(-1)
	for {
		m := p.maxFlight.Load()
		if n <= m || p.maxFlight.CompareAndSwap(m, n) {
			break
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	rtt := p.cfg.RoundTrip
	p.mu.Unlock()
	if rtt > 0 {
		tm := time.NewTimer(rtt)
		select {
		case <-tm.C:
		case <-r.Context().Done():
			tm.Stop()
			return
		}
	}
	op := r.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(op, '.'); i >= 0 {
		op = op[i+1:]
	}
	f, rng := p.decide(op)
	switch f {
	case reset:
		p.resets.Add(1)
		p.resetConn(w)
		return
	case serverError:
		p.serverErrors.Add(1)
		writeJSON(w, http.StatusInternalServerError, map[string]string{
			"__type":  "com.amazonaws.dynamodb.v20120810#InternalServerError",
			"message": "faultproxy: injected internal server error",
		})
		return
	case throttle:
		p.throttled.Add(1)
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"__type":  "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
			"message": "faultproxy: injected throttling",
		})
		return
	case partial, refuse:
		var err error
		switch op {
		case "BatchWriteItem":
			err = p.batchWrite(w, r, body, rng, f == refuse)
		case "BatchGetItem":
			err = p.batchGet(w, r, body, rng, f == refuse)
		}
		if err != nil {
			http.Error(w, "faultproxy: "+err.Error(), http.StatusBadGateway)
		}
		return
	}
	if p.metered(op) {
		if err := p.serveMetered(w, r, op, body); err != nil {
			http.Error(w, "faultproxy: "+err.Error(), http.StatusBadGateway)
		}
		return
	}
	status, hdr, out, err := p.forward(r, body)
	if err != nil {
		http.Error(w, "faultproxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	copyHeader(w.Header(), hdr)
	writeBody(w, status, out)
}

// resetConn closes the client's connection with a TCP reset.
func (p *Proxy) resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	c, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// forward sends body to the target with r's method, path and headers.
func (p *Proxy) forward(r *http.Request, body []byte) (int, http.Header, []byte, error) {
	p.forwarded.Add(1)
	u := *p.target
	u.Path = r.URL.Path
	u.RawQuery = r.URL.RawQuery
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	for k, vs := range r.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Length", "Connection", "Accept-Encoding":
			continue
		}
		req.Header[k] = vs
	}
	req.ContentLength = int64(len(body))
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, out, nil
}

// batchWrite forwards part of a BatchWriteItem (none when refuse) and
// returns the rest as UnprocessedItems.
func (p *Proxy) batchWrite(w http.ResponseWriter, r *http.Request, body []byte, rng *rand.Rand, refuse bool) error {
	var in map[string]json.RawMessage
	if err := json.Unmarshal(body, &in); err != nil {
		return err
	}
	var items map[string][]json.RawMessage
	if err := json.Unmarshal(in["RequestItems"], &items); err != nil {
		return err
	}
	keep := map[string][]json.RawMessage{}
	drop := map[string][]json.RawMessage{}
	nkeep, ndrop := 0, 0
	for table, reqs := range items {
		k, d := split(reqs, rng, refuse)
		if len(k) > 0 {
			keep[table] = k
		}
		if len(d) > 0 {
			drop[table] = d
		}
		nkeep += len(k)
		ndrop += len(d)
	}
	if refuse {
		p.refused.Add(1)
	} else {
		p.partial.Add(1)
	}
	p.uItems.Add(int64(ndrop))
	resp := map[string]json.RawMessage{}
	hdr := http.Header{}
	if nkeep > 0 {
		var done bool
		var err error
		if resp, hdr, done, err = p.forwardKept(w, r, in, keep); err != nil || done {
			return err
		}
	}
	if err := addUnprocessedItems(resp, drop); err != nil {
		return err
	}
	return writeResponse(w, hdr, resp)
}

// writeResponse answers 200 with resp as its JSON body and hdr's headers
// (the target's, for a response built from its answer).
func writeResponse(w http.ResponseWriter, hdr http.Header, resp map[string]json.RawMessage) error {
	out, err := json.Marshal(resp)
	if err != nil {
		return err
	}
	copyHeader(w.Header(), hdr)
	writeBody(w, http.StatusOK, out)
	return nil
}

// addUnprocessedItems sets resp's UnprocessedItems to the write requests
// DynamoDB left unprocessed plus drop, those the proxy kept back.
func addUnprocessedItems(resp map[string]json.RawMessage, drop map[string][]json.RawMessage) error {
	var back map[string][]json.RawMessage
	if u := resp["UnprocessedItems"]; len(u) > 0 {
		if err := json.Unmarshal(u, &back); err != nil {
			return err
		}
	}
	for table, reqs := range back {
		drop[table] = append(drop[table], reqs...)
	}
	raw, err := json.Marshal(drop)
	if err != nil {
		return err
	}
	resp["UnprocessedItems"] = raw
	return nil
}

// batchGet forwards part of a BatchGetItem's keys (none when refuse) and
// returns the rest as UnprocessedKeys, with each table's read parameters.
func (p *Proxy) batchGet(w http.ResponseWriter, r *http.Request, body []byte, rng *rand.Rand, refuse bool) error {
	var in map[string]json.RawMessage
	if err := json.Unmarshal(body, &in); err != nil {
		return err
	}
	var tables map[string]map[string]json.RawMessage
	if err := json.Unmarshal(in["RequestItems"], &tables); err != nil {
		return err
	}
	keep := map[string]map[string]json.RawMessage{}
	drop := map[string][]json.RawMessage{}
	nkeep, ndrop := 0, 0
	for table, ka := range tables {
		var keys []json.RawMessage
		if err := json.Unmarshal(ka["Keys"], &keys); err != nil {
			return err
		}
		k, d := split(keys, rng, refuse)
		if len(k) > 0 {
			raw, err := json.Marshal(k)
			if err != nil {
				return err
			}
			kt := clone(ka)
			kt["Keys"] = raw
			keep[table] = kt
		}
		if len(d) > 0 {
			drop[table] = d
		}
		nkeep += len(k)
		ndrop += len(d)
	}
	if refuse {
		p.refused.Add(1)
	} else {
		p.partial.Add(1)
	}
	p.uKeys.Add(int64(ndrop))
	resp := map[string]json.RawMessage{}
	hdr := http.Header{}
	if nkeep > 0 {
		var done bool
		var err error
		if resp, hdr, done, err = p.forwardKept(w, r, in, keep); err != nil || done {
			return err
		}
		var back map[string]map[string]json.RawMessage
		if u := resp["UnprocessedKeys"]; len(u) > 0 {
			if err := json.Unmarshal(u, &back); err != nil {
				return err
			}
		}
		for table, ka := range back {
			var keys []json.RawMessage
			if err := json.Unmarshal(ka["Keys"], &keys); err != nil {
				return err
			}
			drop[table] = append(drop[table], keys...)
		}
	}
	unproc := map[string]map[string]json.RawMessage{}
	for table, keys := range drop {
		raw, err := json.Marshal(keys)
		if err != nil {
			return err
		}
		ka := clone(tables[table])
		ka["Keys"] = raw
		unproc[table] = ka
	}
	raw, err := json.Marshal(unproc)
	if err != nil {
		return err
	}
	resp["UnprocessedKeys"] = raw
	if _, ok := resp["Responses"]; !ok {
		resp["Responses"] = json.RawMessage("{}")
	}
	return writeResponse(w, hdr, resp)
}

// split keeps each element with probability 1/2 (none when refuse), and
// makes sure at least one is dropped.
func split(xs []json.RawMessage, rng *rand.Rand, refuse bool) (keep, drop []json.RawMessage) {
	if refuse || len(xs) == 0 {
		return nil, xs
	}
	forced := rng.IntN(len(xs))
	for i, x := range xs {
		if i != forced && rng.IntN(2) == 0 {
			keep = append(keep, x)
		} else {
			drop = append(drop, x)
		}
	}
	return keep, drop
}

func clone(m map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// copyHeader copies response headers except those writeBody sets.
func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Length", "X-Amz-Crc32", "Connection", "Transfer-Encoding", "Content-Encoding":
			continue
		}
		dst[k] = vs
	}
}

// writeBody writes body with its length and CRC32.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/x-amz-json-1.0")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	writeBody(w, status, body)
}

// forwardKept forwards the request in with RequestItems replaced by keep.
// A non-200 answer is passed on to w as it is (done is true): the kept part
// failed as a whole. Otherwise it returns the answer's JSON and headers.
func (p *Proxy) forwardKept(w http.ResponseWriter, r *http.Request, in map[string]json.RawMessage, keep any) (resp map[string]json.RawMessage, hdr http.Header, done bool, err error) {
	raw, err := json.Marshal(keep)
	if err != nil {
		return nil, nil, false, err
	}
	in["RequestItems"] = raw
	fwd, err := json.Marshal(in)
	if err != nil {
		return nil, nil, false, err
	}
	status, h, out, err := p.forward(r, fwd)
	if err != nil {
		return nil, nil, false, err
	}
	if status != http.StatusOK {
		copyHeader(w.Header(), h)
		writeBody(w, status, out)
		return nil, nil, true, nil
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, nil, false, err
	}
	return resp, h, false, nil
}
