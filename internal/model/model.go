package model

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/dynamap/dynamap/internal/codec"
)

// Key types, as DynamoDB spells them.
const (
	S = "S" // S is a string key.
	N = "N" // N is a number key.
	B = "B" // B is a binary key.
)

// Field is one attribute of a model that has a role: a key, the version,
// a timestamp or the TTL.
type Field struct {
	Attr   string       // the attribute name (from the codec's tag, else the Go name)
	GoName string       // the Go field, dotted through embedded structs ("Base.Created")
	Index  []int        // reflect index path from the model struct
	Type   reflect.Type // the field's Go type
	// KeyType is S, N or B for a key field, "" otherwise.
	KeyType string
	// Unix is true for a time.Time field tagged unixtime (stored as epoch
	// seconds), and for every integer timestamp.
	Unix bool
}

// IsTime reports whether the field is a time.Time (else an integer).
func (f *Field) IsTime() bool { return f.Type == timeType }

// Get returns the field's value in v (a model struct value), and false when
// an embedded pointer on the way is nil (the field then reads as zero).
func (f *Field) Get(v reflect.Value) (reflect.Value, bool) {
	for i, x := range f.Index {
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

// Set returns the field of v (an addressable model struct value) ready to
// be set: nil embedded pointers on the way are allocated; with clone, the
// embedded structs they point to are copied first, so that setting the
// field of a shallow copy of a struct does not reach the original.
func (f *Field) Set(v reflect.Value, clone bool) reflect.Value {
	for i, x := range f.Index {
		if i > 0 && v.Kind() == reflect.Pointer {
			switch {
			case v.IsNil():
				v.Set(reflect.New(v.Type().Elem()))
			case clone:
				c := reflect.New(v.Type().Elem())
				c.Elem().Set(v.Elem())
				v.Set(c)
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

// Index is a secondary index declared by tags.
type Index struct {
	Name  string
	Local bool   // a local secondary index (its hash key is the table's)
	Hash  *Field // nil for a local index
	Range *Field // nil for a global index without a range key
}

// Model is what a struct type's tags declare.
type Model struct {
	Type    reflect.Type
	Hash    *Field
	Range   *Field // nil: no range key
	Indexes []Index
	Version *Field // nil: none
	Created *Field
	Updated *Field
	TTL     *Field
}

// Error is a bad model: Field is the Go field at fault ("" for the model
// as a whole), Reason what is wrong.
type Error struct {
	Type   reflect.Type
	Field  string
	Reason string
}

// Error implements error.
func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("model %s: %s", e.Type, e.Reason)
	}
	return fmt.Sprintf("model %s: field %s: %s", e.Type, e.Field, e.Reason)
}

// memoKey is where a codec keeps a model (see codec.Codec.Memo).
type memoKey struct {
	t      reflect.Type
	number reflect.Type
}

type cached struct {
	m   *Model
	err error
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	marshalerType = reflect.TypeFor[attributevalue.Marshaler]()
)

// Of parses the model of struct type t as codec c sees it, once per (t, c):
// attribute names, which fields are stored and their options (omitempty,
// string, unixtime) are c's (c.Fields, c.Tag: dynamodbav, then c's tag
// key); the roles come from the `dynamap` tag. number is the library's
// Number type (a string type stored as N). A dynamap tag on a field c
// does not store (ignored with "-", unexported, hidden by another field,
// an embedded struct whose fields are promoted) is an *Error, as is any
// other bad model. The model lives as long as c.
func Of(t reflect.Type, c *codec.Codec, number reflect.Type) (*Model, error) {
	r := c.Memo(memoKey{t, number}, func() any {
		m, err := parse(t, c, number)
		return cached{m, err}
	}).(cached)
	return r.m, r.err
}

// candidate is a stored field that carries a dynamap tag.
type candidate struct {
	codec.Field
	goName string
	roles  string // the dynamap tag
	// hiddenPtr is the unexported embedded pointer on the field's path,
	// "" for none: reflect cannot allocate or copy it.
	hiddenPtr string
	// encodesAs is "S" or "B" when the codec stores the field's type by its
	// own MarshalText or MarshalBinary (codec.Codec.EncodesAs), else "".
	encodesAs string
}

func parse(t reflect.Type, cdc *codec.Codec, number reflect.Type) (*Model, error) {
	if t.Kind() != reflect.Struct {
		return nil, &Error{Type: t, Reason: "a model must be a struct type"}
	}
	fields, err := roleFields(t, cdc)
	if err != nil {
		return nil, err
	}
	m := &Model{Type: t}
	indexes := map[string]*Index{}
	local := map[string]bool{}
	for _, c := range fields {
		bad := func(format string, args ...any) error {
			return &Error{Type: t, Field: c.goName, Reason: fmt.Sprintf(format, args...)}
		}
		f := &Field{Attr: c.Name, GoName: c.goName, Index: c.Index, Type: c.Type}
		var isKey, isOther bool
		var localHere []string
		var indexHere []string
		for _, w := range strings.Split(c.roles, ",") {
			w = strings.TrimSpace(w)
			role, ixName, hasIx := strings.Cut(w, ":")
			switch {
			case w == "local":
				localHere = append(localHere, "")
				continue
			case (role == "hash" || role == "range") && hasIx:
				if ixName == "" {
					return nil, bad("dynamap tag %q names no index", w)
				}
				ix := indexes[ixName]
				if ix == nil {
					ix = &Index{Name: ixName}
					indexes[ixName] = ix
				}
				slot := &ix.Hash
				if role == "range" {
					slot = &ix.Range
				}
				if *slot != nil {
					return nil, bad("index %q has two %s keys: %s and %s", ixName, role, (*slot).GoName, c.goName)
				}
				*slot = f
				isKey = true
				indexHere = append(indexHere, ixName)
			case w == "hash":
				if m.Hash != nil {
					return nil, bad("two hash keys: %s and %s", m.Hash.GoName, c.goName)
				}
				m.Hash, isKey = f, true
			case w == "range":
				if m.Range != nil {
					return nil, bad("two range keys: %s and %s", m.Range.GoName, c.goName)
				}
				m.Range, isKey = f, true
			case w == "version", w == "created", w == "updated", w == "ttl":
				if isOther {
					return nil, bad("dynamap tag %q gives the field two roles", c.roles)
				}
				isOther = true
				slot := map[string]**Field{"version": &m.Version, "created": &m.Created, "updated": &m.Updated, "ttl": &m.TTL}[w]
				if *slot != nil {
					return nil, bad("two %s fields: %s and %s", w, (*slot).GoName, c.goName)
				}
				if c.hiddenPtr != "" && w != "ttl" {
					return nil, bad("a %s field is set by writes, but it lies behind the unexported embedded pointer %s, which cannot be allocated: export the embedded type or embed it by value", w, c.hiddenPtr)
				}
				if err := checkSpecial(w, f, c, bad); err != nil {
					return nil, err
				}
				*slot = f
			default:
				return nil, bad("unknown dynamap tag word %q (want hash, range, hash:Index, range:Index, local, version, created, updated or ttl)", w)
			}
		}
		if len(localHere) > 0 {
			if len(indexHere) == 0 {
				return nil, bad("dynamap tag %q says local but names no index", c.roles)
			}
			for _, name := range indexHere {
				local[name] = true
			}
		}
		if isKey && isOther {
			return nil, bad("a key field cannot also be a version, timestamp or TTL field")
		}
		if isKey {
			kt, err := keyType(c, number)
			if err != nil {
				return nil, bad("%s", err)
			}
			f.KeyType = kt
		}
	}
	if m.Hash == nil {
		return nil, &Error{Type: t, Reason: "no hash key: tag one field `dynamap:\"hash\"`"}
	}
	for _, name := range slices.Sorted(maps.Keys(indexes)) {
		ix := indexes[name]
		ix.Local = local[name]
		switch {
		case ix.Local && ix.Hash != nil:
			return nil, &Error{Type: t, Field: ix.Hash.GoName, Reason: fmt.Sprintf("local index %q takes the table's hash key: tag only its range key (range:%s,local)", name, name)}
		case ix.Local && ix.Range == nil:
			return nil, &Error{Type: t, Reason: fmt.Sprintf("local index %q has no range key", name)}
		case ix.Local && m.Range == nil:
			return nil, &Error{Type: t, Field: ix.Range.GoName, Reason: fmt.Sprintf("local index %q needs a table with a range key (DynamoDB allows local indexes only on tables with a hash and a range key)", name)}
		case !ix.Local && ix.Hash == nil:
			return nil, &Error{Type: t, Field: ix.Range.GoName, Reason: fmt.Sprintf("index %q has a range key but no hash key: tag a hash:%s field for a global index, or add local (range:%s,local) for a local index", name, name, name)}
		}
		m.Indexes = append(m.Indexes, *ix)
	}
	return m, nil
}

// keyType is the DynamoDB key type of a key field's Go type.
func keyType(c candidate, number reflect.Type) (string, error) {
	t := c.Type
	if t == number {
		if c.Tag.String {
			return S, nil
		}
		return N, nil
	}
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) {
		return "", fmt.Errorf("a key of type %s, which has its own MarshalDynamoDBAttributeValue, cannot be typed S, N or B from its Go type", t)
	}
	if c.encodesAs != "" {
		return c.encodesAs, nil // the codec stores it by its MarshalText or MarshalBinary
	}
	switch t.Kind() {
	case reflect.String:
		return S, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		if c.Tag.String {
			return S, nil
		}
		return N, nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return B, nil
		}
	}
	return "", fmt.Errorf("a key cannot be of type %s: DynamoDB keys are strings (S), numbers (N: integers, floats, Number) or binary (B: []byte)", t)
}

func isInteger(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// checkSpecial checks the type of a version, created, updated or ttl field.
// An integer timestamp or ttl holds Unix seconds, so it has at least 32
// bits (narrower ones would wrap silently when written).
// A time.Time ttl must be tagged unixtime, whatever the codec's EncodeTime:
// unixtime always stores an N of epoch seconds, the one form DynamoDB's TTL
// reads, and always decodes an N as such.
func checkSpecial(role string, f *Field, c candidate, bad func(string, ...any) error) error {
	t := f.Type
	number := isInteger(t) && !c.Tag.String && c.encodesAs == ""
	if role == "version" {
		if !number {
			return bad("a version field must be an integer stored as a number, not %s", t)
		}
		return nil
	}
	switch {
	case t == timeType:
		f.Unix = c.Tag.Unix
		if role == "ttl" && !c.Tag.Unix {
			return bad("a ttl time.Time must be tagged unixtime: DynamoDB's TTL reads epoch seconds in an N, which unixtime stores whatever the codec's EncodeTime")
		}
	case number && t.Bits() < 32:
		return bad("a %s field of type %s cannot hold Unix seconds (now about %d): use int64, int, uint64, uint, int32 or uint32", role, t, time.Now().Unix())
	case number:
		f.Unix = true
	default:
		return bad("a %s field must be a time.Time or an integer (Unix seconds), not %s", role, t)
	}
	return nil
}

// roleFields returns the fields of struct type t that carry a dynamap tag,
// each one a field codec c stores (see codec.Codec.Fields). It looks at the
// raw struct fields, walking embedded structs where c promotes their
// fields, each struct type once, shallowest first (as c does): a dynamap
// tag on a field c does not store is an *Error that says why.
func roleFields(t reflect.Type, c *codec.Codec) ([]candidate, error) {
	stored := c.Fields(t)
	type embed struct {
		typ   reflect.Type
		index []int
	}
	queue := []embed{{typ: t}}
	walked := map[reflect.Type]bool{}
	var out []candidate
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		if walked[e.typ] {
			continue
		}
		walked[e.typ] = true
		for i := range e.typ.NumField() {
			sf := e.typ.Field(i)
			index := append(slices.Clone(e.index), i)
			roles, hasRoles := sf.Tag.Lookup("dynamap")
			tg := c.Tag(sf.Tag)
			ft := sf.Type
			if ft.Name() == "" && ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			promoted := sf.Anonymous && !tg.Ignore && tg.Name == "" && ft.Kind() == reflect.Struct && !ft.ConvertibleTo(timeType)
			if !hasRoles {
				if promoted {
					queue = append(queue, embed{typ: ft, index: index})
				}
				continue
			}
			goName, hiddenPtr := path(t, index)
			bad := func(reason string) error { return &Error{Type: t, Field: goName, Reason: reason} }
			k := slices.IndexFunc(stored, func(f codec.Field) bool { return slices.Equal(f.Index, index) })
			switch {
			case roles == "":
				return nil, bad("empty dynamap tag")
			case promoted:
				return nil, bad("a dynamap tag on an embedded struct whose fields are promoted: tag its fields instead")
			case k >= 0:
				f := stored[k]
				out = append(out, candidate{Field: f, goName: goName, roles: roles, hiddenPtr: hiddenPtr, encodesAs: c.EncodesAs(f.Type)})
			case tg.Ignore:
				return nil, bad("a dynamap tag on a field the codec ignores (tagged \"-\")")
			case !sf.IsExported():
				return nil, bad("a dynamap tag on an unexported field (the codec does not store it)")
			default:
				name := tg.Name
				if name == "" {
					name = sf.Name
				}
				return nil, bad(fmt.Sprintf("a dynamap tag on a field hidden by another field named %q (the codec does not store it)", name))
			}
		}
	}
	return out, nil
}

// path returns the Go name of the field at index in t, dotted through
// embedded structs ("Base.Created"), and the first unexported embedded
// pointer on the way ("" for none).
func path(t reflect.Type, index []int) (goName, hiddenPtr string) {
	var names []string
	for i, x := range index {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		sf := t.Field(x)
		names = append(names, sf.Name)
		if i < len(index)-1 && hiddenPtr == "" && sf.Anonymous && !sf.IsExported() && sf.Type.Kind() == reflect.Pointer {
			hiddenPtr = strings.Join(names, ".")
		}
		t = sf.Type
	}
	return strings.Join(names, "."), hiddenPtr
}
