package dynamap

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func avS(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func avN(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }

func condsOf(ch itemChanges) map[string]types.AttributeValue {
	m := map[string]types.AttributeValue{}
	for _, c := range ch.conds {
		m[c.name] = c.want
	}
	return m
}

func TestDiffItemsByValue(t *testing.T) {
	t.Parallel()
	a := trackedAttrs{keys: []string{"year", "title"}, updated: "updated"}
	before := map[string]types.AttributeValue{
		"year": avN("1994"), "title": avS("Heat"),
		"rating":  avN("8.0"),
		"same":    avS("x"),
		"gone":    avS("g"),
		"actors":  &types.AttributeValueMemberSS{Value: []string{"Pacino", "De Niro"}},
		"info":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"a": avN("1"), "b": &types.AttributeValueMemberL{Value: []types.AttributeValue{avS("p")}}}},
		"nested":  &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"a": avN("1")}},
		"updated": avS("2020-01-01T00:00:00Z"),
	}
	after := map[string]types.AttributeValue{
		"year": avN("1994"), "title": avS("Heat"),
		"rating": avN("8.10"), // changed
		"same":   avS("x"),
		// gone: removed
		"actors": &types.AttributeValueMemberSS{Value: []string{"De Niro", "Pacino"}}, // same set, other order
		"info":   &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"b": &types.AttributeValueMemberL{Value: []types.AttributeValue{avS("p")}}, "a": avN("1.0")}},
		"nested": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"a": avN("2")}}, // nested change
		"added":  avS("new"),
		// updated differs but is never compared
		"updated": avS("2030-01-01T00:00:00Z"),
	}
	ch := a.diffItems(before, after)
	assert.Equal(t, []string{"added", "nested", "rating"}, ch.set)
	assert.Equal(t, []string{"gone"}, ch.remove)
	assert.Equal(t, map[string]types.AttributeValue{
		"added":  nil, // must still be absent
		"nested": before["nested"],
		"rating": avN("8.0"),
		"gone":   avS("g"),
	}, condsOf(ch))
	names := make([]string, len(ch.conds))
	for i, c := range ch.conds {
		names[i] = c.name
	}
	assert.IsIncreasing(t, names, "conditions in a stable order")
}

func TestDiffItemsSetChange(t *testing.T) {
	t.Parallel()
	a := trackedAttrs{keys: []string{"id"}}
	before := map[string]types.AttributeValue{"id": avS("a"), "tags": &types.AttributeValueMemberNS{Value: []string{"1", "2"}}}
	after := map[string]types.AttributeValue{"id": avS("a"), "tags": &types.AttributeValueMemberNS{Value: []string{"2", "1", "3"}}}
	ch := a.diffItems(before, after)
	assert.Equal(t, []string{"tags"}, ch.set)
	assert.Empty(t, ch.remove)

	after["tags"] = &types.AttributeValueMemberNS{Value: []string{"2.0", "1"}}
	ch = a.diffItems(before, after)
	assert.True(t, ch.empty(), "the same numbers in another order and form are no change")
	assert.Empty(t, ch.conds)
}

func TestDiffItemsVersionConditions(t *testing.T) {
	t.Parallel()
	a := trackedAttrs{keys: []string{"id"}, version: "v", updated: "u"}
	before := map[string]types.AttributeValue{"id": avS("a"), "v": avN("3"), "x": avS("1"), "u": avS("t1")}
	after := map[string]types.AttributeValue{"id": avS("a"), "v": avN("7"), "x": avS("2"), "u": avS("t2")}
	ch := a.diffItems(before, after)
	assert.Equal(t, []string{"x"}, ch.set, "version and updated are never part of the difference")
	require.Len(t, ch.conds, 1)
	assert.Equal(t, condTerm{name: "v", want: avN("3")}, ch.conds[0], "with a version, only the version is conditioned on")

	delete(before, "v")
	ch = a.diffItems(before, after)
	assert.Equal(t, []condTerm{{name: "v"}}, ch.conds, "no stored version: it must still be absent")

	after["x"] = avS("1")
	ch = a.diffItems(before, after)
	assert.True(t, ch.empty(), "a changed version or timestamp alone is no change")
	assert.Nil(t, ch.conds)
}

func TestChangedKey(t *testing.T) {
	t.Parallel()
	a := trackedAttrs{keys: []string{"year", "title"}}
	before := map[string]types.AttributeValue{"year": avN("1994"), "title": avS("Heat")}
	_, changed := a.changedKey(before, map[string]types.AttributeValue{"year": avN("1994.0"), "title": avS("Heat")})
	assert.False(t, changed, "numbers compared by value")
	name, changed := a.changedKey(before, map[string]types.AttributeValue{"year": avN("1994"), "title": avS("Heat 2")})
	assert.True(t, changed)
	assert.Equal(t, "title", name)
	name, changed = a.changedKey(before, map[string]types.AttributeValue{"title": avS("Heat")})
	assert.True(t, changed, "a key that went is a change")
	assert.Equal(t, "year", name)
}
