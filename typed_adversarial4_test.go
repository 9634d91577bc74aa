package dynamap

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type advIntTTL struct {
	ID      string `dynamodbav:"id" dynamap:"hash"`
	Expires int64  `dynamodbav:"exp" dynamap:"ttl"`
	Created int64  `dynamodbav:"c" dynamap:"created"`
	Updated uint32 `dynamodbav:"u" dynamap:"updated"`
}

func TestAdvIntTTLAndTimestamps(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	tt, err := CreateTableOf[advIntTTL](ctx, c, testTableName(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tt.Table().DeleteTable(context.Background()) })
	ttl, err := tt.Table().DescribeTTL(ctx)
	if err != nil || ttl.Attribute != "exp" {
		t.Errorf("DescribeTTL = %+v, %v", ttl, err)
	}
	v := advIntTTL{ID: "a", Expires: time.Now().Add(time.Hour).Unix()}
	now := time.Now().Unix()
	if err := tt.Put(ctx, &v); err != nil {
		t.Fatal(err)
	}
	if v.Created < now-1 || v.Created > now+1 || int64(v.Updated) < now-1 {
		t.Errorf("after Put: %+v (now %d)", v, now)
	}
}

// upper stores a string upper-cased through its own marshaler.
type upper string

func (u upper) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberS{Value: strings.ToUpper(string(u))}, nil
}

func (u *upper) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	s, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		return fmt.Errorf("not a string")
	}
	*u = upper(strings.ToLower(s.Value))
	return nil
}

type AdvKeys struct {
	PK string `dynamodbav:"pk" dynamap:"hash"`
	SK string `dynamodbav:"sk" dynamap:"range"`
}

type advMarsh struct {
	AdvKeys
	Name upper `dynamodbav:"name"`
	V    int   `dynamodbav:"v" dynamap:"version"`
}

func TestAdvMarshalerAndEmbeddedKeys(t *testing.T) {
	var rc requestCounter
	tbl, ctx := advTable(t, &rc)
	tt := TableOf[advMarsh](tbl.Conn(), tbl.Name())
	v := advMarsh{AdvKeys: AdvKeys{"a", "1"}, Name: "abc"}
	if err := tt.Put(ctx, &v, Expected(NotExists("zzz"))); err != nil {
		t.Fatal(err)
	}
	it, _ := tbl.GetItem(ctx, Key{"pk": "a", "sk": "1"}, Consistent())
	if it.Get("name") != "ABC" {
		t.Errorf("stored name = %v", it.Get("name"))
	}
	got, err := tt.Modify(ctx, Key{"pk": "a", "sk": "1"}, func(m *advMarsh) error { m.Name = "abc"; m.V = 99; return nil })
	if err != nil || got.V != 1 || rc.count("UpdateItem") != 0 {
		t.Errorf("no-op Modify = %+v, %v, %d updates", got, err, rc.count("UpdateItem"))
	}
	got, err = tt.Modify(ctx, Key{"pk": "a", "sk": "1"}, func(m *advMarsh) error { m.Name = "xyz"; return nil })
	if err != nil || got.V != 2 || got.Name != "xyz" {
		t.Errorf("Modify = %+v, %v", got, err)
	}
	// Put with a version and an Expected that fails: the condition holds both.
	v.V = 2
	if err := tt.Put(ctx, &v, Expected(NotExists("name"))); !errors.Is(err, ErrConditionalCheckFailed) {
		t.Errorf("Put with a failing Expected: %v", err)
	}
	if v.V != 2 {
		t.Errorf("failed Put changed the version to %d", v.V)
	}
}

// ctx canceled in the middle of BatchPut: every item is written or named
// in the error; nothing is lost.
func TestAdvBatchPutCanceledMidway(t *testing.T) {
	tbl, bg := advTable(t, nil)
	docs := TableOf[advDoc](tbl.Conn(), tbl.Name())
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	consumed := 0
	seq := iter.Seq[advDoc](func(yield func(advDoc) bool) {
		for i := range 500 {
			consumed++
			if i == 60 {
				cancel()
			}
			if !yield(advDoc{PK: "p", SK: fmt.Sprintf("%03d", i), Title: "t"}) {
				return
			}
		}
	})
	err := docs.BatchPut(ctx, seq, Concurrency(1))
	stored := map[string]bool{}
	for d, err := range docs.Query(Filter{"pk__eq": "p"}, Consistent()).All(bg) {
		if err != nil {
			t.Fatal(err)
		}
		stored[d.SK] = true
	}
	var ue *UnprocessedError
	listed := map[string]bool{}
	if errors.As(err, &ue) {
		for _, p := range ue.Puts {
			listed[p["sk"].(*types.AttributeValueMemberS).Value] = true
		}
	}
	t.Logf("consumed %d, written %d, in error %d: %v", consumed, len(stored), len(listed), err)
	if err == nil && consumed == 500 && len(stored) == 500 {
		return
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("BatchPut: %v, want context.Canceled", err)
	}
	// The item BatchPut was handed when it stopped is named by the error;
	// every item before it is written or listed (an item of a request in
	// flight at the cancel may be both: its outcome is unknown, so it is
	// listed, and re-sending a put is safe).
	for i := range consumed - 1 {
		sk := fmt.Sprintf("%03d", i)
		if !stored[sk] && !listed[sk] {
			t.Errorf("item %s neither written nor listed in the error (consumed %d)", sk, consumed)
		}
	}
	for sk := range listed {
		var i int
		if _, err := fmt.Sscanf(sk, "%d", &i); err != nil || i >= consumed-1 {
			t.Errorf("listed item %s was never handed over before the stop (consumed %d)", sk, consumed)
		}
	}
}
