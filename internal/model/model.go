package model

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
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

type cacheKey struct {
	t      reflect.Type
	tagKey string
}

type cached struct {
	m   *Model
	err error
}

var cache sync.Map // cacheKey → cached

var (
	timeType      = reflect.TypeFor[time.Time]()
	marshalerType = reflect.TypeFor[attributevalue.Marshaler]()
)

// Of parses the model of struct type t once per (t, tagKey) and caches it.
// tagKey is the codec's tag key (attribute names and options, "dynamodbav"
// by default); the roles come from the `dynamap` tag. number is the
// library's Number type (a string type stored as N). Embedded structs
// follow the codec's rules (encoding/json's visibility rules). A bad
// model is an *Error.
func Of(t reflect.Type, tagKey string, number reflect.Type) (*Model, error) {
	k := cacheKey{t, tagKey}
	if c, ok := cache.Load(k); ok {
		return c.(cached).m, c.(cached).err
	}
	m, err := parse(t, tagKey, number)
	c, _ := cache.LoadOrStore(k, cached{m, err})
	return c.(cached).m, c.(cached).err
}

// codecTag is the part of the codec's tag that matters here.
type codecTag struct {
	name             string
	ignore           bool
	asString, asUnix bool
}

func parseCodecTag(st reflect.StructTag, key string) codecTag {
	var tg codecTag
	s, ok := st.Lookup(key)
	if !ok || s == "" {
		return tg
	}
	parts := strings.Split(s, ",")
	if parts[0] == "-" {
		tg.ignore = true
	} else {
		tg.name = parts[0]
	}
	for _, o := range parts[1:] {
		switch o {
		case "string":
			tg.asString = true
		case "unixtime":
			tg.asUnix = true
		}
	}
	return tg
}

// candidate is a struct field seen while walking t, as the codec sees it.
type candidate struct {
	attr    string
	fromTag bool
	index   []int
	goName  string
	sf      reflect.StructField
	tag     codecTag
	roles   string // the dynamap tag, "" for none
	// hiddenPtr is the unexported embedded pointer on the field's path,
	// "" for none: reflect cannot allocate or copy it.
	hiddenPtr string
}

func parse(t reflect.Type, tagKey string, number reflect.Type) (*Model, error) {
	if t.Kind() != reflect.Struct {
		return nil, &Error{Type: t, Reason: "a model must be a struct type"}
	}
	fields, err := visible(t, tagKey)
	if err != nil {
		return nil, err
	}
	m := &Model{Type: t}
	indexes := map[string]*Index{}
	local := map[string]bool{}
	for _, c := range fields {
		if c.roles == "" {
			continue
		}
		bad := func(format string, args ...any) error {
			return &Error{Type: t, Field: c.goName, Reason: fmt.Sprintf(format, args...)}
		}
		f := &Field{Attr: c.attr, GoName: c.goName, Index: c.index, Type: c.sf.Type}
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
				if err := checkSpecial(w, f, c.tag, bad); err != nil {
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
	t := c.sf.Type
	if t == number {
		if c.tag.asString {
			return S, nil
		}
		return N, nil
	}
	if t != number && (t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType)) {
		return "", fmt.Errorf("a key of type %s, which has its own MarshalDynamoDBAttributeValue, cannot be typed S, N or B from its Go type", t)
	}
	switch t.Kind() {
	case reflect.String:
		return S, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		if c.tag.asString {
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
func checkSpecial(role string, f *Field, tag codecTag, bad func(string, ...any) error) error {
	t := f.Type
	if role == "version" {
		if !isInteger(t) || tag.asString {
			return bad("a version field must be an integer stored as a number, not %s", t)
		}
		return nil
	}
	switch {
	case t == timeType:
		f.Unix = tag.asUnix
		if role == "ttl" && !tag.asUnix {
			return bad("a ttl time.Time must be tagged unixtime: DynamoDB's TTL reads epoch seconds")
		}
	case isInteger(t) && !tag.asString:
		f.Unix = true
	default:
		return bad("a %s field must be a time.Time or an integer (Unix seconds), not %s", role, t)
	}
	return nil
}

// visible returns the attributes of struct type t by the codec's rules
// (exported fields and those promoted from embedded structs; the
// shallowest name wins, a tagged one among equals, and equals otherwise
// cancel out), each with its dynamap tag. A dynamap tag on a field the
// codec does not store (ignored with "-", unexported, hidden by another
// field, an embedded struct whose fields are promoted) is an *Error.
func visible(t reflect.Type, tagKey string) ([]candidate, error) {
	type level struct {
		typ       reflect.Type
		index     []int
		goName    string
		hiddenPtr string
	}
	var fields []candidate
	next := []level{{typ: t}}
	visited := map[reflect.Type]bool{}
	var tagged []candidate
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
				goName := sf.Name
				if l.goName != "" {
					goName = l.goName + "." + sf.Name
				}
				roles, hasRoles := sf.Tag.Lookup("dynamap")
				bad := func(reason string) error {
					return &Error{Type: t, Field: goName, Reason: reason}
				}
				if hasRoles && roles == "" {
					return nil, bad("empty dynamap tag")
				}
				if !sf.IsExported() && !sf.Anonymous {
					if hasRoles {
						return nil, bad("a dynamap tag on an unexported field (the codec does not store it)")
					}
					continue
				}
				tg := parseCodecTag(sf.Tag, tagKey)
				if tg.ignore {
					if hasRoles {
						return nil, bad(fmt.Sprintf("a dynamap tag on a field the codec ignores (%s:\"-\")", tagKey))
					}
					continue
				}
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				index := append(slices.Clone(l.index), i)
				if !sf.Anonymous || tg.name != "" || ft.Kind() != reflect.Struct || ft.ConvertibleTo(timeType) {
					if !sf.IsExported() {
						if hasRoles {
							return nil, bad("a dynamap tag on an unexported field (the codec does not store it)")
						}
						continue
					}
					c := candidate{attr: sf.Name, index: index, goName: goName, sf: sf, tag: tg, roles: roles, hiddenPtr: l.hiddenPtr}
					if tg.name != "" {
						c.attr, c.fromTag = tg.name, true
					}
					fields = append(fields, c)
					if count[l.typ] > 1 {
						fields = append(fields, c)
					}
					if hasRoles {
						tagged = append(tagged, c)
					}
					continue
				}
				if hasRoles {
					return nil, bad("a dynamap tag on an embedded struct whose fields are promoted: tag its fields instead")
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					hidden := l.hiddenPtr
					if hidden == "" && !sf.IsExported() && sf.Type.Kind() == reflect.Pointer {
						hidden = goName
					}
					next = append(next, level{typ: ft, index: index, goName: goName, hiddenPtr: hidden})
				}
			}
		}
	}
	sort.SliceStable(fields, func(i, j int) bool {
		a, b := fields[i], fields[j]
		if a.attr != b.attr {
			return a.attr < b.attr
		}
		if len(a.index) != len(b.index) {
			return len(a.index) < len(b.index)
		}
		return a.fromTag && !b.fromTag
	})
	var out []candidate
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].attr == fields[i].attr {
			j++
		}
		if f, ok := dominant(fields[i:j]); ok {
			out = append(out, f)
		}
		i = j
	}
	sort.Slice(out, func(i, j int) bool { return slices.Compare(out[i].index, out[j].index) < 0 })
	for _, c := range tagged {
		if !slices.ContainsFunc(out, func(o candidate) bool { return slices.Equal(o.index, c.index) }) {
			return nil, &Error{Type: t, Field: c.goName, Reason: fmt.Sprintf("a dynamap tag on a field hidden by another field named %q (the codec does not store it)", c.attr)}
		}
	}
	return out, nil
}

func dominant(fields []candidate) (candidate, bool) {
	depth := len(fields[0].index)
	tagged := -1
	for i, f := range fields {
		if len(f.index) > depth {
			fields = fields[:i]
			break
		}
		if f.fromTag {
			if tagged >= 0 {
				return candidate{}, false
			}
			tagged = i
		}
	}
	if tagged >= 0 {
		return fields[tagged], true
	}
	if len(fields) > 1 {
		return candidate{}, false
	}
	return fields[0], true
}
