package dynamap

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// compileSnippet builds body as the function body of a main package inside
// the module (so it imports this checkout) and returns go build's output
// and whether the build succeeded.
func compileSnippet(t *testing.T, body string) (string, bool) {
	t.Helper()
	dir, err := os.MkdirTemp(".", "compilefail")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	src := `package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/dynamap/dynamap"
)

var (
	_ context.Context
	_ *dynamodb.Options
)

func main() {
	var t *dynamap.Table
	var old *dynamap.Item
	_, _ = t, old
` + body + `
}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644))
	cmd := exec.Command("go", "build", "-o", os.DevNull, "./"+filepath.Base(dir))
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// An option that a call cannot honour is a compile error, not a run-time
// one: ReturnNew/ReturnOld and SDKOptions on a transaction action, OldItem on
// TxPut/TxDelete. The same options compile where they fit.
func TestMisappliedReturnOptionsDoNotCompile(t *testing.T) {
	ok, built := compileSnippet(t, `
	ctx := context.Background()
	_, _ = t.UpdateItem(ctx, dynamap.Key{}, dynamap.SetValue("a", 1), dynamap.ReturnNew(), dynamap.ReturnOld())
	_ = t.PutItem(ctx, map[string]any{}, dynamap.OldItem(&old), dynamap.Overwrite())
	_, _ = t.DeleteItem(ctx, dynamap.Key{}, dynamap.OldItem(&old), dynamap.Expected(dynamap.Filter{}))
	_ = t.TxUpdate(dynamap.Key{}, dynamap.SetValue("a", 1), dynamap.Strict(), dynamap.If(dynamap.Filter{}))
	_ = t.TxPut(map[string]any{}, dynamap.Overwrite(), dynamap.Expected(dynamap.Filter{}))
	_ = t.TxDelete(dynamap.Key{}, dynamap.Expected(dynamap.Filter{}))`)
	require.True(t, built, "the control snippet must compile:\n%s", ok)

	bad := []struct{ call, want string }{
		{`_ = t.TxUpdate(dynamap.Key{}, dynamap.SetValue("a", 1), dynamap.ReturnNew())`, "does not implement dynamap.UpdateAction"},
		{`_ = t.TxUpdate(dynamap.Key{}, dynamap.SetValue("a", 1), dynamap.ReturnOld())`, "does not implement dynamap.UpdateAction"},
		{`_ = t.TxPut(map[string]any{}, dynamap.OldItem(&old))`, "does not implement dynamap.TxPutOption"},
		{`_ = t.TxDelete(dynamap.Key{}, dynamap.OldItem(&old))`, "does not implement dynamap.TxDeleteOption"},
	}
	var body strings.Builder
	for _, b := range bad {
		body.WriteString("\t" + b.call + "\n")
	}
	out, built := compileSnippet(t, body.String())
	require.False(t, built, "misapplied options compiled")
	lines := strings.Split(out, "\n")
	for i, b := range bad {
		line := fmt.Sprintf("main.go:%d:", 19+i) // the body starts on line 19
		found := false
		for _, l := range lines {
			if strings.Contains(l, line) && strings.Contains(l, b.want) {
				found = true
			}
		}
		require.True(t, found, "%s: want an error %q at %s, got:\n%s", b.call, b.want, line, out)
	}
}
