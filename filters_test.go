package dynamap

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rendered is a compiled expression with placeholders resolved, for asserting.
func renderExpr(t *testing.T, expr *string, names map[string]string, values map[string]types.AttributeValue) string {
	t.Helper()
	s := *expr
	// Longest placeholders first so #1 does not eat #10.
	for i := len(names) + len(values); i >= 0; i-- {
		if n, ok := names[fmt.Sprintf("#%d", i)]; ok {
			s = strings.ReplaceAll(s, fmt.Sprintf("#%d", i), n)
		}
		if v, ok := values[fmt.Sprintf(":%d", i)]; ok {
			s = strings.ReplaceAll(s, fmt.Sprintf(":%d", i), avString(v))
		}
	}
	return s
}

func avString(av types.AttributeValue) string {
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		return fmt.Sprintf("%q", x.Value)
	case *types.AttributeValueMemberN:
		return x.Value
	case *types.AttributeValueMemberB:
		return fmt.Sprintf("b%x", x.Value)
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprint(x.Value)
	case *types.AttributeValueMemberNULL:
		return "NULL"
	case *types.AttributeValueMemberSS:
		return fmt.Sprintf("SS%q", x.Value)
	case *types.AttributeValueMemberNS:
		return fmt.Sprintf("NS%v", x.Value)
	}
	return fmt.Sprintf("%T", av)
}

func compileFilter(t *testing.T, conds ...Condition) string {
	t.Helper()
	cb, ok, err := buildCondition(conds, nil, defaultCodec)
	require.NoError(t, err)
	require.True(t, ok)
	e, err := expression.NewBuilder().WithFilter(cb).Build()
	require.NoError(t, err)
	return renderExpr(t, e.Filter(), e.Names(), e.Values())
}

func TestFilterOps(t *testing.T) {
	t.Parallel()
	cases := []struct {
		f    Filter
		want string
	}{
		{Filter{"age__eq": 3}, "age = 3"},
		{Filter{"age__ne": Number("3.50")}, "age <> 3.50"},
		{Filter{"age__lt": int8(4)}, "age < 4"},
		{Filter{"age__lte": uint64(18446744073709551615)}, "age <= 18446744073709551615"},
		{Filter{"name__gt": "b"}, `name > "b"`},
		{Filter{"data__gte": []byte{1, 2}}, "data >= b0102"},
		{Filter{"name__beginswith": "Jo"}, `begins_with (name, "Jo")`},
		{Filter{"age__between": []int{1, 9}}, "age BETWEEN 1 AND 9"},
		{Filter{"age__between": [2]float64{1.5, 2}}, "age BETWEEN 1.5 AND 2"},
		{Filter{"name__between": []any{"a", "m"}}, `name BETWEEN "a" AND "m"`},
		{Filter{"age__in": []int{25, 26}}, "age IN (25, 26)"},
		{Filter{"name__in": [1]string{"x"}}, `name IN ("x")`},
		{Filter{"tags__contains": "red"}, `contains (tags, "red")`},
		{Filter{"nums__contains": 7}, "contains (nums, 7)"},
		{Filter{"tags__ncontains": "red"}, `NOT (contains (tags, "red"))`},
		{Filter{"email__null": true}, "attribute_not_exists (email)"},
		{Filter{"email__null": false}, "attribute_exists (email)"},
		{Filter{"address.city__eq": "Oslo"}, `address.city = "Oslo"`},
		{Filter{"a__b__eq": "x"}, `a__b = "x"`},
		{Filter{"tags[1]__eq": "x"}, `tags[1] = "x"`},
		{Filter{"s__eq": StringSet{"b", "a"}}, `s = SS["a" "b"]`},
		{Filter{"flag__eq": true}, "flag = true"},
		{Filter{"x__eq": nil}, "x = NULL"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, compileFilter(t, c.f), "%v", c.f)
	}
}

func TestFilterAndOrDeterministic(t *testing.T) {
	t.Parallel()
	f := Filter{"c__eq": 3, "a__eq": 1, "b__eq": 2, "d__null": true}
	want := "(a = 1) AND (b = 2) AND (c = 3) AND (attribute_not_exists (d))"
	for range 50 {
		assert.Equal(t, want, compileFilter(t, f))
	}
	assert.Equal(t, "(a = 1) OR (b = 2) OR (c = 3) OR (attribute_not_exists (d))", compileFilter(t, AnyOf(f)))
	// Several conditions of one call, and a raw builder.
	raw := expression.Name("size").GreaterThan(expression.Value(10))
	assert.Equal(t, "(a = 1) AND (size > 10)", compileFilter(t, Filter{"a__eq": 1}, Expr(raw)))
	assert.Equal(t, "(a = 1) OR (size > 10)", compileFilter(t, Or(Filter(map[string]any{"a__eq": 1}), Expr(raw))))
	assert.Equal(t, "size > 10", compileFilter(t, nil, Expr(raw), Filter{}))
	// The placeholder string is identical run to run, not only the rendering.
	cb, _, err := buildCondition([]Condition{f}, nil, defaultCodec)
	require.NoError(t, err)
	e1, err := expression.NewBuilder().WithFilter(cb).Build()
	require.NoError(t, err)
	for range 20 {
		cb, _, err := buildCondition([]Condition{Filter{"d__null": true, "b__eq": 2, "a__eq": 1, "c__eq": 3}}, nil, defaultCodec)
		require.NoError(t, err)
		e2, err := expression.NewBuilder().WithFilter(cb).Build()
		require.NoError(t, err)
		assert.Equal(t, *e1.Filter(), *e2.Filter())
		assert.Equal(t, e1.Names(), e2.Names())
	}
}

func TestFilterEmpty(t *testing.T) {
	t.Parallel()
	_, ok, err := buildCondition(nil, nil, defaultCodec)
	require.NoError(t, err)
	assert.False(t, ok)
	_, ok, err = buildCondition([]Condition{Filter{}, nil, Filter(map[string]any{}), And(), And(nil, Filter(nil))}, nil, defaultCodec)
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestFilterErrors(t *testing.T) {
	t.Parallel()
	hundredOne := make([]int, 101)
	cases := []struct {
		cnd  Condition
		key  string
		want error
	}{
		{Filter{"age__betwen": []int{1, 2}}, "age__betwen", ErrUnknownFilterType},
		{Filter{"age": 1}, "age", ErrUnknownFilterType},
		{Filter{"age__": 1}, "age__", ErrUnknownFilterType},
		{Filter{"__eq": 1}, "__eq", ErrInvalidFilter},
		{Filter{"a..b__eq": 1}, "a..b__eq", ErrInvalidFilter},
		{Filter{"age__between": []int{1}}, "age__between", ErrInvalidFilter},
		{Filter{"age__between": []int{1, 2, 3}}, "age__between", ErrInvalidFilter},
		{Filter{"age__between": 5}, "age__between", ErrInvalidFilter},
		{Filter{"age__between": []any{1, "x"}}, "age__between", ErrInvalidFilter},
		{Filter{"age__between": []any{true, false}}, "age__between", ErrInvalidFilter},
		{Filter{"age__in": []int{}}, "age__in", ErrInvalidFilter},
		{Filter{"age__in": hundredOne}, "age__in", ErrInvalidFilter},
		{Filter{"age__in": 5}, "age__in", ErrInvalidFilter},
		{Filter{"age__null": "yes"}, "age__null", ErrInvalidFilter},
		{Filter{"age__lt": true}, "age__lt", ErrInvalidFilter},
		{Filter{"age__lt": []int{1}}, "age__lt", ErrInvalidFilter},
		{Filter{"name__beginswith": 5}, "name__beginswith", ErrInvalidFilter},
		{Expr(expression.ConditionBuilder{}), "", ErrInvalidFilter},
		{Expr(expression.Name("").Equal(expression.Value(1))), "", ErrInvalidFilter},
	}
	for _, c := range cases {
		_, _, err := buildCondition([]Condition{c.cnd}, nil, defaultCodec)
		require.Error(t, err, "%v", c.cnd)
		assert.ErrorIs(t, err, c.want, "%v", c.cnd)
		var fe *FilterError
		require.ErrorAs(t, err, &fe, "%v", c.cnd)
		assert.Equal(t, c.key, fe.Key)
	}
	// Values that cannot be stored are *ValueError naming the key.
	_, _, err := buildCondition([]Condition{Filter{"x__eq": make(chan int)}}, nil, defaultCodec)
	var ve *ValueError
	require.ErrorAs(t, err, &ve)
	assert.ErrorIs(t, err, ErrInvalidValue)
	assert.Contains(t, ve.Attribute, "x__eq")
	_, _, err = buildCondition([]Condition{Filter{"x__in": []any{1, StringSet{}}}}, nil, defaultCodec)
	require.ErrorAs(t, err, &ve)
	// 100 values is DynamoDB's limit and fine.
	assert.Contains(t, compileFilter(t, Filter{"x__in": make([]int, 100)}), "x IN (0, 0")
}

var testKeys = []KeyField{HashKey("user"), RangeKey("ts", N)}

func compileKey(t *testing.T, f Filter, keys []KeyField) string {
	t.Helper()
	kc, err := buildKeyCondition(f, keys, "table", defaultCodec)
	require.NoError(t, err)
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	require.NoError(t, err)
	return renderExpr(t, e.KeyCondition(), e.Names(), e.Values())
}

func TestKeyCondition(t *testing.T) {
	t.Parallel()
	cases := []struct {
		f    Filter
		want string
	}{
		{Filter{"user__eq": "bob"}, `user = "bob"`},
		{Filter{"user__eq": "bob", "ts__eq": 5}, `(user = "bob") AND (ts = 5)`},
		{Filter{"user__eq": "bob", "ts__lt": 5}, `(user = "bob") AND (ts < 5)`},
		{Filter{"user__eq": "bob", "ts__lte": Number("5")}, `(user = "bob") AND (ts <= 5)`},
		{Filter{"user__eq": "bob", "ts__gt": 5}, `(user = "bob") AND (ts > 5)`},
		{Filter{"user__eq": "bob", "ts__gte": 5.5}, `(user = "bob") AND (ts >= 5.5)`},
		{Filter{"user__eq": "bob", "ts__between": [2]int{1, 3}}, `(user = "bob") AND (ts BETWEEN 1 AND 3)`},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, compileKey(t, c.f, testKeys))
	}
	skeys := []KeyField{HashKey("user"), RangeKey("name")}
	assert.Equal(t, `(user = "bob") AND (begins_with (name, "A"))`, compileKey(t, Filter{"name__beginswith": "A", "user__eq": "bob"}, skeys))
	// Hash-only schema.
	assert.Equal(t, `user = "x"`, compileKey(t, Filter{"user__eq": "x"}, []KeyField{HashKey("user")}))
}

func TestKeyConditionErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		f    Filter
		key  string
		want error
	}{
		{Filter{"ts__gt": 1}, "user__eq", ErrQuery},
		{Filter{}, "user__eq", ErrQuery},
		{Filter{"user__beginswith": "b"}, "user__beginswith", ErrQuery},
		{Filter{"user__gt": "b", "ts__eq": 1}, "user__gt", ErrQuery},
		{Filter{"user__eq": "b", "ts__gt": 1, "ts__lt": 9}, "ts__lt", ErrQuery},
		{Filter{"user__eq": "b", "age__eq": 1}, "age__eq", ErrInvalidFilter},
		{Filter{"user__eq": "b", "ts__ne": 1}, "ts__ne", ErrUnknownFilterType},
		{Filter{"user__eq": "b", "ts__in": []int{1}}, "ts__in", ErrUnknownFilterType},
		{Filter{"user__eq": "b", "ts__null": true}, "ts__null", ErrUnknownFilterType},
		{Filter{"user__eq": 5}, "user__eq", ErrInvalidFilter},
		{Filter{"user__eq": "b", "ts__eq": "5"}, "ts__eq", ErrInvalidFilter},
		{Filter{"user__eq": "b", "ts__between": []int{1}}, "ts__between", ErrInvalidFilter},
		{Filter{"user__eq": "b", "ts__between": []string{"1", "2"}}, "ts__between", ErrInvalidFilter},
		{Filter{"user__eq": "b", "ts__beginswith": "1"}, "ts__beginswith", ErrInvalidFilter},
	}
	for _, c := range cases {
		_, err := buildKeyCondition(c.f, testKeys, "table", defaultCodec)
		require.Error(t, err, "%v", c.f)
		assert.ErrorIs(t, err, c.want, "%v", c.f)
		var fe *FilterError
		require.ErrorAs(t, err, &fe, "%v", c.f)
		assert.Equal(t, c.key, fe.Key, "%v", c.f)
	}
	_, err := buildKeyCondition(Filter{"user__eq": "b"}, nil, "index x", defaultCodec)
	assert.ErrorIs(t, err, ErrQuery)
}

func FuzzFilter(f *testing.F) {
	f.Add("age__eq", 0, "x", int64(3), 2.5)
	f.Add("name__between", 1, "a", int64(-1), 0.0)
	f.Add("a.b__in", 2, "", int64(0), 1e300)
	f.Add("__null", 3, "\x00", int64(1), -0.0)
	f.Add("tags[2]__contains", 4, "z", int64(9), 3.0)
	f.Add("x__ncontains", 5, "z", int64(9), 3.0)
	f.Add("x__beginswith", 6, "z", int64(9), 3.0)
	f.Add("a..b__gt", 7, "z", int64(9), 3.0)
	f.Fuzz(func(t *testing.T, key string, kind int, s string, n int64, fl float64) {
		var v any
		switch uint(kind) % 9 {
		case 0:
			v = s
		case 1:
			v = []any{s, n}
		case 2:
			v = []int64{n, n + 1}
		case 3:
			v = n%2 == 0
		case 4:
			v = fl
		case 5:
			v = []byte(s)
		case 6:
			v = make([]int, uint64(n)%110)
		case 7:
			v = StringSet{s}
		case 8:
			v = nil
		}
		check := func(err error) {
			if err == nil {
				return
			}
			var fe *FilterError
			var ve *ValueError
			if !errors.As(err, &fe) && !errors.As(err, &ve) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
		}
		var cnd Condition = Filter{key: v}
		switch uint(kind) / 9 % 4 { // the filter alone, or inside each combinator
		case 1:
			cnd = AnyOf(Filter{key: v})
		case 2:
			cnd = Not(cnd)
		case 3:
			cnd = And(Or(cnd, Exists("x")), NotExists("y"))
		}
		cb, ok, err := buildCondition([]Condition{cnd}, nil, defaultCodec)
		check(err)
		if err == nil && ok {
			if _, err := expression.NewBuilder().WithFilter(cb).Build(); err != nil {
				t.Fatalf("compiled filter %q: %v does not build: %v", key, v, err)
			}
		}
		kc, err := buildKeyCondition(Filter{key: v, "user__eq": "u"}, testKeys, "table", defaultCodec)
		check(err)
		if err == nil {
			if _, err := expression.NewBuilder().WithKeyCondition(kc).Build(); err != nil {
				t.Fatalf("compiled key condition %q: %v does not build: %v", key, v, err)
			}
		}
	})
}
