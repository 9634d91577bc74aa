package dynamap

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/dynamap/dynamap/internal/codec"
)

// Condition is a condition on one item: a Query or Scan filter (Where), or
// the condition of a write (Expected, If, TxCheck). Only this package's
// values implement it:
//
//   - a Filter: its "<attribute>__<op>" conditions, ANDed;
//   - And, Or and Not, which combine conditions, and AnyOf, which ORs the
//     conditions of one Filter;
//   - Exists, NotExists, IsType and Size's comparisons, on one attribute;
//   - Expr, a raw expression.ConditionBuilder for anything else.
//
// Several conditions given to one call (a Scan filter and its Where
// options, several Expected or If) are ANDed; nothing is ORed but inside an
// Or or an AnyOf. A nil Condition, a nil Filter and an empty Filter are
// empty: no condition at all, always true. An empty condition inside And is
// skipped, and one inside Or or Not, or an Or of nothing, is a *FilterError
// (ErrInvalidFilter), since "x OR true" and "NOT true" are not what anyone
// means.
//
// Attribute paths follow the names rule (see Name): "address.city" reaches
// into the map address, a key attribute's exact name is always literal. A
// Condition is compiled, and its errors (*FilterError, or *ValueError for a
// value that cannot be stored) reported, when the call that takes it runs,
// before any request. A Filter is copied, its values converted, when it is
// handed to a call (Where, Expected, If, TxCheck) or to And, Or, Not or
// AnyOf: changing the map, a []byte or a list afterwards changes nothing.
type Condition interface {
	// condition compiles the condition, isKey's names literal; ok is false
	// when it is empty.
	condition(isKey func(string) bool) (c expression.ConditionBuilder, ok bool, err error)
	// freeze returns what a call keeps of the condition: a value that
	// shares nothing mutable with the caller.
	freeze() Condition
}

// freezeCondition returns what a call keeps of a condition it accepts
// (Where, Expected, If, TxCheck, and the operands of And, Or, Not): nil for
// nil, else c.freeze().
func freezeCondition(c Condition) Condition {
	if c == nil {
		return nil
	}
	return c.freeze()
}

// freezeConditions freezes each of conds into a new slice.
func freezeConditions(conds []Condition) []Condition {
	out := make([]Condition, len(conds))
	for i, c := range conds {
		out[i] = freezeCondition(c)
	}
	return out
}

// condition compiles f: its conditions, in key order, ANDed.
func (f Filter) condition(isKey func(string) bool) (expression.ConditionBuilder, bool, error) {
	leaves, err := f.leaves(isKey)
	if err != nil {
		return expression.ConditionBuilder{}, false, err
	}
	return joinConditions(leaves, false)
}

// freeze returns a deep copy of f whose operands are attribute values (see
// freezeFilter).
func (f Filter) freeze() Condition { return freezeFilter(f) }

// leaves compiles each condition of f, in key order.
func (f Filter) leaves(isKey func(string) bool) ([]expression.ConditionBuilder, error) {
	out := make([]expression.ConditionBuilder, 0, len(f))
	for _, k := range slices.Sorted(maps.Keys(f)) {
		cb, err := filterCondition(k, f[k], isKey)
		if err != nil {
			return nil, err
		}
		out = append(out, cb)
	}
	return out, nil
}

// joinConditions ANDs (or ORs) leaves; ok is false when there are none.
func joinConditions(leaves []expression.ConditionBuilder, or bool) (expression.ConditionBuilder, bool, error) {
	switch {
	case len(leaves) == 0:
		return expression.ConditionBuilder{}, false, nil
	case len(leaves) == 1:
		return leaves[0], true, nil
	case or:
		return expression.Or(leaves[0], leaves[1], leaves[2:]...), true, nil
	}
	return expression.And(leaves[0], leaves[1], leaves[2:]...), true, nil
}

// buildCondition compiles the conditions one call was given (a Scan filter
// and its Where options, Expected, If): ANDed, isKey's names literal (a
// table's key attributes, see keyAttrNames). ok is false when there is no
// condition at all. Errors are *FilterError or *ValueError.
func buildCondition(conds []Condition, isKey func(string) bool) (expression.ConditionBuilder, bool, error) {
	return allOf(conds).condition(isKey)
}

// allOf is And's condition: its operands ANDed, empty ones skipped.
type allOf []Condition

// And returns the condition that holds when every one of conds holds. Empty
// operands (nil, an empty Filter) are skipped; And of nothing is empty.
// And(f, g) is the same as passing f and g to one call: Where(f), Where(g).
// The operands are frozen (see Condition) when And is called.
func And(conds ...Condition) Condition { return allOf(freezeConditions(conds)) }

func (a allOf) freeze() Condition { return a }

func (a allOf) condition(isKey func(string) bool) (expression.ConditionBuilder, bool, error) {
	leaves, err := a.leaves(isKey)
	if err != nil {
		return expression.ConditionBuilder{}, false, err
	}
	return joinConditions(leaves, false)
}

// leaves compiles the non-empty operands of a. Nested ANDs (a Filter, And)
// are flattened: "a AND b AND c", not "(a AND b) AND c", whose parentheses
// DynamoDB's 4 KB limit counts too.
func (a allOf) leaves(isKey func(string) bool) ([]expression.ConditionBuilder, error) {
	var out []expression.ConditionBuilder
	for _, c := range a {
		var l []expression.ConditionBuilder
		var err error
		switch x := c.(type) {
		case nil:
			continue
		case Filter:
			l, err = x.leaves(isKey)
		case allOf:
			l, err = x.leaves(isKey)
		default:
			var cb expression.ConditionBuilder
			var ok bool
			cb, ok, err = c.condition(isKey)
			if ok {
				l = []expression.ConditionBuilder{cb}
			}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, l...)
	}
	return out, nil
}

// anyOf is Or's condition: its operands ORed, none of them empty.
type anyOf []Condition

// Or returns the condition that holds when at least one of conds holds:
// Or(Filter{"a__eq": 1, "b__eq": 2}, Filter{"c__eq": 3}) is
// (a = 1 AND b = 2) OR c = 3, and And(Or(f, g), h) is (f OR g) AND h. Or of
// nothing, or with an empty operand (nil, an empty Filter), is a
// *FilterError (ErrInvalidFilter) when compiled. The operands are frozen
// (see Condition) when Or is called.
func Or(conds ...Condition) Condition { return anyOf(freezeConditions(conds)) }

func (o anyOf) freeze() Condition { return o }

func (o anyOf) condition(isKey func(string) bool) (expression.ConditionBuilder, bool, error) {
	leaves, err := o.leaves(isKey)
	if err != nil {
		return expression.ConditionBuilder{}, false, err
	}
	return joinConditions(leaves, true)
}

// leaves compiles the operands of o, none of which may be empty. Nested
// ORs (Or, AnyOf) are flattened.
func (o anyOf) leaves(isKey func(string) bool) ([]expression.ConditionBuilder, error) {
	if len(o) == 0 {
		return nil, &FilterError{Reason: "Or of no condition", Err: ErrInvalidFilter}
	}
	var out []expression.ConditionBuilder
	for i, c := range o {
		var l []expression.ConditionBuilder
		var err error
		switch x := c.(type) {
		case nil:
		case anyFilter:
			l, err = Filter(x).leaves(isKey)
		case anyOf:
			l, err = x.leaves(isKey)
		default:
			var cb expression.ConditionBuilder
			var ok bool
			cb, ok, err = c.condition(isKey)
			if ok {
				l = []expression.ConditionBuilder{cb}
			}
		}
		if err != nil {
			return nil, err
		}
		if len(l) == 0 {
			return nil, emptyOperand("Or", i)
		}
		out = append(out, l...)
	}
	return out, nil
}

// emptyOperand is the error of an empty operand i of Or or Not.
func emptyOperand(what string, i int) error {
	return &FilterError{Reason: fmt.Sprintf("operand %d of %s is empty (nil or an empty Filter: always true)", i+1, what), Err: ErrInvalidFilter}
}

// anyFilter is AnyOf's condition: a Filter whose conditions are ORed.
type anyFilter Filter

// AnyOf returns the condition that holds when at least one condition of f
// holds (boto's conditional_operator="OR"): AnyOf(Filter{"age__lt": 18,
// "age__gt": 65}) is age < 18 OR age > 65. It scopes the OR to f: a Scan's
// filter and its other Where conditions are still ANDed with it. An empty f
// is a *FilterError (ErrInvalidFilter) when compiled. f is frozen (see
// Condition) when AnyOf is called.
func AnyOf(f Filter) Condition { return anyFilter(freezeFilter(f)) }

func (f anyFilter) freeze() Condition { return f }

func (f anyFilter) condition(isKey func(string) bool) (expression.ConditionBuilder, bool, error) {
	if len(f) == 0 {
		return expression.ConditionBuilder{}, false, &FilterError{Reason: "AnyOf of an empty Filter", Err: ErrInvalidFilter}
	}
	return anyOf{f}.condition(isKey)
}

// notCond is Not's condition.
type notCond struct{ c Condition }

// Not returns the condition that holds when c does not. Not of an empty
// condition is a *FilterError (ErrInvalidFilter) when compiled. c is frozen
// (see Condition) when Not is called.
func Not(c Condition) Condition { return notCond{freezeCondition(c)} }

func (n notCond) freeze() Condition { return n }

func (n notCond) condition(isKey func(string) bool) (expression.ConditionBuilder, bool, error) {
	if n.c == nil {
		return expression.ConditionBuilder{}, false, emptyOperand("Not", 0)
	}
	cb, ok, err := n.c.condition(isKey)
	if err != nil {
		return expression.ConditionBuilder{}, false, err
	}
	if !ok {
		return expression.ConditionBuilder{}, false, emptyOperand("Not", 0)
	}
	return expression.Not(cb), true, nil
}

// rawCond is Expr's condition.
type rawCond struct{ b expression.ConditionBuilder }

// Expr returns b as a Condition, for what Filter and the helpers cannot
// say. Names in b follow the SDK's rule (expression.Name splits at dots),
// not Name's. An empty b, or one the SDK cannot build (an empty name, say),
// is a *FilterError (ErrInvalidFilter) when compiled. b is kept as given:
// a value inside it is marshalled when the request is built.
func Expr(b expression.ConditionBuilder) Condition { return rawCond{b} }

func (r rawCond) freeze() Condition { return r }

func (r rawCond) condition(func(string) bool) (expression.ConditionBuilder, bool, error) {
	if !r.b.IsSet() {
		return expression.ConditionBuilder{}, false, &FilterError{Reason: "empty expression.ConditionBuilder", Err: ErrInvalidFilter}
	}
	// A raw builder may hold an invalid name or value; report it now, as a
	// typed error, rather than from the request.
	if _, err := expression.NewBuilder().WithCondition(r.b).Build(); err != nil {
		return expression.ConditionBuilder{}, false, &FilterError{Reason: err.Error(), Err: ErrInvalidFilter}
	}
	return r.b, true, nil
}

// condPath resolves the attribute path of a helper condition (Exists,
// IsType, Size...); a malformed path is a *FilterError naming it.
func condPath(path string, isKey func(string) bool) (expression.NameBuilder, error) {
	p, err := resolvePath(path, isKey)
	if err != nil {
		var ve *ValueError
		if errors.As(err, &ve) {
			return expression.NameBuilder{}, &FilterError{Key: path, Reason: ve.Reason, Err: ErrInvalidFilter}
		}
		return expression.NameBuilder{}, err
	}
	return p.builder(), nil
}

// existsCond is the condition of Exists (absent false) and NotExists
// (absent true).
type existsCond struct {
	path   string
	absent bool
}

// Exists returns the condition that the attribute at path is present
// (attribute_exists; Filter's "<path>__null": false).
func Exists(path string) Condition { return existsCond{path: path} }

// NotExists returns the condition that the attribute at path is absent
// (attribute_not_exists; Filter's "<path>__null": true).
func NotExists(path string) Condition { return existsCond{path: path, absent: true} }

func (e existsCond) freeze() Condition { return e }

func (e existsCond) condition(isKey func(string) bool) (expression.ConditionBuilder, bool, error) {
	name, err := condPath(e.path, isKey)
	if err != nil {
		return expression.ConditionBuilder{}, false, err
	}
	if e.absent {
		return expression.AttributeNotExists(name), true, nil
	}
	return expression.AttributeExists(name), true, nil
}

// typeCond is IsType's condition.
type typeCond struct {
	path string
	t    expression.DynamoDBAttributeType
}

// attrTypes are the attribute types attribute_type takes.
var attrTypes = []expression.DynamoDBAttributeType{
	expression.String, expression.StringSet, expression.Number, expression.NumberSet,
	expression.Binary, expression.BinarySet, expression.Boolean, expression.Null,
	expression.List, expression.Map,
}

// IsType returns the condition that the attribute at path has type t
// (attribute_type): expression.String, StringSet, Number, NumberSet,
// Binary, BinarySet, Boolean, Null, List or Map. Any other t is a
// *FilterError (ErrInvalidFilter) when compiled.
func IsType(path string, t expression.DynamoDBAttributeType) Condition {
	return typeCond{path: path, t: t}
}

func (c typeCond) freeze() Condition { return c }

func (c typeCond) condition(isKey func(string) bool) (expression.ConditionBuilder, bool, error) {
	if !slices.Contains(attrTypes, c.t) {
		return expression.ConditionBuilder{}, false, &FilterError{Key: c.path, Reason: fmt.Sprintf("IsType: %q is not a DynamoDB attribute type (S, SS, N, NS, B, BS, BOOL, NULL, L, M)", string(c.t)), Err: ErrInvalidFilter}
	}
	name, err := condPath(c.path, isKey)
	if err != nil {
		return expression.ConditionBuilder{}, false, err
	}
	return name.AttributeType(c.t), true, nil
}

// SizeOperand is the size of the attribute at a path (see Size); its
// methods compare it with numbers and return the Condition.
type SizeOperand struct{ path string }

// Size returns the size of the attribute at path (DynamoDB's size
// function): the length of a string, the number of bytes of a binary, the
// number of elements of a set or list, or of entries of a map:
// Size("tags").Gt(2), Size("name").Between(1, 64). Add Exists(path) when an
// absent attribute must not match (DynamoDB may count Ne as true for it).
func Size(path string) SizeOperand { return SizeOperand{path: path} }

// Eq returns the condition size = n.
func (s SizeOperand) Eq(n int) Condition { return sizeCond{s.path, opEq, n, 0} }

// Ne returns the condition size <> n.
func (s SizeOperand) Ne(n int) Condition { return sizeCond{s.path, opNe, n, 0} }

// Lt returns the condition size < n.
func (s SizeOperand) Lt(n int) Condition { return sizeCond{s.path, opLt, n, 0} }

// Lte returns the condition size <= n.
func (s SizeOperand) Lte(n int) Condition { return sizeCond{s.path, opLte, n, 0} }

// Gt returns the condition size > n.
func (s SizeOperand) Gt(n int) Condition { return sizeCond{s.path, opGt, n, 0} }

// Gte returns the condition size >= n.
func (s SizeOperand) Gte(n int) Condition { return sizeCond{s.path, opGte, n, 0} }

// Between returns the condition lo <= size <= hi. lo > hi is a
// *FilterError (ErrInvalidFilter) when compiled, as DynamoDB refuses it.
func (s SizeOperand) Between(lo, hi int) Condition { return sizeCond{s.path, opBetween, lo, hi} }

// sizeCond is the condition of a SizeOperand comparison.
type sizeCond struct {
	path  string
	op    string
	n, hi int
}

func (c sizeCond) freeze() Condition { return c }

func (c sizeCond) condition(isKey func(string) bool) (expression.ConditionBuilder, bool, error) {
	name, err := condPath(c.path, isKey)
	if err != nil {
		return expression.ConditionBuilder{}, false, err
	}
	size, n := name.Size(), expression.Value(codec.N(fmt.Sprint(c.n)))
	var cb expression.ConditionBuilder
	switch c.op {
	case opEq:
		cb = size.Equal(n)
	case opNe:
		cb = size.NotEqual(n)
	case opLt:
		cb = size.LessThan(n)
	case opLte:
		cb = size.LessThanEqual(n)
	case opGt:
		cb = size.GreaterThan(n)
	case opGte:
		cb = size.GreaterThanEqual(n)
	default: // between
		if c.n > c.hi {
			return expression.ConditionBuilder{}, false, &FilterError{Key: c.path, Reason: fmt.Sprintf("Size between bounds are reversed: %d is greater than %d (DynamoDB requires lo <= hi)", c.n, c.hi), Err: ErrInvalidFilter}
		}
		cb = size.Between(n, expression.Value(codec.N(fmt.Sprint(c.hi))))
	}
	return cb, true, nil
}
