package dynamap

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTypedMisappliedOptionDoesNotCompile: the typed calls take the
// untyped calls' option interfaces, so the same options fit and the same
// misuse is a compile error.
func TestTypedMisappliedOptionDoesNotCompile(t *testing.T) {
	const decl = "type M struct {\n\tID string `dynamap:\"hash\"`\n}\ntt := dynamap.TableOf[M](c, \"t\")\nvar m M\n_, _ = m, tt\n"
	fits := []string{
		`tt.Get(ctx, nil, dynamap.Consistent(), dynamap.Attributes("a"))`,
		`tt.Query(nil, dynamap.Reverse(), dynamap.Limit(1), dynamap.Index("i"), dynamap.StartFrom(""), dynamap.PageSize(2))`,
		`tt.Scan(nil, dynamap.Parallel(2), dynamap.Where(nil))`,
		`tt.BatchGet(nil, dynamap.Consistent(), dynamap.MaxResends(1))`,
		`tt.Put(ctx, &m, dynamap.Overwrite(), dynamap.Expected(nil), dynamap.OldItem(nil))`,
		`tt.Delete(ctx, &m, dynamap.Expected(nil))`,
		`tt.DeleteKey(ctx, nil, dynamap.Expected(nil))`,
		`tt.BatchPut(ctx, nil, dynamap.Concurrency(4), dynamap.OnProgress(nil))`,
		`tt.BatchWrite(dynamap.Concurrency(4)).Put(ctx, m)`,
		`dynamap.TableOf[M](c, "t", dynamap.WithThroughput(1, 1))`,
		`dynamap.CreateTableOf[M](ctx, c, "t", dynamap.WithStream(dynamap.NewImage))`,
	}
	for _, body := range fits {
		require.Empty(t, typeCheckUser(t, decl+body), "%s should compile", body)
	}
	misapplied := map[string]string{
		`tt.Scan(nil, dynamap.Reverse())`:                  "dynamap.ScanOption (missing method applyScan)",
		`tt.Get(ctx, nil, dynamap.Limit(1))`:               "dynamap.GetOption (missing method applyGet)",
		`tt.Delete(ctx, &m, dynamap.Overwrite())`:          "dynamap.DeleteOption (missing method applyDelete)",
		`tt.DeleteKey(ctx, nil, dynamap.Overwrite())`:      "dynamap.DeleteOption (missing method applyDelete)",
		`tt.Put(ctx, &m, dynamap.Consistent())`:            "dynamap.PutOption (missing method applyPut)",
		`tt.BatchPut(ctx, nil, dynamap.Consistent())`:      "dynamap.BatchOption (missing method applyBatch)",
		`dynamap.TableOf[M](c, "t", dynamap.Consistent())`: "dynamap.TableOption (missing method applyTable)",
	}
	for body, want := range misapplied {
		errs := typeCheckUser(t, decl+body)
		require.Len(t, errs, 1, "%s should not compile, for one reason", body)
		require.ErrorContains(t, errs[0], "does not implement "+want, body)
	}
}
