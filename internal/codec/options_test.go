package codec

import (
	"encoding/hex"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type tagged struct {
	ID    string `json:"id"`
	Both  string `json:"j_both" dynamodbav:"d_both"`
	Only  string `dynamodbav:"d_only"`
	Skip  string `json:"-"`
	Opt   string `json:"opt" dynamodbav:",omitempty"`
	Plain string
}

func encodeM(t *testing.T, c *Codec, v any) map[string]types.AttributeValue {
	t.Helper()
	m, err := c.EncodeItem(v)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func names(m map[string]types.AttributeValue) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func TestTagKey(t *testing.T) {
	js := New(Options{TagKey: "json"})
	got := names(encodeM(t, js, tagged{ID: "1", Both: "b", Only: "o", Skip: "s", Plain: "p"}))
	want := map[string]bool{"id": true, "j_both": true, "d_only": true, "Plain": true}
	if len(got) != len(want) {
		t.Fatalf("json codec: got %v, want %v", got, want)
	}
	for k := range want {
		if !got[k] {
			t.Fatalf("json codec: got %v, want %v", got, want)
		}
	}
	// dynamodbav's omitempty is kept under the json name.
	if _, ok := encodeM(t, js, tagged{})["opt"]; ok {
		t.Fatal("json codec: dynamodbav omitempty lost")
	}
	// The default codec reads dynamodbav alone.
	got = names(encodeM(t, Default, tagged{ID: "1"}))
	for _, k := range []string{"ID", "d_both", "d_only", "Skip", "Plain"} {
		if !got[k] {
			t.Fatalf("default codec: %q missing from %v", k, got)
		}
	}
	if New(Options{TagKey: DefaultTagKey}).opts.TagKey != "" {
		t.Fatal("TagKey dynamodbav is the default")
	}
	// Decoding follows the same names.
	var back tagged
	if err := js.DecodeItem(encodeM(t, js, tagged{ID: "x", Both: "y", Skip: "z"}), &back); err != nil {
		t.Fatal(err)
	}
	if back.ID != "x" || back.Both != "y" || back.Skip != "" {
		t.Fatalf("decoded %+v", back)
	}
}

// Two codecs with different tag keys used at once on one type keep their
// own struct caches.
func TestStructCachePerCodec(t *testing.T) {
	js := New(Options{TagKey: "json"})
	var wg sync.WaitGroup
	errs := make(chan string, 200)
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, want := Default, "ID"
			if i%2 == 0 {
				c, want = js, "id"
			}
			m, err := c.EncodeItem(tagged{ID: strconv.Itoa(i)})
			if err != nil {
				errs <- err.Error()
				return
			}
			if _, ok := m[want]; !ok {
				errs <- "missing " + want
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

type times struct {
	At   time.Time  `dynamodbav:"at"`
	Unix time.Time  `dynamodbav:"unix,unixtime"`
	Opt  time.Time  `dynamodbav:"opt,omitempty"`
	Ptr  *time.Time `dynamodbav:"ptr"`
}

func TestEncodeDecodeTime(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	ms := New(Options{
		EncodeTime: func(tm time.Time) (types.AttributeValue, error) {
			return &types.AttributeValueMemberN{Value: strconv.FormatInt(tm.UnixMilli(), 10)}, nil
		},
		DecodeTime: attributevalue.DecodeTimeAttributes{N: func(s string) (time.Time, error) {
			n, err := strconv.ParseInt(s, 10, 64)
			return time.UnixMilli(n).UTC(), err
		}},
		OmitEmptyTime: true,
	})
	m := encodeM(t, ms, times{At: at, Unix: at, Ptr: &at})
	if n, ok := m["at"].(*types.AttributeValueMemberN); !ok || n.Value != strconv.FormatInt(at.UnixMilli(), 10) {
		t.Fatalf("at = %#v", m["at"])
	}
	if n, ok := m["unix"].(*types.AttributeValueMemberN); !ok || n.Value != strconv.FormatInt(at.Unix(), 10) {
		t.Fatalf("unixtime tag = %#v", m["unix"])
	}
	if _, ok := m["opt"]; ok {
		t.Fatal("OmitEmptyTime kept a zero time tagged omitempty")
	}
	var back times
	if err := ms.DecodeItem(m, &back); err != nil {
		t.Fatal(err)
	}
	if !back.At.Equal(at) || !back.Unix.Equal(at) || back.Ptr == nil || !back.Ptr.Equal(at) {
		t.Fatalf("decoded %+v", back)
	}
	// The default codec: RFC 3339, the zero time stored.
	m = encodeM(t, Default, times{At: at})
	if s, ok := m["at"].(*types.AttributeValueMemberS); !ok || s.Value != at.Format(time.RFC3339Nano) {
		t.Fatalf("default at = %#v", m["at"])
	}
	if _, ok := m["opt"]; !ok {
		t.Fatal("default codec omitted a zero time")
	}
	// Failures are *ValueError wrapping the cause.
	boom := errors.New("boom")
	bad := New(Options{EncodeTime: func(time.Time) (types.AttributeValue, error) { return nil, boom }})
	if _, err := bad.Marshal(at); !errors.Is(err, ErrInvalidValue) || !errors.Is(err, boom) {
		t.Fatalf("EncodeTime error = %v", err)
	}
	badDec := New(Options{DecodeTime: attributevalue.DecodeTimeAttributes{S: func(string) (time.Time, error) { return time.Time{}, boom }}})
	var tm time.Time
	if err := badDec.Decode(&types.AttributeValueMemberS{Value: "x"}, &tm); !errors.Is(err, ErrInvalidValue) || !errors.Is(err, boom) {
		t.Fatalf("DecodeTime error = %v", err)
	}
}

// hexID has MarshalText and UnmarshalText (hex), and MarshalBinary.
type hexID [4]byte

func (h hexID) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h[:])), nil }
func (h *hexID) UnmarshalText(b []byte) error {
	_, err := hex.Decode(h[:], b)
	return err
}

type blob struct{ n int }

func (b blob) MarshalBinary() ([]byte, error) { return []byte{byte(b.n)}, nil }
func (b *blob) UnmarshalBinary(p []byte) error {
	b.n = int(p[0])
	return nil
}

type withIDs struct {
	ID   hexID     `dynamodbav:"id"`
	Ptr  *hexID    `dynamodbav:"ptr"`
	Blob blob      `dynamodbav:"blob"`
	At   time.Time `dynamodbav:"at"`
}

func TestEncodingMarshalers(t *testing.T) {
	c := New(Options{UseEncodingMarshalers: true, UseEncodingUnmarshalers: true})
	id := hexID{0xde, 0xad, 0xbe, 0xef}
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	m := encodeM(t, c, withIDs{ID: id, Ptr: &id, Blob: blob{7}, At: at})
	if s, ok := m["id"].(*types.AttributeValueMemberS); !ok || s.Value != "deadbeef" {
		t.Fatalf("id = %#v", m["id"])
	}
	if s, ok := m["ptr"].(*types.AttributeValueMemberS); !ok || s.Value != "deadbeef" {
		t.Fatalf("ptr = %#v", m["ptr"])
	}
	if b, ok := m["blob"].(*types.AttributeValueMemberB); !ok || len(b.Value) != 1 || b.Value[0] != 7 {
		t.Fatalf("blob = %#v", m["blob"])
	}
	if s, ok := m["at"].(*types.AttributeValueMemberS); !ok || s.Value != at.Format(time.RFC3339Nano) {
		t.Fatalf("at = %#v (a time keeps the codec's encoding)", m["at"])
	}
	var back withIDs
	if err := c.DecodeItem(m, &back); err != nil {
		t.Fatal(err)
	}
	if back.ID != id || back.Ptr == nil || *back.Ptr != id || back.Blob.n != 7 || !back.At.Equal(at) {
		t.Fatalf("decoded %+v", back)
	}
	// Without the options: the array is a binary, blob a map.
	m = encodeM(t, Default, withIDs{ID: id})
	if _, ok := m["id"].(*types.AttributeValueMemberB); !ok {
		t.Fatalf("default id = %#v", m["id"])
	}
	if _, ok := m["blob"].(*types.AttributeValueMemberM); !ok {
		t.Fatalf("default blob = %#v", m["blob"])
	}
	// A key value at top level goes the same way.
	av, err := c.Marshal(id)
	if s, ok := av.(*types.AttributeValueMemberS); err != nil || !ok || s.Value != "deadbeef" {
		t.Fatalf("Marshal(hexID) = %#v, %v", av, err)
	}
}

// nullish's Marshaler returns NULL.
type nullish struct{}

func (nullish) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberNULL{Value: true}, nil
}

func TestOmitNullAttributeValues(t *testing.T) {
	type s struct {
		A nullish   `dynamodbav:"a,omitempty"`
		B nullish   `dynamodbav:"b"`
		L []nullish `dynamodbav:"l,omitemptyelem"`
	}
	v := s{L: []nullish{{}, {}}}
	m := encodeM(t, New(Options{OmitNullAttributeValues: true}), v)
	if _, ok := m["a"]; ok {
		t.Fatal("NULL kept under omitempty")
	}
	if _, ok := m["b"]; !ok {
		t.Fatal("NULL dropped without omitempty")
	}
	if l := m["l"].(*types.AttributeValueMemberL); len(l.Value) != 0 {
		t.Fatalf("l = %#v", l)
	}
	m = encodeM(t, Default, v)
	if _, ok := m["a"]; !ok {
		t.Fatal("default codec omitted a Marshaler's NULL")
	}
}

func TestFreeze(t *testing.T) {
	// Option-free values are encoded at once.
	b := []byte{1, 2}
	fv, err := Freeze(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fv.(*types.AttributeValueMemberB); !ok {
		t.Fatalf("Freeze([]byte) = %#v", fv)
	}
	if _, err := Freeze(make(chan int)); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("Freeze(chan) = %v", err)
	}
	// A struct is copied and left for the table's codec.
	type inner struct {
		Tags []string `json:"tags"`
	}
	in := &inner{Tags: []string{"a"}}
	fv, err = Freeze(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fv.(Deferred); !ok {
		t.Fatalf("Freeze(struct) = %#v", fv)
	}
	in.Tags[0] = "changed"
	av, err := New(Options{TagKey: "json"}).Marshal(fv)
	if err != nil {
		t.Fatal(err)
	}
	tags := av.(*types.AttributeValueMemberM).Value["tags"].(*types.AttributeValueMemberL).Value
	if tags[0].(*types.AttributeValueMemberS).Value != "a" {
		t.Fatalf("Freeze shared the slice: %#v", tags)
	}
	// A time, and a list holding one, are left for the codec.
	for _, v := range []any{time.Now(), []any{1, time.Now()}, map[string]any{"t": time.Now()}} {
		if fv, _ := Freeze(v); func() bool { _, ok := fv.(Deferred); return !ok }() {
			t.Fatalf("Freeze(%T) = %#v", v, fv)
		}
	}
}
