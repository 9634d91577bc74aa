package model

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/codec"
)

type number string

type Base struct {
	ID      string    `dynamodbav:"id" dynamap:"hash"`
	Created time.Time `dynamodbav:"created" dynamap:"created"`
}

type Stamps struct {
	Updated int64 `dynamodbav:"updated_at" dynamap:"updated"`
	Version uint32
}

type embedded struct {
	Base
	*Stamps
	Sort    []byte `dynamodbav:"sort" dynamap:"range"`
	Version int    `dynamodbav:"v" dynamap:"version"` // shallower than Stamps.Version
	Skip    string `dynamodbav:"-"`
	Price   number `dynamodbav:"price" dynamap:"range:ByKind"`
	Kind    string `dynamap:"hash:ByKind"`
}

func TestModelEmbeddedFollowsCodecNames(t *testing.T) {
	m, err := Of(reflect.TypeFor[embedded](), "dynamodbav", reflect.TypeFor[number]())
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, f *Field, attr, goName, kt string) {
		t.Helper()
		if f == nil || f.Attr != attr || f.GoName != goName || f.KeyType != kt {
			t.Errorf("%s = %+v, want %s (%s) %s", what, f, attr, goName, kt)
		}
	}
	check("hash", m.Hash, "id", "Base.ID", S)
	check("range", m.Range, "sort", "Sort", B)
	check("version", m.Version, "v", "Version", "")
	check("created", m.Created, "created", "Base.Created", "")
	check("updated", m.Updated, "updated_at", "Stamps.Updated", "")
	if len(m.Indexes) != 1 || m.Indexes[0].Name != "ByKind" || m.Indexes[0].Local {
		t.Fatalf("indexes = %+v", m.Indexes)
	}
	check("index hash", m.Indexes[0].Hash, "Kind", "Kind", S)
	check("index range", m.Indexes[0].Range, "price", "Price", N)
	if !m.Updated.Unix || m.Created.Unix {
		t.Errorf("Unix: updated %v created %v, want true false", m.Updated.Unix, m.Created.Unix)
	}

	// Every role's attribute is one the codec stores under that name.
	v := embedded{Base: Base{ID: "a", Created: time.Unix(5, 0)}, Stamps: &Stamps{Updated: 7}, Sort: []byte{1}, Version: 3, Price: "1", Kind: "k"}
	av, err := codec.EncodeReflect(reflect.ValueOf(v))
	if err != nil {
		t.Fatal(err)
	}
	item := av.(*types.AttributeValueMemberM).Value
	for _, f := range []*Field{m.Hash, m.Range, m.Version, m.Created, m.Updated, m.Indexes[0].Hash, m.Indexes[0].Range} {
		if _, ok := item[f.Attr]; !ok {
			t.Errorf("the codec stores no %q (have %v)", f.Attr, slices.Sorted(maps.Keys(item)))
		}
		got, ok := f.Get(reflect.ValueOf(v))
		if !ok || !got.IsValid() {
			t.Errorf("Get(%s) failed", f.GoName)
		}
	}
	// Get through a nil embedded pointer reads nothing; Set allocates.
	var z embedded
	if _, ok := m.Updated.Get(reflect.ValueOf(z)); ok {
		t.Error("Get through a nil embedded pointer: ok")
	}
	m.Updated.Set(reflect.ValueOf(&z).Elem(), false).SetInt(9)
	if z.Stamps == nil || z.Stamps.Updated != 9 {
		t.Errorf("Set did not allocate: %+v", z.Stamps)
	}
	// Set with clone leaves the original's embedded struct alone.
	orig := embedded{Stamps: &Stamps{Updated: 1}}
	cp := orig
	m.Updated.Set(reflect.ValueOf(&cp).Elem(), true).SetInt(2)
	if orig.Stamps.Updated != 1 || cp.Stamps.Updated != 2 {
		t.Errorf("clone: orig %d copy %d, want 1 2", orig.Stamps.Updated, cp.Stamps.Updated)
	}
}

type stampsLower struct {
	V int `dynamap:"version"`
}

func TestModelCachedPerTypeAndTagKey(t *testing.T) {
	type jsonModel struct {
		ID string `json:"ident" dynamodbav:"id" dynamap:"hash"`
	}
	a, err := Of(reflect.TypeFor[jsonModel](), "dynamodbav", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Of(reflect.TypeFor[jsonModel](), "dynamodbav", nil)
	if a != b {
		t.Error("a second Of parsed again")
	}
	j, err := Of(reflect.TypeFor[jsonModel](), "json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash.Attr != "id" || j.Hash.Attr != "ident" {
		t.Errorf("names: dynamodbav %q, json %q", a.Hash.Attr, j.Hash.Attr)
	}
}

func TestModelLocalAndGlobalIndexes(t *testing.T) {
	type movie struct {
		Year   int     `dynamodbav:"year" dynamap:"hash"`
		Title  string  `dynamodbav:"title" dynamap:"range,hash:ByTitle"`
		Rating float64 `dynamodbav:"rating" dynamap:"range:ByTitle"`
		Studio string  `dynamodbav:"studio" dynamap:"range:ByStudio,local"`
		Code   int     `dynamodbav:"code,string" dynamap:"hash:ByCode"`
	}
	m, err := Of(reflect.TypeFor[movie](), "dynamodbav", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ix := range m.Indexes {
		s := ix.Name
		if ix.Local {
			s += " local"
		}
		if ix.Hash != nil {
			s += " " + ix.Hash.Attr + ":" + ix.Hash.KeyType
		}
		if ix.Range != nil {
			s += " " + ix.Range.Attr + ":" + ix.Range.KeyType
		}
		got = append(got, s)
	}
	want := []string{"ByCode code:S", "ByStudio local studio:S", "ByTitle title:S rating:N"}
	if !slices.Equal(got, want) {
		t.Errorf("indexes = %q, want %q", got, want)
	}
}

func TestModelErrors(t *testing.T) {
	type ch chan int
	cases := []struct {
		name  string
		typ   reflect.Type
		field string
		want  string
	}{
		{"no hash", reflect.TypeFor[struct {
			A string `dynamap:"range"`
		}](), "", "no hash key"},
		{"two hash", reflect.TypeFor[struct {
			A string `dynamap:"hash"`
			B string `dynamap:"hash"`
		}](), "B", "two hash keys"},
		{"two range", reflect.TypeFor[struct {
			H string `dynamap:"hash"`
			A string `dynamap:"range"`
			B int    `dynamap:"range"`
		}](), "B", "two range keys"},
		{"bool key", reflect.TypeFor[struct {
			A bool `dynamap:"hash"`
		}](), "A", "a key cannot be of type bool"},
		{"time key", reflect.TypeFor[struct {
			A time.Time `dynamap:"hash"`
		}](), "A", "a key cannot be of type time.Time"},
		{"pointer key", reflect.TypeFor[struct {
			A *string `dynamap:"hash"`
		}](), "A", "a key cannot be of type *string"},
		{"map index key", reflect.TypeFor[struct {
			H string         `dynamap:"hash"`
			M map[string]int `dynamap:"hash:ByM"`
		}](), "M", "a key cannot be of type map"},
		{"chan", reflect.TypeFor[struct {
			A ch `dynamap:"hash"`
		}](), "A", "a key cannot be of type"},
		{"version float", reflect.TypeFor[struct {
			H string  `dynamap:"hash"`
			V float64 `dynamap:"version"`
		}](), "V", "version field must be an integer"},
		{"version string", reflect.TypeFor[struct {
			H string `dynamap:"hash"`
			V string `dynamap:"version"`
		}](), "V", "version field must be an integer"},
		{"created string", reflect.TypeFor[struct {
			H string `dynamap:"hash"`
			C string `dynamap:"created"`
		}](), "C", "created field must be a time.Time or an integer"},
		{"updated pointer", reflect.TypeFor[struct {
			H string     `dynamap:"hash"`
			U *time.Time `dynamap:"updated"`
		}](), "U", "updated field must be a time.Time or an integer"},
		{"ttl not unixtime", reflect.TypeFor[struct {
			H string    `dynamap:"hash"`
			E time.Time `dynamap:"ttl"`
		}](), "E", "must be tagged unixtime"},
		{"two versions", reflect.TypeFor[struct {
			H string `dynamap:"hash"`
			A int    `dynamap:"version"`
			B int    `dynamap:"version"`
		}](), "B", "two version fields"},
		{"ignored field", reflect.TypeFor[struct {
			H string `dynamap:"hash"`
			A string `dynamodbav:"-" dynamap:"range"`
		}](), "A", "ignores"},
		{"unexported", reflect.TypeFor[struct {
			H string `dynamap:"hash"`
			a string `dynamap:"range"`
		}](), "a", "unexported"},
		{"unknown word", reflect.TypeFor[struct {
			H string `dynamap:"hash,primary"`
		}](), "H", `unknown dynamap tag word "primary"`},
		{"empty tag", reflect.TypeFor[struct {
			H string `dynamap:""`
		}](), "H", "empty dynamap tag"},
		{"index without name", reflect.TypeFor[struct {
			H string `dynamap:"hash"`
			X string `dynamap:"hash:"`
		}](), "X", "names no index"},
		{"range-only global index", reflect.TypeFor[struct {
			H string `dynamap:"hash"`
			R string `dynamap:"range"`
			X string `dynamap:"range:ByX"`
		}](), "X", "no hash key"},
		{"local index on a hash-only table", reflect.TypeFor[struct {
			H string `dynamap:"hash"`
			X string `dynamap:"range:ByX,local"`
		}](), "X", "needs a table with a range key"},
		{"local index with its own hash", reflect.TypeFor[struct {
			H string `dynamap:"hash"`
			R string `dynamap:"range"`
			X string `dynamap:"hash:ByX,local"`
		}](), "X", "takes the table's hash key"},
		{"local without index", reflect.TypeFor[struct {
			H string `dynamap:"hash,local"`
		}](), "H", "names no index"},
		{"key and version", reflect.TypeFor[struct {
			H int `dynamap:"hash,version"`
		}](), "H", "cannot also be"},
		{"two index hashes", reflect.TypeFor[struct {
			H string `dynamap:"hash"`
			A string `dynamap:"hash:ByX"`
			B string `dynamap:"hash:ByX"`
		}](), "B", `index "ByX" has two hash keys`},
		{"tag on promoted embedded struct", reflect.TypeFor[struct {
			Stamps `dynamap:"hash"`
		}](), "Stamps", "embedded struct"},
		{"hidden field", reflect.TypeFor[struct {
			Base
			ID string `dynamodbav:"id"`
		}](), "Base.ID", "hidden"},
		{"version behind an unexported embedded pointer", reflect.TypeFor[struct {
			H string `dynamap:"hash"`
			*stampsLower
		}](), "stampsLower.V", "unexported embedded pointer stampsLower"},
		{"not a struct", reflect.TypeFor[map[string]any](), "", "must be a struct"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Of(c.typ, "dynamodbav", nil)
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if me.Field != c.field || !strings.Contains(me.Reason, c.want) {
				t.Errorf("err = field %q reason %q, want field %q reason containing %q", me.Field, me.Reason, c.field, c.want)
			}
		})
	}
}
