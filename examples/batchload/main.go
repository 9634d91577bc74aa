// Command batchload loads a CSV stream of 5,000 "id,name,city,score" records
// into a table through a BatchTable: up to 4 BatchWriteItem calls in flight,
// a progress line every 1,000 items written, Close to flush, and an
// *UnprocessedError telling exactly which items were not written, if any.
// It then counts the table with a Scan and prints the rate.
//
// Run it with: go run ./examples/batchload
// (on an embedded DynamoDB Local, or the one in DYNAMODB_ENDPOINT).
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/dynamap/dynamap"
	"github.com/dynamap/dynamap/examples/internal/exenv"
)

const records = 5000

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	c, stop, err := exenv.Connect(ctx)
	if err != nil {
		return err
	}
	defer stop()

	players, err := dynamap.CreateTable(ctx, c, "players", []dynamap.KeyField{dynamap.HashKey("id")})
	if err != nil {
		return err
	}
	defer func() {
		if err := players.DeleteTable(context.Background()); err != nil {
			log.Print(err)
		}
	}()
	if err := players.WaitActive(ctx); err != nil {
		return err
	}

	// The records, as if read from a file.
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeCSV(pw, records)) }()

	// OnProgress is called after every BatchWriteItem answer, from a
	// goroutine of the writer; calls are serialized.
	nextReport := 1000
	bt := players.BatchWrite(
		dynamap.Concurrency(4),
		dynamap.OnProgress(func(written, pending int) {
			if written >= nextReport {
				fmt.Printf("progress: %d written, %d pending\n", written, pending)
				nextReport += 1000
			}
		}),
	)

	start := time.Now()
	sc := bufio.NewScanner(pr)
	sc.Scan() // header line
	lines := 0
	for sc.Scan() {
		lines++
		rec, err := parse(sc.Text())
		if err != nil {
			return fmt.Errorf("line %d: %w", lines+1, err)
		}
		// Buffered: 25 puts make one BatchWriteItem call. An error here is a
		// bad item (nothing buffered) or an *UnprocessedError for earlier ones.
		if err := bt.PutItem(ctx, rec); err != nil {
			_ = bt.Close(ctx)
			return report(err)
		}
	}
	if err := sc.Err(); err != nil {
		_ = bt.Close(ctx)
		return err
	}
	// Close sends what is still buffered, re-sends what DynamoDB left
	// unprocessed, and waits for every call in flight.
	if err := bt.Close(ctx); err != nil {
		return report(err)
	}
	elapsed := time.Since(start)
	fmt.Printf("closed the writer: %d records read in %v\n", lines, elapsed.Round(time.Millisecond))

	n, err := players.Scan(nil).Count(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("scan counts %d items (want %d); %.0f items/s\n", n, lines, float64(lines)/elapsed.Seconds())
	if n != int64(lines) {
		return fmt.Errorf("table holds %d items, want %d", n, lines)
	}
	fmt.Fprintln(os.Stderr, "done")
	return nil
}

// report explains a batch failure: nothing handed to a BatchTable is dropped
// silently, so what was not written is listed in the *UnprocessedError (to
// be retried later, logged or written to a dead-letter file).
func report(err error) error {
	var ue *dynamap.UnprocessedError
	if errors.As(err, &ue) {
		fmt.Printf("not written to %s: %d puts, %d deletes (last error: %v)\n", ue.Table, len(ue.Puts), len(ue.Deletes), ue.Err)
		for _, item := range ue.Puts[:min(len(ue.Puts), 5)] {
			fmt.Println("  e.g.", item["id"])
		}
	}
	return err
}

// writeCSV writes a header and n records.
func writeCSV(w io.Writer, n int) error {
	bw := bufio.NewWriter(w)
	cities := []string{"Lisbon", "Oslo", "Lagos", "Lima", "Osaka"}
	fmt.Fprintln(bw, "id,name,city,score")
	for i := range n {
		if _, err := fmt.Fprintf(bw, "p%05d,Player %d,%s,%d.%02d\n", i, i, cities[i%len(cities)], i*7%1000, i%100); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// parse turns one CSV line into an item. The score is kept as an exact
// decimal.
func parse(line string) (map[string]any, error) {
	f := strings.Split(line, ",")
	if len(f) != 4 {
		return nil, fmt.Errorf("want 4 fields, got %d", len(f))
	}
	score, err := dynamap.NumberOf(f[3])
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": f[0], "name": f[1], "city": f[2], "score": score}, nil
}
