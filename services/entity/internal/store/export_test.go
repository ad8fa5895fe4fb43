package store

// ListQuery exposes List's SQL to the tests, which check its query plans.
var ListQuery = listQuery
