package codec

import "reflect"

// Tag is what a codec reads from one struct field's tags: dynamodbav, then
// its Options.TagKey over it (a non-empty TagKey tag replaces the name or
// "-", and adds its options).
type Tag struct {
	Name      string // the attribute name the tags give; "" for none (the Go name is used)
	Ignore    bool   // "-": the codec does not store the field
	OmitEmpty bool   // omitempty
	String    bool   // string: a number stored as an S
	Unix      bool   // unixtime: a time stored as an N of Unix seconds, whatever EncodeTime says
}

// Field is one attribute of a struct type as a codec stores it.
type Field struct {
	Name  string       // the attribute name: the tag's, else the Go field's name
	Index []int        // the reflect index path from the struct, through embedded structs
	Type  reflect.Type // the Go field's type
	Tag   Tag          // the field's tags, as the codec reads them
}

// Tag reads a struct field's tags as c does (see Tag).
func (c *Codec) Tag(st reflect.StructTag) Tag {
	return c.fieldTag(st).export()
}

func (tg fieldTag) export() Tag {
	return Tag{Name: tg.name, Ignore: tg.ignore, OmitEmpty: tg.omitEmpty, String: tg.asString, Unix: tg.asUnix}
}

// Fields returns the attributes c stores for struct type t, in field order:
// its exported fields and those promoted from embedded structs, by
// encoding/json's visibility rules (the shallowest name wins, a tagged one
// among equals, and equals otherwise cancel out). It is the one rule for
// which struct field is which attribute: encoding, decoding and typed
// models (internal/model) all use it. The slice is the caller's; the
// struct's fields are learnt once per codec and type.
func (c *Codec) Fields(t reflect.Type) []Field {
	si := c.structFields(t)
	out := make([]Field, len(si.fields))
	for i, f := range si.fields {
		out[i] = Field{Name: f.name, Index: append([]int(nil), f.index...), Type: t.FieldByIndex(f.index).Type, Tag: f.tag.export()}
	}
	return out
}

// EncodesAs returns the kind of attribute value ("S" or "B") c stores a
// value of type t as because of t's own encoding.TextMarshaler or
// BinaryMarshaler (with Options.UseEncodingMarshalers), and "" when those
// do not decide it (then the Go type's kind does, or a Marshaler).
func (c *Codec) EncodesAs(t reflect.Type) string {
	if !c.opts.UseEncodingMarshalers || ownType(t) {
		return ""
	}
	pt := reflect.PointerTo(t)
	switch {
	case t.Implements(textMarshaler) || pt.Implements(textMarshaler):
		return "S"
	case t.Implements(binMarshaler) || pt.Implements(binMarshaler):
		return "B"
	}
	return ""
}

// Memo returns the value c keeps under key, calling build the first time
// (two callers racing may both build; one result is kept). It lets what is
// derived from a codec's view of a type (a typed model, say) live as long
// as the codec and no longer. key must be comparable; use an unexported
// type so that packages do not collide.
func (c *Codec) Memo(key any, build func() any) any {
	if v, ok := c.memo.Load(key); ok {
		return v
	}
	v, _ := c.memo.LoadOrStore(key, build())
	return v
}
