package codec

import (
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// AppendKey appends to b a canonical text of av, the value of one key
// attribute: its length, its type (S, N or B) and its text, numbers in
// CanonicalNumber form, so equal keys give equal text.
func AppendKey(b []byte, av types.AttributeValue) []byte {
	var kind byte
	var v string
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		kind, v = 'S', x.Value
	case *types.AttributeValueMemberN:
		kind, v = 'N', CanonicalNumber(x.Value)
	case *types.AttributeValueMemberB:
		kind, v = 'B', string(x.Value)
	}
	b = strconv.AppendInt(b, int64(len(v)), 10)
	b = append(b, ':', kind)
	return append(b, v...)
}

// ItemSize estimates an item's size the way DynamoDB counts it: attribute
// names plus values (UTF-8 bytes of strings, raw bytes of binaries, about one
// byte per two significant digits of numbers, and a few bytes of overhead
// per list or map element).
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + AVSize(v)
	}
	return n
}

// AVSize estimates the size of one attribute value as ItemSize counts it.
func AVSize(av types.AttributeValue) int {
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		return len(x.Value)
	case *types.AttributeValueMemberN:
		return numberSize(x.Value)
	case *types.AttributeValueMemberB:
		return len(x.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range x.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range x.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, s := range x.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range x.Value {
			n += 1 + AVSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range x.Value {
			n += 1 + len(k) + AVSize(e)
		}
		return n
	}
	return 0
}

func numberSize(s string) int {
	digits := 0
	for _, c := range strings.TrimLeft(s, "-+0.") {
		if c >= '0' && c <= '9' {
			digits++
		}
		if c == 'e' || c == 'E' {
			break
		}
	}
	return min((digits+1)/2+1, 21)
}
