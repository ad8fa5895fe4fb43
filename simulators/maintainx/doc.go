// Package maintainx simulates MaintainX's public REST API (api.getmaintainx.com/v1,
// described by MaintainX's OpenAPI document) for one organisation running a
// seeded plant, so connectors can be built, tested and benchmarked without
// a MaintainX account.
//
// # Serving
//
// New returns a Server, an http.Handler. The API answers under /v1/:
//
//	GET    /v1/{workorders|assets|locations|parts|purchaseorders|vendors|users}
//	GET    /v1/{resource}/{id}                      {"workOrder": {...}}, {"asset": {...}} ...
//	POST   /v1/workorders                           {"id": N}
//	POST   /v1/purchaseorders                       201 with the purchase order (PENDING)
//	PATCH  /v1/workorders/{id}                      {"workOrder": {...}}
//	PATCH  /v1/workorders/{id}/status               {"status": "OPEN|IN_PROGRESS|ON_HOLD|DONE|CANCELED"}
//	PATCH  /v1/purchaseorders/{id}/status           {"status": "APPROVED|CANCELED|COMPLETED|DECLINED|PARTIALLY_FULFILLED|PENDING"}
//	PATCH  /v1/{assets|locations|parts|purchaseorders|vendors|users}/{id}   a few text fields
//	DELETE /v1/workorders/{id}                      204
//
// The fault and stats endpoints of package fault are under /_sim/.
// Connection returns the settings and credentials that register the
// simulator with Millwright.
//
// # Authentication
//
// Authorization: Bearer <key> (Config.APIKey, derived from the seed when
// empty); anything else gets 401 {"error": "Invalid token"}. The default
// key belongs to one organisation and accepts an x-organization-id header
// naming it (another organisation gets 403). With Config.MultiOrganization
// the key is a multi-organisation key and a request without the header gets
// 400.
//
// # Lists
//
// Records are listed in (updatedAt, id) order. limit is 1 to 200 (default
// 100; other values get 400); cursor is the nextCursor of the previous page,
// opaque, and keyset-based, so page 1,000 costs what page 1 costs and a
// record changed while a client pages moves to the end. nextCursor is null
// on the last page. Work orders, assets, parts and purchase orders take
// updatedAt[gte] and updatedAt[lte] (and createdAt[gte]) as ISO 8601
// date-times; locations, vendors and users have no delta filter, as in the
// spec. Work orders take title (case-insensitive substring) and expand
// (asset, assignees, extra_fields, estimated_time): without expand a listed
// work order has no asset, assignees, extraFields or estimatedTime, as in
// the spec's list schema. Purchase order list items carry only id, status,
// updatedAt and createdAt, and vendor ones id, name and extraFields; GET the
// record for the rest. Any other purchase order list parameter filters on
// the custom field it names (extraFields; ?Name=a&Name=b is a OR b,
// different names AND; __c appended to a reserved name), as the spec says.
// sort accepts only updatedAt (the default).
//
// # Rate limits
//
// Every API answer carries X-Rate-Limit-Limit, X-Rate-Limit-Remaining and
// X-Rate-Limit-Reset (the Unix time, in seconds, at which the window
// resets). Beyond Config.RateLimit requests per Config.RateWindow (10,000
// per minute by default) requests get 429 with Retry-After.
//
// # Errors
//
// {"error": "..."} for 401, 403, 404 and request-level 400s;
// {"errors": [{"error", "fieldPath", "fieldValue"}]} for a body that names a
// missing or wrong field. Unknown body properties are refused (400) rather
// than ignored, so a mapping mistake shows at once.
//
// # Purchase orders
//
// POST /v1/purchaseorders needs vendorId (a live vendor) and items, each
// with a positive quantityOrdered and a partId (an existing part) or a
// name. Money is in cents, as the spec says: unitCost and price (price
// defaults to quantityOrdered x unitCost), and the answer adds
// unitCostDecimal and priceDecimal in currency units ("12.500000"). A
// created purchase order starts PENDING and is listed, with its items,
// like any other. title, note, overrideNumber, dueDate, extraFields,
// shippingAddress, billingAddress, vendorContactIds and costs are kept as
// sent (addresses need street, city, state, postalCode and country).
//
// # Seeded data
//
// Seeded records are generated from their index when read and never stored;
// their updatedAt grows with the index over the two years before the epoch,
// so an updatedAt bound is found by binary search and 100,000 work orders cost
// no memory. Writes live in a small overlay, in memory: a restarted simulator
// is the seeded organisation again. Each part is stocked at two locations,
// every third part at one (its locations array).
package maintainx
