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
	m, err := Of(reflect.TypeFor[embedded](), codec.Default, reflect.TypeFor[number]())
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
	av, err := codec.Default.EncodeReflect(reflect.ValueOf(v))
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

func TestModelCachedPerTypeAndCodec(t *testing.T) {
	type jsonModel struct {
		ID string `json:"ident" dynamodbav:"id" dynamap:"hash"`
	}
	a, err := Of(reflect.TypeFor[jsonModel](), codec.Default, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Of(reflect.TypeFor[jsonModel](), codec.Default, nil)
	if a != b {
		t.Error("a second Of parsed again")
	}
	jc := codec.New(codec.Options{TagKey: "json"})
	j, err := Of(reflect.TypeFor[jsonModel](), jc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if j2, _ := Of(reflect.TypeFor[jsonModel](), jc, nil); j2 != j {
		t.Error("a second Of with the json codec parsed again")
	}
	if a.Hash.Attr != "id" || j.Hash.Attr != "ident" {
		t.Errorf("names: dynamodbav %q, json %q", a.Hash.Attr, j.Hash.Attr)
	}
	// Another codec with the same tag key has its own model, equal in content.
	j3, err := Of(reflect.TypeFor[jsonModel](), codec.New(codec.Options{TagKey: "json"}), nil)
	if err != nil || j3 == j || j3.Hash.Attr != "ident" {
		t.Errorf("another json codec: %+v, %v (same pointer: %v)", j3, err, j3 == j)
	}
}

// The model reads tags exactly as the codec does: dynamodbav first, then a
// non-empty TagKey tag over it (its name, even an empty one, or "-" wins;
// its options add), as attributevalue does.
func TestModelReadsTagsAsTheCodec(t *testing.T) {
	type m struct {
		ID      string    `dynamodbav:"id" json:",omitempty" dynamap:"hash"`       // json's empty name wins: the Go name
		Sort    int       `dynamodbav:"-" json:"sort" dynamap:"range"`             // json's name wins over dynamodbav's "-"
		Code    int       `json:"code,string" dynamap:"hash:ByCode"`               // json's option: stored as S
		Expires time.Time `dynamodbav:"exp,unixtime" json:"expires" dynamap:"ttl"` // dynamodbav's unixtime stays
		Created time.Time `json:"created,unixtime" dynamap:"created"`              // json adds unixtime
		Skipped string    `dynamodbav:"skipped" json:"-"`                          // json's "-" wins
		Updated int64     `dynamodbav:"upd" dynamap:"updated"`                     // no json tag: dynamodbav's name
	}
	jc := codec.New(codec.Options{TagKey: "json"})
	got, err := Of(reflect.TypeFor[m](), jc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash.Attr != "ID" || got.Range.Attr != "sort" || got.Range.KeyType != N ||
		got.Indexes[0].Hash.Attr != "code" || got.Indexes[0].Hash.KeyType != S ||
		got.TTL.Attr != "expires" || !got.TTL.Unix || got.Created.Attr != "created" || !got.Created.Unix ||
		got.Updated.Attr != "upd" {
		t.Errorf("model = hash %+v range %+v index %+v ttl %+v created %+v updated %+v", got.Hash, got.Range, got.Indexes[0].Hash, got.TTL, got.Created, got.Updated)
	}
	// Every role attribute is one the codec writes under that name.
	av, err := jc.EncodeReflect(reflect.ValueOf(m{ID: "a", Sort: 1, Code: 2, Expires: time.Unix(9, 0), Created: time.Unix(8, 0), Skipped: "x", Updated: 3}))
	if err != nil {
		t.Fatal(err)
	}
	item := av.(*types.AttributeValueMemberM).Value
	want := []string{"ID", "code", "created", "expires", "sort", "upd"}
	if keys := slices.Sorted(maps.Keys(item)); !slices.Equal(keys, want) {
		t.Errorf("codec wrote %v, want %v", keys, want)
	}
	if _, ok := item["code"].(*types.AttributeValueMemberS); !ok {
		t.Errorf("code = %#v, want an S", item["code"])
	}
	if n, ok := item["expires"].(*types.AttributeValueMemberN); !ok || n.Value != "9" {
		t.Errorf("expires = %#v, want N 9", item["expires"])
	}

	// The same struct under the default codec: Sort is ignored, so its
	// dynamap tag is an error.
	_, err = Of(reflect.TypeFor[m](), codec.Default, nil)
	var me *Error
	if !errors.As(err, &me) || me.Field != "Sort" || !strings.Contains(me.Reason, "ignores") {
		t.Errorf("default codec: %v, want an *Error for Sort that the codec ignores", err)
	}

	type jsonDash struct {
		ID   string `dynamap:"hash"`
		Note string `dynamodbav:"note" json:"-" dynamap:"range"`
	}
	_, err = Of(reflect.TypeFor[jsonDash](), jc, nil)
	if !errors.As(err, &me) || me.Field != "Note" || !strings.Contains(me.Reason, "ignores") {
		t.Errorf("json \"-\": %v, want an *Error for Note that the codec ignores", err)
	}
	if _, err := Of(reflect.TypeFor[jsonDash](), codec.Default, nil); err != nil {
		t.Errorf("json \"-\" under the default codec: %v", err)
	}
}

// textKey is an integer that a codec with UseEncodingMarshalers stores as
// an S (its MarshalText), and binKey one it stores as a B.
type textKey int

func (k textKey) MarshalText() ([]byte, error) { return []byte("k"), nil }

type binKey int64

func (k binKey) MarshalBinary() ([]byte, error) { return []byte{byte(k)}, nil }

func TestModelKeyTypeFollowsEncodingMarshalers(t *testing.T) {
	type m struct {
		H textKey `dynamap:"hash"`
		R binKey  `dynamap:"range"`
	}
	plain, err := Of(reflect.TypeFor[m](), codec.Default, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plain.Hash.KeyType != N || plain.Range.KeyType != N {
		t.Errorf("default codec: %s %s, want N N", plain.Hash.KeyType, plain.Range.KeyType)
	}
	enc := codec.New(codec.Options{UseEncodingMarshalers: true})
	got, err := Of(reflect.TypeFor[m](), enc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash.KeyType != S || got.Range.KeyType != B {
		t.Errorf("UseEncodingMarshalers: %s %s, want S B", got.Hash.KeyType, got.Range.KeyType)
	}
	type v struct {
		H string  `dynamap:"hash"`
		V textKey `dynamap:"version"`
	}
	_, err = Of(reflect.TypeFor[v](), enc, nil)
	var me *Error
	if !errors.As(err, &me) || me.Field != "V" || !strings.Contains(me.Reason, "version field must be an integer stored as a number") {
		t.Errorf("a version stored as S: %v", err)
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
	m, err := Of(reflect.TypeFor[movie](), codec.Default, nil)
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
		{"created int16", reflect.TypeFor[struct {
			H string `dynamap:"hash"`
			C int16  `dynamap:"created"`
		}](), "C", "cannot hold Unix seconds"},
		{"updated uint8", reflect.TypeFor[struct {
			H string `dynamap:"hash"`
			U uint8  `dynamap:"updated"`
		}](), "U", "cannot hold Unix seconds"},
		{"ttl uint16", reflect.TypeFor[struct {
			H string `dynamap:"hash"`
			E uint16 `dynamap:"ttl"`
		}](), "E", "cannot hold Unix seconds"},
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
			_, err := Of(c.typ, codec.Default, nil)
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
