package dynamap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Number is a DynamoDB number held as its exact decimal text, so nothing
// loses precision on the way in or out (DynamoDB keeps 38 significant digits,
// more than float64 or int64 can). Numbers load from DynamoDB as Number; any
// Go integer or float can be stored and compares equal to the Number it
// loads as (42 == Number("42") == Number("42.0")).
type Number string

// NumberOf converts a Go integer, float, Number, json.Number or decimal
// string to a Number. It fails for NaN, infinities and non-numeric text.
func NumberOf(v any) (Number, error) {
	av, err := marshalValue(v)
	if err != nil {
		return "", err
	}
	if s, ok := v.(string); ok {
		if _, ok := parseDecimal(s); !ok {
			return "", &ValueError{Reason: fmt.Sprintf("%q is not a number", s)}
		}
		return Number(s), nil
	}
	n, ok := av.(*types.AttributeValueMemberN)
	if !ok {
		return "", &ValueError{Reason: fmt.Sprintf("%T is not a number", v)}
	}
	return Number(n.Value), nil
}

// String returns the decimal text.
func (n Number) String() string { return string(n) }

// Int64 returns n as an int64; it fails when n is not an integer or does not
// fit.
func (n Number) Int64() (int64, error) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, nil
	}
	r, ok := parseDecimal(string(n))
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, &ValueError{Reason: fmt.Sprintf("number %s is not an int64", n)}
	}
	return r.Num().Int64(), nil
}

// Uint64 returns n as a uint64; it fails when n is not a non-negative integer
// that fits.
func (n Number) Uint64() (uint64, error) {
	if i, err := strconv.ParseUint(string(n), 10, 64); err == nil {
		return i, nil
	}
	r, ok := parseDecimal(string(n))
	if !ok || !r.IsInt() || !r.Num().IsUint64() {
		return 0, &ValueError{Reason: fmt.Sprintf("number %s is not a uint64", n)}
	}
	return r.Num().Uint64(), nil
}

// Float64 returns the float64 nearest to n.
func (n Number) Float64() (float64, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return 0, &ValueError{Reason: fmt.Sprintf("number %s is not a float64", n), Err: err}
	}
	return f, nil
}

// Rat returns n as an exact rational number.
func (n Number) Rat() (*big.Rat, error) {
	r, ok := parseDecimal(string(n))
	if !ok {
		return nil, &ValueError{Reason: fmt.Sprintf("%q is not a number", string(n))}
	}
	return r, nil
}

// Equal reports whether n and m are the same number ("42" equals "42.0" and
// "4.2e1"). Text that is not a number equals only the same text.
func (n Number) Equal(m Number) bool {
	if n == m {
		return true
	}
	a, ok1 := parseDecimal(string(n))
	b, ok2 := parseDecimal(string(m))
	return ok1 && ok2 && a.Cmp(b) == 0
}

// MarshalDynamoDBAttributeValue stores n as a DynamoDB number, so Number works
// as a struct field with attributevalue.
func (n Number) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	if _, ok := parseDecimal(string(n)); !ok {
		return nil, &ValueError{Reason: fmt.Sprintf("%q is not a number", string(n))}
	}
	return &types.AttributeValueMemberN{Value: string(n)}, nil
}

// UnmarshalDynamoDBAttributeValue loads a DynamoDB number into n.
func (n *Number) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	v, ok := av.(*types.AttributeValueMemberN)
	if !ok {
		return &ValueError{Reason: fmt.Sprintf("cannot load %s into Number", avKind(av))}
	}
	*n = Number(v.Value)
	return nil
}

// parseDecimal parses decimal text (with optional exponent) exactly.
// Exponents beyond maxExponent are refused before math/big sees them: DynamoDB
// numbers lie within 1e-130 and 1e126, and a huge exponent ("1e999999")
// would cost math/big tens of milliseconds and hundreds of kilobytes.
func parseDecimal(s string) (*big.Rat, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "/xXpP_") {
		return nil, false
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, err := strconv.Atoi(s[i+1:])
		if err != nil || exp > maxExponent || exp < -maxExponent {
			return nil, false
		}
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// maxExponent bounds the exponent of decimal text: far beyond what DynamoDB
// accepts (about ±130 once normalised), small enough to parse cheaply.
const maxExponent = 1000

// avEncoder and avDecoder are attributevalue's default encoder and decoder,
// made once: they hold only their options, so sharing them is safe, and
// attributevalue.MarshalMap and UnmarshalMap would make a new one per call.
var (
	avEncoder = attributevalue.NewEncoder()
	avDecoder = attributevalue.NewDecoder()
)

// StringSet is a DynamoDB string set (SS). Order is not significant.
type StringSet []string

// NumberSet is a DynamoDB number set (NS). Order is not significant.
type NumberSet []Number

// BinarySet is a DynamoDB binary set (BS). Order is not significant.
type BinarySet [][]byte

// marshalValue converts a Go value to a DynamoDB attribute value. Numbers are
// written as exact decimal text; sets come from StringSet, NumberSet,
// BinarySet or map[T]struct{}; structs and other composite values go through
// attributevalue (dynamodbav tags apply).
func marshalValue(v any) (types.AttributeValue, error) {
	switch x := v.(type) {
	case nil:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case types.AttributeValue:
		return x, nil
	case string:
		return &types.AttributeValueMemberS{Value: x}, nil
	case Number:
		return x.MarshalDynamoDBAttributeValue()
	case json.Number:
		return Number(x).MarshalDynamoDBAttributeValue()
	case []byte:
		if x == nil {
			return &types.AttributeValueMemberNULL{Value: true}, nil
		}
		return &types.AttributeValueMemberB{Value: x}, nil
	case bool:
		return &types.AttributeValueMemberBOOL{Value: x}, nil
	case int:
		return numAV(strconv.FormatInt(int64(x), 10)), nil
	case int8:
		return numAV(strconv.FormatInt(int64(x), 10)), nil
	case int16:
		return numAV(strconv.FormatInt(int64(x), 10)), nil
	case int32:
		return numAV(strconv.FormatInt(int64(x), 10)), nil
	case int64:
		return numAV(strconv.FormatInt(x, 10)), nil
	case uint:
		return numAV(strconv.FormatUint(uint64(x), 10)), nil
	case uint8:
		return numAV(strconv.FormatUint(uint64(x), 10)), nil
	case uint16:
		return numAV(strconv.FormatUint(uint64(x), 10)), nil
	case uint32:
		return numAV(strconv.FormatUint(uint64(x), 10)), nil
	case uint64:
		return numAV(strconv.FormatUint(x, 10)), nil
	case float32:
		return floatAV(float64(x), 32)
	case float64:
		return floatAV(x, 64)
	case *big.Int:
		return numAV(x.String()), nil
	case StringSet:
		if len(x) == 0 {
			return nil, &ValueError{Reason: "DynamoDB sets cannot be empty"}
		}
		return &types.AttributeValueMemberSS{Value: dedupStrings(x)}, nil
	case NumberSet:
		if len(x) == 0 {
			return nil, &ValueError{Reason: "DynamoDB sets cannot be empty"}
		}
		out := make([]string, len(x))
		for i, n := range x {
			if _, ok := parseDecimal(string(n)); !ok {
				return nil, &ValueError{Reason: fmt.Sprintf("%q is not a number", string(n))}
			}
			out[i] = string(n)
		}
		return &types.AttributeValueMemberNS{Value: dedupStrings(out)}, nil
	case BinarySet:
		if len(x) == 0 {
			return nil, &ValueError{Reason: "DynamoDB sets cannot be empty"}
		}
		return &types.AttributeValueMemberBS{Value: x}, nil
	case []any:
		if x == nil {
			return &types.AttributeValueMemberNULL{Value: true}, nil
		}
		l := make([]types.AttributeValue, len(x))
		for i, e := range x {
			av, err := marshalValue(e)
			if err != nil {
				return nil, prefixAttr(err, strconv.Itoa(i))
			}
			l[i] = av
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case map[string]any:
		if x == nil {
			return &types.AttributeValueMemberNULL{Value: true}, nil
		}
		m, err := marshalMap(x)
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	case Key:
		return marshalValue(map[string]any(x))
	}
	return marshalReflect(v)
}

func marshalReflect(v any) (types.AttributeValue, error) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		return nil, &ValueError{Reason: fmt.Sprintf("%T cannot be stored in DynamoDB", v)}
	case reflect.Map:
		if rv.Type().Elem() == reflect.TypeOf(struct{}{}) {
			return marshalSetMap(rv)
		}
	case reflect.Pointer:
		if rv.IsNil() {
			return &types.AttributeValueMemberNULL{Value: true}, nil
		}
		return marshalValue(rv.Elem().Interface())
	case reflect.Float32, reflect.Float64:
		return floatAV(rv.Float(), 64)
	}
	av, err := avEncoder.Encode(v)
	if err != nil {
		return nil, &ValueError{Reason: fmt.Sprintf("cannot store %T", v), Err: err}
	}
	return av, nil
}

// marshalSetMap turns map[T]struct{} into a set: strings → SS, numbers → NS,
// []byte-like arrays are not map keys so BS comes only from BinarySet.
func marshalSetMap(rv reflect.Value) (types.AttributeValue, error) {
	if rv.Len() == 0 {
		return nil, &ValueError{Reason: "DynamoDB sets cannot be empty"}
	}
	keys := make([]string, 0, rv.Len())
	var numeric bool
	for i, k := range rv.MapKeys() {
		av, err := marshalValue(k.Interface())
		if err != nil {
			return nil, err
		}
		switch a := av.(type) {
		case *types.AttributeValueMemberS:
			if i > 0 && numeric {
				return nil, &ValueError{Reason: "mixed set"}
			}
			keys = append(keys, a.Value)
		case *types.AttributeValueMemberN:
			if i > 0 && !numeric {
				return nil, &ValueError{Reason: "mixed set"}
			}
			numeric = true
			keys = append(keys, a.Value)
		default:
			return nil, &ValueError{Reason: fmt.Sprintf("set element %s is neither string nor number", k.Type())}
		}
	}
	slices.Sort(keys)
	if numeric {
		return &types.AttributeValueMemberNS{Value: keys}, nil
	}
	return &types.AttributeValueMemberSS{Value: keys}, nil
}

func marshalMap(m map[string]any) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		av, err := marshalValue(v)
		if err != nil {
			return nil, prefixAttr(err, k)
		}
		out[k] = av
	}
	return out, nil
}

func prefixAttr(err error, name string) error {
	if ve, ok := err.(*ValueError); ok {
		c := *ve
		if c.Attribute == "" {
			c.Attribute = name
		} else {
			c.Attribute = name + "." + c.Attribute
		}
		return &c
	}
	return &ValueError{Attribute: name, Err: err}
}

func numAV(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }

func floatAV(f float64, bits int) (types.AttributeValue, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, &ValueError{Reason: fmt.Sprintf("%v cannot be stored in DynamoDB", f)}
	}
	return numAV(strconv.FormatFloat(f, 'g', -1, bits)), nil
}

func dedupStrings(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// unmarshalValue converts an attribute value to the Go value Item.Get
// returns: string, Number, []byte, bool, nil, []any, map[string]any,
// StringSet, NumberSet or BinarySet.
func unmarshalValue(av types.AttributeValue) any {
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		return x.Value
	case *types.AttributeValueMemberN:
		return Number(x.Value)
	case *types.AttributeValueMemberB:
		return x.Value
	case *types.AttributeValueMemberBOOL:
		return x.Value
	case *types.AttributeValueMemberNULL:
		return nil
	case *types.AttributeValueMemberL:
		l := make([]any, len(x.Value))
		for i, e := range x.Value {
			l[i] = unmarshalValue(e)
		}
		return l
	case *types.AttributeValueMemberM:
		m := make(map[string]any, len(x.Value))
		for k, e := range x.Value {
			m[k] = unmarshalValue(e)
		}
		return m
	case *types.AttributeValueMemberSS:
		return StringSet(slices.Clone(x.Value))
	case *types.AttributeValueMemberNS:
		ns := make(NumberSet, len(x.Value))
		for i, s := range x.Value {
			ns[i] = Number(s)
		}
		return ns
	case *types.AttributeValueMemberBS:
		return BinarySet(slices.Clone(x.Value))
	}
	return nil
}

// avKind names the DynamoDB type of av ("S", "N", ...).
func avKind(av types.AttributeValue) string {
	switch av.(type) {
	case *types.AttributeValueMemberS:
		return "S"
	case *types.AttributeValueMemberN:
		return "N"
	case *types.AttributeValueMemberB:
		return "B"
	case *types.AttributeValueMemberBOOL:
		return "BOOL"
	case *types.AttributeValueMemberNULL:
		return "NULL"
	case *types.AttributeValueMemberL:
		return "L"
	case *types.AttributeValueMemberM:
		return "M"
	case *types.AttributeValueMemberSS:
		return "SS"
	case *types.AttributeValueMemberNS:
		return "NS"
	case *types.AttributeValueMemberBS:
		return "BS"
	}
	return fmt.Sprintf("%T", av)
}

// equalAV compares two attribute values by value: numbers as decimals, sets
// without regard to order.
func equalAV(a, b types.AttributeValue) bool {
	switch x := a.(type) {
	case *types.AttributeValueMemberS:
		y, ok := b.(*types.AttributeValueMemberS)
		return ok && x.Value == y.Value
	case *types.AttributeValueMemberN:
		y, ok := b.(*types.AttributeValueMemberN)
		return ok && Number(x.Value).Equal(Number(y.Value))
	case *types.AttributeValueMemberB:
		y, ok := b.(*types.AttributeValueMemberB)
		return ok && bytes.Equal(x.Value, y.Value)
	case *types.AttributeValueMemberBOOL:
		y, ok := b.(*types.AttributeValueMemberBOOL)
		return ok && x.Value == y.Value
	case *types.AttributeValueMemberNULL:
		_, ok := b.(*types.AttributeValueMemberNULL)
		return ok
	case *types.AttributeValueMemberL:
		y, ok := b.(*types.AttributeValueMemberL)
		return ok && slices.EqualFunc(x.Value, y.Value, equalAV)
	case *types.AttributeValueMemberM:
		y, ok := b.(*types.AttributeValueMemberM)
		return ok && equalAVMap(x.Value, y.Value)
	case *types.AttributeValueMemberSS:
		y, ok := b.(*types.AttributeValueMemberSS)
		return ok && slices.Equal(dedupStrings(x.Value), dedupStrings(y.Value))
	case *types.AttributeValueMemberNS:
		y, ok := b.(*types.AttributeValueMemberNS)
		return ok && equalNumberSets(x.Value, y.Value)
	case *types.AttributeValueMemberBS:
		y, ok := b.(*types.AttributeValueMemberBS)
		return ok && equalBinarySets(x.Value, y.Value)
	}
	return false
}

func equalAVMap(a, b map[string]types.AttributeValue) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !equalAV(v, w) {
			return false
		}
	}
	return true
}

func canonicalNumber(s string) string {
	if plainInteger(s) {
		return s // already canonical: the common case of integer keys
	}
	if r, ok := parseDecimal(s); ok {
		return r.RatString()
	}
	return s
}

func equalNumberSets(a, b []string) bool {
	ca := make([]string, len(a))
	for i, s := range a {
		ca[i] = canonicalNumber(s)
	}
	cb := make([]string, len(b))
	for i, s := range b {
		cb[i] = canonicalNumber(s)
	}
	return slices.Equal(dedupStrings(ca), dedupStrings(cb))
}

func equalBinarySets(a, b [][]byte) bool {
	sa := make([]string, len(a))
	for i, x := range a {
		sa[i] = string(x)
	}
	sb := make([]string, len(b))
	for i, x := range b {
		sb[i] = string(x)
	}
	return slices.Equal(dedupStrings(sa), dedupStrings(sb))
}

// plainInteger reports whether s is an integer in canonical form: no sign
// but a leading "-", no leading zeros, no "-0".
func plainInteger(s string) bool {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || digits[0] == '0' && (len(digits) > 1 || len(s) > 1) {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}
