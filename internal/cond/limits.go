package cond

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
)

// DynamoDB's limits on one expression string (a key condition, filter,
// condition, projection or update expression), counted on the text as
// sent, placeholders included.
const (
	MaxExprBytes     = 4096 // bytes of one expression string
	MaxExprOperators = 300  // operators and functions in one expression
)

// ExprCost is what one expression string spends of DynamoDB's limits.
type ExprCost struct {
	Bytes, Ops int
}

// Fits reports whether c is within both limits.
func (c ExprCost) Fits() bool { return c.Bytes <= MaxExprBytes && c.Ops <= MaxExprOperators }

// MeasureExpr measures an expression string built by the expression package.
// Every attribute name and value in such a string is a placeholder (#0, :0),
// so the text holds only syntax and can be tokenized safely. Counted as
// operators, conservatively: comparators (=, <>, <, <=, >, >=), AND, OR, NOT,
// BETWEEN (its AND too), IN, every function (attribute_exists, size,
// if_not_exists, ...), arithmetic + and -, and every action of an update
// expression (a SET action through its "=", each REMOVE, ADD and DELETE
// action).
func MeasureExpr(s string) ExprCost {
	c := ExprCost{Bytes: len(s)}
	depth := 0
	inAction := false // in a REMOVE, ADD or DELETE clause: commas at depth 0 start actions
	isWord := func(b byte) bool {
		return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
	}
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b == '#' || b == ':':
			for i+1 < len(s) && isWord(s[i+1]) {
				i++
			}
		case b == '(':
			depth++
		case b == ')':
			depth--
		case b == ',':
			if depth == 0 && inAction {
				c.Ops++
			}
		case b == '=' || b == '+' || b == '-':
			c.Ops++
		case b == '<' || b == '>':
			c.Ops++
			if i+1 < len(s) && (s[i+1] == '=' || s[i+1] == '>') {
				i++
			}
		case isWord(b):
			j := i
			for j < len(s) && isWord(s[j]) {
				j++
			}
			word := s[i:j]
			k := j
			for k < len(s) && s[k] == ' ' {
				k++
			}
			switch {
			case word == "SET":
				inAction = false
			case word == "REMOVE" || word == "ADD" || word == "DELETE":
				inAction = true
				c.Ops++
			case word == "AND" || word == "OR" || word == "NOT" || word == "BETWEEN" || word == "IN":
				c.Ops++
			case k < len(s) && s[k] == '(':
				c.Ops++ // a function
			}
			i = j - 1
		}
	}
	return c
}

// ExprOverLimit describes how s exceeds DynamoDB's limits, or returns "".
func ExprOverLimit(what string, s *string) string {
	if s == nil {
		return ""
	}
	c := MeasureExpr(*s)
	switch {
	case c.Bytes > MaxExprBytes:
		return fmt.Sprintf("the %s expression is %d bytes, over DynamoDB's limit of %d", what, c.Bytes, MaxExprBytes)
	case c.Ops > MaxExprOperators:
		return fmt.Sprintf("the %s expression has %d operators, over DynamoDB's limit of %d", what, c.Ops, MaxExprOperators)
	}
	return ""
}

// CheckExprLimits checks every expression string of expr against DynamoDB's
// limits (4 KB and 300 operators each), so that what DynamoDB would refuse
// fails before any request: a key condition, filter, condition or
// projection over a limit is a *FilterError wrapping ErrInvalidFilter, an
// update expression a *ValueError.
func CheckExprLimits(expr expression.Expression) error {
	for _, e := range []struct {
		what string
		s    *string
	}{
		{"key condition", expr.KeyCondition()},
		{"filter", expr.Filter()},
		{"condition", expr.Condition()},
		{"projection", expr.Projection()},
	} {
		if reason := ExprOverLimit(e.what, e.s); reason != "" {
			return &FilterError{Reason: reason, Err: ErrInvalidFilter}
		}
	}
	if reason := ExprOverLimit("update", expr.Update()); reason != "" {
		return &ValueError{Reason: reason + " (split the update into several)"}
	}
	return nil
}

// BuildExpr builds b and checks the result against DynamoDB's limits. A
// build failure is a *FilterError wrapping ErrInvalidFilter.
func BuildExpr(b expression.Builder) (expression.Expression, error) {
	expr, err := b.Build()
	if err != nil {
		return expr, &FilterError{Reason: err.Error(), Err: ErrInvalidFilter}
	}
	if err := CheckExprLimits(expr); err != nil {
		return expression.Expression{}, err
	}
	return expr, nil
}
