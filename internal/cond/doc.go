// Package cond is dynamap's conditions engine: the names and paths rule
// (document paths, literal key names, expression names), the filter
// compiler ("attr__op" keys to condition and key-condition builders), the
// compilation of the Condition combinators, DynamoDB's expression limits
// and the cache of update-expression shapes. Everything dynamap sends as an
// expression is built and checked here.
//
// The dynamap package holds the public surface: Name, Filter, Condition and
// its constructors, and FilterError and its sentinels, aliases of this
// package's.
package cond
