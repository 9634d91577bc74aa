// Command bench runs the dynamap benchmarks against the raw SDK and
// guregu/dynamo v2, prints a table of medians and ratios, and writes
// RESULTS.md and ratios.png (in the current directory unless -out says
// otherwise). After a full run (no -quick, no -sections) it regenerates
// the benchmark table of the project README (-readme, default
// ../README.md) from the RESULTS.md it wrote; -readme-only does just that
// from an existing RESULTS.md, without running anything.
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
	sections := flag.String("sections", "", "comma-separated sections to run: "+strings.Join(bench.SectionNames(), ",")+" (default all)")
	out := flag.String("out", ".", "directory for RESULTS.md and ratios.png")
	readme := flag.String("readme", filepath.Join("..", "README.md"), "README whose benchmark table a full run regenerates (\"\": none)")
	readmeOnly := flag.Bool("readme-only", false, "run nothing: regenerate -readme's benchmark table from -out's RESULTS.md")
	flag.Parse()

	if *readmeOnly {
		if err := updateReadme(filepath.Join(*out, "RESULTS.md"), *readme); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	cfg := bench.Config{Quick: *quick, Endpoint: *endpoint, Log: os.Stderr}
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
	if *readme != "" && !*quick && len(cfg.Sections) == 0 {
		if err := updateReadme(filepath.Join(*out, "RESULTS.md"), *readme); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// updateReadme rewrites readme's benchmark table from the RESULTS.md at
// results.
func updateReadme(results, readme string) error {
	md, err := os.ReadFile(results)
	if err != nil {
		return err
	}
	res, err := bench.ParseResults(md)
	if err != nil {
		return fmt.Errorf("%s: %w", results, err)
	}
	table, err := bench.ReadmeTable(res)
	if err != nil {
		return fmt.Errorf("%s: %w", results, err)
	}
	old, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	updated, err := bench.UpdateReadme(old, table)
	if err != nil {
		return fmt.Errorf("%s: %w", readme, err)
	}
	if err := os.WriteFile(readme, updated, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "regenerated the benchmark table of %s from %s\n", readme, results)
	return nil
}
