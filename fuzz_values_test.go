package dynamap

import (
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// avBuilder builds an attribute value tree from fuzz bytes, deterministically:
// each byte read chooses a kind, a length or a character. Exhausted input
// reads as zeros, so every byte string describes a finite tree.
type avBuilder struct {
	data  []byte
	nodes int
}

func (b *avBuilder) byte() byte {
	if len(b.data) == 0 {
		return 0
	}
	c := b.data[0]
	b.data = b.data[1:]
	return c
}

func (b *avBuilder) bytes() []byte {
	n := int(b.byte() % 12)
	out := make([]byte, 0, n) // never nil: DynamoDB's B is never null
	for range n {
		out = append(out, b.byte())
	}
	return out
}

func (b *avBuilder) str() string {
	return string(b.bytes()) // any bytes, valid UTF-8 or not
}

// number builds valid decimal text: sign, digits, fraction, exponent, in
// the shapes DynamoDB and Go's formatting produce.
func (b *avBuilder) number() string {
	var sb strings.Builder
	c := b.byte()
	if c&1 != 0 {
		sb.WriteByte('-')
	}
	nd := 1 + int(b.byte()%20)
	for range nd {
		sb.WriteByte('0' + b.byte()%10)
	}
	if c&2 != 0 {
		sb.WriteByte('.')
		for range 1 + int(b.byte()%10) {
			sb.WriteByte('0' + b.byte()%10)
		}
	}
	if c&4 != 0 {
		sb.WriteString([]string{"e", "E", "e+", "e-"}[c>>3&3])
		sb.WriteString(big.NewInt(int64(b.byte() % 130)).String())
	}
	return sb.String()
}

func (b *avBuilder) value(depth int) types.AttributeValue {
	b.nodes++
	kind := b.byte() % 10
	if depth >= 4 || b.nodes > 64 {
		kind %= 7 // scalars and sets only
	}
	switch kind {
	case 0:
		return &types.AttributeValueMemberS{Value: b.str()}
	case 1:
		return &types.AttributeValueMemberN{Value: b.number()}
	case 2:
		return &types.AttributeValueMemberB{Value: b.bytes()}
	case 3:
		return &types.AttributeValueMemberBOOL{Value: b.byte()&1 == 1}
	case 4:
		n := 1 + int(b.byte()%4)
		ss := make([]string, n)
		for i := range ss {
			ss[i] = b.str()
		}
		return &types.AttributeValueMemberSS{Value: ss}
	case 5:
		n := 1 + int(b.byte()%4)
		ns := make([]string, n)
		for i := range ns {
			ns[i] = b.number()
		}
		return &types.AttributeValueMemberNS{Value: ns}
	case 6:
		if b.byte()&1 == 0 {
			return &types.AttributeValueMemberNULL{Value: true}
		}
		n := 1 + int(b.byte()%4)
		bs := make([][]byte, n)
		for i := range bs {
			bs[i] = b.bytes()
		}
		return &types.AttributeValueMemberBS{Value: bs}
	case 7, 8:
		n := int(b.byte() % 5)
		l := make([]types.AttributeValue, n)
		for i := range l {
			l[i] = b.value(depth + 1)
		}
		return &types.AttributeValueMemberL{Value: l}
	default:
		return &types.AttributeValueMemberM{Value: b.attrs(depth + 1)}
	}
}

// attrs builds a map whose names are drawn from a small set (so they clash
// with the decode targets' fields) or are arbitrary.
func (b *avBuilder) attrs(depth int) map[string]types.AttributeValue {
	names := []string{"s", "n", "i", "u8", "f", "ok", "raw", "num", "list", "m", "ptr", "nested", "any", "tags", "nums", "when"}
	n := int(b.byte() % 6)
	m := make(map[string]types.AttributeValue, n)
	for range n {
		var name string
		if c := b.byte(); c < 200 {
			name = names[int(c)%len(names)]
		} else {
			name = b.str()
		}
		m[name] = b.value(depth)
	}
	return m
}

// fuzzDecodeTarget has fields of many kinds, for Item.Decode.
type fuzzDecodeTarget struct {
	S      string         `dynamodbav:"s"`
	N      int            `dynamodbav:"n"`
	I      int64          `dynamodbav:"i"`
	U8     uint8          `dynamodbav:"u8"`
	F      float64        `dynamodbav:"f"`
	OK     bool           `dynamodbav:"ok"`
	Raw    []byte         `dynamodbav:"raw"`
	Num    Number         `dynamodbav:"num"`
	List   []string       `dynamodbav:"list"`
	M      map[string]int `dynamodbav:"m"`
	Ptr    *string        `dynamodbav:"ptr"`
	Nested *struct {
		S   string    `dynamodbav:"s"`
		Num []Number  `dynamodbav:"num"`
		Any any       `dynamodbav:"any"`
		L   []float32 `dynamodbav:"list"`
	} `dynamodbav:"nested"`
	Any  any              `dynamodbav:"any"`
	Tags StringSet        `dynamodbav:"tags"`
	Nums NumberSet        `dynamodbav:"nums"`
	When time.Time        `dynamodbav:"when"`
	Sets map[string]bool  `dynamodbav:"sets"`
	Arr  [2]int           `dynamodbav:"arr"`
	Ifc  map[string][]any `dynamodbav:"ifc"`
}

// fuzzSetTarget has every kind of field a set loads into.
type fuzzSetTarget struct {
	Tags  StringSet           `dynamodbav:"tags"`
	Nums  NumberSet           `dynamodbav:"nums"`
	Raw   BinarySet           `dynamodbav:"raw"`
	List  []Number            `dynamodbav:"list"`
	S     []string            `dynamodbav:"s"`
	M     map[string]struct{} `dynamodbav:"m"`
	N     map[int]struct{}    `dynamodbav:"n"`
	Num   map[Number]struct{} `dynamodbav:"num"`
	Any   any                 `dynamodbav:"any"`
	Top   []any               `dynamodbav:"top"`
	Inner *fuzzSetTarget      `dynamodbav:"nested"`
}

// FuzzValues builds an attribute value tree from the fuzz input and checks
// that unmarshalValue then marshalValue gives it back (equalAV), and that
// Item.Decode into maps and structs of many field types never panics.
func FuzzValues(f *testing.F) {
	for _, seed := range [][]byte{
		{},
		{0, 3, 'a', 'b', 'c'},
		{1, 7, 5, 1, 2, 3, 4, 5},
		{9, 3, 0, 0, 1, 1, 1, 7, 2, 8, 1},
		{7, 4, 9, 2, 1, 0, 5, 2, 3, 4, 6, 1, 2, 8, 8, 8},
		{5, 3, 6, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{9, 5, 5, 1, 5, 2, 3, 4, 7, 1, 9, 1, 2, 0, 1, 'x'},
		[]byte("\x09\x05\x00\x00\x03abc\x01\x01\x02\x07\x09\x02\x00\x08\x03\x00\x01a"),
	} {
		f.Add(seed)
	}
	tb := NewTable(nil, "fuzz", WithSchema(HashKey("s")))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := &avBuilder{data: data}
		av := b.value(0)
		// The check (what DynamoDB refuses: numbers out of range or with
		// more than 38 digits, duplicate set members) and the codec agree:
		// a value the check accepts round-trips through Get's Go values,
		// one it refuses is refused when set back, with ErrInvalidValue.
		_, checkErr := cloneCheckAV(av)
		back, err := marshalValue(unmarshalValue(av))
		if (checkErr == nil) != (err == nil) {
			t.Fatalf("check and codec disagree on %#v: check %v, codec %v", av, checkErr, err)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidValue) {
				t.Fatalf("refusal of %#v is not ErrInvalidValue: %v", av, err)
			}
		} else {
			if !equalAV(av, back) {
				t.Fatalf("round trip changed the value:\n in: %#v\nout: %#v", av, back)
			}
			if !equalAV(back, av) {
				t.Fatalf("equalAV is not symmetric for %#v", av)
			}
		}

		item := b.attrs(0)
		for name, v := range map[string]types.AttributeValue{"top": av} {
			item[name] = v
		}
		it := newLoadedItem(tb, item)
		var m map[string]any
		_ = it.Decode(&m)
		var st fuzzDecodeTarget
		if it.Decode(&st) == nil {
			// What decodes encodes again, or is refused with a typed error.
			if _, err := marshalItem(&st); err != nil && !errors.Is(err, ErrInvalidValue) {
				t.Fatalf("marshalItem(decoded struct): %v", err)
			}
		}
		var sets fuzzSetTarget
		_ = it.Decode(&sets)
		var ms map[string]string
		_ = it.Decode(&ms)
		var mn map[string]Number
		_ = it.Decode(&mn)
		_ = it.Map()
		for _, name := range it.Names() {
			_ = it.Get(name)
			_, _ = it.GetNumber(name)
			_, _ = it.GetString(name)
			_, _ = it.GetBool(name)
		}
		// Item.Map and marshalItem round-trip the whole item too.
		_, checkErr = cloneCheckAVMap(item)
		mav, err := marshalItem(it.Map())
		if (checkErr == nil) != (err == nil) {
			t.Fatalf("check and codec disagree on item %#v: check %v, codec %v", item, checkErr, err)
		}
		if err == nil && !equalAVMap(item, mav) {
			t.Fatalf("item round trip changed it:\n in: %#v\nout: %#v", item, mav)
		}
	})
}

// FuzzNumber checks that Number's methods never panic on any text, that
// Equal is reflexive and symmetric, and that the conversions agree with
// each other when they succeed.
func FuzzNumber(f *testing.F) {
	for _, s := range []string{
		"0", "-0", "42", "42.0", "4.2e1", "1E-130", "9.9999999999999999999999999999999999999E+125",
		"18446744073709551615", "-9223372036854775808", "9223372036854775808", "0x10", "1/2", "1_000",
		"1E-131", "1E+126", "12345678901234567890123456789012345678", "123456789012345678901234567890123456789",
		"100000000000000000000000000000000000000000", "0e999999", "1.0", "10E-1",
		" 7 ", "", "-", ".", "1e", "NaN", "Inf", "+5", "00012", ".5", "5.",
	} {
		f.Add(s, "42")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 200 || len(b) > 200 {
			return
		}
		n, m := Number(a), Number(b)
		i, ierr := n.Int64()
		u, uerr := n.Uint64()
		fl, ferr := n.Float64()
		r, rerr := n.Rat()
		if !n.Equal(n) {
			t.Fatalf("Equal is not reflexive for %q", a)
		}
		if n.Equal(m) != m.Equal(n) {
			t.Fatalf("Equal is not symmetric for %q, %q", a, b)
		}
		if ierr == nil {
			if rerr != nil || r.Cmp(new(big.Rat).SetInt64(i)) != 0 {
				t.Fatalf("%q: Int64 %d but Rat %v, %v", a, i, r, rerr)
			}
		}
		if uerr == nil {
			if rerr != nil || r.Cmp(new(big.Rat).SetUint64(u)) != 0 {
				t.Fatalf("%q: Uint64 %d but Rat %v, %v", a, u, r, rerr)
			}
		}
		if rerr == nil {
			if !n.Equal(Number(r.RatString())) && r.IsInt() {
				t.Fatalf("%q: not Equal to its own Rat %s", a, r.RatString())
			}
			if ferr == nil {
				if g, _ := r.Float64(); g != fl {
					t.Fatalf("%q: Float64 %v but Rat's float %v", a, fl, g)
				}
			}
		}
		// checkNumber is DynamoDB's rule: what it accepts is a number that
		// parses, and NumberOf and Marshal agree with it.
		_, nerr := NumberOf(a)
		_, merr := n.MarshalDynamoDBAttributeValue()
		if cerr := checkNumber(a); cerr == nil {
			if nerr != nil || merr != nil {
				t.Fatalf("%q: checkNumber accepts it, NumberOf %v, Marshal %v", a, nerr, merr)
			}
			if numberKey(a) != "0" && rerr != nil {
				t.Fatalf("%q: checkNumber accepts it but Rat fails: %v", a, rerr)
			}
			if checkNumber(b) == nil {
				if _, err := m.Rat(); err == nil && rerr == nil && (numberKey(a) == numberKey(b)) != n.Equal(m) {
					t.Fatalf("numberKey and Equal disagree on %q, %q", a, b)
				}
			}
		} else {
			if !errors.Is(nerr, ErrInvalidValue) || !errors.Is(merr, ErrInvalidValue) {
				t.Fatalf("%q: checkNumber refuses it (%v), NumberOf %v, Marshal %v", a, cerr, nerr, merr)
			}
		}
	})
}
