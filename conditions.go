package dynamap

import (
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/dynamap/dynamap/internal/codec"
	"github.com/dynamap/dynamap/internal/cond"
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
// Values are encoded with the codec of the table the condition is used
// with (see WithCodec): a value every codec encodes alike (a string,
// number, bool, binary, Number, set, or a list or map of those) is
// converted at once; any other (a struct, a time.Time, a value with
// MarshalText or MarshalBinary, or a list or map holding one) is
// deep-copied then (its elements, what its pointers point to, a struct's
// exported fields) and encoded by that table's codec when the call runs.
type Condition interface {
	// node returns the condition as the conditions engine (internal/cond)
	// compiles it.
	node() cond.Node
}

// condition is a Condition made by a constructor (And, Or, Not, AnyOf,
// Expr, Exists, NotExists, IsType, Size's comparisons): its node shares
// nothing mutable with the caller.
type condition struct{ n cond.Node }

func (c condition) node() cond.Node { return c.n }

// node returns f as it is now; freezeCondition copies it first.
func (f Filter) node() cond.Node { return cond.Filter(f) }

// freezeCondition returns what a call keeps of a condition it accepts
// (Where, Expected, If, TxCheck, and the operands of And, Or, Not): nil for
// nil, a Filter copied with its operands converted (cond.FreezeFilter), any
// other condition as is (it is immutable).
func freezeCondition(c Condition) Condition {
	if f, ok := c.(Filter); ok {
		return Filter(cond.FreezeFilter(f))
	}
	return c
}

// node returns the node of c frozen (nil for nil).
func node(c Condition) cond.Node {
	if c == nil {
		return nil
	}
	return freezeCondition(c).node()
}

// nodes returns the frozen nodes of conds.
func nodes(conds []Condition) []cond.Node {
	out := make([]cond.Node, len(conds))
	for i, c := range conds {
		out[i] = node(c)
	}
	return out
}

// buildCondition compiles the conditions one call was given (a Scan filter
// and its Where options, Expected, If): ANDed, isKey's names literal (a
// table's key attributes, see keyAttrNames), values encoded with cd (the
// table's codec). ok is false when there is no condition at all. Errors
// are *FilterError or *ValueError.
func buildCondition(conds []Condition, isKey func(string) bool, cd *codec.Codec) (expression.ConditionBuilder, bool, error) {
	var buf [4]cond.Node
	ns := buf[:0]
	for _, c := range conds {
		if c != nil {
			ns = append(ns, c.node())
		}
	}
	return cond.Build(ns, isKey, cd)
}

// And returns the condition that holds when every one of conds holds. Empty
// operands (nil, an empty Filter) are skipped; And of nothing is empty.
// And(f, g) is the same as passing f and g to one call: Where(f), Where(g).
// The operands are frozen (see Condition) when And is called.
func And(conds ...Condition) Condition { return condition{cond.All(nodes(conds))} }

// Or returns the condition that holds when at least one of conds holds:
// Or(Filter{"a__eq": 1, "b__eq": 2}, Filter{"c__eq": 3}) is
// (a = 1 AND b = 2) OR c = 3, and And(Or(f, g), h) is (f OR g) AND h. Or of
// nothing, or with an empty operand (nil, an empty Filter), is a
// *FilterError (ErrInvalidFilter) when compiled. The operands are frozen
// (see Condition) when Or is called.
func Or(conds ...Condition) Condition { return condition{cond.Any(nodes(conds))} }

// AnyOf returns the condition that holds when at least one condition of f
// holds (boto's conditional_operator="OR"): AnyOf(Filter{"age__lt": 18,
// "age__gt": 65}) is age < 18 OR age > 65. It scopes the OR to f: a Scan's
// filter and its other Where conditions are still ANDed with it. An empty f
// is a *FilterError (ErrInvalidFilter) when compiled. f is frozen (see
// Condition) when AnyOf is called.
func AnyOf(f Filter) Condition { return condition{cond.AnyFilter(cond.FreezeFilter(f))} }

// Not returns the condition that holds when c does not. Not of an empty
// condition is a *FilterError (ErrInvalidFilter) when compiled. c is frozen
// (see Condition) when Not is called.
func Not(c Condition) Condition { return condition{cond.Not{N: node(c)}} }

// Expr returns b as a Condition, for what Filter and the helpers cannot
// say. Names in b follow the SDK's rule (expression.Name splits at dots),
// not Name's. An empty b, or one the SDK cannot build (an empty name, say),
// is a *FilterError (ErrInvalidFilter) when compiled. b is kept as given:
// a value inside it is marshalled when the request is built.
func Expr(b expression.ConditionBuilder) Condition { return condition{cond.Raw{B: b}} }

// Exists returns the condition that the attribute at path is present
// (attribute_exists; Filter's "<path>__null": false).
func Exists(path string) Condition { return condition{cond.Exists{Path: path}} }

// NotExists returns the condition that the attribute at path is absent
// (attribute_not_exists; Filter's "<path>__null": true).
func NotExists(path string) Condition { return condition{cond.Exists{Path: path, Absent: true}} }

// IsType returns the condition that the attribute at path has type t
// (attribute_type): expression.String, StringSet, Number, NumberSet,
// Binary, BinarySet, Boolean, Null, List or Map. Any other t is a
// *FilterError (ErrInvalidFilter) when compiled.
func IsType(path string, t expression.DynamoDBAttributeType) Condition {
	return condition{cond.IsType{Path: path, T: t}}
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
func (s SizeOperand) Eq(n int) Condition { return sizeCond(s.path, cond.OpEq, n, 0) }

// Ne returns the condition size <> n.
func (s SizeOperand) Ne(n int) Condition { return sizeCond(s.path, cond.OpNe, n, 0) }

// Lt returns the condition size < n.
func (s SizeOperand) Lt(n int) Condition { return sizeCond(s.path, cond.OpLt, n, 0) }

// Lte returns the condition size <= n.
func (s SizeOperand) Lte(n int) Condition { return sizeCond(s.path, cond.OpLte, n, 0) }

// Gt returns the condition size > n.
func (s SizeOperand) Gt(n int) Condition { return sizeCond(s.path, cond.OpGt, n, 0) }

// Gte returns the condition size >= n.
func (s SizeOperand) Gte(n int) Condition { return sizeCond(s.path, cond.OpGte, n, 0) }

// Between returns the condition lo <= size <= hi. lo > hi is a
// *FilterError (ErrInvalidFilter) when compiled, as DynamoDB refuses it.
func (s SizeOperand) Between(lo, hi int) Condition { return sizeCond(s.path, cond.OpBetween, lo, hi) }

// sizeCond is the condition of a SizeOperand comparison.
func sizeCond(path, op string, n, hi int) Condition {
	return condition{cond.Size{Path: path, Op: op, N: n, Hi: hi}}
}
