// Package bench compares dynamap with the raw aws-sdk-go-v2 and
// guregu/dynamo v2 doing the same work in one run. See README.md.
package bench

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
)

// Row is the item every implementation writes and reads. Both tag sets
// encode to the same DynamoDB item (pk S, sk N, the rest plain scalars and a
// list of strings), so decoded results can be compared across implementations.
type Row struct {
	PK     string   `dynamodbav:"pk" dynamo:"pk,hash"`
	SK     int64    `dynamodbav:"sk" dynamo:"sk,range"`
	Name   string   `dynamodbav:"name" dynamo:"name"`
	Email  string   `dynamodbav:"email" dynamo:"email"`
	Score  float64  `dynamodbav:"score" dynamo:"score"`
	Active bool     `dynamodbav:"active" dynamo:"active"`
	Tags   []string `dynamodbav:"tags" dynamo:"tags"`
	Bio    string   `dynamodbav:"bio" dynamo:"bio"`
}

// RowKey is a Row's primary key.
type RowKey struct {
	PK string
	SK int64
}

// Key returns r's primary key.
func (r Row) Key() RowKey { return RowKey{r.PK, r.SK} }

const bio = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore."

// MakeRow returns the deterministic row number i of partition pk.
func MakeRow(pk string, i int64) Row {
	return Row{
		PK:     pk,
		SK:     i,
		Name:   "user-" + strconv.FormatInt(i, 10),
		Email:  "user" + strconv.FormatInt(i, 10) + "@example.com",
		Score:  float64(i%1000) + 0.25,
		Active: i%2 == 0,
		Tags:   []string{"t" + strconv.FormatInt(i%7, 10), "t" + strconv.FormatInt(i%11, 10)},
		Bio:    bio,
	}
}

// Dataset is the table content of the DynamoDB Local section: QueryN rows in
// partition "q" and the rest spread over partitions "s0".."s99".
func Dataset(total, queryN int) []Row {
	rows := make([]Row, 0, total)
	for i := 0; i < queryN; i++ {
		rows = append(rows, MakeRow("q", int64(i)))
	}
	for i := queryN; i < total; i++ {
		rows = append(rows, MakeRow(fmt.Sprintf("s%d", i%100), int64(i)))
	}
	return rows
}

// SortRows orders rows by key, for comparing unordered results.
func SortRows(rows []Row) {
	slices.SortFunc(rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.PK, b.PK), cmp.Compare(a.SK, b.SK))
	})
}

// EqualRows reports whether a and b hold the same rows in the same order.
func EqualRows(a, b []Row) bool {
	return slices.EqualFunc(a, b, func(x, y Row) bool {
		return x.PK == y.PK && x.SK == y.SK && x.Name == y.Name && x.Email == y.Email &&
			x.Score == y.Score && x.Active == y.Active && slices.Equal(x.Tags, y.Tags) && x.Bio == y.Bio
	})
}
