package dynamap

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	exportsOnce sync.Once
	exports     map[string]string // import path -> export data file
	exportsErr  error
)

// typeCheckUser type-checks body as the body of a function in a package
// that imports this module's dynamap package (as a user's code does, so
// only the exported API is visible) and returns the type errors. body sees
// ctx (context.Context), c (*conn.Conn), t (*dynamap.Table) and it
// (*dynamap.Item). The package is compiled once with go list -export; the
// check itself runs in-process with go/types.
func typeCheckUser(t *testing.T, body string) []error {
	t.Helper()
	exportsOnce.Do(func() {
		cmd := exec.Command("go", "list", "-export", "-deps",
			"-f", "{{if .Export}}{{.ImportPath}}\t{{.Export}}{{end}}",
			"context", "github.com/dynamap/dynamap")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			exportsErr = fmt.Errorf("go list -export: %v\n%s", err, stderr.String())
			return
		}
		exports = map[string]string{}
		for line := range strings.Lines(string(out)) {
			path, file, ok := strings.Cut(strings.TrimSpace(line), "\t")
			if ok {
				exports[path] = file
			}
		}
	})
	require.NoError(t, exportsErr)
	src := "package user\n\nimport (\n\t\"context\"\n\n\t\"github.com/dynamap/dynamap\"\n\t\"github.com/dynamap/dynamap/conn\"\n)\n\n" +
		"func use(ctx context.Context, c *conn.Conn, t *dynamap.Table, it *dynamap.Item) {\n" + body + "\n}\n"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "user.go", src, 0)
	require.NoError(t, err, "snippet does not parse:\n%s", src)
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %q", path)
		}
		return os.Open(file)
	})
	var errs []error
	conf := types.Config{Importer: imp, Error: func(err error) { errs = append(errs, err) }}
	_, _ = conf.Check("user", fset, []*ast.File{f}, nil)
	return errs
}

// TestMisappliedOptionDoesNotCompile proves that the option types reject, at
// compile time, an option passed to a call it does not fit, while the
// fitting options of each call compile: options are applied by one generic
// path (applyOptions), and the typed option interfaces in the calls'
// signatures are what keeps misuse out.
func TestMisappliedOptionDoesNotCompile(t *testing.T) {
	fits := []string{
		`t.Query(nil, dynamap.Reverse(), dynamap.Limit(1), dynamap.Consistent(), dynamap.Where(nil), dynamap.Attributes("a"))`,
		`t.Scan(nil, dynamap.Parallel(2), dynamap.Segment(0, 2), dynamap.Index("i"), dynamap.Where(nil), dynamap.Consistent())`,
		`t.GetItem(ctx, nil, dynamap.Consistent(), dynamap.Attributes("a"))`,
		`t.DeleteItem(ctx, nil, dynamap.Expected(nil))`,
		`t.PutItem(ctx, nil, dynamap.Overwrite(), dynamap.Expected(nil))`,
		`it.Delete(ctx, dynamap.Expected(nil))`,
		`it.Save(ctx, dynamap.Overwrite())`,
		`t.TxGet(nil, dynamap.Attributes("a"))`,
		`t.BatchGet(nil, dynamap.Consistent(), dynamap.Attributes("a"), dynamap.MaxResends(1))`,
		`t.BatchWrite(dynamap.OnProgress(nil), dynamap.Concurrency(2))`,
		`t.BatchWrite(dynamap.AutoConcurrency(8))`,
		`t.BatchGet(nil, dynamap.AutoConcurrency(8))`,
		`dynamap.NewTable(c, "t", dynamap.WithVersion("v"), dynamap.WithThroughput(1, 1))`,
		`t.Update(ctx, dynamap.WithGlobalThroughput("i", 1, 1), dynamap.WithOnDemand())`,
		`t.UpdateItem(ctx, nil, dynamap.SetValue("a", 1), dynamap.ReturnNew())`,
	}
	for _, body := range fits {
		require.Empty(t, typeCheckUser(t, body), "%s should compile", body)
	}
	misapplied := map[string]string{ // call -> the interface the option lacks
		`t.Scan(nil, dynamap.Reverse())`:                     "dynamap.ScanOption (missing method applyScan)",
		`t.DeleteItem(ctx, nil, dynamap.Overwrite())`:        "dynamap.DeleteOption (missing method applyDelete)",
		`it.Delete(ctx, dynamap.Overwrite())`:                "dynamap.DeleteOption (missing method applyDelete)",
		`t.TxDelete(nil, dynamap.Overwrite())`:               "dynamap.TxDeleteOption (missing method applyTxDelete)",
		`t.Query(nil, dynamap.Parallel(2))`:                  "dynamap.QueryOption (missing method applyQuery)",
		`t.GetItem(ctx, nil, dynamap.Limit(1))`:              "dynamap.GetOption (missing method applyGet)",
		`t.HasItem(ctx, nil, dynamap.Where(nil))`:            "dynamap.GetOption (missing method applyGet)",
		`t.TxGet(nil, dynamap.Consistent())`:                 "dynamap.TxGetOption (missing method applyTxGet)",
		`t.BatchGet(nil, dynamap.Reverse())`:                 "dynamap.BatchGetOption (missing method applyBatchGet)",
		`t.Scan(nil, dynamap.AutoConcurrency(4))`:            "dynamap.ScanOption (missing method applyScan)",
		`t.BatchWrite(dynamap.Consistent())`:                 "dynamap.BatchOption (missing method applyBatch)",
		`t.PutItem(ctx, nil, dynamap.Consistent())`:          "dynamap.PutOption (missing method applyPut)",
		`dynamap.NewTable(c, "t", dynamap.Consistent())`:     "dynamap.TableOption (missing method applyTable)",
		`t.Update(ctx, dynamap.WithVersion("v"))`:            "dynamap.UpdateOption (missing method applyUpdate)",
		`t.UpdateItem(ctx, nil, dynamap.Expected(nil))`:      "dynamap.UpdateItemOption (missing method applyItemUpdate)",
		`dynamap.TransactWrite(ctx, c, dynamap.Overwrite())`: "dynamap.TxOp (missing method applyTx)",
	}
	for body, want := range misapplied {
		errs := typeCheckUser(t, body)
		require.Len(t, errs, 1, "%s should not compile, for one reason", body)
		require.ErrorContains(t, errs[0], "does not implement "+want, body)
	}
}
