// Command structs stores and reads typed items: a Go struct with dynamodbav
// tags holding an exact decimal (dynamap.Number), a string set
// (`dynamodbav:",stringset"`), a nested struct (a DynamoDB map) and a
// time.Time (an RFC 3339 string). It puts structs, reads one back with
// GetItem and Decode, ranges over a Query with dynamap.Items[T], collects one
// with dynamap.Collect[T], and builds an item from a struct with ItemFrom,
// changes it with Set and writes only the changes with PartialSave.
//
// Run it with: go run ./examples/structs
// (on an embedded DynamoDB Local, or the one in DYNAMODB_ENDPOINT).
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math/big"
	"os"
	"slices"
	"time"

	"github.com/dynamap/dynamap"
	"github.com/dynamap/dynamap/examples/internal/exenv"
)

// Product is one item of the products table (hash key category, range key
// sku).
type Product struct {
	Category string         `dynamodbav:"category"`
	SKU      string         `dynamodbav:"sku"`
	Name     string         `dynamodbav:"name"`
	Price    dynamap.Number `dynamodbav:"price"`                    // exact decimal, stored as N
	Tags     []string       `dynamodbav:"tags,stringset,omitempty"` // stored as SS (a set, no order)
	Size     Dimensions     `dynamodbav:"size"`                     // stored as M
	Added    time.Time      `dynamodbav:"added"`                    // stored as an RFC 3339 string
	Stock    int            `dynamodbav:"stock,omitempty"`
}

// Dimensions is nested in Product.
type Dimensions struct {
	WidthCM  float64 `dynamodbav:"w"`
	HeightCM float64 `dynamodbav:"h"`
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

	products, err := dynamap.CreateTable(ctx, c, "products",
		[]dynamap.KeyField{dynamap.HashKey("category"), dynamap.RangeKey("sku")})
	if err != nil {
		return err
	}
	defer func() {
		if err := products.DeleteTable(context.Background()); err != nil {
			log.Print(err)
		}
	}()
	if err := products.WaitActive(ctx); err != nil {
		return err
	}

	// 1. PutItem takes structs as well as maps.
	added := time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC)
	all := []Product{
		{Category: "lamps", SKU: "L-100", Name: "Desk lamp", Price: "19.99", Tags: []string{"led", "desk"}, Size: Dimensions{12, 40}, Added: added},
		{Category: "lamps", SKU: "L-200", Name: "Floor lamp", Price: "89.10", Tags: []string{"floor"}, Size: Dimensions{30, 160}, Added: added.Add(24 * time.Hour)},
		{Category: "lamps", SKU: "L-300", Name: "Clip lamp", Price: "0.10", Size: Dimensions{5, 15}, Added: added.Add(48 * time.Hour)},
		{Category: "chairs", SKU: "C-100", Name: "Stool", Price: "35", Tags: []string{"wood"}, Size: Dimensions{35, 65}, Added: added},
	}
	for _, p := range all {
		if err := products.PutItem(ctx, p); err != nil {
			return err
		}
	}
	fmt.Println("put", len(all), "products")

	// 2. GetItem returns an *Item; Decode fills a struct.
	item, err := products.GetItem(ctx, dynamap.Key{"category": "lamps", "sku": "L-100"})
	if err != nil {
		return err
	}
	// A set has no order (DynamoDB returns its members in any order): sort
	// before printing.
	tags, _ := item.Get("tags").(dynamap.StringSet)
	slices.Sort(tags)
	fmt.Printf("raw attributes: tags %v (%T), size %v\n", tags, tags, item.Get("size"))
	var lamp Product
	if err := item.Decode(&lamp); err != nil {
		return err
	}
	fmt.Printf("decoded: %s %q price %s size %vx%v added %s\n", lamp.SKU, lamp.Name, lamp.Price, lamp.Size.WidthCM, lamp.Size.HeightCM, lamp.Added.Format(time.DateOnly))
	fmt.Println("round trip equal time:", lamp.Added.Equal(added))

	// 3. Items[T] decodes while ranging over a Query.
	total := new(big.Rat)
	for p, err := range dynamap.Items[Product](ctx, products.Query(dynamap.Filter{"category__eq": "lamps"})) {
		if err != nil {
			return err
		}
		r, err := p.Price.Rat()
		if err != nil {
			return err
		}
		total.Add(total, r)
		slices.Sort(p.Tags) // a set: sorted to print
		fmt.Printf("  lamp %s %-10s %6s tags %v\n", p.SKU, p.Name, p.Price, p.Tags)
	}
	fmt.Println("sum of lamp prices, exact:", total.FloatString(2))

	// 4. Collect[T] gathers a whole result: here lamps under 50.
	cheap, err := dynamap.Collect[Product](ctx, products.Query(dynamap.Filter{"category__eq": "lamps"},
		dynamap.Where(dynamap.Filter{"price__lt": 50})))
	if err != nil {
		return err
	}
	fmt.Println("lamps under 50:", len(cheap))

	// 5. ItemFrom builds a new item from a struct; Set adds attributes;
	// PartialSave writes it, each attribute conditioned on being absent.
	desk, err := dynamap.ItemFrom(products, Product{Category: "desks", SKU: "D-100", Name: "Standing desk", Price: "349.00",
		Size: Dimensions{140, 120}, Added: added})
	if err != nil {
		return err
	}
	if err := desk.Set("stock", 3); err != nil {
		return err
	}
	if err := desk.PartialSave(ctx); err != nil {
		return err
	}
	// Once saved the item is clean; a change saves only that change, and
	// only if the stored price is still the one it was saved with.
	if err := desk.Set("price", dynamap.Number("299.00")); err != nil {
		return err
	}
	fmt.Println("desk needs save:", desk.NeedsSave())
	if err := desk.PartialSave(ctx); err != nil {
		return err
	}
	var back Product
	got, err := products.GetItem(ctx, dynamap.Key{"category": "desks", "sku": "D-100"}, dynamap.Consistent())
	if err != nil {
		return err
	}
	if err := got.Decode(&back); err != nil {
		return err
	}
	fmt.Printf("desk saved: %s price %s stock %d\n", back.Name, back.Price, back.Stock)

	// Saving a new item over an existing key is refused.
	dup, err := dynamap.ItemFrom(products, Product{Category: "desks", SKU: "D-100", Name: "Impostor", Price: "1"})
	if err != nil {
		return err
	}
	err = dup.PartialSave(ctx)
	fmt.Println("second new item with the same key refused:", errors.Is(err, dynamap.ErrConditionalCheckFailed))

	fmt.Fprintln(os.Stderr, "done")
	return nil
}
