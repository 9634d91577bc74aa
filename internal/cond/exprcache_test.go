package cond

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamap/dynamap/internal/codec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func randomShape(r *rand.Rand) UpdateShape {
	names := []string{"a", "b.c", "with-dash", "size", "#x", ":y", "a__b", "ünï"}
	var u UpdateShape
	var conds []func() // conditions come after the actions, as PartialSave orders them
	for _, name := range names {
		v := &types.AttributeValueMemberS{Value: fmt.Sprint(r.IntN(1000))}
		switch r.IntN(4) {
		case 0:
			u.Set(name, v)
			old := &types.AttributeValueMemberN{Value: fmt.Sprint(r.IntN(9))}
			conds = append(conds, func() { u.Equal(name, old) })
		case 1:
			u.Set(name, v)
			conds = append(conds, func() { u.Absent(name) })
		case 2:
			u.Remove(name)
			conds = append(conds, func() { u.Equal(name, v) })
		}
	}
	for _, c := range conds {
		c()
	}
	return u
}

// TestUpdateShapeTemplatesEqualDirectBuilds checks that an expression served
// from the shape cache is exactly what the expression package builds from
// the same steps and values, for many shapes, each built twice (the second
// time from the cache) with other values.
func TestUpdateShapeTemplatesEqualDirectBuilds(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		for range 2 {
			u := randomShape(r)
			if len(u.steps) == 0 {
				continue
			}
			got, err := u.Build()
			require.NoError(t, err)
			want, err := u.render(nil)
			require.NoError(t, err)
			assert.Equal(t, deref(want.Update()), deref(got.Update))
			assert.Equal(t, deref(want.Condition()), deref(got.Condition))
			assert.Equal(t, want.Names(), got.Names)
			assert.Equal(t, len(want.Values()), len(got.Values))
			for ph, av := range want.Values() {
				assert.True(t, codec.Equal(av, got.Values[ph]), "placeholder %s", ph)
			}
		}
	}
}

func TestUpdateShapeCacheIsSafeForConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for range 200 {
				u := randomShape(r)
				if len(u.steps) == 0 {
					continue
				}
				if _, err := u.Build(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// TestUpdateShapeKeyKeepsPathsApart: a condition on a path below an
// attribute and one on the whole attribute are different shapes.
func TestUpdateShapeKeyKeepsPathsApart(t *testing.T) {
	p, err := ParsePath("address.city")
	require.NoError(t, err)
	one := &types.AttributeValueMemberN{Value: "1"}
	whole, part := NewUpdateShape(2), NewUpdateShape(2)
	whole.Set("n", one)
	whole.Cond("address", nil, one)
	part.Set("n", one)
	part.Cond("address", p, one)
	assert.NotEqual(t, whole.key(), part.key())
}

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
