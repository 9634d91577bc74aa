package capacity

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clock is a hand-moved time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newTestBucket(rate float64, burst, initial time.Duration) (*Bucket, *clock) {
	c := &clock{t: time.Unix(1000, 0)}
	b := NewBucket(rate, burst, initial)
	b.now, b.last = c.now, c.t
	return b, c
}

func TestBucketStartsWithInitialAndRefillsAtRate(t *testing.T) {
	b, c := newTestBucket(100, 10*time.Second, 2*time.Second)
	assert.InDelta(t, 200, b.Tokens(), 1e-9, "starts with two seconds' worth")
	assert.Equal(t, 2, b.Fit([]float64{150, 50, 1}), "the third does not fit")
	assert.InDelta(t, 0, b.Tokens(), 1e-9)
	c.advance(250 * time.Millisecond)
	assert.InDelta(t, 25, b.Tokens(), 1e-9, "a quarter second refills 25 units")
	c.advance(time.Hour)
	assert.InDelta(t, 1000, b.Tokens(), 1e-9, "unused capacity is kept up to the burst (10 s of rate)")
}

func TestBucketDefaults(t *testing.T) {
	b, c := newTestBucket(5, 0, 0)
	assert.InDelta(t, 5, b.Tokens(), 1e-9, "starts with one second's worth")
	c.advance(time.Hour)
	assert.InDelta(t, 5*300, b.Tokens(), 1e-9, "DynamoDB keeps 300 s of unused capacity")
	small, c2 := newTestBucket(10, time.Millisecond, time.Hour)
	assert.InDelta(t, 10, small.Tokens(), 1e-9, "burst under a second means one second; initial capped by it")
	c2.advance(time.Minute)
	assert.InDelta(t, 10, small.Tokens(), 1e-9)
	empty, _ := newTestBucket(10, 0, -1)
	assert.InDelta(t, 0, empty.Tokens(), 1e-9, "initial < 0: empty")
	assert.Nil(t, NewBucket(0, 0, 0), "no rate: unmetered")
	var nb *Bucket
	assert.Equal(t, 3, nb.Fit([]float64{1e9, 1e9, 1e9}))
	assert.True(t, nb.Open())
	assert.Equal(t, 2, nb.FitOpen([]float64{1e9, 1e9}))
}

func TestBucketOversizedRequestFitsAFullBucket(t *testing.T) {
	b, c := newTestBucket(10, time.Second, time.Second)
	assert.Equal(t, 1, b.Fit([]float64{25}), "bigger than the whole bucket: fits when full, going into debt")
	assert.InDelta(t, -15, b.Tokens(), 1e-9)
	assert.Equal(t, 0, b.Fit([]float64{1}))
	assert.False(t, b.Open())
	c.advance(1600 * time.Millisecond)
	assert.True(t, b.Open(), "debt paid back by refills")
	assert.Equal(t, 0, b.Fit([]float64{5}), "1 unit held, 5 asked, bucket not full")
}

func TestBucketReadsChargeWhileOpen(t *testing.T) {
	b, _ := newTestBucket(10, time.Second, time.Second)
	assert.Equal(t, 3, b.FitOpen([]float64{4, 4, 4, 4}), "a read is served while the bucket holds at least MinRead before it")
	assert.InDelta(t, -2, b.Tokens(), 1e-9)
	b.Charge(3)
	assert.InDelta(t, -5, b.Tokens(), 1e-9)
	assert.Equal(t, 0, b.FitOpen([]float64{0.5}))
}

func TestUnits(t *testing.T) {
	// DynamoDB's documented examples.
	assert.Equal(t, 1.0, WriteUnits(500), "500 bytes: 1 WCU")
	assert.Equal(t, 4.0, WriteUnits(3584), "3.5 KB: 4 WCU")
	assert.Equal(t, 1.0, WriteUnits(1024))
	assert.Equal(t, 2.0, WriteUnits(1025))
	assert.Equal(t, 1.0, WriteUnits(0), "at least one")
	assert.Equal(t, 1.0, ReadUnits(3584, true), "3.5 KB consistent: 1 RCU")
	assert.Equal(t, 0.5, ReadUnits(3584, false), "eventually consistent: half")
	assert.Equal(t, 3.0, ReadUnits(10*1024, true), "10 KB: 3 RCU")
	assert.Equal(t, 1.5, ReadUnits(10*1024, false))
	assert.Equal(t, 1.0, ReadUnits(0, true), "a missing item costs the minimum")
	assert.Equal(t, 0.5, ReadUnits(0, false))
	assert.Equal(t, 2.0, ReadUnits(2*3*1024, true), "a page of two 3 KB items: 6 KB rounded once, 2 RCU")
}

func TestItemSize(t *testing.T) {
	cases := []struct {
		name string
		item string
		want int
	}{
		{"string", `{"id": {"S": "abc"}}`, 2 + 3},
		{"utf-8 bytes", `{"név": {"S": "é"}}`, 4 + 2},
		{"number: 1 byte per 2 significant digits + 1", `{"n": {"N": "12345"}}`, 1 + 4},
		{"number: leading zeros and sign ignored", `{"n": {"N": "-0.0012"}}`, 1 + 2},
		{"binary: raw bytes, not base64", `{"b": {"B": "AQID"}}`, 1 + 3},
		{"bool and null: 1 byte", `{"t": {"BOOL": true}, "z": {"NULL": true}}`, 1 + 1 + 1 + 1},
		{"string set", `{"ss": {"SS": ["a", "bc"]}}`, 2 + 3},
		{"number set", `{"ns": {"NS": ["1", "123"]}}`, 2 + 2 + 3},
		{"binary set", `{"bs": {"BS": ["AQ==", "AQI="]}}`, 2 + 3},
		{"map: 3 bytes + 1 per element + names + values", `{"m": {"M": {"a": {"S": "x"}}}}`, 1 + 3 + 1 + 1 + 1},
		{"list: 3 bytes + 1 per element", `{"l": {"L": [{"S": "xy"}, {"N": "7"}]}}`, 1 + 3 + (1 + 2) + (1 + 2)},
		{"empty list and map", `{"l": {"L": []}, "m": {"M": {}}}`, 1 + 3 + 1 + 3},
		{"empty binary", `{"b": {"B": ""}}`, 1},
	}
	for _, c := range cases {
		got, err := ItemSize(json.RawMessage(c.item))
		require.NoError(t, err, c.name)
		assert.Equal(t, c.want, got, c.name)
	}
	big := `{"id": {"S": "k"}, "data": {"S": "` + strings.Repeat("x", 3000) + `"}}`
	n, err := ItemSize(json.RawMessage(big))
	require.NoError(t, err)
	assert.Equal(t, 2+1+4+3000, n)
	assert.Equal(t, 3.0, WriteUnits(n))
	_, err = ItemSize(json.RawMessage(`{"x": {"Q": 1}}`))
	assert.Error(t, err)
}

func TestKeyTextMatchesNumbersAsDecimals(t *testing.T) {
	a, err := WireItem(json.RawMessage(`{"pk": {"S": "a"}, "sk": {"N": "10"}, "v": {"S": "x"}}`))
	require.NoError(t, err)
	b, err := WireItem(json.RawMessage(`{"pk": {"S": "a"}, "sk": {"N": "1E1"}}`))
	require.NoError(t, err)
	names := []string{"pk", "sk"}
	assert.Equal(t, KeyText(a, names), KeyText(b, names))
	c, _ := WireItem(json.RawMessage(`{"pk": {"S": "a"}, "sk": {"N": "11"}}`))
	assert.NotEqual(t, KeyText(a, names), KeyText(c, names))
}
