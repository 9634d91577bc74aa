package capacity

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/codec"
)

// DynamoDB's capacity unit sizes.
const (
	WriteUnitBytes = 1024     // one WCU writes up to 1 KB
	ReadUnitBytes  = 4 * 1024 // one RCU reads up to 4 KB strongly consistent
)

// WriteUnits is what writing an item of size bytes costs: one unit per
// started kilobyte, at least one (an empty delete costs one too).
func WriteUnits(size int) float64 {
	return math.Max(1, math.Ceil(float64(size)/WriteUnitBytes))
}

// ReadUnits is what reading size bytes costs: one unit per started 4 KB
// for a strongly consistent read, half of that for an eventually consistent
// one, and at least that of one 4 KB block (reading nothing, such as a
// missing item, costs the minimum). For Query and Scan, size is the sum of
// the page's item sizes, rounded up once.
func ReadUnits(size int, consistent bool) float64 {
	u := math.Max(1, math.Ceil(float64(size)/ReadUnitBytes))
	if !consistent {
		u /= 2
	}
	return u
}

// ItemSize is an item's size as DynamoDB counts it (attribute names plus
// values: see codec.ItemSize), for an item in DynamoDB's JSON wire form
// ({"name": {"S": "..."}, ...}).
func ItemSize(raw json.RawMessage) (int, error) {
	item, err := WireItem(raw)
	if err != nil {
		return 0, err
	}
	return codec.ItemSize(item), nil
}

// WireItem decodes an item in DynamoDB's JSON wire form.
func WireItem(raw json.RawMessage) (map[string]types.AttributeValue, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("capacity: item: %w", err)
	}
	return wireMap(m)
}

func wireMap(m map[string]json.RawMessage) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		av, err := WireValue(v)
		if err != nil {
			return nil, fmt.Errorf("capacity: attribute %q: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

// wireAV is one attribute value in DynamoDB's JSON wire form: exactly one
// field is set (binaries are base64, which encoding/json decodes).
type wireAV struct {
	S    *string
	N    *string
	B    []byte
	BOOL *bool
	NULL *bool
	SS   []string
	NS   []string
	BS   [][]byte
	L    []json.RawMessage
	M    map[string]json.RawMessage
}

// WireValue decodes one attribute value in DynamoDB's JSON wire form.
func WireValue(raw json.RawMessage) (types.AttributeValue, error) {
	var w wireAV
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, err
	}
	switch {
	case w.S != nil:
		return &types.AttributeValueMemberS{Value: *w.S}, nil
	case w.N != nil:
		return &types.AttributeValueMemberN{Value: *w.N}, nil
	case w.B != nil:
		return &types.AttributeValueMemberB{Value: w.B}, nil
	case w.BOOL != nil:
		return &types.AttributeValueMemberBOOL{Value: *w.BOOL}, nil
	case w.NULL != nil:
		return &types.AttributeValueMemberNULL{Value: *w.NULL}, nil
	case w.SS != nil:
		return &types.AttributeValueMemberSS{Value: w.SS}, nil
	case w.NS != nil:
		return &types.AttributeValueMemberNS{Value: w.NS}, nil
	case w.BS != nil:
		return &types.AttributeValueMemberBS{Value: w.BS}, nil
	case w.L != nil:
		l := make([]types.AttributeValue, len(w.L))
		for i, e := range w.L {
			av, err := WireValue(e)
			if err != nil {
				return nil, err
			}
			l[i] = av
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case w.M != nil:
		m, err := wireMap(w.M)
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, errors.New("capacity: attribute value of no known type")
}

// KeyText is a canonical text of the key attributes names of item (in the
// wire form), numbers compared as decimals: equal keys give equal text. It
// matches the items of a BatchGetItem answer to the keys asked.
func KeyText(item map[string]types.AttributeValue, names []string) string {
	var b []byte
	for _, n := range names {
		b = append(b, n...)
		b = append(b, 0)
		b = codec.AppendKey(b, item[n])
	}
	return string(b)
}
