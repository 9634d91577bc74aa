// Package pager is dynamap's paging engine: it turns a read plan (a page
// fetcher, its segments and where each starts) into a lazy iteration of raw
// items, sequential or one goroutine per segment, keeping the resume
// position right after each item yielded, counting with Select=COUNT, and
// encoding and decoding the opaque cursors that resume a read.
//
// The dynamap package holds the public surface: ResultSet, a thin handle
// over a Pager that wraps the raw items into Items or decodes them, and
// ErrInvalidCursor, which it exports as dynamap.ErrInvalidCursor.
package pager
