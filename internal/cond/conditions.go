package cond

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/dynamap/dynamap/internal/codec"
)

// A Node is a compiled-on-demand condition: the dynamap package's
// Condition values (Filter, And, Or, Not, AnyOf, Expr, Exists, NotExists,
// IsType, Size's comparisons) each hold one. A nil Node is empty.
type Node interface {
	// Compile compiles the condition, isKey's names literal (see
	// ResolvePath), its values encoded with cd (the codec of the table it
	// is used with); ok is false when it is empty. Errors are *FilterError,
	// or *ValueError for a value that cannot be stored.
	Compile(isKey func(string) bool, cd *codec.Codec) (c expression.ConditionBuilder, ok bool, err error)
}

// Build compiles the conditions one call was given (a Scan filter and its
// Where options, Expected, If): ANDed, isKey's names literal, values
// encoded with cd. ok is false when there is no condition at all.
func Build(nodes []Node, isKey func(string) bool, cd *codec.Codec) (expression.ConditionBuilder, bool, error) {
	return All(nodes).Compile(isKey, cd)
}

// Filter is a Filter's node: its "attr__op" conditions, in key order, ANDed.
type Filter map[string]any

// Compile compiles f: its conditions, in key order, ANDed.
func (f Filter) Compile(isKey func(string) bool, cd *codec.Codec) (expression.ConditionBuilder, bool, error) {
	leaves, err := f.leaves(isKey, cd)
	if err != nil {
		return expression.ConditionBuilder{}, false, err
	}
	return joinConditions(leaves, false)
}

// leaves compiles each condition of f, in key order.
func (f Filter) leaves(isKey func(string) bool, cd *codec.Codec) ([]expression.ConditionBuilder, error) {
	out := make([]expression.ConditionBuilder, 0, len(f))
	for _, k := range slices.Sorted(maps.Keys(f)) {
		cb, err := FilterCondition(k, f[k], isKey, cd)
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

// All is And's node: its operands ANDed, empty ones skipped.
type All []Node

// Compile compiles a's non-empty operands, ANDed; ok is false when there
// are none.
func (a All) Compile(isKey func(string) bool, cd *codec.Codec) (expression.ConditionBuilder, bool, error) {
	leaves, err := a.leaves(isKey, cd)
	if err != nil {
		return expression.ConditionBuilder{}, false, err
	}
	return joinConditions(leaves, false)
}

// leaves compiles the non-empty operands of a. Nested ANDs (a Filter, And)
// are flattened: "a AND b AND c", not "(a AND b) AND c", whose parentheses
// DynamoDB's 4 KB limit counts too.
func (a All) leaves(isKey func(string) bool, cd *codec.Codec) ([]expression.ConditionBuilder, error) {
	var out []expression.ConditionBuilder
	for _, c := range a {
		var l []expression.ConditionBuilder
		var err error
		switch x := c.(type) {
		case nil:
			continue
		case Filter:
			l, err = x.leaves(isKey, cd)
		case All:
			l, err = x.leaves(isKey, cd)
		default:
			var cb expression.ConditionBuilder
			var ok bool
			cb, ok, err = c.Compile(isKey, cd)
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

// Any is Or's node: its operands ORed, none of them empty.
type Any []Node

// Compile compiles o's operands, ORed. Or of nothing, or with an empty
// operand, is a *FilterError (ErrInvalidFilter).
func (o Any) Compile(isKey func(string) bool, cd *codec.Codec) (expression.ConditionBuilder, bool, error) {
	leaves, err := o.leaves(isKey, cd)
	if err != nil {
		return expression.ConditionBuilder{}, false, err
	}
	return joinConditions(leaves, true)
}

// leaves compiles the operands of o, none of which may be empty. Nested
// ORs (Or, AnyOf) are flattened.
func (o Any) leaves(isKey func(string) bool, cd *codec.Codec) ([]expression.ConditionBuilder, error) {
	if len(o) == 0 {
		return nil, &FilterError{Reason: "Or of no condition", Err: ErrInvalidFilter}
	}
	var out []expression.ConditionBuilder
	for i, c := range o {
		var l []expression.ConditionBuilder
		var err error
		switch x := c.(type) {
		case nil:
		case AnyFilter:
			l, err = Filter(x).leaves(isKey, cd)
		case Any:
			l, err = x.leaves(isKey, cd)
		default:
			var cb expression.ConditionBuilder
			var ok bool
			cb, ok, err = c.Compile(isKey, cd)
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

// AnyFilter is AnyOf's node: a Filter whose conditions are ORed.
type AnyFilter map[string]any

// Compile compiles f's conditions, ORed; an empty f is a *FilterError
// (ErrInvalidFilter).
func (f AnyFilter) Compile(isKey func(string) bool, cd *codec.Codec) (expression.ConditionBuilder, bool, error) {
	if len(f) == 0 {
		return expression.ConditionBuilder{}, false, &FilterError{Reason: "AnyOf of an empty Filter", Err: ErrInvalidFilter}
	}
	return Any{f}.Compile(isKey, cd)
}

// Not is Not's node.
type Not struct{ N Node }

// Compile compiles NOT n.N; an empty n.N is a *FilterError
// (ErrInvalidFilter).
func (n Not) Compile(isKey func(string) bool, cd *codec.Codec) (expression.ConditionBuilder, bool, error) {
	if n.N == nil {
		return expression.ConditionBuilder{}, false, emptyOperand("Not", 0)
	}
	cb, ok, err := n.N.Compile(isKey, cd)
	if err != nil {
		return expression.ConditionBuilder{}, false, err
	}
	if !ok {
		return expression.ConditionBuilder{}, false, emptyOperand("Not", 0)
	}
	return expression.Not(cb), true, nil
}

// Raw is Expr's node: a raw condition builder.
type Raw struct{ B expression.ConditionBuilder }

// Compile checks that r.B is set and builds; either failure is a
// *FilterError (ErrInvalidFilter).
func (r Raw) Compile(func(string) bool, *codec.Codec) (expression.ConditionBuilder, bool, error) {
	if !r.B.IsSet() {
		return expression.ConditionBuilder{}, false, &FilterError{Reason: "empty expression.ConditionBuilder", Err: ErrInvalidFilter}
	}
	// A raw builder may hold an invalid name or value; report it now, as a
	// typed error, rather than from the request.
	if _, err := expression.NewBuilder().WithCondition(r.B).Build(); err != nil {
		return expression.ConditionBuilder{}, false, &FilterError{Reason: err.Error(), Err: ErrInvalidFilter}
	}
	return r.B, true, nil
}

// condPath resolves the attribute path of a helper condition (Exists,
// IsType, Size...); a malformed path is a *FilterError naming it.
func condPath(path string, isKey func(string) bool) (expression.NameBuilder, error) {
	p, err := ResolvePath(path, isKey)
	if err != nil {
		var ve *ValueError
		if errors.As(err, &ve) {
			return expression.NameBuilder{}, &FilterError{Key: path, Reason: ve.Reason, Err: ErrInvalidFilter}
		}
		return expression.NameBuilder{}, err
	}
	return p.Builder(), nil
}

// Exists is the node of Exists (Absent false) and NotExists (Absent true).
type Exists struct {
	Path   string
	Absent bool
}

// Compile compiles attribute_exists or attribute_not_exists of e.Path.
func (e Exists) Compile(isKey func(string) bool, cd *codec.Codec) (expression.ConditionBuilder, bool, error) {
	name, err := condPath(e.Path, isKey)
	if err != nil {
		return expression.ConditionBuilder{}, false, err
	}
	if e.Absent {
		return expression.AttributeNotExists(name), true, nil
	}
	return expression.AttributeExists(name), true, nil
}

// IsType is IsType's node.
type IsType struct {
	Path string
	T    expression.DynamoDBAttributeType
}

// attrTypes are the attribute types attribute_type takes.
var attrTypes = []expression.DynamoDBAttributeType{
	expression.String, expression.StringSet, expression.Number, expression.NumberSet,
	expression.Binary, expression.BinarySet, expression.Boolean, expression.Null,
	expression.List, expression.Map,
}

// Compile compiles attribute_type(c.Path, c.T); a T that is not a DynamoDB
// attribute type is a *FilterError (ErrInvalidFilter).
func (c IsType) Compile(isKey func(string) bool, cd *codec.Codec) (expression.ConditionBuilder, bool, error) {
	if !slices.Contains(attrTypes, c.T) {
		return expression.ConditionBuilder{}, false, &FilterError{Key: c.Path, Reason: fmt.Sprintf("IsType: %q is not a DynamoDB attribute type (S, SS, N, NS, B, BS, BOOL, NULL, L, M)", string(c.T)), Err: ErrInvalidFilter}
	}
	name, err := condPath(c.Path, isKey)
	if err != nil {
		return expression.ConditionBuilder{}, false, err
	}
	return name.AttributeType(c.T), true, nil
}

// Size is the node of a comparison of the size of the attribute at Path:
// Op is one of OpEq, OpNe, OpLt, OpLte, OpGt, OpGte and OpBetween (N to Hi).
type Size struct {
	Path  string
	Op    string
	N, Hi int
}

// Compile compiles size(c.Path) compared with c.N (and c.Hi); reversed
// between bounds are a *FilterError (ErrInvalidFilter).
func (c Size) Compile(isKey func(string) bool, cd *codec.Codec) (expression.ConditionBuilder, bool, error) {
	name, err := condPath(c.Path, isKey)
	if err != nil {
		return expression.ConditionBuilder{}, false, err
	}
	size, n := name.Size(), expression.Value(codec.N(fmt.Sprint(c.N)))
	var cb expression.ConditionBuilder
	switch c.Op {
	case OpEq:
		cb = size.Equal(n)
	case OpNe:
		cb = size.NotEqual(n)
	case OpLt:
		cb = size.LessThan(n)
	case OpLte:
		cb = size.LessThanEqual(n)
	case OpGt:
		cb = size.GreaterThan(n)
	case OpGte:
		cb = size.GreaterThanEqual(n)
	default: // between
		if c.N > c.Hi {
			return expression.ConditionBuilder{}, false, &FilterError{Key: c.Path, Reason: fmt.Sprintf("Size between bounds are reversed: %d is greater than %d (DynamoDB requires lo <= hi)", c.N, c.Hi), Err: ErrInvalidFilter}
		}
		cb = size.Between(n, expression.Value(codec.N(fmt.Sprint(c.Hi))))
	}
	return cb, true, nil
}
