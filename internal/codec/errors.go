package codec

import (
	"errors"
	"fmt"
	"strings"
)

// Prefix starts the message of every error dynamap makes, exactly once.
const Prefix = "dynamap: "

// ErrInvalidValue is the sentinel every *ValueError unwraps to; the dynamap
// package exports it as dynamap.ErrInvalidValue.
var ErrInvalidValue = errors.New(Prefix + "invalid value")

// ValueError reports a Go value that cannot be converted to or from a
// DynamoDB attribute value. It unwraps to ErrInvalidValue and to the cause.
// The dynamap package exports it as dynamap.ValueError.
type ValueError struct {
	Attribute string // attribute name or path, empty for a whole item
	Reason    string
	Err       error // cause, may be nil
}

// Error implements error.
func (e *ValueError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalidValue.Error())
	if e.Attribute != "" {
		fmt.Fprintf(&b, " for %q", e.Attribute)
	}
	if e.Reason != "" {
		b.WriteString(": " + OneLine(e.Reason))
	}
	if e.Err != nil {
		b.WriteString(": " + CauseText(e.Err))
	}
	return b.String()
}

// Unwrap returns ErrInvalidValue and the cause.
func (e *ValueError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidValue, e.Err}
	}
	return []error{ErrInvalidValue}
}

// CauseText is err's message without its leading Prefix, on one line: the
// text of an error wrapped inside another dynamap error.
func CauseText(err error) string {
	return OneLine(strings.TrimPrefix(err.Error(), Prefix))
}

// OneLine joins the non-empty lines of s with "; " (errors.Join, for
// one, puts each error on a line of its own).
func OneLine(s string) string {
	if !strings.Contains(s, "\n") {
		return s
	}
	var lines []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}
