package dynamap

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func randomShape(r *rand.Rand) updateShape {
	names := []string{"a", "b.c", "with-dash", "size", "#x", ":y", "a__b", "ünï"}
	var u updateShape
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
			got, err := u.build()
			require.NoError(t, err)
			want, err := u.render(nil)
			require.NoError(t, err)
			assert.Equal(t, deref(want.Update()), deref(got.update))
			assert.Equal(t, deref(want.Condition()), deref(got.condition))
			assert.Equal(t, want.Names(), got.names)
			assert.Equal(t, len(want.Values()), len(got.values))
			for ph, av := range want.Values() {
				assert.True(t, equalAV(av, got.values[ph]), "placeholder %s", ph)
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
				if _, err := u.build(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
