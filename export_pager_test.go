package dynamap

import "github.com/dynamap/dynamap/internal/pager"

// The root package's tests reach the pager's cursor codec (internal/pager)
// under the names they had when it lived here.

type (
	cursorJSON  = pager.CursorJSON
	cursorSegJS = pager.CursorSegJS
)

func encodeCursor(table, index string, total int, segs []segState) string {
	return pager.EncodeCursor(table, index, total, segs)
}

func decodeCursor(cursor, table, index string, total int, wantSegs []int, keyAttrs map[string]keySpec) ([]segState, error) {
	return pager.DecodeCursor(cursor, table, index, total, wantSegs, keyAttrs)
}

func validKeyNumber(s string) bool { return pager.ValidKeyNumber(s) }
