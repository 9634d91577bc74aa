package dynamap_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/dynamap/dynamap"
	"github.com/dynamap/dynamap/conn"
)

// These examples compile but do not run (no Output): they need a DynamoDB.

type exampleUser struct {
	Username string `dynamodbav:"username"`
	Name     string `dynamodbav:"name"`
}

func ExampleTable_BatchWrite() {
	ctx := context.Background()
	c, err := conn.New(ctx, func(o *conn.Options) { o.Endpoint = "http://127.0.0.1:8000" })
	if err != nil {
		log.Fatal(err)
	}
	users := dynamap.NewTable(c, "users")
	var all []exampleUser // what to load

	bt := users.BatchWrite(
		dynamap.Concurrency(4), // up to 4 BatchWriteItem calls in flight while you keep adding
		dynamap.OnProgress(func(written, pending int) { log.Printf("%d written, %d pending", written, pending) }),
	)
	for _, u := range all {
		if err := bt.PutItem(ctx, u); err != nil { // buffered: 25 requests make one BatchWriteItem
			log.Fatal(err) // a bad key, an item over 400 KB, or an earlier batch that failed
		}
	}
	if err := bt.DeleteItem(ctx, dynamap.Key{"username": "johndoe"}); err != nil {
		log.Fatal(err)
	}
	err = bt.Close(ctx) // flush, re-send what DynamoDB left unprocessed, wait
	var ue *dynamap.UnprocessedError
	if errors.As(err, &ue) {
		// Nothing is dropped: what could not be written within the retry budget is here.
		log.Printf("not written: %d puts, %d deletes (last error: %v)", len(ue.Puts), len(ue.Deletes), ue.Err)
	}
}

func ExampleTable_BatchWriteFunc() {
	ctx := context.Background()
	c, err := conn.New(ctx, func(o *conn.Options) { o.Endpoint = "http://127.0.0.1:8000" })
	if err != nil {
		log.Fatal(err)
	}
	users := dynamap.NewTable(c, "users")
	err = users.BatchWriteFunc(ctx, func(b *dynamap.BatchTable) error {
		for i := range 1000 {
			if err := b.PutItem(ctx, map[string]any{"username": fmt.Sprintf("user%04d", i), "score": i}); err != nil {
				return err
			}
		}
		return nil
	}, dynamap.MaxRetries(20), dynamap.Backoff(50*time.Millisecond, 5*time.Second)) // always closed
	if err != nil {
		log.Fatal(err)
	}
}

func ExampleBatchTable_PutItem() {
	ctx := context.Background()
	c, err := conn.New(ctx, func(o *conn.Options) { o.Endpoint = "http://127.0.0.1:8000" })
	if err != nil {
		log.Fatal(err)
	}
	events := dynamap.NewTable(c, "events")

	// One writer for the whole server. Each handler hands its item over with
	// its request's context, which ends when the handler returns: that
	// cancels nothing, the writer sends in the background under a context of
	// its own (the dispatching call's, without its cancellation).
	bt := events.BatchWrite(dynamap.Concurrency(4))
	http.HandleFunc("POST /events", func(w http.ResponseWriter, r *http.Request) {
		item := map[string]any{"id": r.FormValue("id"), "body": r.FormValue("body")}
		if err := bt.PutItem(r.Context(), item); err != nil {
			// Not accepted: a bad item, r.Context() ended while waiting for a
			// free send slot, or *UnprocessedError for earlier items.
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted) // sent once 25 are buffered, or by Close
	})
	log.Print(http.ListenAndServe("127.0.0.1:8080", nil))

	// On shutdown: only Close's context can cancel the sends in flight.
	shutdown, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := bt.Close(shutdown); err != nil {
		log.Print(err) // *UnprocessedError: what was not written
	}
}

func ExampleTable_BatchGet() {
	ctx := context.Background()
	c, err := conn.New(ctx, func(o *conn.Options) { o.Endpoint = "http://127.0.0.1:8000" })
	if err != nil {
		log.Fatal(err)
	}
	users := dynamap.NewTable(c, "users")
	keys := []dynamap.Key{{"username": "johndoe"}, {"username": "jane"}, {"username": "nobody"}}
	for item, err := range users.BatchGet(keys, dynamap.Consistent(), dynamap.Attributes("username", "name")).All(ctx) {
		if err != nil {
			log.Fatal(err) // *KeyError before any request; *UnprocessedError lists keys not read (also when ctx ends)
		}
		fmt.Println(item.Get("name")) // "nobody" is simply absent
	}
}

func ExampleTransactWrite() {
	ctx := context.Background()
	c, err := conn.New(ctx, func(o *conn.Options) { o.Endpoint = "http://127.0.0.1:8000" })
	if err != nil {
		log.Fatal(err)
	}
	accounts := dynamap.NewTable(c, "accounts")
	ledger := dynamap.NewTable(c, "ledger")

	err = dynamap.TransactWrite(ctx, c,
		accounts.TxUpdate(dynamap.Key{"id": "alice"}, dynamap.Add("balance", -30), dynamap.If(dynamap.Filter{"balance__gte": 30})),
		accounts.TxUpdate(dynamap.Key{"id": "bob"}, dynamap.Add("balance", 30)),
		ledger.TxPut(map[string]any{"id": "tx-42", "from": "alice", "to": "bob", "amount": 30}), // refuses to clobber; Overwrite() to allow
		accounts.TxCheck(dynamap.Key{"id": "bank"}, dynamap.Filter{"status__eq": "open"}),
		dynamap.IdempotencyToken("tx-42"), // a retried call is applied at most once
	)
	var tce *dynamap.TransactionCanceledError
	if errors.As(err, &tce) {
		for _, r := range tce.Reasons { // one per action, in order
			if r.Code != "None" {
				fmt.Printf("action %d: %s\n", r.Index, r.Code) // e.g. action 0: ConditionalCheckFailed
			}
		}
	}

	items, err := dynamap.TransactGet(ctx, c,
		accounts.TxGet(dynamap.Key{"id": "alice"}),
		ledger.TxGet(dynamap.Key{"id": "tx-42"}, dynamap.Attributes("amount")),
	)
	if err != nil {
		log.Fatal(err)
	}
	if items[1] == nil { // request order; nil where no item has the key
		fmt.Println("no ledger entry")
	}
}
