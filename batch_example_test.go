package dynamap_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/dynamap/dynamap"
)

func ExampleTable_BatchWrite() {
	ctx := context.Background()
	users := createUsers(ctx, localConn())
	defer users.DeleteTable(ctx)

	var all []User // what to load
	for i := range 60 {
		all = append(all, User{Username: fmt.Sprintf("user%03d", i), DateJoined: int64(1366056600 + i), FirstName: "Ann"})
	}

	written := 0
	bt := users.BatchWrite(
		dynamap.Concurrency(4), // up to 4 BatchWriteItem calls in flight while you keep adding
		dynamap.OnProgress(func(w, pending int) { written = w }), // serialized calls, in order
	)
	for _, u := range all {
		if err := bt.PutItem(ctx, u); err != nil { // buffered: 25 requests make one BatchWriteItem
			log.Fatal(err) // a bad key, an item over 400 KB, or an earlier batch that failed
		}
	}
	if err := bt.DeleteItem(ctx, dynamap.Key{"username": "user000", "date_joined": 1366056600}); err != nil {
		log.Fatal(err)
	}
	err := bt.Close(ctx) // flush, re-send what DynamoDB left unprocessed, wait
	var ue *dynamap.UnprocessedError
	if errors.As(err, &ue) {
		// Nothing is dropped: what could not be written within the retry budget is here.
		log.Fatalf("not written: %d puts, %d deletes (last error: %v)", len(ue.Puts), len(ue.Deletes), ue.Err)
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("requests written:", written)

	n, err := users.Scan(nil, dynamap.Consistent()).Count(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("items:", n)
	// Output:
	// requests written: 61
	// items: 59
}

func ExampleTable_BatchWriteFunc() {
	ctx := context.Background()
	users := createUsers(ctx, localConn())
	defer users.DeleteTable(ctx)

	err := users.BatchWriteFunc(ctx, func(b *dynamap.BatchTable) error {
		for i := range 100 {
			if err := b.PutItem(ctx, map[string]any{"username": fmt.Sprintf("user%04d", i), "date_joined": 1366056600 + i, "score": i}); err != nil {
				return err
			}
		}
		return nil
	}, dynamap.MaxResends(20), dynamap.Backoff(50*time.Millisecond, 5*time.Second)) // always closed
	if err != nil {
		log.Fatal(err)
	}

	n, err := users.Scan(nil, dynamap.Consistent()).Count(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("items:", n)
	// Output:
	// items: 100
}

func ExampleBatchTable_PutItem() {
	ctx := context.Background()
	events := createTable(ctx, localConn(), "events", []dynamap.KeyField{dynamap.HashKey("id")})
	defer events.DeleteTable(ctx)

	// One writer for the whole server. Each handler hands its item over with
	// its request's context, which ends when the handler returns: that
	// cancels nothing, the writer sends in the background under a context of
	// its own (the dispatching call's, without its cancellation).
	bt := events.BatchWrite(dynamap.Concurrency(4))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /events", func(w http.ResponseWriter, r *http.Request) {
		item := map[string]any{"id": r.FormValue("id"), "body": r.FormValue("body")}
		if err := bt.PutItem(r.Context(), item); err != nil {
			// Not accepted: a bad item, r.Context() ended while waiting for a
			// free send slot, or *UnprocessedError for earlier items.
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted) // sent once 25 are buffered, or by Close
	})
	srv := httptest.NewServer(mux)

	// Clients post 30 events, then one without an id.
	var codes []int
	for i := range 31 {
		id := strconv.Itoa(i)
		if i == 30 {
			id = ""
		}
		resp, err := http.PostForm(srv.URL+"/events", url.Values{"id": {id}, "body": {"hello"}})
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		if !slices.Contains(codes, resp.StatusCode) {
			codes = append(codes, resp.StatusCode)
		}
	}
	fmt.Println("answers:", codes)

	// On shutdown: stop the server, then Close the writer. Only Close's
	// context can cancel the sends in flight.
	srv.Close()
	shutdown, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := bt.Close(shutdown); err != nil {
		log.Fatal(err) // *UnprocessedError: what was not written
	}

	n, err := events.Scan(nil, dynamap.Consistent()).Count(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("events:", n)
	// Output:
	// answers: [202 503]
	// events: 30
}

func ExampleTable_BatchGet() {
	ctx := context.Background()
	users := createUsers(ctx, localConn())
	defer users.DeleteTable(ctx)

	for _, u := range []User{
		{Username: "johndoe", DateJoined: 1366056668, FirstName: "John"},
		{Username: "jane", DateJoined: 1366056700, FirstName: "Jane"},
	} {
		if err := users.PutItem(ctx, u); err != nil {
			log.Fatal(err)
		}
	}

	keys := []dynamap.Key{
		{"username": "johndoe", "date_joined": 1366056668},
		{"username": "jane", "date_joined": 1366056700},
		{"username": "nobody", "date_joined": 1},
	}
	var names []string
	for item, err := range users.BatchGet(keys, dynamap.Consistent(), dynamap.Attributes("username", "first_name")).All(ctx) {
		if err != nil {
			log.Fatal(err) // *KeyError before any request; *UnprocessedError lists keys not read (also when ctx ends)
		}
		name, _ := item.GetString("first_name")
		names = append(names, name) // "nobody" is simply absent
	}
	slices.Sort(names) // BatchGet yields items in no particular order
	fmt.Println(names)
	// Output:
	// [Jane John]
}

func ExampleTransactWrite() {
	ctx := context.Background()
	c := localConn()
	accounts := createTable(ctx, c, "accounts", []dynamap.KeyField{dynamap.HashKey("id")})
	defer accounts.DeleteTable(ctx)
	ledger := createTable(ctx, c, "ledger", []dynamap.KeyField{dynamap.HashKey("id")})
	defer ledger.DeleteTable(ctx)

	for _, a := range []map[string]any{
		{"id": "alice", "balance": 100}, {"id": "bob", "balance": 20}, {"id": "bank", "status": "open"},
	} {
		if err := accounts.PutItem(ctx, a); err != nil {
			log.Fatal(err)
		}
	}

	// transfer moves amount from alice to bob and records it in the ledger,
	// all or nothing.
	transfer := func(id string, amount int) error {
		return dynamap.TransactWrite(ctx, c,
			accounts.TxUpdate(dynamap.Key{"id": "alice"}, dynamap.Add("balance", -amount), dynamap.If(dynamap.Filter{"balance__gte": amount})),
			accounts.TxUpdate(dynamap.Key{"id": "bob"}, dynamap.Add("balance", amount)),
			ledger.TxPut(map[string]any{"id": id, "from": "alice", "to": "bob", "amount": amount}), // refuses to clobber; Overwrite() to allow
			accounts.TxCheck(dynamap.Key{"id": "bank"}, dynamap.Filter{"status__eq": "open"}),
			dynamap.IdempotencyToken(id), // a retried call is applied at most once
		)
	}
	fmt.Println("tx-42:", transfer("tx-42", 30))

	err := transfer("tx-43", 500)
	var tce *dynamap.TransactionCanceledError
	if errors.As(err, &tce) {
		for _, r := range tce.Reasons { // one per action, in order
			fmt.Printf("tx-43 action %d: %s\n", r.Index, r.Code)
		}
	}

	items, err := dynamap.TransactGet(ctx, c,
		accounts.TxGet(dynamap.Key{"id": "alice"}),
		accounts.TxGet(dynamap.Key{"id": "bob"}),
		ledger.TxGet(dynamap.Key{"id": "tx-43"}, dynamap.Attributes("amount")),
	)
	if err != nil {
		log.Fatal(err)
	}
	// Items come in request order, nil where no item has the key.
	fmt.Println("alice:", items[0].Get("balance"), "bob:", items[1].Get("balance"), "tx-43 recorded:", items[2] != nil)
	// Output:
	// tx-42: <nil>
	// tx-43 action 0: ConditionalCheckFailed
	// tx-43 action 1: None
	// tx-43 action 2: None
	// tx-43 action 3: None
	// alice: 70 bob: 50 tx-43 recorded: false
}
