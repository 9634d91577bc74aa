// Command paging serves a DynamoDB Query page by page over HTTP: the handler
// reads at most ?limit= items with dynamap.Limit, resumes from ?cursor= with
// dynamap.StartFrom, and answers {"items": [...], "next": "<cursor>"}. The
// program then plays the client: it follows "next" until it is empty,
// printing every page, and shows that a tampered cursor is refused with HTTP
// 400 (errors.Is(err, dynamap.ErrInvalidCursor)) before any DynamoDB request.
// The server is an in-process httptest.Server, so nothing else is needed.
//
// Run it with: go run ./examples/paging
// (on an embedded DynamoDB Local, or the one in DYNAMODB_ENDPOINT).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/dynamap/dynamap"
	"github.com/dynamap/dynamap/examples/internal/exenv"
)

// Event is one item of the events table (hash key user, range key ts).
type Event struct {
	User string `dynamodbav:"user" json:"user"`
	TS   int64  `dynamodbav:"ts" json:"ts"`
	Kind string `dynamodbav:"kind" json:"kind"`
}

// Page is the JSON answer of the handler. Next is "" on the last page.
type Page struct {
	Items []Event `json:"items"`
	Next  string  `json:"next"`
}

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

	events, err := dynamap.CreateTable(ctx, c, "events",
		[]dynamap.KeyField{dynamap.HashKey("user"), dynamap.RangeKey("ts", dynamap.N)})
	if err != nil {
		return err
	}
	defer func() {
		if err := events.DeleteTable(context.Background()); err != nil {
			log.Print(err)
		}
	}()
	if err := events.WaitActive(ctx); err != nil {
		return err
	}
	kinds := []string{"login", "view", "click", "logout"}
	err = events.BatchWriteFunc(ctx, func(b *dynamap.BatchTable) error {
		for i := range 23 {
			for _, user := range []string{"ann", "bob"} {
				if err := b.PutItem(ctx, Event{User: user, TS: int64(1700000000 + i*60), Kind: kinds[i%len(kinds)]}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Println("loaded 23 events for ann and 23 for bob")

	srv := httptest.NewServer(eventsHandler(events))
	defer srv.Close()

	// The client: follow "next" until it is empty.
	cursor, total := "", 0
	for n := 1; ; n++ {
		page, status, err := fetch(ctx, srv.URL, "ann", 10, cursor)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("page %d: HTTP %d", n, status)
		}
		total += len(page.Items)
		first, last := "-", "-"
		if len(page.Items) > 0 {
			first, last = strconv.FormatInt(page.Items[0].TS, 10), strconv.FormatInt(page.Items[len(page.Items)-1].TS, 10)
		}
		fmt.Printf("page %d: %d items (ts %s..%s), next cursor %d bytes\n", n, len(page.Items), first, last, len(page.Next))
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	fmt.Println("read", total, "events for ann")

	// A cursor is opaque but checked: a cut or edited one is refused.
	first, _, err := fetch(ctx, srv.URL, "ann", 10, "")
	if err != nil {
		return err
	}
	tampered := first.Next[:len(first.Next)-3]
	_, status, err := fetch(ctx, srv.URL, "ann", 10, tampered)
	if err != nil {
		return err
	}
	fmt.Println("tampered cursor answered with HTTP", status)
	if status != http.StatusBadRequest {
		return fmt.Errorf("tampered cursor: HTTP %d, want 400", status)
	}
	fmt.Fprintln(os.Stderr, "done")
	return nil
}

// eventsHandler serves GET /?user=NAME&limit=N&cursor=C.
func eventsHandler(events *dynamap.Table) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit, err := strconv.Atoi(q.Get("limit"))
		if err != nil || limit < 1 || limit > 100 {
			http.Error(w, "limit must be 1..100", http.StatusBadRequest)
			return
		}
		rs := events.Query(dynamap.Filter{"user__eq": q.Get("user")},
			dynamap.Limit(limit), dynamap.StartFrom(q.Get("cursor")))
		page := Page{Items: []Event{}}
		for ev, err := range dynamap.Items[Event](r.Context(), rs) {
			switch {
			case errors.Is(err, dynamap.ErrInvalidCursor):
				http.Error(w, "invalid cursor", http.StatusBadRequest)
				return
			case err != nil:
				log.Print(err)
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
			page.Items = append(page.Items, ev)
		}
		// Right after the last item returned; "" once the query is exhausted.
		page.Next = rs.Cursor()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(page)
	})
}

// fetch asks the server for one page.
func fetch(ctx context.Context, base, user string, limit int, cursor string) (Page, int, error) {
	v := url.Values{"user": {user}, "limit": {strconv.Itoa(limit)}}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/?"+v.Encode(), nil)
	if err != nil {
		return Page{}, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Page{}, 0, err
	}
	defer resp.Body.Close()
	var p Page
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			return Page{}, 0, err
		}
	}
	return p, resp.StatusCode, nil
}
