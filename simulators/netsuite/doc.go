// Package netsuite simulates the Oracle NetSuite REST record API (SuiteTalk
// REST web services, /services/rest/record/v1) of one account running a
// seeded plant, so connectors can be built, tested and benchmarked without
// a NetSuite account. It follows NetSuite's published description
// (vendor-specs/netsuite/netsuite-rest-partial.openapi.json, which covers
// vendor, currency, account and other finance records) and NetSuite's
// documentation for the record types the description leaves out; the
// fidelity test validates the answers against the description and names
// the gaps.
//
// # Serving
//
// New returns a Server, an http.Handler answering under
// /services/rest/record/v1/:
//
//	GET    /{type}                 ids and links of a page of records
//	GET    /{type}/{id}            a record; ?expandSubResources=true
//	                               expands its sublists and subrecords
//	GET    /{type}/eid:{external}  a record by external id
//	GET    /{type}/{id}/{field}    a sublist (a collection of its lines) or
//	                               a subrecord, where unexpanded records link
//	POST   /{type}                 create: 204 with Location
//	PUT    /{type}/eid:{external}  upsert by external id: 204 with Location
//	PATCH  /{type}/{id}            change the given fields: 204
//	DELETE /{type}/{id}            delete: 204
//
// Record types: purchaseOrder (with its item sublist), vendor (addressBook
// sublist), inventoryItem (locations sublist: quantity on hand and reorder
// point per location), nonInventoryPurchaseItem, location, employee,
// inventoryAdjustment, currency, account and subsidiary. Writes are
// accepted for purchaseOrder, vendor and inventoryAdjustment (whose lines
// change the items' quantities on hand); PATCH also changes the plain
// fields of employees, items and locations. The fault and stats endpoints
// of package fault are under /_sim/.
//
// # Authentication
//
// Token-based authentication: OAuth 1.0a (RFC 5849) with realm the account
// id, oauth_consumer_key, oauth_token, oauth_signature_method HMAC-SHA256,
// oauth_timestamp (within five minutes), oauth_nonce (used once) and
// oauth_signature over the RFC 5849 base string with the key
// consumer_secret&token_secret. Any failure is 401 with o:errorCode
// INVALID_LOGIN, as NetSuite answers.
//
// # Paging, filters and errors
//
// limit (default and maximum 1000) and offset; answers carry count,
// hasMore, offset, totalResults, items (id and links only) and links
// (first, prev, next, last, self). Records are listed in internal id order.
// q filters on lastModifiedDate with AFTER, ON_OR_AFTER, BEFORE,
// ON_OR_BEFORE and ON, joined by AND, with values in N/query's date format
// ("3/14/2026" or "3/14/2026 9:05 am", UTC here), as in
//
//	q=lastModifiedDate ON_OR_AFTER "3/14/2026 9:05 am"
//
// Locations have no lastModifiedDate filter here: they are listed whole.
// Errors are {"type", "title", "status", "o:errorDetails": [{"detail",
// "o:errorCode", "o:errorPath" ...}]} with NetSuite's codes (USER_ERROR,
// NONEXISTENT_ID, INVALID_PARAMETER, INVALID_LOGIN,
// CONCURRENCY_LIMIT_EXCEEDED, UNEXPECTED_ERROR).
//
// # Concurrency
//
// An account serves Config.Concurrency requests at once (5 by default, as a
// small account's integration limit); a request beyond it gets 429
// CONCURRENCY_LIMIT_EXCEEDED, without Retry-After, as NetSuite answers.
//
// # The seeded account
//
// One subsidiary, five currencies (USD base), plants with two storerooms
// each (sub-locations that stock items), employees, vendors (every ninth
// inactive; some billing in CAD, EUR or GBP), inventory items stocked at
// every storeroom (every 37th inactive), the non-inventory item
// "Miscellaneous Purchase" (FreeTextItemID) for free-text lines, the
// "Inventory Adjustments" account (AdjustmentAccountID), and purchase
// orders with one to three lines in every status (A Pending Supervisor
// Approval to H Closed, computed from the approval status and the lines'
// received, billed and closed quantities). A seeded record is generated
// from its index whenever it is read, and its lastModifiedDate grows with
// its id, so 100,000 purchase orders cost no memory; writes go to a small
// overlay.
package netsuite
