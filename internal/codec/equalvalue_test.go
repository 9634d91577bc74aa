package codec

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The correctness proof of equalValue: on every value and stored attribute
// value generated here it agrees with "encodeValue, then Equal" (true only
// when that is true, and, for the kinds it covers, whenever that is true),
// and DiffStruct reports exactly what encoding the whole struct and
// comparing it attribute by attribute finds.

// eqNumber is number text (as dynamap.Number is: the codec stores a string
// type with Float64, Int64 and String methods as N).
type eqNumber string

func (n eqNumber) Float64() (float64, error) { return strconv.ParseFloat(string(n), 64) }
func (n eqNumber) Int64() (int64, error)     { return strconv.ParseInt(string(n), 10, 64) }
func (n eqNumber) String() string            { return string(n) }

type eqMyTime time.Time

type eqInner struct {
	A string  `dynamodbav:"a"`
	B int     `dynamodbav:"b,omitempty"`
	C *string `dynamodbav:"c"`
	D float32 `dynamodbav:"d,string"`
}

type eqEmbedded struct {
	E1 string `dynamodbav:"e1"`
	E2 int
}

type eqMarshaled struct{ X int }

func (m eqMarshaled) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberS{Value: fmt.Sprint("m", m.X)}, nil
}

// eqRow has a field of each kind equalValue covers, under each tag that
// changes its encoding, and some it does not cover.
type eqRow struct {
	S    string      `dynamodbav:"s"`
	SO   string      `dynamodbav:"so,omitempty"`
	SN   string      `dynamodbav:"sn,nullempty"`
	SON  string      `dynamodbav:"son,omitempty,nullempty"`
	B    bool        `dynamodbav:"b"`
	BO   bool        `dynamodbav:"bo,omitempty"`
	I    int         `dynamodbav:"i"`
	I8   int8        `dynamodbav:"i8"`
	I64O int64       `dynamodbav:"i64o,omitempty"`
	IS   int         `dynamodbav:"is,string"`
	U    uint        `dynamodbav:"u"`
	U64  uint64      `dynamodbav:"u64"`
	UP   uintptr     `dynamodbav:"up,omitempty"`
	F32  float32     `dynamodbav:"f32"`
	F64  float64     `dynamodbav:"f64"`
	F64S float64     `dynamodbav:"f64s,string"`
	N    eqNumber    `dynamodbav:"n"`
	NS   eqNumber    `dynamodbav:"nstr,string"`
	Bin  []byte      `dynamodbav:"bin"`
	BinO []byte      `dynamodbav:"bino,omitempty"`
	Arr  [3]byte     `dynamodbav:"arr"`
	T    time.Time   `dynamodbav:"t"`
	TU   time.Time   `dynamodbav:"tu,unixtime"`
	TO   time.Time   `dynamodbav:"to,omitempty"`
	MT   eqMyTime    `dynamodbav:"mt"`
	PS   *string     `dynamodbav:"ps"`
	PSO  *string     `dynamodbav:"pso,omitempty"`
	PI   *int        `dynamodbav:"pi"`
	PPT  **time.Time `dynamodbav:"ppt"`
	L    []string    `dynamodbav:"l"`
	LO   []int       `dynamodbav:"lo,omitempty"`
	LE   []string    `dynamodbav:"le,omitemptyelem"`
	LF   []float64   `dynamodbav:"lf"`
	LL   [][]int     `dynamodbav:"ll"`
	LA   [2]string   `dynamodbav:"la"`
	In   eqInner     `dynamodbav:"in"`
	PIn  *eqInner    `dynamodbav:"pin"`
	LIn  []eqInner   `dynamodbav:"lin"`
	*eqEmbedded
	// Not covered: encoded and compared by DiffStruct.
	SS  []string         `dynamodbav:"ss,stringset"`
	M   map[string]int   `dynamodbav:"m"`
	Any any              `dynamodbav:"any"`
	Mar eqMarshaled      `dynamodbav:"mar"`
	Set map[int]struct{} `dynamodbav:"set"`
	Ign string           `dynamodbav:"-"`
}

// uncovered names the attributes equalValue leaves to encoding.
var uncovered = map[string]bool{"ss": true, "m": true, "any": true, "mar": true, "set": true, "ch": true, "up": true}

type eqGen struct{ r *rand.Rand }

func (g eqGen) pick(n int) int { return g.r.IntN(n) }

func (g eqGen) str() string {
	return []string{"", "a", "b", "ab", "héllo", "1", "0"}[g.pick(7)]
}

func (g eqGen) num() string {
	return []string{"0", "1", "-1", "1.0", "1e0", "10E-1", "+1", ".5", "0.5", "5.", "5", "007", "-0", "0.0",
		"1e126", "9.9999999999999999999999999999999999999e125", "1e-130", "1e-131", "123456789012345678901234567890123456789",
		"12345678901234567890123456789012345678", "x", "", "1e", "0x1", "1_0", "0b1", "1e1001", "1e999", "1E+2", "100",
		"3.4028234663852886e+38", "3.4028235e+38", "0.1", "0.10000000149011612", "1.5e-07", "1e+21", "-1e-07"}[g.pick(37)]
}

func (g eqGen) float() float64 {
	switch g.pick(8) {
	case 0:
		return 0
	case 1:
		return []float64{math.Inf(1), math.Inf(-1), math.NaN(), 1e-300, 1e300, 1e-130, 1e126, 9.999e125, math.MaxFloat64, math.SmallestNonzeroFloat64}[g.pick(10)]
	case 2:
		return float64(float32(g.r.NormFloat64()))
	case 3:
		return float64(g.pick(5))
	case 4:
		return 0.1
	}
	return g.r.NormFloat64() * math.Pow(10, float64(g.pick(40)-20))
}

func (g eqGen) int() int64 {
	switch g.pick(4) {
	case 0:
		return 0
	case 1:
		return []int64{math.MinInt64, math.MaxInt64, -1, 1}[g.pick(4)]
	}
	return int64(g.pick(5)) - 2
}

func (g eqGen) time() time.Time {
	switch g.pick(4) {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(int64(g.pick(3)), int64(g.pick(2))*500).UTC()
	case 2:
		return time.Unix(1700000000, 0).In(time.FixedZone("x", 3600))
	}
	return time.Unix(int64(g.pick(3)), 0)
}

func (g eqGen) bytes() []byte {
	switch g.pick(4) {
	case 0:
		return nil
	case 1:
		return []byte{}
	}
	return []byte("ab"[:g.pick(3)])
}

func (g eqGen) strPtr() *string {
	if g.pick(3) == 0 {
		return nil
	}
	s := g.str()
	return &s
}

func (g eqGen) inner() eqInner {
	return eqInner{A: g.str(), B: int(g.int() % 3), C: g.strPtr(), D: float32(g.float())}
}

// row makes a random row; values are drawn from small pools so that two
// rows often agree.
func (g eqGen) row() eqRow {
	var r eqRow
	r.S, r.SO, r.SN, r.SON = g.str(), g.str(), g.str(), g.str()
	r.B, r.BO = g.pick(2) == 0, g.pick(2) == 0
	r.I, r.I8, r.I64O, r.IS = int(g.int()), int8(g.int()), g.int(), int(g.int())
	r.U, r.U64, r.UP = uint(g.pick(3)), uint64(g.int()), uintptr(g.pick(2))
	r.F32, r.F64, r.F64S = float32(g.float()), g.float(), g.float()
	r.N, r.NS = eqNumber(g.num()), eqNumber(g.num())
	r.Bin, r.BinO = g.bytes(), g.bytes()
	copy(r.Arr[:], g.bytes())
	r.T, r.TU, r.TO, r.MT = g.time(), g.time(), g.time(), eqMyTime(g.time())
	r.PS, r.PSO = g.strPtr(), g.strPtr()
	if g.pick(2) == 0 {
		i := int(g.int())
		r.PI = &i
	}
	switch g.pick(3) {
	case 1:
		var p *time.Time
		r.PPT = &p
	case 2:
		t := g.time()
		p := &t
		r.PPT = &p
	}
	for range g.pick(3) {
		r.L = append(r.L, g.str())
		r.LE = append(r.LE, g.str())
		r.LF = append(r.LF, g.float())
		r.LL = append(r.LL, []int{int(g.int())})
		r.LIn = append(r.LIn, g.inner())
	}
	if g.pick(3) == 0 {
		r.L, r.LO = []string{}, []int{}
	}
	r.LA = [2]string{g.str(), g.str()}
	r.In = g.inner()
	if g.pick(2) == 0 {
		in := g.inner()
		r.PIn = &in
	}
	if g.pick(2) == 0 {
		r.eqEmbedded = &eqEmbedded{E1: g.str(), E2: int(g.int())}
	}
	if g.pick(2) == 0 {
		r.SS = []string{g.str(), g.str()}
		r.M = map[string]int{g.str(): int(g.int())}
		r.Any = []any{g.str(), g.num()}
		r.Mar = eqMarshaled{X: g.pick(2)}
		r.Set = map[int]struct{}{g.pick(3): {}}
	}
	return r
}

// mutate returns a stored value like av: the same value in another form
// (numbers re-written), a near miss, another kind, NULL or absent.
func (g eqGen) mutate(av types.AttributeValue) types.AttributeValue {
	switch g.pick(10) {
	case 0:
		return nil
	case 1:
		return &types.AttributeValueMemberNULL{Value: true}
	case 2:
		return &types.AttributeValueMemberS{Value: g.str()}
	case 3:
		return &types.AttributeValueMemberN{Value: g.num()}
	}
	switch x := av.(type) {
	case *types.AttributeValueMemberN:
		forms := []string{x.Value + ".0", x.Value + "e0", x.Value + "0", "0" + x.Value, x.Value + "1", "+" + x.Value}
		if f, err := strconv.ParseFloat(x.Value, 64); err == nil {
			forms = append(forms, strconv.FormatFloat(f, 'e', -1, 64), strconv.FormatFloat(f, 'f', -1, 64), strconv.FormatFloat(f, 'E', 20, 64))
		}
		return &types.AttributeValueMemberN{Value: forms[g.pick(len(forms))]}
	case *types.AttributeValueMemberS:
		return &types.AttributeValueMemberS{Value: x.Value + "x"}
	case *types.AttributeValueMemberB:
		return &types.AttributeValueMemberB{Value: append(slices.Clone(x.Value), 0)}
	case *types.AttributeValueMemberBOOL:
		return &types.AttributeValueMemberBOOL{Value: !x.Value}
	case *types.AttributeValueMemberL:
		l := slices.Clone(x.Value)
		if len(l) > 0 && g.pick(2) == 0 {
			i := g.pick(len(l))
			l[i] = g.mutate(l[i])
			if l[i] == nil {
				l = slices.Delete(l, i, i+1)
			}
		} else {
			l = append(l, &types.AttributeValueMemberS{Value: "a"})
		}
		return &types.AttributeValueMemberL{Value: l}
	case *types.AttributeValueMemberM:
		m := make(map[string]types.AttributeValue, len(x.Value)+1)
		for k, v := range x.Value {
			m[k] = v
		}
		for k := range m {
			if g.pick(2) == 0 {
				if m[k] = g.mutate(m[k]); m[k] == nil {
					delete(m, k)
				}
				break
			}
		}
		if g.pick(4) == 0 {
			m["extra"] = &types.AttributeValueMemberS{Value: "a"}
		}
		return &types.AttributeValueMemberM{Value: m}
	}
	return av
}

// refEqual is what equalValue must agree with: encode, then Equal.
func refEqual(c *Codec, v reflect.Value, tg fieldTag, old types.AttributeValue) bool {
	av, err := c.encodeValue(v, tg)
	if err != nil {
		return false
	}
	if av == nil {
		return old == nil
	}
	return old != nil && Equal(old, av)
}

func TestEqualValueMatchesEncodeThenEqual(t *testing.T) {
	codecs := map[string]*Codec{
		"default":  New(Options{}),
		"omittime": New(Options{OmitEmptyTime: true}),
		"enctime": New(Options{EncodeTime: func(tm time.Time) (types.AttributeValue, error) {
			return &types.AttributeValueMemberN{Value: strconv.FormatInt(tm.UnixMilli(), 10)}, nil
		}}),
		"textmarshal": New(Options{UseEncodingMarshalers: true}),
	}
	g := eqGen{rand.New(rand.NewPCG(1, 2))}
	seen := map[string]int{} // covered attribute → times found equal
	for name, c := range codecs {
		si := c.structFields(reflect.TypeFor[eqRow]())
		for range 400 {
			a, b := g.row(), g.row()
			va, vb := reflect.ValueOf(&a).Elem(), reflect.ValueOf(&b).Elem()
			for _, f := range si.fields {
				fv, ok := fieldByIndex(va, f.index)
				if !ok {
					continue
				}
				var olds []types.AttributeValue
				for _, v := range []reflect.Value{va, vb} {
					w, ok := fieldByIndex(v, f.index)
					if !ok {
						olds = append(olds, nil)
						continue
					}
					own, _ := c.encodeValue(w, f.tag)
					olds = append(olds, own, g.mutate(own), g.mutate(own))
					if own != nil {
						olds = append(olds, Clone(own))
					}
				}
				for _, old := range olds {
					got, want := c.equalValue(fv, f.tag, old), refEqual(c, fv, f.tag, old)
					if got && !want || want && !got && !uncovered[f.name] && !(name == "enctime" && (f.name == "t" || f.name == "to" || f.name == "mt" || f.name == "ppt")) {
						t.Fatalf("%s codec, attribute %s = %#v against %#v: equalValue %v, encode then Equal %v", name, f.name, fv.Interface(), old, got, want)
					}
					if got {
						seen[f.name]++
					}
				}
			}
		}
	}
	for _, f := range New(Options{}).structFields(reflect.TypeFor[eqRow]()).fields {
		if !uncovered[f.name] && seen[f.name] == 0 {
			t.Errorf("attribute %s never found equal: the generator does not reach it", f.name)
		}
	}
}

// TestDiffStructMatchesEncodedDiff: DiffStruct reports what encoding the
// whole struct and comparing attribute by attribute reports.
func TestDiffStructMatchesEncodedDiff(t *testing.T) {
	c := New(Options{})
	g := eqGen{rand.New(rand.NewPCG(3, 4))}
	skip := func(name string) bool { return name == "s" || name == "gone-skipped" }
	compared := 0
	for i := range 1500 {
		a, b := g.row(), g.row()
		sanitize(c, &b)
		if i%4 != 0 {
			sanitize(c, &a)
		}
		encA, errA := c.encodeValue(reflect.ValueOf(&a).Elem(), fieldTag{})
		encB, err := c.encodeValue(reflect.ValueOf(&b).Elem(), fieldTag{})
		if err != nil {
			t.Fatal(err)
		}
		before := encB.(*types.AttributeValueMemberM).Value
		for k, v := range before {
			if g.pick(4) == 0 {
				before[k] = g.mutate(v)
				if before[k] == nil {
					delete(before, k)
				}
			}
		}
		before["gone"] = &types.AttributeValueMemberS{Value: "x"}
		before["gone-skipped"] = &types.AttributeValueMemberS{Value: "x"}
		got := map[string]types.AttributeValue{}
		ok, err := c.DiffStruct(reflect.ValueOf(&a).Elem(), before, skip, func(name string, av types.AttributeValue) {
			if _, dup := got[name]; dup {
				t.Fatalf("%s reported twice", name)
			}
			got[name] = av
		})
		if !ok {
			t.Fatal("DiffStruct: not a plain struct")
		}
		if errA != nil {
			// Whatever fails to encode is not equal to anything: DiffStruct
			// encodes it and fails too (unless it is skipped).
			var ve *ValueError
			if err == nil && (!errors.As(errA, &ve) || !skip(ve.Attribute)) {
				t.Fatalf("encoding fails (%v), DiffStruct does not", errA)
			}
			continue
		}
		if err != nil {
			t.Fatalf("DiffStruct: %v; the encoding succeeds", err)
		}
		compared++
		after := encA.(*types.AttributeValueMemberM).Value
		want := map[string]types.AttributeValue{}
		for name, av := range after {
			if old, had := before[name]; !skip(name) && (!had || !Equal(old, av)) {
				want[name] = av
			}
		}
		for name := range before {
			if _, ok := after[name]; !ok && !skip(name) {
				want[name] = nil
			}
		}
		if len(got) != len(want) {
			t.Fatalf("DiffStruct changed %v, want %v", slices.Sorted(mapsKeys(got)), slices.Sorted(mapsKeys(want)))
		}
		for name, w := range want {
			gv, ok := got[name]
			if !ok || (w == nil) != (gv == nil) || w != nil && !Equal(w, gv) {
				t.Fatalf("DiffStruct %s = %#v, want %#v", name, gv, w)
			}
		}
	}
	if compared < 100 {
		t.Errorf("only %d of 1500 rows encode: the test compares too few", compared)
	}
}

// sanitize replaces the fields of r that do not encode with values that do.
func sanitize(c *Codec, r *eqRow) {
	v := reflect.ValueOf(r).Elem()
	for _, f := range c.structFields(v.Type()).fields {
		fv, ok := fieldByIndex(v, f.index)
		if !ok {
			continue
		}
		if _, err := c.encodeValue(fv, f.tag); err != nil {
			fv.SetZero()
			if fv.Kind() == reflect.String {
				fv.SetString("1")
			}
		}
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestDiffStructNotPlain(t *testing.T) {
	c := New(Options{})
	for _, v := range []any{eqMarshaled{}, time.Time{}, "s"} {
		ok, err := c.DiffStruct(reflect.ValueOf(v), nil, func(string) bool { return false }, func(string, types.AttributeValue) { t.Fatal("called") })
		if ok || err != nil {
			t.Errorf("DiffStruct(%T) = %v, %v; want false, nil", v, ok, err)
		}
	}
}

// FuzzNumberText: the allocation-free number check and comparison agree
// with CheckNumber and NumberEqual.
func FuzzNumberText(f *testing.F) {
	g := eqGen{rand.New(rand.NewPCG(5, 6))}
	for range 200 {
		a := g.num()
		b := g.num()
		if m, ok := g.mutate(&types.AttributeValueMemberN{Value: a}).(*types.AttributeValueMemberN); ok {
			b = m.Value
		}
		f.Add(a, b)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := numberOK(a), CheckNumber(a) == nil; got != want {
			t.Fatalf("numberOK(%q) = %v, CheckNumber ok %v", a, got, want)
		}
		if got, want := numberOK([]byte(a)), CheckNumber(a) == nil; got != want {
			t.Fatalf("numberOK([]byte %q) = %v, want %v", a, got, want)
		}
		if eq, known := numberTextEqual(a, b); known && eq != NumberEqual(a, b) {
			t.Fatalf("numberTextEqual(%q, %q) = %v, NumberEqual %v", a, b, eq, NumberEqual(a, b))
		}
		if numberOK(a) && numberOK(b) {
			n := &types.AttributeValueMemberN{Value: b}
			if got, want := equalNumberText(a, false, n), NumberEqual(a, b); got != want {
				t.Fatalf("equalNumberText(%q, N %q) = %v, want %v", a, b, got, want)
			}
		}
	})
}
