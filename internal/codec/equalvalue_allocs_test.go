//go:build !race

package codec

// Allocation counts differ in race builds, so this test does not run under
// -race; test.sh runs it in a step of its own without it.

import (
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestEqualValueAllocs(t *testing.T) {
	c := New(Options{})
	type row struct {
		S  string    `dynamodbav:"s"`
		I  int64     `dynamodbav:"i"`
		F  float64   `dynamodbav:"f"`
		B  bool      `dynamodbav:"b"`
		T  time.Time `dynamodbav:"t"`
		TU time.Time `dynamodbav:"tu,unixtime"`
		L  []string  `dynamodbav:"l"`
		Y  []byte    `dynamodbav:"y"`
		N  eqNumber  `dynamodbav:"n"`
	}
	r := row{S: "a", I: 42, F: 0.1, B: true, T: time.Unix(1700000000, 5).UTC(), TU: time.Unix(5, 0), L: []string{"x", "y"}, Y: []byte("b"), N: "1.50"}
	v := reflect.ValueOf(&r).Elem()
	av, err := c.encodeValue(v, fieldTag{})
	if err != nil {
		t.Fatal(err)
	}
	item := av.(*types.AttributeValueMemberM).Value
	item["i"] = &types.AttributeValueMemberN{Value: "42.0"} // equal in value, not in text
	item["n"] = &types.AttributeValueMemberN{Value: "1.5"}
	n := testing.AllocsPerRun(100, func() {
		ok, err := c.DiffStruct(v, item, func(string) bool { return false }, func(name string, _ types.AttributeValue) { t.Fatalf("%s changed", name) })
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
	})
	if n != 0 {
		t.Errorf("DiffStruct of an unchanged struct: %v allocations, want 0", n)
	}
}
