package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Fake is the "instant endpoint": an in-process HTTP server that answers
// DynamoDB JSON requests with canned bodies (correct X-Amz-Crc32 included),
// optionally after an injected round-trip latency.
//
// Query and Scan serve a virtual table named by the request's TableName:
// "virt_<N>_<P>" holds N items (split evenly over a Scan's segments) served
// P per page, with a LastEvaluatedKey until the N-th item. Every page repeats
// items 0..P-1 of partition "v" (sk 0..P-1), so serving a million items costs
// no server memory. GetItem always returns MakeRow("g", 1); PutItem,
// UpdateItem and DeleteItem return {}; BatchWriteItem returns no unprocessed
// items and counts the puts it received.
type Fake struct {
	srv     *httptest.Server
	latency atomic.Int64 // nanoseconds slept per request

	pageItems []byte // P items of the largest page size, JSON, comma separated
	offsets   []int  // offsets[m] = end of the first m items in pageItems

	getBody, emptyBody, batchWriteBody []byte
	getCRC, emptyCRC, batchWriteCRC    string

	// Puts counts the PutRequests received by BatchWriteItem.
	Puts atomic.Int64

	bufs sync.Pool
}

// maxFakePage is the largest page size a virtual table may use.
const maxFakePage = 1000

// NewFake starts a fake endpoint. Close it with Close.
func NewFake() *Fake {
	f := &Fake{bufs: sync.Pool{New: func() any { return new(bytes.Buffer) }}}
	var items bytes.Buffer
	f.offsets = append(f.offsets, 0)
	for i := 0; i < maxFakePage; i++ {
		if i > 0 {
			items.WriteByte(',')
		}
		items.Write(itemJSON(MakeRow("v", int64(i))))
		f.offsets = append(f.offsets, items.Len())
	}
	f.pageItems = items.Bytes()
	f.getBody = []byte(`{"Item":` + string(itemJSON(MakeRow("g", 1))) + `}`)
	f.emptyBody = []byte(`{}`)
	f.batchWriteBody = []byte(`{"UnprocessedItems":{}}`)
	f.getCRC = crcOf(f.getBody)
	f.emptyCRC = crcOf(f.emptyBody)
	f.batchWriteCRC = crcOf(f.batchWriteBody)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

// URL is the endpoint to configure clients with.
func (f *Fake) URL() string { return f.srv.URL }

// Close stops the server.
func (f *Fake) Close() { f.srv.Close() }

// SetLatency sets the sleep before every answer (0: answer at once).
func (f *Fake) SetLatency(d time.Duration) { f.latency.Store(int64(d)) }

// VirtualTable names a virtual table of n items served page per page.
func VirtualTable(n, page int) string { return fmt.Sprintf("virt_%d_%d", n, page) }

func crcOf(b []byte) string { return strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10) }

// itemJSON is r in DynamoDB JSON (the wire form of an AttributeValue map).
func itemJSON(r Row) []byte {
	av, err := attributevalue.MarshalMap(r)
	if err != nil {
		panic(err)
	}
	return avJSON(av)
}

func avJSON(m map[string]types.AttributeValue) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	// deterministic order is not needed by JSON; keep insertion simple
	for k, v := range m {
		if !first {
			b.WriteByte(',')
		}
		first = false
		kj, _ := json.Marshal(k)
		b.Write(kj)
		b.WriteByte(':')
		b.Write(avValueJSON(v))
	}
	b.WriteByte('}')
	return b.Bytes()
}

func avValueJSON(v types.AttributeValue) []byte {
	var out any
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		out = map[string]string{"S": v.Value}
	case *types.AttributeValueMemberN:
		out = map[string]string{"N": v.Value}
	case *types.AttributeValueMemberBOOL:
		out = map[string]bool{"BOOL": v.Value}
	case *types.AttributeValueMemberNULL:
		out = map[string]bool{"NULL": true}
	case *types.AttributeValueMemberL:
		parts := make([]json.RawMessage, len(v.Value))
		for i, e := range v.Value {
			parts[i] = avValueJSON(e)
		}
		out = map[string][]json.RawMessage{"L": parts}
	case *types.AttributeValueMemberM:
		out = map[string]json.RawMessage{"M": avJSON(v.Value)}
	default:
		panic(fmt.Sprintf("fake: unsupported attribute value %T", v))
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	return b
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	buf := f.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer f.bufs.Put(buf)
	if _, err := io.Copy(buf, r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if d := f.latency.Load(); d > 0 {
		time.Sleep(time.Duration(d))
	}
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	switch op {
	case "GetItem":
		writeBody(w, f.getCRC, f.getBody)
	case "PutItem", "UpdateItem", "DeleteItem":
		writeBody(w, f.emptyCRC, f.emptyBody)
	case "BatchWriteItem":
		f.Puts.Add(int64(bytes.Count(buf.Bytes(), []byte(`"PutRequest"`))))
		writeBody(w, f.batchWriteCRC, f.batchWriteBody)
	case "BatchGetItem":
		f.batchGet(w, buf.Bytes())
	case "Query", "Scan":
		f.page(w, buf.Bytes())
	case "DescribeTable":
		var in struct{ TableName string }
		_ = json.Unmarshal(buf.Bytes(), &in)
		body := []byte(fmt.Sprintf(`{"Table":{"TableName":%q,"TableStatus":"ACTIVE","ItemCount":0,`+
			`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],`+
			`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}],`+
			`"BillingModeSummary":{"BillingMode":"PAY_PER_REQUEST"}}}`, in.TableName))
		writeBody(w, crcOf(body), body)
	default:
		http.Error(w, "fake: unsupported operation "+op, http.StatusBadRequest)
	}
}

func writeBody(w http.ResponseWriter, crc string, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/x-amz-json-1.0"}
	h["X-Amz-Crc32"] = []string{crc}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// batchGet answers a BatchGetItem: every key is found, its item is
// MakeRow(pk, sk).
func (f *Fake) batchGet(w http.ResponseWriter, body []byte) {
	var in struct {
		RequestItems map[string]struct {
			Keys []map[string]map[string]string
		}
	}
	if err := json.Unmarshal(body, &in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"Responses":{`)
	first := true
	for table, ka := range in.RequestItems {
		if !first {
			b.WriteByte(',')
		}
		first = false
		tj, _ := json.Marshal(table)
		b.Write(tj)
		b.WriteString(`:[`)
		for i, k := range ka.Keys {
			sk, err := strconv.ParseInt(k["sk"]["N"], 10, 64)
			if err != nil {
				http.Error(w, "fake: bad key "+err.Error(), http.StatusBadRequest)
				return
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(itemJSON(MakeRow(k["pk"]["S"], sk)))
		}
		b.WriteByte(']')
	}
	b.WriteString(`},"UnprocessedKeys":{}}`)
	writeBody(w, crcOf(b.Bytes()), b.Bytes())
}

type pageRequest struct {
	TableName         string
	Limit             int
	Segment           int
	TotalSegments     int
	ExclusiveStartKey map[string]map[string]string
}

// page answers a Query or Scan of a virtual table.
func (f *Fake) page(w http.ResponseWriter, body []byte) {
	var in pageRequest
	if err := json.Unmarshal(body, &in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var n, size int
	if _, err := fmt.Sscanf(in.TableName, "virt_%d_%d", &n, &size); err != nil || size < 1 || size > maxFakePage {
		http.Error(w, "fake: not a virtual table: "+in.TableName, http.StatusBadRequest)
		return
	}
	if in.TotalSegments > 1 { // this segment's share
		share := n / in.TotalSegments
		if in.Segment < n%in.TotalSegments {
			share++
		}
		n = share
	}
	pos := 0
	if esk := in.ExclusiveStartKey; esk != nil {
		pos, _ = strconv.Atoi(esk["sk"]["N"])
	}
	m := min(size, n-pos)
	if in.Limit > 0 {
		m = min(m, in.Limit)
	}
	m = max(m, 0)
	head := []byte(`{"Count":` + strconv.Itoa(m) + `,"ScannedCount":` + strconv.Itoa(m) + `,"Items":[`)
	items := f.pageItems[:f.offsets[m]]
	tail := []byte(`]}`)
	if pos+m < n {
		tail = []byte(`],"LastEvaluatedKey":{"pk":{"S":"v"},"sk":{"N":"` + strconv.Itoa(pos+m) + `"}}}`)
	}
	crc := crc32.Update(crc32.Update(crc32.ChecksumIEEE(head), crc32.IEEETable, items), crc32.IEEETable, tail)
	h := w.Header()
	h["Content-Type"] = []string{"application/x-amz-json-1.0"}
	h["X-Amz-Crc32"] = []string{strconv.FormatUint(uint64(crc), 10)}
	h["Content-Length"] = []string{strconv.Itoa(len(head) + len(items) + len(tail))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(head)
	_, _ = w.Write(items)
	_, _ = w.Write(tail)
}
