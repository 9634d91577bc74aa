//go:build !race

package cond

// Allocation counts differ in race builds, so this test does not run under
// -race; test.sh runs it in a step of its own without it.

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// sinkValues keeps what the allocation tests build from being optimised away.
var sinkValues map[string]types.AttributeValue

// TestBuildCachedShapeAllocs: building a shape whose template is cached
// allocates only the values map. The cache key used to be a string built
// for every lookup (one allocation per update, typed or not); it is now
// built in a buffer on the stack and looked up without a copy.
func TestBuildCachedShapeAllocs(t *testing.T) {
	one := &types.AttributeValueMemberN{Value: "1"}
	u := NewUpdateShape(3)
	u.Set("name", one)
	u.Set("a-rather-long-attribute-name-of-a-model", one)
	u.Cond("name", nil, one)
	if _, err := u.Build(); err != nil {
		t.Fatal(err)
	}
	build := testing.AllocsPerRun(100, func() {
		b, err := u.Build()
		if err != nil {
			t.Fatal(err)
		}
		sinkValues = b.Values
	})
	values := testing.AllocsPerRun(100, func() {
		m := make(map[string]types.AttributeValue, 3)
		m[":0"], m[":1"], m[":2"] = one, one, one
		sinkValues = m
	})
	if build != values {
		t.Errorf("Build of a cached shape: %v allocations; its values map alone %v", build, values)
	}
}
