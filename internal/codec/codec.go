package codec

import (
	"bytes"
	"encoding"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// This file is dynamap's one codec: every Go value (a map value, an
// Item.Set argument, a struct field, an element nested in any of them) is
// encoded by Codec.encodeValue, and every struct, map or slice is decoded by
// Codec.decodeValue, with the Codec's Options (options.go). Both follow
// attributevalue's rules for dynamodbav tags (and the Options.TagKey tag)
// (name, "-", omitempty, omitemptyelem, nullempty, nullemptyelem, string,
// stringset, numberset, binaryset, unixtime, embedded structs), for
// attributevalue.Marshaler and Unmarshaler, and for time.Time (an RFC 3339
// string, or Unix seconds with unixtime), and differ where attributevalue
// stores something other than the value or something DynamoDB refuses:
//
//   - dynamap's StringSet, NumberSet, BinarySet (see Types) and
//     map[T]struct{} are sets (SS, NS,
//     BS) wherever they appear, and load back from SS, NS and BS (and from
//     L, as older versions stored struct fields);
//   - numbers are checked as DynamoDB checks them (38 significant digits,
//     magnitude 1E-130 to 9.99…E+125, zero allowed), floats keep their own
//     precision (a float32 is written with float32 digits), and *big.Int,
//     big.Int, *big.Float and *big.Rat are stored exactly or refused;
//   - sets with duplicate members (after normalisation: "1" and "1.0" are one
//     number) are refused, and a non-nil empty StringSet, NumberSet,
//     BinarySet or map[T]struct{} is refused (a nil one is NULL);
//   - channels, functions, complex numbers and unsafe pointers are refused,
//     also as struct fields, instead of being stored as nothing;
//   - every []byte, binary set member and attribute value handed in is
//     copied, and every one handed out is a copy;
//   - a number loads into an interface (any) as Number, a set as StringSet,
//     NumberSet or BinarySet, exactly as Item.Get returns them.
//
// Errors are *ValueError (errors.Is ErrInvalidValue).

var (
	timeType        = reflect.TypeFor[time.Time]()
	bigIntType      = reflect.TypeFor[big.Int]()
	bigFloatType    = reflect.TypeFor[big.Float]()
	bigRatType      = reflect.TypeFor[big.Rat]()
	byteSliceSlice  = reflect.TypeFor[[][]byte]()
	marshalerType   = reflect.TypeFor[attributevalue.Marshaler]()
	unmarshalerType = reflect.TypeFor[attributevalue.Unmarshaler]()
	avType          = reflect.TypeFor[types.AttributeValue]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	textMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
	binMarshaler    = reflect.TypeFor[encoding.BinaryMarshaler]()
	binUnmarshaler  = reflect.TypeFor[encoding.BinaryUnmarshaler]()
)

// fieldTag is a parsed dynamodbav struct tag.
type fieldTag struct {
	name                                 string
	ignore                               bool
	omitEmpty, omitEmptyElem             bool
	nullEmpty, nullEmptyElem             bool
	asString                             bool
	asBinSet, asNumSet, asStrSet, asUnix bool
}

// fieldTag reads the struct tag of one field: dynamodbav, then the codec's
// TagKey over it (see Options.TagKey).
func (c *Codec) fieldTag(st reflect.StructTag) fieldTag {
	var tg fieldTag
	tg.parse(st.Get(DefaultTagKey))
	if c.opts.TagKey != "" {
		tg.parse(st.Get(c.opts.TagKey))
	}
	return tg
}

// parse reads one tag's text into tg, as attributevalue does: a non-empty
// text sets the name (or ignore, for "-") and adds its options.
func (tg *fieldTag) parse(s string) {
	if s == "" {
		return
	}
	parts := strings.Split(s, ",")
	tg.name, tg.ignore = parts[0], parts[0] == "-"
	if tg.ignore {
		tg.name = ""
	}
	for _, opt := range parts[1:] {
		switch opt {
		case "omitempty":
			tg.omitEmpty = true
		case "omitemptyelem":
			tg.omitEmptyElem = true
		case "nullempty":
			tg.nullEmpty = true
		case "nullemptyelem":
			tg.nullEmptyElem = true
		case "string":
			tg.asString = true
		case "binaryset":
			tg.asBinSet = true
		case "numberset":
			tg.asNumSet = true
		case "stringset":
			tg.asStrSet = true
		case "unixtime":
			tg.asUnix = true
		}
	}
}

// elemTag is the tag applied to the elements of a list, map or set.
func (tg fieldTag) elemTag() fieldTag {
	return fieldTag{omitEmpty: tg.omitEmptyElem, omitEmptyElem: tg.omitEmptyElem, nullEmpty: tg.nullEmptyElem}
}

// codecField is one attribute of a struct type.
type codecField struct {
	name    string
	fromTag bool
	index   []int
	tag     fieldTag
}

// structInfo is a struct type's attributes, in field order, and by name.
type structInfo struct {
	fields []codecField
	byName map[string]int
}

func (si *structInfo) field(name string) (codecField, bool) {
	if i, ok := si.byName[name]; ok {
		return si.fields[i], true
	}
	for _, f := range si.fields {
		if strings.EqualFold(f.name, name) {
			return f, true
		}
	}
	return codecField{}, false
}

// structFields returns the attributes of struct type t: its exported fields
// and those promoted from embedded structs, by encoding/json's (and
// attributevalue's) visibility rules: the shallowest name wins, a tagged one
// among equals, and equals otherwise cancel out.
func (c *Codec) structFields(t reflect.Type) *structInfo {
	if si, ok := c.structs.Load(t); ok {
		return si.(*structInfo)
	}
	type level struct {
		typ   reflect.Type
		index []int
	}
	var fields []codecField
	next := []level{{typ: t}}
	visited := map[reflect.Type]bool{}
	for len(next) > 0 {
		current := next
		next = nil
		count := map[reflect.Type]int{}
		for _, l := range current {
			count[l.typ]++
		}
		nextCount := map[reflect.Type]int{}
		for _, l := range current {
			if visited[l.typ] {
				continue
			}
			visited[l.typ] = true
			for i := range l.typ.NumField() {
				sf := l.typ.Field(i)
				if !sf.IsExported() && !sf.Anonymous {
					continue
				}
				tg := c.fieldTag(sf.Tag)
				if tg.ignore {
					continue
				}
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				index := append(slices.Clone(l.index), i)
				if !sf.Anonymous || tg.name != "" || ft.Kind() != reflect.Struct || ft.ConvertibleTo(timeType) {
					if !sf.IsExported() {
						continue // an unexported embedded non-struct
					}
					f := codecField{name: sf.Name, index: index, tag: tg}
					if tg.name != "" {
						f.name, f.fromTag = tg.name, true
					}
					fields = append(fields, f)
					if count[l.typ] > 1 {
						// Two embeddings of one type at one depth: the
						// duplicate annihilates the field below.
						fields = append(fields, f)
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, level{typ: ft, index: index})
				}
			}
		}
	}
	sort.SliceStable(fields, func(i, j int) bool {
		a, b := fields[i], fields[j]
		if a.name != b.name {
			return a.name < b.name
		}
		if len(a.index) != len(b.index) {
			return len(a.index) < len(b.index)
		}
		return a.fromTag && !b.fromTag
	})
	var out []codecField
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		if f, ok := dominantField(fields[i:j]); ok {
			out = append(out, f)
		}
		i = j
	}
	sort.Slice(out, func(i, j int) bool { return slices.Compare(out[i].index, out[j].index) < 0 })
	si := &structInfo{fields: out, byName: make(map[string]int, len(out))}
	for i, f := range out {
		si.byName[f.name] = i
	}
	actual, _ := c.structs.LoadOrStore(t, si)
	return actual.(*structInfo)
}

func dominantField(fields []codecField) (codecField, bool) {
	depth := len(fields[0].index)
	tagged := -1
	for i, f := range fields {
		if len(f.index) > depth {
			fields = fields[:i]
			break
		}
		if f.fromTag {
			if tagged >= 0 {
				return codecField{}, false
			}
			tagged = i
		}
	}
	if tagged >= 0 {
		return fields[tagged], true
	}
	if len(fields) > 1 {
		return codecField{}, false
	}
	return fields[0], true
}

// ---- encoding ----

// isEmptyValue is attributevalue's notion of an empty value (for omitempty
// and nullempty), plus: an empty set is empty.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Invalid:
		return true
	case reflect.Array, reflect.String:
		return v.Len() == 0
	case reflect.Map, reflect.Slice:
		if v.IsNil() {
			return true
		}
		return v.Len() == 0 && isSetType(v.Type())
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

func isSetType(t reflect.Type) bool {
	return t == stringSetType || t == numberSetType || t == binarySetType || isSetMap(t)
}

// isSetMap reports whether t is map[T]struct{}.
func isSetMap(t reflect.Type) bool {
	return t.Kind() == reflect.Map && t.Elem().Kind() == reflect.Struct && t.Elem().NumField() == 0
}

// encodeValue converts v to an attribute value under the field tag tg. A nil
// result with a nil error means "omit" (omitempty).
func (c *Codec) encodeValue(v reflect.Value, tg fieldTag) (types.AttributeValue, error) {
	if v.IsValid() && unstorable(v.Type()) {
		// Refused by type, nil or not: a nil channel is no more a NULL than
		// a live one is a value.
		return nil, &ValueError{Reason: fmt.Sprintf("%s cannot be stored in DynamoDB", v.Type())}
	}
	if isEmptyValue(v) {
		if tg.omitEmpty && tg.nullEmpty {
			return nil, &ValueError{Reason: "the tags omitempty and nullempty exclude each other"}
		}
		if tg.omitEmpty {
			return nil, nil
		}
		if tg.nullEmpty || !v.IsValid() || nilable(v.Kind()) && v.IsNil() {
			return nullAV(), nil
		}
	}
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			if tg.omitEmpty {
				return nil, nil
			}
			return nullAV(), nil
		}
		if v.Type().Implements(avType) && v.CanInterface() {
			return CloneCheck(v.Interface().(types.AttributeValue))
		}
		if v.Kind() == reflect.Pointer && !specialType(v.Type().Elem()) && v.Type().Implements(marshalerType) && v.CanInterface() {
			return c.callMarshaler(v.Interface().(attributevalue.Marshaler), tg)
		}
		if v.Kind() == reflect.Pointer && !ownType(v.Type().Elem()) {
			if av, ok, err := c.encodingMarshaler(v); ok {
				return av, err
			}
		}
		v = v.Elem()
		if unstorable(v.Type()) {
			return nil, &ValueError{Reason: fmt.Sprintf("%s cannot be stored in DynamoDB", v.Type())}
		}
	}
	if nilable(v.Kind()) && v.IsNil() { // a nil slice or map inside an interface
		if tg.omitEmpty {
			return nil, nil
		}
		return nullAV(), nil
	}
	return c.encodeConcrete(v, tg)
}

// unstorable reports whether no value of t (or of what t points to) can be
// stored: channels, functions, complex numbers and unsafe pointers.
func unstorable(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		return true
	}
	return false
}

func nilable(k reflect.Kind) bool {
	switch k {
	case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func:
		return true
	}
	return false
}

// specialType reports whether the codec encodes t itself, whatever methods
// it has.
func specialType(t reflect.Type) bool {
	switch t {
	case numberType, stringSetType, numberSetType, binarySetType, bigIntType, bigFloatType, bigRatType:
		return true
	}
	return false
}

// ownType reports whether the codec encodes and decodes t itself, whatever
// methods it has: dynamap's number and set types, big numbers and times.
func ownType(t reflect.Type) bool { return specialType(t) || isTime(t) }

// isTime reports whether t is time.Time or a struct type convertible to it.
func isTime(t reflect.Type) bool { return t.Kind() == reflect.Struct && t.ConvertibleTo(timeType) }

// encodeTime encodes a time: Unix seconds with the unixtime tag, else with
// Options.EncodeTime (an RFC 3339 string by default); a zero time is
// omitted with OmitEmptyTime and omitempty.
func (c *Codec) encodeTime(tm time.Time, tg fieldTag) (types.AttributeValue, error) {
	if c.opts.OmitEmptyTime && tg.omitEmpty && tm.IsZero() {
		return nil, nil
	}
	if tg.asUnix {
		return N(strconv.FormatInt(tm.Unix(), 10)), nil
	}
	if c.opts.EncodeTime == nil {
		return &types.AttributeValueMemberS{Value: tm.Format(time.RFC3339Nano)}, nil
	}
	av, err := c.opts.EncodeTime(tm)
	if err != nil {
		if _, ok := err.(*ValueError); ok {
			return nil, err
		}
		return nil, &ValueError{Reason: "EncodeTime failed", Err: err}
	}
	if av == nil {
		return nullAV(), nil
	}
	return CloneCheck(av)
}

// callMarshaler encodes a value with its MarshalDynamoDBAttributeValue,
// tagged tg: a NULL it returns is omitted (nil, nil) under omitempty with
// Options.OmitNullAttributeValues.
func (c *Codec) callMarshaler(m attributevalue.Marshaler, tg fieldTag) (types.AttributeValue, error) {
	av, err := callMarshaler(m)
	if err == nil && c.opts.OmitNullAttributeValues && tg.omitEmpty {
		if _, null := av.(*types.AttributeValueMemberNULL); null {
			return nil, nil
		}
	}
	return av, err
}

// encodingMarshaler encodes v with MarshalText (an S) or else MarshalBinary
// (a B) when Options.UseEncodingMarshalers is set and v, or a pointer to
// it, implements one; ok is false when it does not apply. The caller has
// ruled out the codec's own types.
func (c *Codec) encodingMarshaler(v reflect.Value) (av types.AttributeValue, ok bool, err error) {
	if !c.opts.UseEncodingMarshalers || !v.CanInterface() {
		return nil, false, nil
	}
	t := v.Type()
	if t.Kind() != reflect.Pointer && !t.Implements(textMarshaler) && !t.Implements(binMarshaler) {
		if !reflect.PointerTo(t).Implements(textMarshaler) && !reflect.PointerTo(t).Implements(binMarshaler) {
			return nil, false, nil
		}
		v = addressable(v).Addr()
	}
	switch m := v.Interface().(type) {
	case encoding.TextMarshaler:
		b, err := m.MarshalText()
		if err != nil {
			return nil, true, &ValueError{Reason: fmt.Sprintf("%T.MarshalText failed", m), Err: err}
		}
		return &types.AttributeValueMemberS{Value: string(b)}, true, nil
	case encoding.BinaryMarshaler:
		b, err := m.MarshalBinary()
		if err != nil {
			return nil, true, &ValueError{Reason: fmt.Sprintf("%T.MarshalBinary failed", m), Err: err}
		}
		return &types.AttributeValueMemberB{Value: bytes.Clone(nonNil(b))}, true, nil
	}
	return nil, false, nil
}

func callMarshaler(m attributevalue.Marshaler) (types.AttributeValue, error) {
	av, err := m.MarshalDynamoDBAttributeValue()
	if err != nil {
		if _, ok := err.(*ValueError); ok {
			return nil, err
		}
		return nil, &ValueError{Reason: fmt.Sprintf("%T.MarshalDynamoDBAttributeValue failed", m), Err: err}
	}
	if av == nil {
		return nullAV(), nil
	}
	return CloneCheck(av)
}

// addressable returns v itself when it can be addressed, else a copy that
// can.
func addressable(v reflect.Value) reflect.Value {
	if v.CanAddr() {
		return v
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	return c
}

func (c *Codec) encodeConcrete(v reflect.Value, tg fieldTag) (types.AttributeValue, error) {
	t := v.Type()
	switch t {
	case numberType:
		return numberAV(v.String(), tg.asString)
	case stringSetType, numberSetType, binarySetType:
		if v.Len() == 0 {
			if v.IsNil() {
				return nullAV(), nil
			}
			return nil, &ValueError{Reason: "DynamoDB sets cannot be empty"}
		}
		kind := map[reflect.Type]byte{stringSetType: 'S', numberSetType: 'N', binarySetType: 'B'}[t]
		return c.encodeSetElems(v, kind)
	case bigIntType:
		return numberAV(addressable(v).Addr().Interface().(*big.Int).String(), tg.asString)
	case bigFloatType:
		f := addressable(v).Addr().Interface().(*big.Float)
		if f.IsInf() {
			return nil, &ValueError{Reason: fmt.Sprintf("%v cannot be stored in DynamoDB", f)}
		}
		return numberAV(f.Text('g', -1), tg.asString)
	case bigRatType:
		s, ok := exactDecimal(addressable(v).Addr().Interface().(*big.Rat))
		if !ok {
			return nil, &ValueError{Reason: fmt.Sprintf("%v has no exact decimal form", addressable(v).Addr().Interface())}
		}
		return numberAV(s, tg.asString)
	}
	if isTime(t) {
		return c.encodeTime(v.Convert(timeType).Interface().(time.Time), tg)
	}
	if t.Implements(marshalerType) && v.CanInterface() {
		return c.callMarshaler(v.Interface().(attributevalue.Marshaler), tg)
	}
	if reflect.PointerTo(t).Implements(marshalerType) && v.CanInterface() {
		return c.callMarshaler(addressable(v).Addr().Interface().(attributevalue.Marshaler), tg)
	}
	if av, ok, err := c.encodingMarshaler(v); ok {
		return av, err
	}
	switch t.Kind() {
	case reflect.String:
		if isNumberText(t) {
			return numberAV(v.String(), tg.asString)
		}
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case reflect.Bool:
		return &types.AttributeValueMemberBOOL{Value: v.Bool()}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return scalarNumber(strconv.FormatInt(v.Int(), 10), tg.asString), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return scalarNumber(strconv.FormatUint(v.Uint(), 10), tg.asString), nil
	case reflect.Float32, reflect.Float64:
		s, err := floatText(v.Float(), t.Bits())
		if err != nil {
			return nil, err
		}
		return numberAV(s, tg.asString)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			b := make([]byte, v.Len())
			reflect.Copy(reflect.ValueOf(b), v)
			return &types.AttributeValueMemberB{Value: b}, nil
		}
		var kind byte
		switch {
		case tg.asBinSet || t == byteSliceSlice:
			kind = 'B'
		case tg.asNumSet:
			kind = 'N'
		case tg.asStrSet:
			kind = 'S'
		}
		if kind != 0 {
			if v.Len() == 0 {
				return nullAV(), nil // attributevalue's NullEmptySets
			}
			return c.encodeSetElems(v, kind)
		}
		l := make([]types.AttributeValue, 0, v.Len())
		et := tg.elemTag()
		for i := range v.Len() {
			av, err := c.encodeValue(v.Index(i), et)
			if err != nil {
				return nil, PrefixAttr(err, strconv.Itoa(i))
			}
			if av != nil {
				l = append(l, av)
			}
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case reflect.Map:
		if isSetMap(t) {
			return c.encodeSetMap(v)
		}
		m := make(map[string]types.AttributeValue, v.Len())
		et := tg.elemTag()
		iter := v.MapRange()
		for iter.Next() {
			name, err := mapKeyString(iter.Key())
			if err != nil {
				return nil, err
			}
			av, err := c.encodeValue(iter.Value(), et)
			if err != nil {
				return nil, PrefixAttr(err, name)
			}
			if av != nil {
				m[name] = av
			}
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	case reflect.Struct:
		si := c.structFields(t)
		m := make(map[string]types.AttributeValue, len(si.fields))
		for _, f := range si.fields {
			fv, ok := fieldByIndex(v, f.index)
			if !ok {
				continue // behind a nil embedded pointer
			}
			av, err := c.encodeValue(fv, f.tag)
			if err != nil {
				return nil, PrefixAttr(err, f.name)
			}
			if av != nil {
				m[f.name] = av
			}
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, &ValueError{Reason: fmt.Sprintf("%s cannot be stored in DynamoDB", t)}
}

// fieldByIndex follows index through embedded structs; ok is false when an
// embedded pointer on the way is nil.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// isNumberText reports whether a string type is number text
// (dynamap.Number, json.Number, attributevalue.Number, ...): attributevalue
// stores string types with Float64, Int64 and String methods as numbers.
func isNumberText(t reflect.Type) bool {
	type numberer interface {
		Float64() (float64, error)
		Int64() (int64, error)
		String() string
	}
	return t.Kind() == reflect.String && t.Implements(reflect.TypeFor[numberer]())
}

func mapKeyString(k reflect.Value) (string, error) {
	if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
		b, err := tm.MarshalText()
		if err != nil {
			return "", &ValueError{Reason: "map key", Err: err}
		}
		return string(b), nil
	}
	switch k.Kind() {
	case reflect.String:
		return k.String(), nil
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return fmt.Sprint(k.Interface()), nil
	}
	return "", &ValueError{Reason: fmt.Sprintf("map key type %s is not a string, number, bool or TextMarshaler", k.Type())}
}

// encodeSetElems encodes the elements of a slice or array as the members of
// a set of kind 'S', 'N' or 'B'.
func (c *Codec) encodeSetElems(v reflect.Value, kind byte) (types.AttributeValue, error) {
	var ss []string
	var bs [][]byte
	for i := range v.Len() {
		av, err := c.encodeValue(v.Index(i), fieldTag{})
		if err != nil {
			return nil, PrefixAttr(err, strconv.Itoa(i))
		}
		switch x := av.(type) {
		case *types.AttributeValueMemberS:
			if kind == 'S' {
				ss = append(ss, x.Value)
				continue
			}
		case *types.AttributeValueMemberN:
			if kind == 'N' {
				ss = append(ss, x.Value)
				continue
			}
		case *types.AttributeValueMemberB:
			if kind == 'B' {
				bs = append(bs, x.Value)
				continue
			}
		}
		return nil, &ValueError{Reason: fmt.Sprintf("a %cS set cannot hold %s (element %d)", kind, Kind(av), i)}
	}
	return makeSet(kind, ss, bs)
}

// encodeSetMap turns map[T]struct{} into a set; its keys must all encode as
// strings, numbers or binaries.
func (c *Codec) encodeSetMap(v reflect.Value) (types.AttributeValue, error) {
	if v.Len() == 0 {
		if v.IsNil() {
			return nullAV(), nil
		}
		return nil, &ValueError{Reason: "DynamoDB sets cannot be empty"}
	}
	var kind byte
	var ss []string
	var bs [][]byte
	iter := v.MapRange()
	for iter.Next() {
		av, err := c.encodeValue(iter.Key(), fieldTag{})
		if err != nil {
			return nil, err
		}
		var k byte
		switch x := av.(type) {
		case *types.AttributeValueMemberS:
			k = 'S'
			ss = append(ss, x.Value)
		case *types.AttributeValueMemberN:
			k = 'N'
			ss = append(ss, x.Value)
		case *types.AttributeValueMemberB:
			k = 'B'
			bs = append(bs, x.Value)
		default:
			return nil, &ValueError{Reason: fmt.Sprintf("set member %s is not a string, number or binary", iter.Key().Type())}
		}
		if kind != 0 && k != kind {
			return nil, &ValueError{Reason: "a set cannot mix strings, numbers and binaries"}
		}
		kind = k
	}
	return makeSet(kind, ss, bs)
}

// makeSet builds a set of kind 'S', 'N' or 'B' from members it takes
// ownership of, refusing an empty set, invalid numbers and duplicate
// members (DynamoDB refuses them; numbers are compared by value). Members
// are sorted (as text or bytes), so that one set always makes one request
// and one expression.
func makeSet(kind byte, ss []string, bs [][]byte) (types.AttributeValue, error) {
	slices.Sort(ss)
	slices.SortFunc(bs, bytes.Compare)
	switch kind {
	case 'S':
		if len(ss) == 0 {
			return nil, &ValueError{Reason: "DynamoDB sets cannot be empty"}
		}
		if d, ok := firstDuplicate(ss, func(s string) string { return s }); ok {
			return nil, &ValueError{Reason: fmt.Sprintf("string set holds %q twice", d)}
		}
		return &types.AttributeValueMemberSS{Value: ss}, nil
	case 'N':
		if len(ss) == 0 {
			return nil, &ValueError{Reason: "DynamoDB sets cannot be empty"}
		}
		for _, s := range ss {
			if err := CheckNumber(s); err != nil {
				return nil, err
			}
		}
		if d, ok := firstDuplicate(ss, NumberKey); ok {
			return nil, &ValueError{Reason: fmt.Sprintf("number set holds %s twice (numbers are compared by value)", d)}
		}
		return &types.AttributeValueMemberNS{Value: ss}, nil
	default:
		if len(bs) == 0 {
			return nil, &ValueError{Reason: "DynamoDB sets cannot be empty"}
		}
		if d, ok := firstDuplicate(bs, func(b []byte) string { return string(b) }); ok {
			return nil, &ValueError{Reason: fmt.Sprintf("binary set holds %x twice", d)}
		}
		return &types.AttributeValueMemberBS{Value: bs}, nil
	}
}

func firstDuplicate[T any](members []T, key func(T) string) (T, bool) {
	seen := make(map[string]struct{}, len(members))
	for _, m := range members {
		k := key(m)
		if _, dup := seen[k]; dup {
			return m, true
		}
		seen[k] = struct{}{}
	}
	var zero T
	return zero, false
}

func nullAV() types.AttributeValue { return &types.AttributeValueMemberNULL{Value: true} }

// scalarNumber is N text that needs no check (an integer of at most 20
// digits), or S with the string tag.
func scalarNumber(s string, asString bool) types.AttributeValue {
	if asString {
		return &types.AttributeValueMemberS{Value: s}
	}
	return N(s)
}

// numberAV checks number text and makes an N of it (an S with the string
// tag).
func numberAV(s string, asString bool) (types.AttributeValue, error) {
	if err := CheckNumber(s); err != nil {
		return nil, err
	}
	return scalarNumber(s, asString), nil
}

// floatText formats f with the precision of its type (bits 32 or 64).
func floatText(f float64, bits int) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", &ValueError{Reason: fmt.Sprintf("%v cannot be stored in DynamoDB", f)}
	}
	return strconv.FormatFloat(f, 'g', -1, bits), nil
}

// exactDecimal returns the decimal text of r when it has one (its
// denominator has no prime factor but 2 and 5).
func exactDecimal(r *big.Rat) (string, bool) {
	if r.IsInt() {
		return r.Num().String(), true
	}
	d := new(big.Int).Set(r.Denom())
	two, five := big.NewInt(2), big.NewInt(5)
	var n2, n5 int
	m := new(big.Int)
	for {
		q, rem := new(big.Int).QuoRem(d, two, m)
		if rem.Sign() != 0 {
			break
		}
		d, n2 = q, n2+1
	}
	for {
		q, rem := new(big.Int).QuoRem(d, five, m)
		if rem.Sign() != 0 {
			break
		}
		d, n5 = q, n5+1
	}
	if d.Cmp(big.NewInt(1)) != 0 || max(n2, n5) > 200 {
		return "", false
	}
	return r.FloatString(max(n2, n5)), true
}

// CloneCheck returns a deep copy of an attribute value handed in by a
// caller (or a Marshaler), checked as DynamoDB checks it.
func CloneCheck(av types.AttributeValue) (types.AttributeValue, error) {
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		if x == nil {
			break
		}
		return &types.AttributeValueMemberS{Value: x.Value}, nil
	case *types.AttributeValueMemberN:
		if x == nil {
			break
		}
		return numberAV(x.Value, false)
	case *types.AttributeValueMemberB:
		if x == nil {
			break
		}
		return &types.AttributeValueMemberB{Value: bytes.Clone(nonNil(x.Value))}, nil
	case *types.AttributeValueMemberBOOL:
		if x == nil {
			break
		}
		return &types.AttributeValueMemberBOOL{Value: x.Value}, nil
	case *types.AttributeValueMemberNULL:
		if x == nil {
			break
		}
		if !x.Value {
			return nil, &ValueError{Reason: "NULL must be true"}
		}
		return nullAV(), nil
	case *types.AttributeValueMemberSS:
		if x == nil {
			break
		}
		return makeSet('S', slices.Clone(x.Value), nil)
	case *types.AttributeValueMemberNS:
		if x == nil {
			break
		}
		return makeSet('N', slices.Clone(x.Value), nil)
	case *types.AttributeValueMemberBS:
		if x == nil {
			break
		}
		bs := make([][]byte, len(x.Value))
		for i, b := range x.Value {
			bs[i] = bytes.Clone(nonNil(b))
		}
		return makeSet('B', nil, bs)
	case *types.AttributeValueMemberL:
		if x == nil {
			break
		}
		l := make([]types.AttributeValue, len(x.Value))
		for i, e := range x.Value {
			c, err := CloneCheck(e)
			if err != nil {
				return nil, PrefixAttr(err, strconv.Itoa(i))
			}
			l[i] = c
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case *types.AttributeValueMemberM:
		if x == nil {
			break
		}
		m, err := CloneCheckMap(x.Value)
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, &ValueError{Reason: fmt.Sprintf("%T is not an attribute value DynamoDB stores", av)}
}

// CloneCheckMap applies CloneCheck to each value of m; a failure names its
// attribute.
func CloneCheckMap(m map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(m))
	for k, e := range m {
		c, err := CloneCheck(e)
		if err != nil {
			return nil, PrefixAttr(err, k)
		}
		out[k] = c
	}
	return out, nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// ---- decoding ----

// Decode decodes av into out, a non-nil pointer, with the codec's rules
// (the struct, map, slice, set, number and time rules above) and options.
// Failures are *ValueError.
func (c *Codec) Decode(av types.AttributeValue, out any) error {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return &ValueError{Reason: fmt.Sprintf("cannot decode into %T: want a non-nil pointer", out)}
	}
	return c.decodeValue(av, v.Elem(), fieldTag{})
}

// EncodeReflect encodes v, a struct, map or any other Go value, as Marshal
// does, without a struct tag.
func (c *Codec) EncodeReflect(v reflect.Value) (types.AttributeValue, error) {
	return c.encodeValue(v, fieldTag{})
}

func decodeErr(av types.AttributeValue, t reflect.Type) error {
	return &ValueError{Reason: fmt.Sprintf("cannot load %s into %s", Kind(av), t)}
}

// decodeValue decodes av into v, which is settable.
func (c *Codec) decodeValue(av types.AttributeValue, v reflect.Value, tg fieldTag) error {
	if av == nil {
		av = nullAV()
	}
	_, isNull := av.(*types.AttributeValueMemberNULL)
	t := v.Type()
	switch t.Kind() {
	case reflect.Pointer:
		if t.Implements(unmarshalerType) && !specialType(t.Elem()) && !isNull {
			if v.IsNil() {
				v.Set(reflect.New(t.Elem()))
			}
			return callUnmarshaler(v.Interface().(attributevalue.Unmarshaler), av)
		}
		if isNull {
			v.SetZero()
			return nil
		}
		if ok, err := c.encodingUnmarshaler(av, v); ok {
			return err
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return c.decodeValue(av, v.Elem(), tg)
	case reflect.Interface:
		if !v.IsNil() && v.Elem().Kind() == reflect.Pointer && !v.Elem().IsNil() && !isNull {
			// Decode into what the interface points to, as encoding/json.
			return c.decodeValue(av, v.Elem().Elem(), tg)
		}
		if isNull {
			v.SetZero()
			return nil
		}
		if t.NumMethod() != 0 {
			return decodeErr(av, t)
		}
		v.Set(reflect.ValueOf(Unmarshal(av)))
		return nil
	}
	if !specialType(t) && v.CanAddr() && reflect.PointerTo(t).Implements(unmarshalerType) {
		return callUnmarshaler(v.Addr().Interface().(attributevalue.Unmarshaler), av)
	}
	if isNull {
		v.SetZero()
		return nil
	}
	if v.CanAddr() {
		if ok, err := c.encodingUnmarshaler(av, v.Addr()); ok {
			return err
		}
	}
	switch t {
	case numberType, stringSetType, numberSetType, binarySetType:
		return callUnmarshaler(v.Addr().Interface().(attributevalue.Unmarshaler), av)
	case bigIntType, bigFloatType, bigRatType:
		return decodeBig(av, v)
	}
	if isTime(t) {
		return c.decodeTime(av, v, tg)
	}
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		if tg.asString {
			return decodeNumber(x.Value, v)
		}
		if t.Kind() == reflect.String {
			v.SetString(x.Value)
			return nil
		}
	case *types.AttributeValueMemberN:
		return decodeNumber(x.Value, v)
	case *types.AttributeValueMemberB:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			b := reflect.MakeSlice(t, len(x.Value), len(x.Value))
			reflect.Copy(b, reflect.ValueOf(x.Value))
			v.Set(b)
			return nil
		}
		if t.Kind() == reflect.Array && t.Elem().Kind() == reflect.Uint8 {
			v.SetZero()
			reflect.Copy(v, reflect.ValueOf(x.Value))
			return nil
		}
	case *types.AttributeValueMemberBOOL:
		if t.Kind() == reflect.Bool {
			v.SetBool(x.Value)
			return nil
		}
	case *types.AttributeValueMemberSS, *types.AttributeValueMemberNS, *types.AttributeValueMemberBS:
		return c.decodeSet(av, setMembers(av), v)
	case *types.AttributeValueMemberL:
		return c.decodeList(av, x.Value, v)
	case *types.AttributeValueMemberM:
		return c.decodeMap(av, x.Value, v)
	}
	return decodeErr(av, t)
}

// encodingUnmarshaler decodes an S with UnmarshalText or a B with
// UnmarshalBinary into what p, a pointer (allocated when nil), points to,
// when Options.UseEncodingUnmarshalers is set and p implements it; ok is
// false when it does not apply. The codec's own types decode as always.
func (c *Codec) encodingUnmarshaler(av types.AttributeValue, p reflect.Value) (ok bool, err error) {
	if !c.opts.UseEncodingUnmarshalers || ownType(p.Type().Elem()) {
		return false, nil
	}
	t := p.Type()
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		if !t.Implements(textUnmarshaler) {
			return false, nil
		}
		if p.IsNil() {
			p.Set(reflect.New(t.Elem()))
		}
		u := p.Interface().(encoding.TextUnmarshaler)
		if err := u.UnmarshalText([]byte(x.Value)); err != nil {
			return true, &ValueError{Reason: fmt.Sprintf("%T.UnmarshalText failed", u), Err: err}
		}
		return true, nil
	case *types.AttributeValueMemberB:
		if !t.Implements(binUnmarshaler) {
			return false, nil
		}
		if p.IsNil() {
			p.Set(reflect.New(t.Elem()))
		}
		u := p.Interface().(encoding.BinaryUnmarshaler)
		if err := u.UnmarshalBinary(bytes.Clone(x.Value)); err != nil {
			return true, &ValueError{Reason: fmt.Sprintf("%T.UnmarshalBinary failed", u), Err: err}
		}
		return true, nil
	}
	return false, nil
}

func callUnmarshaler(u attributevalue.Unmarshaler, av types.AttributeValue) error {
	if err := u.UnmarshalDynamoDBAttributeValue(Clone(av)); err != nil {
		if _, ok := err.(*ValueError); ok {
			return err
		}
		return &ValueError{Reason: fmt.Sprintf("%T.UnmarshalDynamoDBAttributeValue failed", u), Err: err}
	}
	return nil
}

// Clone deep-copies an attribute value without checking it.
func Clone(av types.AttributeValue) types.AttributeValue {
	switch x := av.(type) {
	case *types.AttributeValueMemberB:
		return &types.AttributeValueMemberB{Value: bytes.Clone(x.Value)}
	case *types.AttributeValueMemberSS:
		return &types.AttributeValueMemberSS{Value: slices.Clone(x.Value)}
	case *types.AttributeValueMemberNS:
		return &types.AttributeValueMemberNS{Value: slices.Clone(x.Value)}
	case *types.AttributeValueMemberBS:
		bs := make([][]byte, len(x.Value))
		for i, b := range x.Value {
			bs[i] = bytes.Clone(b)
		}
		return &types.AttributeValueMemberBS{Value: bs}
	case *types.AttributeValueMemberL:
		l := make([]types.AttributeValue, len(x.Value))
		for i, e := range x.Value {
			l[i] = Clone(e)
		}
		return &types.AttributeValueMemberL{Value: l}
	case *types.AttributeValueMemberM:
		m := make(map[string]types.AttributeValue, len(x.Value))
		for k, e := range x.Value {
			m[k] = Clone(e)
		}
		return &types.AttributeValueMemberM{Value: m}
	}
	return av // S, N, BOOL, NULL hold no shared memory
}

// setMembers splits a set into one scalar attribute value per member.
func setMembers(av types.AttributeValue) []types.AttributeValue {
	var out []types.AttributeValue
	switch x := av.(type) {
	case *types.AttributeValueMemberSS:
		for _, s := range x.Value {
			out = append(out, &types.AttributeValueMemberS{Value: s})
		}
	case *types.AttributeValueMemberNS:
		for _, s := range x.Value {
			out = append(out, &types.AttributeValueMemberN{Value: s})
		}
	case *types.AttributeValueMemberBS:
		for _, b := range x.Value {
			out = append(out, &types.AttributeValueMemberB{Value: b})
		}
	}
	return out
}

// decodeSet loads a set into a slice, an array or a map[T]struct{}.
func (c *Codec) decodeSet(av types.AttributeValue, members []types.AttributeValue, v reflect.Value) error {
	t := v.Type()
	if isSetMap(t) {
		if v.IsNil() {
			v.Set(reflect.MakeMapWithSize(t, len(members)))
		}
		elem := reflect.New(t.Elem()).Elem()
		for _, m := range members {
			k := reflect.New(t.Key()).Elem()
			if err := c.decodeValue(m, k, fieldTag{}); err != nil {
				return err
			}
			v.SetMapIndex(k, elem)
		}
		return nil
	}
	return c.decodeList(av, members, v)
}

// decodeList loads list (or set) elements into a slice or an array.
func (c *Codec) decodeList(av types.AttributeValue, elems []types.AttributeValue, v reflect.Value) error {
	t := v.Type()
	switch t.Kind() {
	case reflect.Slice:
		s := reflect.MakeSlice(t, len(elems), len(elems))
		for i, e := range elems {
			if err := c.decodeValue(e, s.Index(i), fieldTag{}); err != nil {
				return PrefixAttr(err, strconv.Itoa(i))
			}
		}
		v.Set(s)
		return nil
	case reflect.Array:
		v.SetZero()
		for i, e := range elems {
			if i >= v.Len() {
				break
			}
			if err := c.decodeValue(e, v.Index(i), fieldTag{}); err != nil {
				return PrefixAttr(err, strconv.Itoa(i))
			}
		}
		return nil
	}
	return decodeErr(av, t)
}

// decodeMap loads a map attribute into a map or a struct.
func (c *Codec) decodeMap(av types.AttributeValue, m map[string]types.AttributeValue, v reflect.Value) error {
	t := v.Type()
	switch t.Kind() {
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMapWithSize(t, len(m)))
		}
		for name, e := range m {
			k := reflect.New(t.Key()).Elem()
			if err := decodeMapKey(name, k); err != nil {
				return err
			}
			ev := reflect.New(t.Elem()).Elem()
			if err := c.decodeValue(e, ev, fieldTag{}); err != nil {
				return PrefixAttr(err, name)
			}
			v.SetMapIndex(k, ev)
		}
		return nil
	case reflect.Struct:
		si := c.structFields(t)
		for name, e := range m {
			f, ok := si.field(name)
			if !ok {
				continue
			}
			fv, ok := fieldForDecode(v, f.index)
			if !ok {
				continue
			}
			if err := c.decodeValue(e, fv, f.tag); err != nil {
				return PrefixAttr(err, name)
			}
		}
		return nil
	}
	return decodeErr(av, t)
}

// fieldForDecode follows index, allocating nil embedded pointers; ok is
// false when one cannot be set (a pointer to an unexported struct type).
func fieldForDecode(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, false
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, v.CanSet()
}

func decodeMapKey(name string, k reflect.Value) error {
	if reflect.PointerTo(k.Type()).Implements(textUnmarshaler) {
		if err := k.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(name)); err != nil {
			return &ValueError{Reason: fmt.Sprintf("map key %q", name), Err: err}
		}
		return nil
	}
	switch k.Kind() {
	case reflect.String:
		k.SetString(name)
		return nil
	case reflect.Bool:
		b, err := strconv.ParseBool(name)
		if err != nil {
			return &ValueError{Reason: fmt.Sprintf("map key %q", name), Err: err}
		}
		k.SetBool(b)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return decodeNumber(name, k)
	}
	return &ValueError{Reason: fmt.Sprintf("map key type %s is not a string, number, bool or TextUnmarshaler", k.Type())}
}

// decodeNumber loads number text into a string, integer or float.
func decodeNumber(s string, v reflect.Value) error {
	t := v.Type()
	switch t.Kind() {
	case reflect.String:
		v.SetString(s)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := NumberInt64(s)
		if err != nil || v.OverflowInt(i) {
			return &ValueError{Reason: fmt.Sprintf("number %s does not fit %s", s, t)}
		}
		v.SetInt(i)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := NumberUint64(s)
		if err != nil || v.OverflowUint(u) {
			return &ValueError{Reason: fmt.Sprintf("number %s does not fit %s", s, t)}
		}
		v.SetUint(u)
		return nil
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), t.Bits())
		if err != nil {
			return &ValueError{Reason: fmt.Sprintf("number %s does not fit %s", s, t)}
		}
		v.SetFloat(f)
		return nil
	}
	return decodeErr(&types.AttributeValueMemberN{Value: s}, t)
}

// decodeTime loads an S (Options.DecodeTime.S, RFC 3339 by default) or an
// N (Unix seconds with the unixtime tag, else Options.DecodeTime.N, Unix
// seconds by default) into a time.Time.
func (c *Codec) decodeTime(av types.AttributeValue, v reflect.Value, tg fieldTag) error {
	var tm time.Time
	var err error
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		if c.opts.DecodeTime.S != nil {
			if tm, err = c.opts.DecodeTime.S(x.Value); err != nil {
				return &ValueError{Reason: fmt.Sprintf("DecodeTime.S failed on %q", x.Value), Err: err}
			}
		} else if tm, err = time.Parse(time.RFC3339, x.Value); err != nil {
			return &ValueError{Reason: fmt.Sprintf("%q is not an RFC 3339 time", x.Value), Err: err}
		}
	case *types.AttributeValueMemberN:
		if c.opts.DecodeTime.N != nil && !tg.asUnix {
			if tm, err = c.opts.DecodeTime.N(x.Value); err != nil {
				return &ValueError{Reason: fmt.Sprintf("DecodeTime.N failed on %s", x.Value), Err: err}
			}
			break
		}
		sec, err := strconv.ParseInt(x.Value, 10, 64)
		if err != nil {
			return &ValueError{Reason: fmt.Sprintf("%s is not Unix seconds", x.Value), Err: err}
		}
		tm = time.Unix(sec, 0)
	default:
		return decodeErr(av, v.Type())
	}
	v.Set(reflect.ValueOf(tm).Convert(v.Type()))
	return nil
}

// decodeBig loads a number into a big.Int (an integer), big.Float or
// big.Rat, exactly.
func decodeBig(av types.AttributeValue, v reflect.Value) error {
	n, ok := av.(*types.AttributeValueMemberN)
	if !ok {
		return decodeErr(av, v.Type())
	}
	r, ok := ParseDecimal(n.Value)
	if !ok {
		return &ValueError{Reason: fmt.Sprintf("%q is not a number", n.Value)}
	}
	switch p := v.Addr().Interface().(type) {
	case *big.Int:
		if !r.IsInt() {
			return &ValueError{Reason: fmt.Sprintf("number %s is not an integer", n.Value)}
		}
		p.Set(r.Num())
	case *big.Float:
		if _, ok := p.SetString(n.Value); !ok {
			return &ValueError{Reason: fmt.Sprintf("%q is not a number", n.Value)}
		}
	case *big.Rat:
		p.Set(r)
	}
	return nil
}
