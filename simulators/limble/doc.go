// Package limble simulates the Limble CMMS API v2 for one customer running a
// seeded plant, so connectors can be built, tested and benchmarked without a
// Limble account. It follows Limble's published description
// (vendor-specs/limble/limble-api-v2.yaml); the fidelity test validates the
// answers against it and lists where the simulator differs on purpose.
//
// # Serving
//
// New returns a Server, an http.Handler answering under /v2/ (paths with or
// without a trailing slash):
//
//	GET    /v2/me                  the customer
//	GET    /v2/tasks               tasks (work orders, PMs, work requests ...)
//	POST   /v2/tasks               create a task: name, locationID, due, type
//	                               required; 201 {"taskID"} and Location
//	PATCH  /v2/tasks/{id}          update a task, complete it (status 1) or
//	                               reopen it (status 0), set its custom statusID
//	DELETE /v2/tasks/{id}          delete a task
//	GET    /v2/statuses            task statuses: 1 Open, 2 Complete, 3 In
//	                               Progress, 4 On Hold, 5 Waiting for Parts
//	GET    /v2/assets              assets; PATCH /v2/assets/{id}
//	GET    /v2/locations           locations (no lastEdited)
//	GET    /v2/parts               parts, one record per part and location,
//	                               with generalStock and stockOnHand;
//	                               PATCH /v2/parts/{id} (locationID required)
//	GET    /v2/po, GET /v2/po/items  purchase orders and their lines;
//	                               PATCH /v2/po/{id} answers {"success": true}
//	POST   /v2/po                  create a purchase order: locationID, vendorID
//	                               and userID required; it starts in state 0
//	                               (setup), without lines; 201 {"poID", "meta"}
//	DELETE /v2/po/{id}             delete a purchase order and its lines
//	POST   /v2/po/{id}/items       add a line: itemType 1 (part) with partID,
//	                               2 (service) or 4 (other) with a name;
//	                               quantity (integer, default 1), rate (a
//	                               decimal); 409 once the order is past its
//	                               approval steps; 201 {"itemID"}
//	PATCH  /v2/po/{id}/state       newState (number, name or custom_step_N):
//	                               one step along 0 setup -> 1 awaiting
//	                               approval -> 97 ready to receive -> 98/99
//	                               -> 100 closed, or 0/1 -> 101 disapproved;
//	                               other moves get 400 {"success": false,
//	                               "message": "Transition not allowed from
//	                               current state"}
//	GET    /v2/po/{id}/state/transitions  the current and next states
//	GET    /v2/vendors             vendors; PATCH /v2/vendors/{id}
//	GET    /v2/users               users (no lastEdited)
//
// A record is read by filtering its listing (?tasks=ID, ?assets=ID ...):
// Limble has no GET of one task, asset or part. POST with
// X-HTTP-Method-Override: PATCH or PUT is a PATCH or PUT. Other methods get
// 501. The fault and stats endpoints of package fault are under /_sim/.
//
// # Authentication
//
// Authorization: Basic base64(client id:client secret). No header gets 401,
// wrong credentials 403, both in the auth middleware's legacy body
// {"error": status, "success": false, "msg": ...}; other errors are
// {"message": ..., "success": false}.
//
// # Paging and filters
//
// limit (default 100, at most 1000, else 400) with either page (1-based;
// Next-Page, Previous-Page and Last-Page headers carry the other pages'
// paths) or cursor (records with a greater id, in id order); page and cursor
// together get 400. Users, statuses and purchase order lines have cursor
// and limit only, as in the description. Listings are in id order.
//
// Delta: start and end (lastEdited after / before, unix seconds) on tasks,
// assets, parts and vendors; lastEditedStart and lastEditedEnd on purchase
// orders and their lines. Locations and users have no change time: their
// listings are full snapshots. Deletions are not listed anywhere.
//
// # Rate limits
//
// Per client id and method, on sliding windows of a minute and an hour (a
// call leaves each window a minute or an hour after it was made): GET
// 360/min and 4000/h (Config.GetPerMinute, GetPerHour), PATCH 240/2000, POST
// and PUT 240/1000, DELETE 60/100. Every answer carries X-RateLimit-Limit,
// -Remaining, -First-Call (unix seconds) and X-RateLimit-Minute-Limit,
// -Minute-Remaining, -Minute-First-Call; a refused call gets 429 with
// X-RateLimit-TTL or X-RateLimit-Minute-TTL, the seconds until a call frees
// up. Limble sends no Retry-After; the fault injector's ratelimit mode does.
//
// # The seeded plant
//
// Locations (sites with their currency), users with a team and a role,
// vendors, assets in groups of a machine and three child components, parts
// stocked per location, tasks spread over the two years before the epoch
// (older ones mostly complete), and purchase orders with one to three lines
// in every state (0 setup, 1 awaiting approval, 97 ready to receive, 98
// partially received, 99 fully received, 100 closed). Line rates are kept
// as sent (a decimal), although the description types the listed rate as
// an integer. A seeded record is
// generated from its index whenever it is read; its lastEdited grows with its
// id, so a start bound is found by binary search and 100,000 tasks cost no
// memory. Writes go to a small overlay.
package limble
