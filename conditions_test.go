package dynamap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// condString compiles conds as one call does (ANDed), with isKey's names
// literal, and renders the result.
func condString(t *testing.T, isKey func(string) bool, conds ...Condition) string {
	t.Helper()
	cb, ok, err := buildCondition(conds, isKey, defaultCodec)
	require.NoError(t, err)
	require.True(t, ok)
	e, err := expression.NewBuilder().WithCondition(cb).Build()
	require.NoError(t, err)
	return renderExpr(t, e.Condition(), e.Names(), e.Values())
}

// TestConditionCompile checks what each Condition kind compiles to: OR only
// where an Or or AnyOf groups, nested ANDs and ORs flattened.
func TestConditionCompile(t *testing.T) {
	t.Parallel()
	a, b, c := Filter{"a__eq": 1}, Filter{"b__eq": 1}, Filter{"c__eq": 1}
	for _, tc := range []struct {
		conds []Condition
		want  string
	}{
		{[]Condition{AnyOf(Filter{"a__eq": 1, "b__eq": 1}), c}, "((a = 1) OR (b = 1)) AND (c = 1)"},
		{[]Condition{And(Or(a, b), c)}, "((a = 1) OR (b = 1)) AND (c = 1)"},
		{[]Condition{Or(Filter{"a__eq": 1, "b__eq": 1}, c)}, "((a = 1) AND (b = 1)) OR (c = 1)"},
		{[]Condition{Or(AnyOf(Filter{"a__eq": 1, "b__eq": 1}), Or(c, Exists("d")))}, "(a = 1) OR (b = 1) OR (c = 1) OR (attribute_exists (d))"},
		{[]Condition{a, And(b, And(c, nil, Filter{}))}, "(a = 1) AND (b = 1) AND (c = 1)"},
		{[]Condition{Not(AnyOf(Filter{"a__eq": 1, "b__eq": 1}))}, "NOT ((a = 1) OR (b = 1))"},
		{[]Condition{Exists("address.city"), NotExists("tags[0]")}, "(attribute_exists (address.city)) AND (attribute_not_exists (tags[0]))"},
		{[]Condition{IsType("nick", expression.String)}, `attribute_type (nick, "S")`},
		{[]Condition{Size("tags").Eq(1), Size("tags").Ne(2), Size("tags").Lt(3), Size("tags").Lte(4)}, "(size (tags) = 1) AND (size (tags) <> 2) AND (size (tags) < 3) AND (size (tags) <= 4)"},
		{[]Condition{Size("s").Gt(5), Size("s").Gte(6), Size("s").Between(7, 7)}, "(size (s) > 5) AND (size (s) >= 6) AND (size (s) BETWEEN 7 AND 7)"},
		{[]Condition{Expr(expression.Name("n").BeginsWith("x")), Not(Expr(expression.Name("m").Equal(expression.Value(2))))}, `(begins_with (n, "x")) AND (NOT (m = 2))`},
	} {
		assert.Equal(t, tc.want, condString(t, nil, tc.conds...))
	}

	// Paths follow the names rule: a key attribute's name is literal, other
	// dotted names are paths, Name quotes a literal one.
	isKey := func(s string) bool { return s == "user.id" }
	for _, tc := range []struct {
		c     Condition
		names int
	}{
		{Exists("user.id"), 1},
		{Exists("user.name"), 2},
		{NotExists(Name("user.name")), 1},
		{IsType("user.id", expression.String), 1},
		{Size("user.id").Gt(1), 1},
		{Or(Exists("user.id"), Size(Name("a.b")).Gt(1)), 2},
	} {
		cb, _, err := buildCondition([]Condition{tc.c}, isKey, defaultCodec)
		require.NoError(t, err)
		e, err := expression.NewBuilder().WithCondition(cb).Build()
		require.NoError(t, err)
		assert.Len(t, e.Names(), tc.names, "%v", e.Names())
	}
}

// TestConditionEmptyAndErrors: empty conditions are no condition in an
// AND and an error in an OR or NOT; malformed helpers are typed errors.
func TestConditionEmptyAndErrors(t *testing.T) {
	t.Parallel()
	_, ok, err := buildCondition([]Condition{nil, Filter(nil), Filter{}, And(), And(nil, Filter{})}, nil, defaultCodec)
	require.NoError(t, err)
	assert.False(t, ok)

	for _, tc := range []struct {
		c    Condition
		key  string
		want error
	}{
		{Or(), "", ErrInvalidFilter},
		{Or(nil), "", ErrInvalidFilter},
		{Or(Filter{"a__eq": 1}, Filter{}), "", ErrInvalidFilter},
		{Or(Filter{"a__eq": 1}, And()), "", ErrInvalidFilter},
		{AnyOf(nil), "", ErrInvalidFilter},
		{Not(nil), "", ErrInvalidFilter},
		{Not(Filter{}), "", ErrInvalidFilter},
		{Expr(expression.ConditionBuilder{}), "", ErrInvalidFilter},
		{Or(Filter{"a__eq": 1}, Expr(expression.Name("").Equal(expression.Value(1)))), "", ErrInvalidFilter},
		{Exists(""), "", ErrInvalidFilter},
		{NotExists("a..b"), "a..b", ErrInvalidFilter},
		{IsType("x", "Q"), "x", ErrInvalidFilter},
		{Size("x[").Gt(1), "x[", ErrInvalidFilter},
		{Size("x").Between(3, 1), "x", ErrInvalidFilter},
		{And(Filter{"a__eq": 1}, Or(Filter{"b__betwen": 1})), "b__betwen", ErrUnknownFilterType},
		{Not(AnyOf(Filter{"b__in": 5})), "b__in", ErrInvalidFilter},
	} {
		_, _, err := buildCondition([]Condition{tc.c}, nil, defaultCodec)
		require.Error(t, err, "%#v", tc.c)
		assert.ErrorIs(t, err, tc.want, "%#v", tc.c)
		var fe *FilterError
		require.ErrorAs(t, err, &fe, "%#v", tc.c)
		assert.Equal(t, tc.key, fe.Key)
	}
	// A value that cannot be stored is a *ValueError, wherever it sits.
	_, _, err = buildCondition([]Condition{Or(Exists("a"), Not(Filter{"x__eq": make(chan int)}))}, nil, defaultCodec)
	var ve *ValueError
	require.ErrorAs(t, err, &ve)
	assert.Contains(t, ve.Attribute, "x__eq")
}

// TestConditionFrozen: a Filter handed to And, Or, Not, AnyOf or a call is
// copied, its values converted: changing it afterwards changes nothing.
func TestConditionFrozen(t *testing.T) {
	t.Parallel()
	for name, mk := range map[string]func(Filter) Condition{
		"filter": func(f Filter) Condition { return freezeCondition(f) },
		"and":    func(f Filter) Condition { return And(f) },
		"or":     func(f Filter) Condition { return Or(f) },
		"anyof":  func(f Filter) Condition { return AnyOf(f) },
		"not":    func(f Filter) Condition { return Not(Not(f)) },
		"nested": func(f Filter) Condition { return Or(And(Not(Not(f)))) },
	} {
		v := []byte("a")
		in := []any{[]byte("x")}
		f := Filter{"v__eq": v, "w__in": in}
		c := mk(f)
		want := condString(t, nil, c)
		v[0] = 'b'
		in[0] = []byte("y")
		f["z__eq"] = 1
		delete(f, "w__in")
		assert.Equal(t, want, condString(t, nil, c), name)
		assert.Contains(t, want, "v = b61", name)
		assert.Contains(t, want, "w IN (b78)", name)
	}
}

// condFixture is a table h (S), r (N) holding 16 items under h = "x": r's
// bits 0..3 are the attributes a, b, c and d (0 or 1).
func condFixture(t *testing.T) *Table {
	t.Helper()
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("h"), RangeKey("r", N)})
	for r := range 16 {
		require.NoError(t, tbl.PutItem(ctx, map[string]any{"h": "x", "r": r, "a": r & 1, "b": r >> 1 & 1, "c": r >> 2 & 1, "d": r >> 3 & 1}))
	}
	return tbl
}

// condRs returns the r values a ResultSet yields, sorted.
func condRs(t *testing.T, rs *ResultSet) []int {
	t.Helper()
	var out []int
	for it, err := range rs.All(context.Background()) {
		require.NoError(t, err)
		n, err := it.Get("r").(Number).Int64()
		require.NoError(t, err)
		out = append(out, int(n))
	}
	slices.Sort(out)
	return out
}

// condWant returns the r values of condFixture whose bits pass keep.
func condWant(keep func(a, b, c, d bool) bool) []int {
	var out []int
	for r := range 16 {
		if keep(r&1 == 1, r&2 != 0, r&4 != 0, r&8 != 0) {
			out = append(out, r)
		}
	}
	return out
}

// TestConditionOrScope is the regression test of issue 10's typed
// conditions: Scan(Filter{a, b}, MatchAny(), Where(c)) read as a OR b OR c.
// OR now applies only inside Or or AnyOf, and (a OR b) AND c can be said,
// on a Scan and on a Query filter.
func TestConditionOrScope(t *testing.T) {
	t.Parallel()
	tbl := condFixture(t)
	key := Filter{"h__eq": "x"}
	a, b, c := Filter{"a__eq": 1}, Filter{"b__eq": 1}, Filter{"c__eq": 1}
	aOrBAndC := condWant(func(a, b, c, d bool) bool { return (a || b) && c })
	require.Equal(t, []int{5, 6, 7, 13, 14, 15}, aOrBAndC)
	for name, rs := range map[string]*ResultSet{
		"scan AnyOf, Where":   tbl.Scan(nil, Where(AnyOf(Filter{"a__eq": 1, "b__eq": 1})), Where(c), Consistent()),
		"scan filter, Or":     tbl.Scan(c, Where(Or(a, b)), Consistent()),
		"scan And(Or, c)":     tbl.Scan(nil, Where(And(Or(a, b), c)), Consistent()),
		"query AnyOf, Where":  tbl.Query(key, Where(AnyOf(Filter{"a__eq": 1, "b__eq": 1})), Where(c), Consistent()),
		"query And(Or, c)":    tbl.Query(key, Where(And(Or(a, b), c)), Consistent()),
		"query Where, Where":  tbl.Query(key, Where(c), Where(Or(a, b)), Consistent()),
		"scan Not(Not(...))":  tbl.Scan(nil, Where(Not(Not(And(Or(a, b), c)))), Consistent()),
		"query Or in segment": tbl.Query(key, Where(Or(And(a, c), And(b, c))), Consistent()),
	} {
		assert.Equal(t, aOrBAndC, condRs(t, rs), name)
	}
	// Everything one call is given is ANDed.
	assert.Equal(t, condWant(func(a, b, c, d bool) bool { return a && b && c }),
		condRs(t, tbl.Scan(a, Where(b), Where(c), Consistent())))
	// An Or of ANDs, a Not, and a Query count that agrees.
	abOrCd := condWant(func(a, b, c, d bool) bool { return a && b || c && d })
	assert.Equal(t, abOrCd, condRs(t, tbl.Scan(nil, Where(Or(Filter{"a__eq": 1, "b__eq": 1}, Filter{"c__eq": 1, "d__eq": 1})), Consistent())))
	rs := tbl.Query(key, Where(Not(AnyOf(Filter{"a__eq": 1, "d__eq": 1}))), Consistent())
	notAD := condWant(func(a, b, c, d bool) bool { return !a && !d })
	assert.Equal(t, notAD, condRs(t, rs))
	n, err := rs.Count(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, len(notAD), n)
}

// TestConditionHelpers runs Exists, NotExists, IsType, Size, Not and a raw
// builder against DynamoDB Local.
func TestConditionHelpers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("id")})
	for _, it := range []map[string]any{
		{"id": "s", "tags": StringSet{"x", "y"}, "name": "abc", "m": map[string]any{"k": 1}, "nick": "N"},
		{"id": "n", "tags": StringSet{"x"}, "name": "abcdef", "nick": 7},
		{"id": "l", "list": []any{1, "two", 3}},
		{"id": "bin", "data": []byte{1, 2, 3, 4}, "m": map[string]any{}},
		{"id": "none"},
	} {
		require.NoError(t, tbl.PutItem(ctx, it))
	}
	ids := func(c Condition) []string {
		var out []string
		for it, err := range tbl.Scan(nil, Where(c), Consistent()).All(ctx) {
			require.NoError(t, err)
			out = append(out, it.Get("id").(string))
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		c    Condition
		want []string
	}{
		{Exists("tags"), []string{"n", "s"}},
		{NotExists("tags"), []string{"bin", "l", "none"}},
		{Not(Exists("tags")), []string{"bin", "l", "none"}},
		{Exists("m.k"), []string{"s"}},
		{Exists("list[2]"), []string{"l"}},
		{IsType("nick", expression.String), []string{"s"}},
		{IsType("nick", expression.Number), []string{"n"}},
		{IsType("list", expression.List), []string{"l"}},
		{IsType("m", expression.Map), []string{"bin", "s"}},
		{IsType("tags", expression.StringSet), []string{"n", "s"}},
		{Size("tags").Eq(2), []string{"s"}},
		{Size("tags").Lt(2), []string{"n"}},
		{Size("tags").Gte(1), []string{"n", "s"}},
		{Size("name").Gt(3), []string{"n"}},
		{And(Exists("name"), Size("name").Ne(3)), []string{"n"}},
		{Size("name").Lte(3), []string{"s"}},
		{Size("data").Between(4, 4), []string{"bin"}},
		{Size("list").Eq(3), []string{"l"}},
		{Size("m").Eq(0), []string{"bin"}},
		{Expr(expression.Name("name").BeginsWith("abcd")), []string{"n"}},
		{Or(Expr(expression.Name("name").BeginsWith("abcd")), IsType("list", expression.List)), []string{"l", "n"}},
		{And(Exists("name"), Not(Size("name").Gt(3))), []string{"s"}},
	} {
		assert.Equal(t, tc.want, ids(tc.c), "%#v", tc.c)
	}

	// A key attribute's name is literal in a helper's path.
	dotted := testTable(t, testConn(t), []KeyField{HashKey("user.id")})
	require.NoError(t, dotted.PutItem(ctx, map[string]any{"user.id": "u"}))
	require.NoError(t, dotted.PutItem(ctx, map[string]any{"user.id": "u", "v": 1}, Overwrite(), Expected(Exists("user.id"))))
	err := dotted.PutItem(ctx, map[string]any{"user.id": "u", "v": 2}, Overwrite(), Expected(Or(NotExists("user.id"), Size("user.id").Gt(1))))
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)
}

// TestConditionWrites: Or, Not and the helpers inside Expected, If and
// TxCheck; several Expected or If are ANDed.
func TestConditionWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var rc requestCounter
	c := testConn(t, rc.option)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	k := Key{"id": "w"}
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "w", "balance": 10, "status": "open"}))
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "v", "balance": 0}))
	balance := func() int64 {
		it, err := tbl.GetItem(ctx, k, Consistent())
		require.NoError(t, err)
		n, err := it.Get("balance").(Number).Int64()
		require.NoError(t, err)
		return n
	}

	// Expected: two are ANDed, Or ORs.
	deleted, err := tbl.DeleteItem(ctx, k, Expected(Filter{"balance__eq": 0}), Expected(Filter{"status__eq": "open"}))
	require.ErrorIs(t, err, ErrConditionalCheckFailed, "balance = 0 AND status = open fails")
	assert.False(t, deleted)
	err = tbl.PutItem(ctx, map[string]any{"id": "w", "balance": 9, "status": "open"}, Overwrite(),
		Expected(Or(NotExists("id"), Filter{"balance__gte": 100})))
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "w", "balance": 9, "status": "open"}, Overwrite(),
		Expected(Or(NotExists("id"), Filter{"balance__lt": 100}))))
	assert.EqualValues(t, 9, balance())

	// If: Or, Not, AnyOf.
	_, err = tbl.UpdateItem(ctx, k, Add("balance", -1), If(Or(Filter{"balance__eq": 0}, Filter{"status__eq": "closed"})))
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)
	_, err = tbl.UpdateItem(ctx, k, Add("balance", -1), If(Not(Filter{"status__eq": "open"})))
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)
	_, err = tbl.UpdateItem(ctx, k, Add("balance", -1), If(Filter{"balance__gt": 0}), If(Filter{"status__eq": "closed"}))
	assert.ErrorIs(t, err, ErrConditionalCheckFailed, "two If are ANDed")
	_, err = tbl.UpdateItem(ctx, k, Add("balance", -1), If(AnyOf(Filter{"balance__eq": 0, "status__eq": "open"})))
	require.NoError(t, err)
	assert.EqualValues(t, 8, balance())

	// TxCheck with an Or: a failing one cancels, a passing one commits.
	err = TransactWrite(ctx, c,
		tbl.TxCheck(k, Or(Filter{"status__eq": "closed"}, Size("status").Gt(10))),
		tbl.TxPut(map[string]any{"id": "y"}))
	var tce *TransactionCanceledError
	require.ErrorAs(t, err, &tce)
	ok, err := tbl.HasItem(ctx, Key{"id": "y"}, Consistent())
	require.NoError(t, err)
	assert.False(t, ok)
	require.NoError(t, TransactWrite(ctx, c,
		tbl.TxCheck(k, Or(Filter{"status__eq": "closed"}, And(IsType("status", expression.String), Not(Filter{"balance__lt": 8})))),
		tbl.TxDelete(Key{"id": "v"}, Expected(AnyOf(Filter{"balance__eq": 0, "status__eq": "open"}))),
		tbl.TxPut(map[string]any{"id": "y"})))
	ok, err = tbl.HasItem(ctx, Key{"id": "y"}, Consistent())
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = tbl.HasItem(ctx, Key{"id": "v"}, Consistent())
	require.NoError(t, err)
	assert.False(t, ok)

	// Item.Delete with an Or.
	it, err := tbl.GetItem(ctx, Key{"id": "y"}, Consistent())
	require.NoError(t, err)
	require.NoError(t, it.Delete(ctx, Expected(Or(Exists("missing"), NotExists("balance")))))

	// Bad or empty conditions fail before any request.
	before := rc.total()
	for _, op := range []TxOp{tbl.TxCheck(k, nil), tbl.TxCheck(k, Filter{}), tbl.TxCheck(k, Or()), tbl.TxCheck(k, Not(nil))} {
		assert.ErrorIs(t, TransactWrite(ctx, c, op), ErrInvalidFilter)
	}
	_, err = tbl.DeleteItem(ctx, k, Expected(Or(Filter{"a__eq": 1}, Filter{})))
	assert.ErrorIs(t, err, ErrInvalidFilter)
	_, err = tbl.UpdateItem(ctx, k, SetValue("a", 1), If(Size("a").Between(2, 1)))
	assert.ErrorIs(t, err, ErrInvalidFilter)
	err = tbl.PutItem(ctx, map[string]any{"id": "z"}, Expected(Not(Filter{"a__bad": 1})))
	assert.ErrorIs(t, err, ErrUnknownFilterType)
	assert.Equal(t, before, rc.total())
}

// TestConditionLimitsAndKeys: the 4 KB / 300 operator limits and the rule
// that a Query filter may not name a key attribute of what is queried hold
// for every Condition kind, before any request.
func TestConditionLimitsAndKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var rc requestCounter
	c := testConn(t, rc.option)
	tbl := testTable(t, c, []KeyField{HashKey("h"), RangeKey("r", N)})
	key := Filter{"h__eq": "x"}

	many := make([]Condition, 160)
	for i := range many {
		many[i] = Filter{fmt.Sprintf("a%d__eq", i): i}
	}
	long := Filter{} // 30 deep paths: over 4 KB with 59 operators
	for i := range 30 {
		long[fmt.Sprintf("p%d.%sx__null", i, strings.Repeat("x.", 40))] = false
	}
	before := rc.total()
	for name, rs := range map[string]*ResultSet{
		"scan or over 300 operators":  tbl.Scan(nil, Where(Or(many...))),
		"query not over 300":          tbl.Query(key, Where(Not(Or(many...)))),
		"scan anyof over 4 KB":        tbl.Scan(nil, Where(AnyOf(long))),
		"query or names range":        tbl.Query(key, Where(Or(Filter{"v__gt": 1}, Filter{"r__gt": 0}))),
		"query anyof names range":     tbl.Query(key, Where(AnyOf(Filter{"v__gt": 1, "r__null": false}))),
		"query not names range":       tbl.Query(key, Where(Not(Filter{"r__eq": 1}))),
		"query size names range":      tbl.Query(key, Where(Size("r").Gt(0))),
		"query exists names hash":     tbl.Query(key, Where(Or(Exists("v"), Exists("h")))),
		"query type names path in r":  tbl.Query(key, Where(IsType("r.x", expression.Number))),
		"query raw names range":       tbl.Query(key, Where(Expr(expression.Name("r").AttributeExists()))),
		"query raw in not names hash": tbl.Query(key, Where(Not(Expr(expression.Name("h").Equal(expression.Value("y")))))),
	} {
		_, err := rs.Collect(ctx)
		assert.ErrorIs(t, err, ErrInvalidFilter, name)
		var fe *FilterError
		assert.True(t, errors.As(err, &fe), name)
	}
	_, err := tbl.DeleteItem(ctx, Key{"h": "x", "r": 1}, Expected(Or(many...)))
	assert.ErrorIs(t, err, ErrInvalidFilter)
	err = TransactWrite(ctx, c, tbl.TxCheck(Key{"h": "x", "r": 1}, AnyOf(long)))
	assert.ErrorIs(t, err, ErrInvalidFilter)
	assert.Equal(t, 0, rc.count("Query")+rc.count("Scan")+rc.count("DeleteItem")+rc.count("TransactWriteItems"))
	assert.LessOrEqual(t, rc.total()-before, 1, "at most a DescribeTable")
}

// TestConditionTypesDoNotCompile: Where, Expected, If and TxCheck take a
// Condition, so a string, a number or a plain map is a compile error, and
// MatchAny is gone.
func TestConditionTypesDoNotCompile(t *testing.T) {
	fits := []string{
		`t.Scan(dynamap.Filter{"a__eq": 1}, dynamap.Where(dynamap.Or(dynamap.AnyOf(dynamap.Filter{"b__eq": 1}), dynamap.And(dynamap.Exists("a"), dynamap.Not(dynamap.NotExists("b"))), dynamap.Size("c").Between(1, 2), dynamap.IsType("d", "S"))))`,
		`t.DeleteItem(ctx, nil, dynamap.Expected(dynamap.Filter{"a__eq": 1}), dynamap.Expected(dynamap.Size("a").Gt(1)))`,
		`t.UpdateItem(ctx, nil, dynamap.If(dynamap.Or(dynamap.Filter{}, dynamap.NotExists("a"))))`,
		`t.TxCheck(nil, dynamap.Filter{"a__eq": 1})`,
		`var cnd dynamap.Condition = dynamap.Filter{}; t.Query(nil, dynamap.Where(cnd), dynamap.Where(nil))`,
	}
	for _, body := range fits {
		require.Empty(t, typeCheckUser(t, body), "%s should compile", body)
	}
	for body, want := range map[string]string{
		`t.Scan(nil, dynamap.Where("x"))`:                           "does not implement dynamap.Condition",
		`t.Query(nil, dynamap.Where(42))`:                           "does not implement dynamap.Condition",
		`t.DeleteItem(ctx, nil, dynamap.Expected(42))`:              "does not implement dynamap.Condition",
		`t.PutItem(ctx, nil, dynamap.Expected("a = b"))`:            "does not implement dynamap.Condition",
		`t.UpdateItem(ctx, nil, dynamap.If("x"))`:                   "does not implement dynamap.Condition",
		`t.TxCheck(nil, 42)`:                                        "does not implement dynamap.Condition",
		`t.Scan(nil, dynamap.Where(map[string]any{"a__eq": 1}))`:    "does not implement dynamap.Condition",
		`t.Scan(nil, dynamap.Where(dynamap.Or("a", 1)))`:            "does not implement dynamap.Condition",
		`t.Scan(nil, dynamap.MatchAny())`:                           "undefined: dynamap.MatchAny",
		`t.Scan(nil, dynamap.Where(dynamap.Size("a").Gt("three")))`: "cannot use",
	} {
		errs := typeCheckUser(t, body)
		require.NotEmpty(t, errs, "%s should not compile", body)
		require.ErrorContains(t, errs[0], want, body)
	}
}
