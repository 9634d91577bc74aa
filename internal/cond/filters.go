package cond

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/codec"
)

// Filter operators.
const (
	OpEq         = "eq"
	OpNe         = "ne"
	OpLt         = "lt"
	OpLte        = "lte"
	OpGt         = "gt"
	OpGte        = "gte"
	OpBeginsWith = "beginswith"
	OpBetween    = "between"
	OpIn         = "in"
	OpContains   = "contains"
	OpNContains  = "ncontains"
	OpNull       = "null"
)

// MaxInValues is DynamoDB's limit on the operands of IN.
const MaxInValues = 100

// KeyOps are the operators of a key condition; FilterOps those of a filter
// or write condition.
var (
	KeyOps    = []string{OpEq, OpLt, OpLte, OpGt, OpGte, OpBeginsWith, OpBetween}
	FilterOps = []string{OpEq, OpNe, OpLt, OpLte, OpGt, OpGte, OpBeginsWith, OpBetween, OpIn, OpContains, OpNContains, OpNull}
)

// SplitFilterKey splits "attr__op" at the last "__" and checks that op is one
// of ops and attr is not empty. The attribute is resolved by the caller
// (FilterCondition as a path, key conditions as a literal key name).
func SplitFilterKey(key string, ops []string) (attr, op string, err error) {
	i := strings.LastIndex(key, "__")
	if i < 0 {
		return "", "", &FilterError{Key: key, Reason: `want "<attribute>__<op>"`, Err: ErrUnknownFilterType}
	}
	attr, op = key[:i], key[i+2:]
	if !slices.Contains(ops, op) {
		return "", "", &FilterError{Key: key, Reason: fmt.Sprintf("operator %q is not one of %s", op, strings.Join(ops, ", ")), Err: ErrUnknownFilterType}
	}
	if attr == "" {
		return "", "", &FilterError{Key: key, Reason: "no attribute name", Err: ErrInvalidFilter}
	}
	return attr, op, nil
}

// frozenErr is a filter operand that could not be converted when its
// filter was frozen: compiling the filter reports err.
type frozenErr struct{ err error }

// FreezeFilter returns a deep copy of f (nil for nil) whose operands are
// owned by the copy (codec.Freeze): an operand every codec encodes alike is
// already an attribute value, any other (a struct, a time, a value with
// MarshalText) a codec.Deferred copy that the table's codec encodes when
// the filter is compiled. The elements of a between or in list become a
// []any of such operands, a null operand is kept as is (a bool), and an
// operand that cannot be converted becomes a frozenErr, reported when the
// filter is compiled, before any request, as it was before. A between or
// in operand that is not a list is kept as is: its type alone is refused.
func FreezeFilter(f map[string]any) map[string]any {
	if f == nil {
		return nil
	}
	out := make(map[string]any, len(f))
	for k, v := range f {
		op := ""
		if i := strings.LastIndex(k, "__"); i >= 0 {
			op = k[i+2:]
		}
		switch op {
		case OpNull:
			out[k] = v
		case OpBetween, OpIn:
			l, ok := listValues(v)
			if !ok {
				out[k] = v
				continue
			}
			vals := make([]any, len(l))
			for i, e := range l {
				vals[i] = freezeOperand(e)
			}
			out[k] = vals
		default:
			out[k] = freezeOperand(v)
		}
	}
	return out
}

// freezeOperand converts one operand to one of its own (codec.Freeze; a
// frozenErr when it cannot be).
func freezeOperand(v any) any {
	if fe, ok := v.(frozenErr); ok { // frozen already
		return fe
	}
	fv, err := codec.Freeze(v)
	if err != nil {
		return frozenErr{err}
	}
	return fv
}

// filterValue marshals one filter operand with cd, the codec of the table
// the filter is used with; failures name the filter key.
func filterValue(key string, v any, cd *codec.Codec) (types.AttributeValue, error) {
	if fe, ok := v.(frozenErr); ok {
		return nil, codec.PrefixAttr(fe.err, key)
	}
	av, err := cd.Marshal(v)
	if err != nil {
		return nil, codec.PrefixAttr(err, key)
	}
	return av, nil
}

// ScalarValue marshals an operand that DynamoDB compares by order: a string,
// number or binary.
func ScalarValue(key string, v any, cd *codec.Codec) (types.AttributeValue, error) {
	av, err := filterValue(key, v, cd)
	if err != nil {
		return nil, err
	}
	switch av.(type) {
	case *types.AttributeValueMemberS, *types.AttributeValueMemberN, *types.AttributeValueMemberB:
		return av, nil
	}
	return nil, &FilterError{Key: key, Reason: fmt.Sprintf("want a string, number or binary value, got %s", codec.Kind(av)), Err: ErrInvalidFilter}
}

// PrefixValue returns the string operand of beginswith.
func PrefixValue(key string, v any, cd *codec.Codec) (string, error) {
	av, err := filterValue(key, v, cd)
	if err != nil {
		return "", err
	}
	s, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		return "", &FilterError{Key: key, Reason: fmt.Sprintf("beginswith wants a string, got %s", codec.Kind(av)), Err: ErrInvalidFilter}
	}
	return s.Value, nil
}

// listValues returns the elements of a slice or array operand (between, in).
// []byte is a binary value, not a list.
func listValues(v any) ([]any, bool) {
	switch x := v.(type) {
	case nil, []byte:
		return nil, false
	case []any:
		return x, true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 || rv.IsNil() {
			return nil, false
		}
	case reflect.Array:
	default:
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// BetweenValues returns the two bounds of a between operand.
func BetweenValues(key string, v any, cd *codec.Codec) (lo, hi types.AttributeValue, err error) {
	l, ok := listValues(v)
	if !ok || len(l) != 2 {
		return nil, nil, &FilterError{Key: key, Reason: fmt.Sprintf("between wants exactly two values, got %T", v), Err: ErrInvalidFilter}
	}
	if lo, err = ScalarValue(key, l[0], cd); err != nil {
		return nil, nil, err
	}
	if hi, err = ScalarValue(key, l[1], cd); err != nil {
		return nil, nil, err
	}
	if codec.Kind(lo) != codec.Kind(hi) {
		return nil, nil, &FilterError{Key: key, Reason: fmt.Sprintf("between bounds have different types (%s, %s)", codec.Kind(lo), codec.Kind(hi)), Err: ErrInvalidFilter}
	}
	if CompareScalars(lo, hi) > 0 {
		return nil, nil, &FilterError{Key: key, Reason: fmt.Sprintf("between bounds are reversed: %s is greater than %s (DynamoDB requires lo <= hi)", ScalarString(lo), ScalarString(hi)), Err: ErrInvalidFilter}
	}
	return lo, hi, nil
}

// CompareScalars orders two values of one scalar type as DynamoDB does:
// numbers as exact decimals, strings by their UTF-8 bytes, binaries by
// their bytes.
func CompareScalars(a, b types.AttributeValue) int {
	switch x := a.(type) {
	case *types.AttributeValueMemberN:
		y := b.(*types.AttributeValueMemberN)
		rx, okx := codec.ParseDecimal(x.Value)
		ry, oky := codec.ParseDecimal(y.Value)
		if !okx || !oky {
			return 0 // unparsable numbers were refused when marshalled
		}
		return rx.Cmp(ry)
	case *types.AttributeValueMemberS:
		return strings.Compare(x.Value, b.(*types.AttributeValueMemberS).Value)
	case *types.AttributeValueMemberB:
		return bytes.Compare(x.Value, b.(*types.AttributeValueMemberB).Value)
	}
	return 0
}

// ScalarString shows a scalar bound in an error message.
func ScalarString(av types.AttributeValue) string {
	switch x := av.(type) {
	case *types.AttributeValueMemberN:
		return x.Value
	case *types.AttributeValueMemberS:
		return strconv.Quote(x.Value)
	case *types.AttributeValueMemberB:
		return fmt.Sprintf("%x", x.Value)
	}
	return codec.Kind(av)
}

// FilterCondition compiles one "attr__op": value pair of a filter or write
// condition. attr is a document path, resolved with isKey's names literal;
// values are encoded with cd, the codec of the table it is used with.
func FilterCondition(key string, v any, isKey func(string) bool, cd *codec.Codec) (expression.ConditionBuilder, error) {
	var none expression.ConditionBuilder
	attr, op, err := SplitFilterKey(key, FilterOps)
	if err != nil {
		return none, err
	}
	p, err := ResolvePath(attr, isKey)
	if err != nil {
		var ve *ValueError
		if errors.As(err, &ve) {
			return none, &FilterError{Key: key, Reason: ve.Reason, Err: ErrInvalidFilter}
		}
		return none, err
	}
	name := p.Builder()
	switch op {
	case OpNull:
		b, ok := v.(bool)
		if !ok {
			return none, &FilterError{Key: key, Reason: fmt.Sprintf("null wants true (absent) or false (present), got %T", v), Err: ErrInvalidFilter}
		}
		if b {
			return expression.AttributeNotExists(name), nil
		}
		return expression.AttributeExists(name), nil
	case OpBeginsWith:
		p, err := PrefixValue(key, v, cd)
		if err != nil {
			return none, err
		}
		return name.BeginsWith(p), nil
	case OpBetween:
		lo, hi, err := BetweenValues(key, v, cd)
		if err != nil {
			return none, err
		}
		return name.Between(expression.Value(lo), expression.Value(hi)), nil
	case OpIn:
		l, ok := listValues(v)
		if !ok || len(l) == 0 || len(l) > MaxInValues {
			return none, &FilterError{Key: key, Reason: fmt.Sprintf("in wants 1 to %d values in a slice or array, got %s", MaxInValues, describeList(v, l, ok)), Err: ErrInvalidFilter}
		}
		ops := make([]expression.OperandBuilder, len(l))
		for i, e := range l {
			av, err := filterValue(key, e, cd)
			if err != nil {
				return none, err
			}
			ops[i] = expression.Value(av)
		}
		return name.In(ops[0], ops[1:]...), nil
	case OpContains, OpNContains:
		av, err := filterValue(key, v, cd)
		if err != nil {
			return none, err
		}
		c := name.Contains(av)
		if op == OpNContains {
			return expression.Not(c), nil
		}
		return c, nil
	case OpEq, OpNe:
		av, err := filterValue(key, v, cd)
		if err != nil {
			return none, err
		}
		if op == OpEq {
			return name.Equal(expression.Value(av)), nil
		}
		return name.NotEqual(expression.Value(av)), nil
	}
	// lt, lte, gt, gte
	av, err := ScalarValue(key, v, cd)
	if err != nil {
		return none, err
	}
	val := expression.Value(av)
	switch op {
	case OpLt:
		return name.LessThan(val), nil
	case OpLte:
		return name.LessThanEqual(val), nil
	case OpGt:
		return name.GreaterThan(val), nil
	default:
		return name.GreaterThanEqual(val), nil
	}
}

func describeList(v any, l []any, ok bool) string {
	if !ok {
		return fmt.Sprintf("%T", v)
	}
	return fmt.Sprintf("%d values", len(l))
}

// KeyAttr is a key attribute of a table or index: its name and its type
// ("S", "N" or "B").
type KeyAttr struct {
	Name, Type string
}

// BuildKeyCondition compiles a Query's key condition against the key schema
// of the table or index queried: hash (required: a zero hash is refused),
// rng (zero when there is none), keyList (its key names, for errors). An eq on the hash key is
// required, at most one condition on the range key, nothing else. what
// names the table or index in errors; cd encodes the values.
func BuildKeyCondition(f map[string]any, hashAttr, rangeAttr KeyAttr, keyList, what string, cd *codec.Codec) (expression.KeyConditionBuilder, error) {
	var none expression.KeyConditionBuilder
	hash, rng := &hashAttr, &rangeAttr
	if rangeAttr.Name == "" {
		rng = nil
	}
	if hashAttr.Name == "" {
		return none, &FilterError{Reason: what + " has no known hash key", Err: ErrQuery}
	}
	var hashCond, rangeCond expression.KeyConditionBuilder
	var rangeKey string
	for _, k := range slices.Sorted(maps.Keys(f)) {
		attr, op, err := SplitFilterKey(k, KeyOps)
		if err != nil {
			return none, err
		}
		var field *KeyAttr
		switch {
		case attr == hash.Name:
			field = hash
		case rng != nil && attr == rng.Name:
			field = rng
		default:
			return none, &FilterError{Key: k, Reason: fmt.Sprintf("%q is not a key attribute of %s (keys: %s)", attr, what, keyList), Err: ErrInvalidFilter}
		}
		if field == hash && op != OpEq {
			return none, &FilterError{Key: k, Reason: fmt.Sprintf("the hash key %q of %s takes only eq", attr, what), Err: ErrQuery}
		}
		if field == rng && rangeCond.IsSet() {
			return none, &FilterError{Key: k, Reason: fmt.Sprintf("a second condition on the range key %q of %s (also %q); use between", attr, what, rangeKey), Err: ErrQuery}
		}
		c, err := keyCondition(k, op, *field, f[k], cd)
		if err != nil {
			return none, err
		}
		if field == hash {
			hashCond = c
		} else {
			rangeCond, rangeKey = c, k
		}
	}
	if !hashCond.IsSet() {
		return none, &FilterError{Key: hash.Name + "__eq", Reason: fmt.Sprintf("a query on %s needs an equality condition on its hash key %q", what, hash.Name), Err: ErrQuery}
	}
	if rangeCond.IsSet() {
		return expression.KeyAnd(hashCond, rangeCond), nil
	}
	return hashCond, nil
}

// keyCondition compiles one key operator on field, checking the operand's
// type against the key's.
func keyCondition(k, op string, field KeyAttr, v any, cd *codec.Codec) (expression.KeyConditionBuilder, error) {
	var none expression.KeyConditionBuilder
	check := func(av types.AttributeValue) error {
		if kind := codec.Kind(av); kind != field.Type {
			return &FilterError{Key: k, Reason: fmt.Sprintf("key %q has type %s, got %s", field.Name, field.Type, kind), Err: ErrInvalidFilter}
		}
		return nil
	}
	key := expression.Key(field.Name)
	switch op {
	case OpBeginsWith:
		if field.Type != "S" {
			return none, &FilterError{Key: k, Reason: fmt.Sprintf("beginswith needs a string key, %q has type %s", field.Name, field.Type), Err: ErrInvalidFilter}
		}
		p, err := PrefixValue(k, v, cd)
		if err != nil {
			return none, err
		}
		return key.BeginsWith(p), nil
	case OpBetween:
		lo, hi, err := BetweenValues(k, v, cd)
		if err != nil {
			return none, err
		}
		if err := check(lo); err != nil {
			return none, err
		}
		return key.Between(expression.Value(lo), expression.Value(hi)), nil
	}
	av, err := ScalarValue(k, v, cd)
	if err != nil {
		return none, err
	}
	if err := check(av); err != nil {
		return none, err
	}
	val := expression.Value(av)
	switch op {
	case OpEq:
		return key.Equal(val), nil
	case OpLt:
		return key.LessThan(val), nil
	case OpLte:
		return key.LessThanEqual(val), nil
	case OpGt:
		return key.GreaterThan(val), nil
	default:
		return key.GreaterThanEqual(val), nil
	}
}
