package codec

import "reflect"

// Types are the dynamap package's number and set types: the codec stores
// them as N, SS, NS and BS wherever they appear, and makes them when it
// decodes a number or a set into an interface (as Item.Get returns them).
// Each Make function gets the attribute value's own slice and must copy
// what it keeps, except MakeBinarySet, whose members are copies already.
type Types struct {
	Number, StringSet, NumberSet, BinarySet reflect.Type

	MakeNumber    func(string) any
	MakeStringSet func([]string) any
	MakeNumberSet func([]string) any
	MakeBinarySet func([][]byte) any
}

// pub is the configuration Configure set; its reflect types are also in
// numberType, stringSetType, numberSetType and binarySetType.
var pub struct {
	makeNumber    func(string) any
	makeStringSet func([]string) any
	makeNumberSet func([]string) any
	makeBinarySet func([][]byte) any
}

var numberType, stringSetType, numberSetType, binarySetType reflect.Type

// Configure sets the codec's public types. The dynamap package calls it
// once, from its init, before anything is encoded or decoded; it is not
// safe to call concurrently with the codec's other functions.
func Configure(t Types) {
	numberType, stringSetType, numberSetType, binarySetType = t.Number, t.StringSet, t.NumberSet, t.BinarySet
	pub.makeNumber, pub.makeStringSet, pub.makeNumberSet, pub.makeBinarySet = t.MakeNumber, t.MakeStringSet, t.MakeNumberSet, t.MakeBinarySet
}
