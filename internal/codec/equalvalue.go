package codec

import (
	"bytes"
	"reflect"
	"strconv"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// This file compares Go values with stored attribute values without
// encoding them, so that change tracking encodes only what changed.
// equalValue is exactly "encodeValue, then Equal" wherever it answers true,
// and it answers true for every equal value of the common kinds (strings,
// bools, integers, floats, number text, []byte, times, pointers to them,
// lists of them and plain structs of them); for anything else it answers
// false and the caller encodes and compares (DiffStruct does).

// DiffStruct compares v, a struct value, attribute by attribute with item,
// as if v were encoded with EncodeReflect and each attribute of the
// encoding compared with item's by Equal, and calls changed for each
// attribute that differs: with its encoding, or with nil for an attribute
// of item the encoding does not have (a field the codec omits, a field
// behind a nil embedded pointer, or an attribute v's type has no field
// for). Attributes for which skip returns true are neither compared nor
// encoded nor reported. Only the attributes that differ are encoded. ok is
// false, and nothing is called, when v is not a struct the codec encodes
// field by field (a Marshaler, a time, a big number...): the caller then
// encodes v whole. An error is encoding's, naming its attribute.
func (c *Codec) DiffStruct(v reflect.Value, item map[string]types.AttributeValue, skip func(name string) bool, changed func(name string, av types.AttributeValue)) (ok bool, err error) {
	if !c.plainStruct(v) {
		return false, nil
	}
	si := c.structFields(v.Type())
	for _, f := range si.fields {
		if skip(f.name) {
			continue
		}
		old := item[f.name]
		fv, reachable := fieldByIndex(v, f.index)
		if !reachable {
			if old != nil {
				changed(f.name, nil)
			}
			continue
		}
		if c.equalValue(fv, f.tag, old) {
			continue
		}
		av, err := c.encodeValue(fv, f.tag)
		if err != nil {
			return true, PrefixAttr(err, f.name)
		}
		switch {
		case av == nil && old != nil:
			changed(f.name, nil)
		case av != nil && (old == nil || !Equal(old, av)):
			changed(f.name, av)
		}
	}
	for name := range item {
		if _, known := si.byName[name]; !known && !skip(name) {
			changed(name, nil)
		}
	}
	return true, nil
}

// EncodeAttr returns the encoding of attribute name of v, a struct value,
// as EncodeReflect would encode it (nil when the encoding omits it or v's
// type has no such attribute); ok is false when v is not a struct the codec
// encodes field by field (see DiffStruct).
func (c *Codec) EncodeAttr(v reflect.Value, name string) (av types.AttributeValue, ok bool, err error) {
	if !c.plainStruct(v) {
		return nil, false, nil
	}
	f, known := c.structFields(v.Type()).field(name)
	if !known {
		return nil, true, nil
	}
	fv, reachable := fieldByIndex(v, f.index)
	if !reachable {
		return nil, true, nil
	}
	av, err = c.encodeValue(fv, f.tag)
	if err != nil {
		return nil, true, PrefixAttr(err, name)
	}
	return av, true, nil
}

// plainStruct reports whether encodeValue encodes v as an M of its fields
// (encodeConcrete's struct case) with no method or option of its own.
func (c *Codec) plainStruct(v reflect.Value) bool {
	if !v.IsValid() || v.Kind() != reflect.Struct {
		return false
	}
	t := v.Type()
	return !specialType(t) && !isTime(t) && !c.hasMarshaler(t)
}

// hasMarshaler reports whether encoding a value of type t (not a pointer)
// may call a method of it: a Marshaler, or with UseEncodingMarshalers a
// text or binary marshaler.
func (c *Codec) hasMarshaler(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	if t.Implements(marshalerType) || pt.Implements(marshalerType) {
		return true
	}
	return c.opts.UseEncodingMarshalers && (pt.Implements(textMarshaler) || pt.Implements(binMarshaler))
}

// equalValue reports whether encodeValue(v, tg) would succeed and give a
// value Equal to old, or omit the value when old is nil. False means "not
// known to be equal": the caller encodes and compares.
func (c *Codec) equalValue(v reflect.Value, tg fieldTag, old types.AttributeValue) bool {
	if !v.IsValid() || unstorable(v.Type()) {
		return false
	}
	if isEmptyValue(v) {
		if tg.omitEmpty && tg.nullEmpty {
			return false // an error
		}
		if tg.omitEmpty {
			return old == nil
		}
		if tg.nullEmpty || nilable(v.Kind()) && v.IsNil() {
			return isNull(old)
		}
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			if tg.omitEmpty {
				return old == nil
			}
			return isNull(old)
		}
		t := v.Type()
		if t.Implements(avType) || !specialType(t.Elem()) && t.Implements(marshalerType) ||
			c.opts.UseEncodingMarshalers && !ownType(t.Elem()) && (t.Implements(textMarshaler) || t.Implements(binMarshaler)) {
			return false // a method encodes it
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.Interface {
		return false
	}
	if nilable(v.Kind()) && v.IsNil() {
		if tg.omitEmpty {
			return old == nil
		}
		return isNull(old)
	}
	return c.equalConcrete(v, tg, old)
}

// equalConcrete is equalValue for what encodeConcrete encodes.
func (c *Codec) equalConcrete(v reflect.Value, tg fieldTag, old types.AttributeValue) bool {
	t := v.Type()
	if t == numberType && t != nil {
		return equalNumberText(v.String(), tg.asString, old)
	}
	if specialType(t) {
		return false
	}
	if isTime(t) {
		return c.equalTime(v, tg, old)
	}
	if c.hasMarshaler(t) {
		return false
	}
	var buf [64]byte
	switch t.Kind() {
	case reflect.String:
		if isNumberText(t) {
			return equalNumberText(v.String(), tg.asString, old)
		}
		s, ok := old.(*types.AttributeValueMemberS)
		return ok && s.Value == v.String()
	case reflect.Bool:
		b, ok := old.(*types.AttributeValueMemberBOOL)
		return ok && b.Value == v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return equalNumberBytes(strconv.AppendInt(buf[:0], v.Int(), 10), tg.asString, old)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return equalNumberBytes(strconv.AppendUint(buf[:0], v.Uint(), 10), tg.asString, old)
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if f != f || f > maxFloat || f < -maxFloat {
			return false // NaN or infinite: an error
		}
		return equalNumberBytes(strconv.AppendFloat(buf[:0], f, 'g', -1, t.Bits()), tg.asString, old)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			b, ok := old.(*types.AttributeValueMemberB)
			if !ok || t.Kind() == reflect.Array && !v.CanAddr() {
				return false
			}
			return bytes.Equal(b.Value, v.Bytes())
		}
		if tg.asBinSet || tg.asNumSet || tg.asStrSet || t == byteSliceSlice {
			return false // sets: encoded and compared by the caller
		}
		l, ok := old.(*types.AttributeValueMemberL)
		if !ok {
			return false
		}
		et, j := tg.elemTag(), 0
		for i := range v.Len() {
			e := v.Index(i)
			if et.omitEmpty && c.equalValue(e, et, nil) {
				continue // omitted (omitemptyelem)
			}
			if j == len(l.Value) || !c.equalValue(e, et, l.Value[j]) {
				return false
			}
			j++
		}
		return j == len(l.Value)
	case reflect.Struct:
		m, ok := old.(*types.AttributeValueMemberM)
		if !ok {
			return false
		}
		n := 0 // attributes of the encoding
		for _, f := range c.structFields(t).fields {
			fv, reachable := fieldByIndex(v, f.index)
			e := m.Value[f.name]
			if !reachable {
				if e != nil {
					return false
				}
				continue
			}
			if !c.equalValue(fv, f.tag, e) {
				return false
			}
			if e != nil {
				n++
			}
		}
		return n == len(m.Value)
	}
	return false
}

// maxFloat is the largest finite float64.
const maxFloat = 1.7976931348623157e308

// equalTime is equalConcrete for a time (encodeTime).
func (c *Codec) equalTime(v reflect.Value, tg fieldTag, old types.AttributeValue) bool {
	var tm time.Time
	if v.CanAddr() {
		// A type convertible to time.Time has its layout.
		tm = *(*time.Time)(unsafe.Pointer(v.UnsafeAddr()))
	} else {
		tm = v.Convert(timeType).Interface().(time.Time)
	}
	if c.opts.OmitEmptyTime && tg.omitEmpty && tm.IsZero() {
		return old == nil
	}
	var buf [64]byte
	if tg.asUnix {
		return equalNumberBytes(strconv.AppendInt(buf[:0], tm.Unix(), 10), false, old)
	}
	if c.opts.EncodeTime != nil {
		return false
	}
	s, ok := old.(*types.AttributeValueMemberS)
	return ok && string(tm.AppendFormat(buf[:0], time.RFC3339Nano)) == s.Value
}

func isNull(av types.AttributeValue) bool {
	_, ok := av.(*types.AttributeValueMemberNULL)
	return ok
}

// equalNumberBytes is equalNumberText for text the codec formatted itself
// (an integer, or a float's shortest digits): checked as numberAV checks
// it, compared without allocating unless old is in an unusual form.
func equalNumberBytes(b []byte, asString bool, old types.AttributeValue) bool {
	if asString {
		s, ok := old.(*types.AttributeValueMemberS)
		return ok && string(b) == s.Value && numberOK(b)
	}
	n, ok := old.(*types.AttributeValueMemberN)
	if !ok || !numberOK(b) {
		return false
	}
	if string(b) == n.Value {
		return true
	}
	if eq, known := numberTextEqual(b, n.Value); known {
		return eq
	}
	return NumberEqual(string(b), n.Value)
}

// equalNumberText is equalValue for number text s (numberAV).
func equalNumberText(s string, asString bool, old types.AttributeValue) bool {
	if asString {
		o, ok := old.(*types.AttributeValueMemberS)
		return ok && s == o.Value && numberOK(s)
	}
	n, ok := old.(*types.AttributeValueMemberN)
	if !ok || !numberOK(s) {
		return false
	}
	if s == n.Value {
		return true
	}
	if eq, known := numberTextEqual(s, n.Value); known {
		return eq
	}
	return NumberEqual(s, n.Value)
}

// numberOK is CheckNumber(s) == nil, without allocating.
func numberOK[S ~string | ~[]byte](s S) bool {
	d, ok := scanNumber(s, false)
	return ok && (d.nsig == 0 || d.nsig <= 38 && d.exp >= -130 && d.exp <= 125)
}

// decimal is number text scanned: its significant digits are those of
// the text from index first to last (inclusive) less any '.', nsig of
// them; the value is ±0.digits × 10^(exp+1), as parseNumberText has it.
type decimal struct {
	neg         bool
	first, last int
	nsig, exp   int
}

// scanNumber scans number text in parseNumberText's grammar (strict:
// false) or in the narrower one both it and ParseDecimal accept alike
// (strict: true: an optional '-', digits, optionally '.' and digits, and
// optionally e or E, a sign and one to three digits).
func scanNumber[S ~string | ~[]byte](s S, strict bool) (d decimal, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		if strict && s[i] == '+' {
			return d, false
		}
		d.neg = s[i] == '-'
		i++
	}
	point, nd := -1, 0 // nd: digits so far; point: digits before the '.'
	first, last, lead := -1, -1, 0
	for ; i < len(s); i++ {
		ch := s[i]
		if ch == '.' {
			if point >= 0 || strict && nd == 0 {
				return d, false
			}
			point = nd
			continue
		}
		if ch < '0' || ch > '9' {
			break
		}
		if ch != '0' {
			if first < 0 {
				first, lead = i, nd
			}
			last = i
		}
		nd++
	}
	if nd == 0 || strict && point == nd {
		return d, false // no digits; or strict and "5."
	}
	if point < 0 {
		point = nd
	}
	e := 0
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return d, false
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) || strict && len(s)-i > 3 {
			return d, false
		}
		for ; i < len(s); i++ {
			ch := s[i]
			if ch < '0' || ch > '9' {
				return d, false
			}
			if e < 1_000_000 {
				e = e*10 + int(ch-'0')
			}
		}
		if e > maxExponent {
			return d, false
		}
		if eneg {
			e = -e
		}
	}
	if first < 0 {
		return decimal{neg: d.neg}, true // zero
	}
	d.first, d.last = first, last
	for j := first; j <= last; j++ {
		if s[j] != '.' {
			d.nsig++
		}
	}
	d.exp = point - lead - 1 + e
	return d, true
}

// numberTextEqual compares number texts a and b by value without
// allocating; known is false when either is not in scanNumber's strict
// grammar (NumberEqual then decides).
func numberTextEqual[A ~string | ~[]byte](a A, b string) (eq, known bool) {
	x, ok1 := scanNumber(a, true)
	y, ok2 := scanNumber(b, true)
	if !ok1 || !ok2 {
		return false, false
	}
	if x.nsig == 0 || y.nsig == 0 {
		return x.nsig == y.nsig, true // zero, of either sign
	}
	if x.neg != y.neg || x.exp != y.exp || x.nsig != y.nsig {
		return false, true
	}
	i, j := x.first, y.first
	for i <= x.last && j <= y.last {
		if a[i] == '.' {
			i++
			continue
		}
		if b[j] == '.' {
			j++
			continue
		}
		if a[i] != b[j] {
			return false, true
		}
		i, j = i+1, j+1
	}
	return true, true
}
