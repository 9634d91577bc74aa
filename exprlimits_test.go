package dynamap

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/dynamap/dynamap/internal/cond"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMeasureExprCountsOperators(t *testing.T) {
	for _, c := range []struct {
		expr string
		ops  int
	}{
		{"#0 = :0", 1},
		{"(#0 = :0) AND (#1 <> :1)", 3},
		{"(attribute_not_exists (#0)) OR (NOT (contains (#1, :0)))", 4},
		{"#0 BETWEEN :0 AND :1", 2}, // BETWEEN's AND counted too: conservative
		{"#0.#1[3] IN (:0, :1, :2)", 1},
		{"size (#0) >= :0", 2},
		{"SET #0 = :0, #1 = if_not_exists(#1, :1), #2 = #2 + :2\nREMOVE #3, #4\nADD #5 :3\nDELETE #6 :4", 9},
		{"begins_with (#10, :12)", 1},
	} {
		assert.Equal(t, c.ops, cond.MeasureExpr(c.expr).Ops, c.expr)
		assert.Equal(t, len(c.expr), cond.MeasureExpr(c.expr).Bytes, c.expr)
	}
}

// assertWithinLimits checks one request's expression strings.
func assertWithinLimits(t *testing.T, what string, exprs ...*string) {
	t.Helper()
	for _, e := range exprs {
		if e == nil {
			continue
		}
		c := cond.MeasureExpr(*e)
		assert.LessOrEqual(t, len(*e), 4096, what)
		assert.LessOrEqual(t, c.Ops, 300, what)
	}
}

// wideLoaded returns a loaded item of n attributes with long names (names
// cost nothing in an expression: they travel as placeholders).
func wideLoaded(tbl *Table, n int) *Item {
	m := map[string]any{"id": "a"}
	for i := range n {
		m[fmt.Sprintf("%s%04d", strings.Repeat("x", 200), i)] = i
	}
	return loaded(tbl, m)
}

// attrNames returns an item's attribute names but its key "id".
func attrNames(it *Item) []string {
	var out []string
	for _, n := range it.Names() {
		if n != "id" {
			out = append(out, n)
		}
	}
	return out
}

func TestSaveConditionBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, n := range []int{10, 150, 300, 1000} {
		tbl, api, _ := fakeTable(t, false)
		it := wideLoaded(tbl, n)
		api.getItem = it.avMap() // the stored item, as a consistent read finds it
		for _, name := range attrNames(it)[:n/2] {
			require.NoError(t, it.Set(name, "changed"))
		}
		in, checks, err := it.putInput(tbl.knownSchema(), &writeConfig{})
		require.NoError(t, err)
		assertWithinLimits(t, fmt.Sprintf("Save condition, %d attributes", n), in.ConditionExpression)
		inCond := len(in.ExpressionAttributeNames)
		assert.Equal(t, n+1, inCond+len(checks), "%d: every attribute is in the condition or checked by the read", n)
		if n <= 100 {
			assert.Empty(t, checks, "a narrow item needs no read")
		} else {
			assert.Greater(t, inCond, 140, "%d: the condition holds as many attributes as fit", n)
			// The key, then changed attributes, then unchanged ones.
			names := map[string]bool{}
			for _, v := range in.ExpressionAttributeNames {
				names[v] = true
			}
			assert.True(t, names["id"], "the key is in the condition")
			sawUnchanged := false
			for _, c := range checks {
				changed := it.Get(Name(c.name)) == "changed"
				assert.False(t, changed && sawUnchanged, "%s: a changed attribute checked after an unchanged one", c.name)
				sawUnchanged = sawUnchanged || !changed
			}
		}

		require.NoError(t, it.Save(ctx))
		put := api.puts[len(api.puts)-1]
		assertWithinLimits(t, "Save", put.ConditionExpression)
		wantGets := 0
		if len(checks) > 0 {
			wantGets = 1
		}
		assert.Len(t, api.gets, wantGets, "%d attributes", n)

		// Caller conditions are kept whole, and the budget shrinks for them.
		it2 := wideLoaded(tbl, n)
		require.NoError(t, it2.Set(attrNames(it2)[0], "changed"))
		in, _, err = it2.putInput(tbl.knownSchema(), &writeConfig{expected: []Condition{Filter{"a__in": make([]int, 100)}}})
		require.NoError(t, err)
		assertWithinLimits(t, "Save with Expected", in.ConditionExpression)
		assert.Contains(t, *in.ConditionExpression, " IN (")
	}
}

func TestPartialSaveBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range []struct {
		n, changed int
		wantUpdate bool
	}{
		{150, 150, true}, {300, 250, true}, {300, 300, false}, {1000, 1000, false},
	} {
		tbl, api, _ := fakeTable(t, false)
		it := wideLoaded(tbl, c.n)
		api.getItem = it.avMap()
		for _, name := range attrNames(it)[:c.changed] {
			require.NoError(t, it.Set(name, "changed"))
		}
		require.NoError(t, it.PartialSave(ctx))
		what := fmt.Sprintf("%d of %d changed", c.changed, c.n)
		if c.wantUpdate {
			require.Len(t, api.updates, 1, what)
			u := api.updates[0]
			assertWithinLimits(t, what, u.UpdateExpression, u.ConditionExpression)
			assert.Len(t, api.gets, 1, "%s: conditions beyond the budget are checked by one read", what)
		} else {
			require.Len(t, api.puts, 1, "%s: too many actions for an update: a conditional put", what)
			assertWithinLimits(t, what, api.puts[0].ConditionExpression)
			assert.Len(t, api.gets, 1, what)
		}
		assert.False(t, it.NeedsSave())

		// A new item needs one condition, whatever its width.
		fresh, err := tbl.NewItem(wideLoaded(tbl, c.n).Map())
		require.NoError(t, err)
		require.NoError(t, fresh.PartialSave(ctx))
		var cnd *string
		if c.n > 250 {
			cnd = api.puts[len(api.puts)-1].ConditionExpression
		} else {
			u := api.updates[len(api.updates)-1]
			assertWithinLimits(t, "new item update", u.UpdateExpression)
			cnd = u.ConditionExpression
		}
		require.NotNil(t, cnd)
		assert.Equal(t, "attribute_not_exists (#0)", *cnd)
	}

	// A partial item whose actions exceed an update expression is refused
	// before any request.
	tbl, api, requests := fakeTable(t, false)
	it := wideLoaded(tbl, 400)
	it.partial = true
	for _, name := range attrNames(it)[:400] {
		require.NoError(t, it.Set(name, "changed"))
	}
	err := it.PartialSave(ctx)
	assert.ErrorIs(t, err, ErrInvalidValue)
	assert.Zero(t, requests())
	assert.Empty(t, api.updates)
}

func TestCheckExprLimits(t *testing.T) {
	cnd := expression.Name("a").Equal(expression.Value(1))
	for range 150 {
		cnd = cnd.And(expression.Name("a").Equal(expression.Value(1)))
	}
	_, err := cond.BuildExpr(expression.NewBuilder().WithCondition(cnd))
	assert.ErrorIs(t, err, ErrInvalidFilter, "301 operators")

	upd := expression.Set(expression.Name("a"), expression.Value(1))
	for i := range 400 {
		upd = upd.Set(expression.Name(fmt.Sprint("a", i)), expression.Value(1))
	}
	_, err = cond.BuildExpr(expression.NewBuilder().WithUpdate(upd))
	assert.ErrorIs(t, err, ErrInvalidValue, "an update over 4 KB")
}
