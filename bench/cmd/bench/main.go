// Command bench runs the dynamap benchmarks against the raw SDK and
// guregu/dynamo v2, prints a table of medians and ratios, and writes
// RESULTS.md and ratios.png (in the current directory unless -out says
// otherwise).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/dynamap/dynamap/bench"
)

func main() {
	quick := flag.Bool("quick", false, "small sizes, few rounds: a smoke run")
	endpoint := flag.String("endpoint", "", "DynamoDB Local URL (default: DYNAMODB_ENDPOINT, else start one)")
	conc := flag.Int("concurrency", 4, "dynamap batch-writer concurrency against DynamoDB Local")
	sections := flag.String("sections", "", "comma-separated sections to run: "+strings.Join(bench.SectionNames(), ",")+" (default all)")
	out := flag.String("out", ".", "directory for RESULTS.md and ratios.png")
	flag.Parse()

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	cfg := bench.Config{Quick: *quick, Endpoint: *endpoint, Concurrency: *conc, Log: os.Stderr}
	if *sections != "" {
		cfg.Sections = strings.Split(*sections, ",")
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	rep.WriteTable(os.Stdout)
	if err := bench.WriteFiles(rep, *out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "wrote %s and %s\n", filepath.Join(*out, "RESULTS.md"), filepath.Join(*out, "ratios.png"))
	if len(rep.Mismatches) > 0 {
		os.Exit(2)
	}
}
