package codec

import (
	"bytes"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// NumberText converts a Go integer, float, number text type (dynamap.Number,
// json.Number, ...), *big.Int, *big.Float, *big.Rat or decimal string to
// checked DynamoDB number text (see CheckNumber) with the default codec;
// anything else is a *ValueError.
func NumberText(v any) (string, error) { return Default.NumberText(v) }

// NumberText is the package's NumberText with c's options (a type with a
// MarshalText method, say, is not a number under UseEncodingMarshalers).
func (c *Codec) NumberText(v any) (string, error) {
	if s, ok := v.(string); ok {
		if err := CheckNumber(s); err != nil {
			return "", err
		}
		return s, nil
	}
	av, err := c.Marshal(v)
	if err != nil {
		return "", err
	}
	n, ok := av.(*types.AttributeValueMemberN)
	if !ok {
		return "", &ValueError{Reason: fmt.Sprintf("%T is not a number", v)}
	}
	return n.Value, nil
}

// NumberInt64 returns number text n as an int64; it fails when n is not an
// integer or does not fit.
func NumberInt64(n string) (int64, error) {
	if i, err := strconv.ParseInt(n, 10, 64); err == nil {
		return i, nil
	}
	r, ok := ParseDecimal(n)
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, &ValueError{Reason: fmt.Sprintf("number %s is not an int64", n)}
	}
	return r.Num().Int64(), nil
}

// NumberUint64 returns number text n as a uint64; it fails when n is not a
// non-negative integer that fits.
func NumberUint64(n string) (uint64, error) {
	if i, err := strconv.ParseUint(n, 10, 64); err == nil {
		return i, nil
	}
	r, ok := ParseDecimal(n)
	if !ok || !r.IsInt() || !r.Num().IsUint64() {
		return 0, &ValueError{Reason: fmt.Sprintf("number %s is not a uint64", n)}
	}
	return r.Num().Uint64(), nil
}

// NumberFloat64 returns the float64 nearest to number text n.
func NumberFloat64(n string) (float64, error) {
	f, err := strconv.ParseFloat(n, 64)
	if err != nil {
		return 0, &ValueError{Reason: fmt.Sprintf("number %s is not a float64", n), Err: err}
	}
	return f, nil
}

// NumberRat returns number text n as an exact rational number.
func NumberRat(n string) (*big.Rat, error) {
	r, ok := ParseDecimal(n)
	if !ok {
		return nil, &ValueError{Reason: fmt.Sprintf("%q is not a number", n)}
	}
	return r, nil
}

// NumberEqual reports whether number texts n and m are the same number
// ("42" equals "42.0" and "4.2e1"). Text that is not a number equals only
// the same text.
func NumberEqual(n, m string) bool {
	if n == m {
		return true
	}
	a, ok1 := ParseDecimal(n)
	b, ok2 := ParseDecimal(m)
	return ok1 && ok2 && a.Cmp(b) == 0
}

// NumberAV makes an N of number text s, checked (a *ValueError for text
// DynamoDB refuses, see CheckNumber).
func NumberAV(s string) (types.AttributeValue, error) { return numberAV(s, false) }

// CheckNumber reports, as a *ValueError, number text DynamoDB refuses: text
// that is not a decimal number, more than 38 significant digits, or a
// magnitude outside 1E-130 to 9.9999999999999999999999999999999999999E+125.
// Zero (in any form) is fine.
func CheckNumber(s string) error {
	_, sig, exp, ok := parseNumberText(s)
	switch {
	case !ok:
		return &ValueError{Reason: fmt.Sprintf("%q is not a number", s)}
	case sig == "":
		return nil
	case len(sig) > 38:
		return &ValueError{Reason: fmt.Sprintf("number %s has %d significant digits; DynamoDB keeps at most 38", s, len(sig))}
	case exp > 125:
		return &ValueError{Reason: fmt.Sprintf("number %s is too large for DynamoDB (at most 9.9999999999999999999999999999999999999E+125)", s)}
	case exp < -130:
		return &ValueError{Reason: fmt.Sprintf("number %s is too small for DynamoDB (at least 1E-130 in magnitude, or zero)", s)}
	}
	return nil
}

// NumberKey is a canonical text of number s: numbers equal in value have
// equal keys ("1", "1.0", "+1", "10E-1" all give "1e0").
func NumberKey(s string) string {
	neg, sig, exp, ok := parseNumberText(s)
	switch {
	case !ok:
		return "?" + s
	case sig == "":
		return "0"
	case neg:
		return "-" + sig + "e" + strconv.Itoa(exp)
	}
	return sig + "e" + strconv.Itoa(exp)
}

// parseNumberText parses DynamoDB number text: an optional sign, digits
// with an optional decimal point (".5" and "5." included), an optional
// exponent. sig is the significant digits (no leading or trailing zeros;
// "" for zero) and exp the power of ten of the first of them, so the value
// is ±0.sig × 10^(exp+1).
func parseNumberText(s string) (neg bool, sig string, exp int, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var digits []byte
	point, nd := -1, 0
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if point >= 0 {
				return false, "", 0, false
			}
			point = nd
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		digits = append(digits, c)
		nd++
	}
	if nd == 0 {
		return false, "", 0, false
	}
	if point < 0 {
		point = nd
	}
	e := 0
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return false, "", 0, false
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return false, "", 0, false
		}
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return false, "", 0, false
			}
			if e < 1_000_000 { // far out of range already; stop growing
				e = e*10 + int(c-'0')
			}
		}
		if e > maxExponent {
			// Even for zero: DynamoDB refuses an exponent that overflows
			// its own parser ("0e-99999999999"), and math/big would pay
			// for a huge one. No number DynamoDB keeps needs more.
			return false, "", 0, false
		}
		if eneg {
			e = -e
		}
	}
	lead := 0
	for lead < len(digits) && digits[lead] == '0' {
		lead++
	}
	if lead == len(digits) {
		return neg, "", 0, true
	}
	trail := len(digits)
	for digits[trail-1] == '0' {
		trail--
	}
	return neg, string(digits[lead:trail]), point - lead - 1 + e, true
}

// ParseDecimal parses decimal text (with optional exponent) exactly.
// Exponents beyond maxExponent are refused before math/big sees them: DynamoDB
// numbers lie within 1e-130 and 1e126, and a huge exponent ("1e999999")
// would cost math/big tens of milliseconds and hundreds of kilobytes.
func ParseDecimal(s string) (*big.Rat, bool) {
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

// UnmarshalSet loads a set of kind "SS", "NS" or "BS" (or a list of its
// member kind, or NULL as nil) into out, a pointer to a slice of strings,
// string-kinded numbers or byte slices (*dynamap.StringSet, *NumberSet or
// *BinarySet); binaries are copied.
func UnmarshalSet(av types.AttributeValue, kind string, out any) error {
	var members []types.AttributeValue
	switch x := av.(type) {
	case *types.AttributeValueMemberNULL:
		reflect.ValueOf(out).Elem().SetZero()
		return nil
	case *types.AttributeValueMemberL:
		members = x.Value
	case *types.AttributeValueMemberSS, *types.AttributeValueMemberNS, *types.AttributeValueMemberBS:
		if Kind(av) != kind {
			return &ValueError{Reason: fmt.Sprintf("cannot load %s into %s", Kind(av), reflect.TypeOf(out).Elem())}
		}
		members = setMembers(av)
	default:
		return &ValueError{Reason: fmt.Sprintf("cannot load %s into %s", Kind(av), reflect.TypeOf(out).Elem())}
	}
	want := kind[:1]
	v := reflect.MakeSlice(reflect.TypeOf(out).Elem(), len(members), len(members))
	for i, m := range members {
		if Kind(m) != want {
			return &ValueError{Reason: fmt.Sprintf("cannot load %s member %s into %s", Kind(av), Kind(m), reflect.TypeOf(out).Elem())}
		}
		switch x := m.(type) {
		case *types.AttributeValueMemberS:
			v.Index(i).SetString(x.Value)
		case *types.AttributeValueMemberN:
			v.Index(i).SetString(x.Value)
		case *types.AttributeValueMemberB:
			v.Index(i).SetBytes(bytes.Clone(x.Value))
		}
	}
	reflect.ValueOf(out).Elem().Set(v)
	return nil
}

// Marshal converts a Go value to a DynamoDB attribute value, with the
// one codec (codec.go) every value goes through and c's options: what it
// returns is the library's own (bytes and attribute values are copied) and
// is checked as DynamoDB checks it. A Deferred (Freeze) is encoded as the
// value it holds. The switch is a fast path for common types; it gives
// exactly what encodeValue gives.
func (c *Codec) Marshal(v any) (types.AttributeValue, error) {
	switch x := v.(type) {
	case nil:
		return nullAV(), nil
	case types.AttributeValue:
		return CloneCheck(x)
	case Deferred:
		return c.Marshal(x.v)
	case string:
		return &types.AttributeValueMemberS{Value: x}, nil
	case []byte:
		if x == nil {
			return nullAV(), nil
		}
		return &types.AttributeValueMemberB{Value: bytes.Clone(x)}, nil
	case bool:
		return &types.AttributeValueMemberBOOL{Value: x}, nil
	case int:
		return N(strconv.FormatInt(int64(x), 10)), nil
	case int64:
		return N(strconv.FormatInt(x, 10)), nil
	case int32:
		return N(strconv.FormatInt(int64(x), 10)), nil
	case uint64:
		return N(strconv.FormatUint(x, 10)), nil
	case float32:
		s, err := floatText(float64(x), 32)
		if err != nil {
			return nil, err
		}
		return numberAV(s, false)
	case float64:
		s, err := floatText(x, 64)
		if err != nil {
			return nil, err
		}
		return numberAV(s, false)
	case []any:
		if x == nil {
			return nullAV(), nil
		}
		l := make([]types.AttributeValue, len(x))
		for i, e := range x {
			av, err := c.Marshal(e)
			if err != nil {
				return nil, PrefixAttr(err, strconv.Itoa(i))
			}
			l[i] = av
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case map[string]any:
		if x == nil {
			return nullAV(), nil
		}
		m, err := c.MarshalMap(x)
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return c.encodeValue(reflect.ValueOf(v), fieldTag{})
}

// MarshalMap converts each value of m with Marshal; a failure names its
// attribute (*ValueError with Attribute set).
func (c *Codec) MarshalMap(m map[string]any) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		av, err := c.Marshal(v)
		if err != nil {
			return nil, PrefixAttr(err, k)
		}
		out[k] = av
	}
	return out, nil
}

// PrefixAttr returns err as a *ValueError whose Attribute path starts with
// name (a *ValueError gets a copy with the longer path; any other error is
// wrapped as the cause).
func PrefixAttr(err error, name string) error {
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

// N makes an N attribute value of number text s, unchecked.
func N(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }

func dedupStrings(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// Unmarshal converts an attribute value to the Go value Item.Get
// returns: string, Number, []byte, bool, nil, []any, map[string]any,
// StringSet, NumberSet or BinarySet. Binaries are copies: changing them
// changes nothing the library holds.
func Unmarshal(av types.AttributeValue) any {
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		return x.Value
	case *types.AttributeValueMemberN:
		return pub.makeNumber(x.Value)
	case *types.AttributeValueMemberB:
		return bytes.Clone(nonNil(x.Value))
	case *types.AttributeValueMemberBOOL:
		return x.Value
	case *types.AttributeValueMemberNULL:
		return nil
	case *types.AttributeValueMemberL:
		l := make([]any, len(x.Value))
		for i, e := range x.Value {
			l[i] = Unmarshal(e)
		}
		return l
	case *types.AttributeValueMemberM:
		m := make(map[string]any, len(x.Value))
		for k, e := range x.Value {
			m[k] = Unmarshal(e)
		}
		return m
	case *types.AttributeValueMemberSS:
		return pub.makeStringSet(x.Value)
	case *types.AttributeValueMemberNS:
		return pub.makeNumberSet(x.Value)
	case *types.AttributeValueMemberBS:
		bs := make([][]byte, len(x.Value))
		for i, b := range x.Value {
			bs[i] = bytes.Clone(nonNil(b))
		}
		return pub.makeBinarySet(bs)
	}
	return nil
}

// Kind names the DynamoDB type of av ("S", "N", ...).
func Kind(av types.AttributeValue) string {
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

// Equal compares two attribute values by value: numbers as decimals, sets
// without regard to order.
func Equal(a, b types.AttributeValue) bool {
	switch x := a.(type) {
	case *types.AttributeValueMemberS:
		y, ok := b.(*types.AttributeValueMemberS)
		return ok && x.Value == y.Value
	case *types.AttributeValueMemberN:
		y, ok := b.(*types.AttributeValueMemberN)
		return ok && NumberEqual(x.Value, y.Value)
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
		return ok && slices.EqualFunc(x.Value, y.Value, Equal)
	case *types.AttributeValueMemberM:
		y, ok := b.(*types.AttributeValueMemberM)
		return ok && EqualMap(x.Value, y.Value)
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

// EqualMap compares two items (or M values) attribute by attribute with Equal.
func EqualMap(a, b map[string]types.AttributeValue) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !Equal(v, w) {
			return false
		}
	}
	return true
}

// CanonicalNumber returns text that is equal for numbers equal in value:
// s itself for a plain integer, else the exact rational (big.Rat) text;
// text that is not a number is returned unchanged.
func CanonicalNumber(s string) string {
	if plainInteger(s) {
		return s // already canonical: the common case of integer keys
	}
	if r, ok := ParseDecimal(s); ok {
		return r.RatString()
	}
	return s
}

func equalNumberSets(a, b []string) bool {
	ca := make([]string, len(a))
	for i, s := range a {
		ca[i] = CanonicalNumber(s)
	}
	cb := make([]string, len(b))
	for i, s := range b {
		cb[i] = CanonicalNumber(s)
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
