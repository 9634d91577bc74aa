package codec

import (
	"reflect"
	"slices"
	"testing"
)

// Fields is what the codec encodes: the same names, in field order, with
// the tags as read (dynamodbav, then TagKey over it).
func TestFieldsAreWhatTheCodecStores(t *testing.T) {
	js := New(Options{TagKey: "json"})
	for _, c := range []*Codec{Default, js} {
		fs := c.Fields(reflect.TypeFor[tagged]())
		var got []string
		for _, f := range fs {
			got = append(got, f.Name)
		}
		stored := names(encodeM(t, c, tagged{ID: "1", Both: "b", Only: "o", Skip: "s", Opt: "x", Plain: "p"}))
		if len(got) != len(stored) {
			t.Fatalf("Fields %v, encoded %v", got, stored)
		}
		for _, n := range got {
			if !stored[n] {
				t.Errorf("Fields names %q, which the codec does not store (%v)", n, stored)
			}
		}
		for _, f := range fs {
			if want := reflect.TypeFor[tagged]().FieldByIndex(f.Index).Type; f.Type != want {
				t.Errorf("%s: type %s, want %s", f.Name, f.Type, want)
			}
		}
	}
	fs := js.Fields(reflect.TypeFor[tagged]())
	i := slices.IndexFunc(fs, func(f Field) bool { return f.Name == "opt" })
	if i < 0 || !fs[i].Tag.OmitEmpty || fs[i].Tag.Name != "opt" {
		t.Errorf("json codec, Opt: %+v, want name opt with dynamodbav's omitempty", fs)
	}
	fs[0].Index[0] = 99 // the caller's copy
	if js.Fields(reflect.TypeFor[tagged]())[0].Index[0] == 99 {
		t.Error("Fields shares its index slices")
	}
	if tg := js.Tag(reflect.StructTag(`dynamodbav:"a,unixtime" json:"-"`)); !tg.Ignore || !tg.Unix {
		t.Errorf("Tag = %+v, want Ignore (json) and Unix (dynamodbav)", tg)
	}
}

type textInt int

func (textInt) MarshalText() ([]byte, error) { return []byte("x"), nil }

func TestEncodesAsAndMemo(t *testing.T) {
	enc := New(Options{UseEncodingMarshalers: true})
	if got := enc.EncodesAs(reflect.TypeFor[textInt]()); got != "S" {
		t.Errorf("EncodesAs(textInt) = %q, want S", got)
	}
	if got := Default.EncodesAs(reflect.TypeFor[textInt]()); got != "" {
		t.Errorf("default codec EncodesAs(textInt) = %q, want \"\"", got)
	}
	type key struct{ n int }
	calls := 0
	build := func() any { calls++; return calls }
	if a, b := enc.Memo(key{1}, build), enc.Memo(key{1}, build); a != 1 || b != 1 || calls != 1 {
		t.Errorf("Memo: %v %v after %d builds", a, b, calls)
	}
	if v := Default.Memo(key{1}, build); v != 2 {
		t.Errorf("another codec's Memo = %v, want its own build", v)
	}
}
