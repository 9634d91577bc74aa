// Command transactions moves money between two accounts with TransactWrite:
// the debit (TxUpdate with Add and an If condition on the balance), the
// credit, a ledger entry (TxPut) and a check that the bank is open (TxCheck)
// succeed or fail together. A second transfer, larger than the balance, is
// canceled, and the *TransactionCanceledError says which action failed and
// why. TransactGet reads both balances back as one consistent snapshot.
//
// Run it with: go run ./examples/transactions
// (on an embedded DynamoDB Local, or the one in DYNAMODB_ENDPOINT).
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/dynamap/dynamap"
	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/examples/internal/exenv"
)

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

	accounts, err := createTable(ctx, c, "accounts")
	if err != nil {
		return err
	}
	defer drop(accounts)
	ledger, err := createTable(ctx, c, "ledger")
	if err != nil {
		return err
	}
	defer drop(ledger)

	for _, item := range []map[string]any{
		{"id": "alice", "balance": 100},
		{"id": "bob", "balance": 20},
		{"id": "bank", "status": "open"},
	} {
		if err := accounts.PutItem(ctx, item); err != nil {
			return err
		}
	}
	if err := printBalances(ctx, c, accounts); err != nil {
		return err
	}

	// 1. alice pays bob 30: all four actions are applied.
	if err := transfer(ctx, c, accounts, ledger, "tx-1", "alice", "bob", 30); err != nil {
		return err
	}
	fmt.Println("tx-1: alice -> bob 30: committed")
	if err := printBalances(ctx, c, accounts); err != nil {
		return err
	}

	// 2. alice tries to pay bob 500: her balance condition fails, so nothing
	// is applied, not even the credit or the ledger entry.
	err = transfer(ctx, c, accounts, ledger, "tx-2", "alice", "bob", 500)
	var tce *dynamap.TransactionCanceledError
	if !errors.As(err, &tce) {
		return fmt.Errorf("tx-2: want a canceled transaction, got %v", err)
	}
	fmt.Println("tx-2: alice -> bob 500: canceled; insufficient funds:", errors.Is(err, dynamap.ErrConditionalCheckFailed))
	actions := []string{"debit alice", "credit bob", "ledger entry", "bank is open"}
	for _, r := range tce.Reasons { // one per action, in request order
		fmt.Printf("  action %d (%s): %s\n", r.Index, actions[r.Index], r.Code)
	}
	has, err := ledger.HasItem(ctx, dynamap.Key{"id": "tx-2"})
	if err != nil {
		return err
	}
	fmt.Println("ledger has tx-2:", has)

	// 3. Read both balances back in one serializable snapshot.
	if err := printBalances(ctx, c, accounts); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "done")
	return nil
}

// transfer moves amount from one account to another and records it in the
// ledger under id, as one transaction.
func transfer(ctx context.Context, c *conn.Conn, accounts, ledger *dynamap.Table, id, from, to string, amount int) error {
	return dynamap.TransactWrite(ctx, c,
		accounts.TxUpdate(dynamap.Key{"id": from}, dynamap.Add("balance", -amount),
			dynamap.If(dynamap.Filter{"balance__gte": amount})),
		accounts.TxUpdate(dynamap.Key{"id": to}, dynamap.Add("balance", amount), dynamap.Strict()), // no new account by mistake
		ledger.TxPut(map[string]any{"id": id, "from": from, "to": to, "amount": amount}),           // fails if id was used before
		accounts.TxCheck(dynamap.Key{"id": "bank"}, dynamap.Filter{"status__eq": "open"}),
		dynamap.IdempotencyToken(id), // a retried call is applied at most once
	)
}

// printBalances reads alice's and bob's accounts with TransactGet.
func printBalances(ctx context.Context, c *conn.Conn, accounts *dynamap.Table) error {
	items, err := dynamap.TransactGet(ctx, c,
		accounts.TxGet(dynamap.Key{"id": "alice"}, dynamap.Attributes("balance")),
		accounts.TxGet(dynamap.Key{"id": "bob"}, dynamap.Attributes("balance")),
	)
	if err != nil {
		return err
	}
	fmt.Printf("balances: alice %v, bob %v\n", items[0].Get("balance"), items[1].Get("balance"))
	return nil
}

func createTable(ctx context.Context, c *conn.Conn, name string) (*dynamap.Table, error) {
	t, err := dynamap.CreateTable(ctx, c, name, []dynamap.KeyField{dynamap.HashKey("id")})
	if err != nil {
		return nil, err
	}
	return t, t.WaitActive(ctx)
}

func drop(t *dynamap.Table) {
	if err := t.DeleteTable(context.Background()); err != nil {
		log.Print(err)
	}
}
