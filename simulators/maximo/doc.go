// Package maximo simulates IBM Maximo's REST/OSLC JSON API for one
// organisation (ATLASNA) running a seeded plant, so connectors can be built,
// tested and benchmarked without a Maximo server.
//
// # Serving
//
// New returns a Server, an http.Handler. The API answers under
// /maximo/api/os/<object structure> and /maximo/oslc/os/<object structure>
// (names in any case), with members at .../<object structure>/<id>, where id
// is the rest id of the member's href ("_" and the base64 of its key values)
// or its unique id (workorderid, poid ...). GET /maximo/api/whoami names the
// user. The fault and stats endpoints of package fault are under /_sim/.
// Connection returns the settings and credentials that register the
// simulator with Millwright.
//
// # Object structures
//
//	mxapiwo         work orders (WORKORDER), assignment rows; key wonum, siteid
//	mxapiasset      assets (ASSET); key assetnum, siteid
//	mxapioperloc    locations (LOCATIONS), also served as mxapilocation; the
//	                hierarchy is in lochierarchy rows (systemid PRIMARY, parent);
//	                key location, siteid
//	mxapiitem       items (ITEM); key itemnum, itemsetid
//	mxapiinventory  an item stocked in a storeroom (INVENTORY); minlevel is the
//	                reorder point, orderqty the order quantity, maxlevel the
//	                ceiling; key itemnum, itemsetid, location, siteid
//	mxapipo         purchase orders (PO), poline rows; key ponum, siteid
//	mxapivendor     companies (COMPANIES), type V for vendors and M for
//	                manufacturers; address2 is the city, address3 the state,
//	                address4 the postal code, address5 the country; key company, orgid
//	mxapiperson     persons (PERSON); key personid
//
// The seeded plant has sites (DAYTON, HOUSTON ...), each with a root
// location, areas, operating locations and two storerooms (CENTRAL, MAINT);
// machines with their components as child assets; items stocked in every
// storeroom; open and closed work orders and purchase orders; vendors,
// manufacturers and maintenance staff. Its changes span the two years before
// the epoch (Config.Epoch). A seeded record is generated from its index
// whenever it is read and is never stored, and seeded index order is
// changedate order, so a million work orders cost no memory and a changedate
// bound is found by binary search. Writes are kept in a small overlay; a
// changed record leaves its seeded place and sorts by its new changedate.
//
// # Authentication
//
// An apikey header (or apikey query parameter), or maxauth with
// base64(user:password). Missing credentials or a wrong user or password get
// 401 BMXAA0021E; a wrong API key gets 401 BMXAA9549E. Credentials are
// checked before anything else.
//
// # Queries
//
// Every answer is lean JSON, whether or not lean=1 is sent; the namespaced
// (spi:) form is not served, and namespaced bodies are not read.
//
//   - oslc.select: attribute names, "*", and child objects with their own
//     list (poline{itemnum,orderqty}); names the object structure lacks
//     select nothing. Without it, collection members carry only their href,
//     as in Maximo; a member GET returns every attribute. Selected members
//     also carry _rowstamp. Null attributes are left out.
//   - oslc.where: comparisons of an attribute with a value, joined by "and":
//     =, !=, >, >=, <, <= and in ["A","B"]. Strings are quoted; text
//     comparison ignores case and % is a wildcard with = and !=; dates are
//     ISO 8601, UTC when they carry no offset. "or", parentheses, related
//     attributes (asset.status) and child attributes get 400 BMXAA8708E or
//     BMXAA8709E.
//   - oslc.orderBy: +changedate, -changedate, or the main key attribute
//     (+wonum, -wonum ...), optionally followed by key attributes in the same
//     direction. The default is ascending changedate, then key: the order
//     incremental sync relies on. An unencoded "+" (arriving as a space) reads
//     as ascending.
//   - oslc.pageSize: 1000 when absent, at most 10000 (as auto-paging and
//     mxe.oslc.maxpagesize would set them); pageno; collectioncount=1 adds
//     totalCount and totalPages to responseInfo.
//
// responseInfo has href, pagenum, nextPage (absent on the last page) and
// previousPage (after the first). nextPage.href keeps every query parameter
// and adds pageno=N+1 and pagecursor, the position of the page's last record:
// the next page starts by binary search at any depth, and a record changed
// while a client pages moves to the end instead of shifting the pages.
// A pageno without pagecursor skips records, at a cost growing with depth.
// oslc.searchTerms, savedQuery and stablepaging get 400 BMXAA8708E.
//
// # Writes
//
// Create: POST to the collection with a JSON body. The answer is 201 with a
// Location header; with a properties header ("*" or a list) it also carries
// the record. wonum, ponum and assetnum are numbered when absent. Required
// attributes, the site, references (asset, location, storeroom, vendor,
// item, person, parent) and domains are checked; a purchase order line needs
// orderqty > 0 and an item or a description. linecost and totalcost are
// computed.
//
// Update: POST to the member with x-method-override: PATCH. Child rows
// replace the existing rows, or, with patchtype: MERGE, are matched by their
// key (polinenum, assignmentid, systemid), added when new, and removed with
// "_action": "Delete". The answer is 204, or 200 with the record when a
// properties header asks for it. An update that changes nothing keeps the
// record's _rowstamp. Key attributes and system attributes (ids, changedate,
// changeby, statusdate, linecost, totalcost ...) may only be sent unchanged.
// An If-Match header (the member's ETag, its _rowstamp) or a _rowstamp in the
// body that is not current gets 412 BMXAA8229W.
//
// Status: PATCH of status, or POST to the member with
// ?action=wsmethod:changeStatus and {"status": ..., "memo": ...}.
//
//	work order  WAPPR -> APPR INPRG WMATL COMP CLOSE CAN
//	            APPR  -> WAPPR INPRG WMATL COMP CLOSE CAN
//	            WMATL -> APPR INPRG COMP CLOSE CAN
//	            INPRG -> WMATL COMP CLOSE;  COMP -> CLOSE;  CLOSE, CAN final
//	PO          WAPPR -> APPR HOLD CAN;  APPR -> INPRG HOLD CLOSE CAN
//	            INPRG -> HOLD CLOSE;  HOLD -> WAPPR APPR CAN;  CLOSE, CAN final
//	asset       NOT READY, OPERATING, BROKEN -> one another or DECOMMISSIONED (final)
//	location    NOT READY <-> OPERATING, either -> DECOMMISSIONED (final)
//	item, inventory  PLANNING -> ACTIVE PENDOBS OBSOLETE;  ACTIVE -> PENDOBS OBSOLETE
//	            PENDOBS -> ACTIVE OBSOLETE;  OBSOLETE final
//	person      ACTIVE <-> INACTIVE
//
// A refused change gets 400 BMXAA4590E with the reason on a second line.
// Work orders set actstart when started and actfinish when completed.
//
// Inventory: ?action=wsmethod:adjustCurrentBalance with {"newcurbal": N} sets
// curbaltotal; ?action=wsmethod:adjustPhysicalCount with {"physcnt": N}
// records a count. curbaltotal may also be PATCHed; avblbalance follows.
//
// Delete: DELETE on the member, or POST with x-method-override: DELETE;
// 204. Allowed for work orders and purchase orders in WAPPR, assets and
// locations in NOT READY, items in PLANNING, persons in INACTIVE, disabled
// companies and inventory with a zero balance; otherwise 400 BMXAA0024E.
// Deleted records disappear from lists and gets: Maximo has no delete feed.
//
// A transactionid header on a write that was already committed with it in
// the last 10 minutes (by Config.Now) gets 409 BMXAA9524E and writes nothing.
// A refused write does not use up its transactionid.
//
// # Reason codes
//
// Codes marked * follow Maximo's numbering but are this simulator's own.
//
//	BMXAA0021E  401  user name and password not valid, or no credentials
//	BMXAA9549E  401  API key not valid
//	BMXAA8727E  404  no member with this id
//	BMXAA7824E* 404  no such object structure
//	BMXAA0024E  400  action not allowed: delete refused, unknown action; 405 for an unsupported method
//	BMXAA4195E  400  a required value is missing
//	BMXAA4129E  400  a record with this key exists
//	BMXAA4590E  400  status change refused; the reason follows:
//	BMXAA0032E         the status is the current status
//	BMXAA4591E*        the status cannot change to the one asked
//	BMXAA4021E* 400  value not in the attribute's domain
//	BMXAA0090E  400  asset not valid, or decommissioned
//	BMXAA2661E  400  location not valid
//	BMXAA4253E* 400  storeroom not valid for the site
//	BMXAA4203E* 400  site not valid, or not in the organisation
//	BMXAA4222E* 400  company not valid, or not an enabled vendor
//	BMXAA4251E* 400  item not valid, or obsolete
//	BMXAA3811E* 400  person not valid
//	BMXAA4114E* 400  parent work order not valid
//	BMXAA4122E* 400  quantity not greater than zero, or negative
//	BMXAA4147E* 400  read-only attribute changed
//	BMXAA8708E* 400  query parameter not valid or not supported
//	BMXAA8709E* 400  attribute not in the object structure
//	BMXAA8710E* 400  body not a JSON object, or value of the wrong type
//	BMXAA8229W  412  the record changed since the client read it
//	BMXAA9524E  409  transactionid already used
//	BMXAA6713E  500, 503  database failure (error5xx fault)
//
// A ratelimit fault answers 429 with Retry-After and an error body without a
// reason code; a badcredentials fault answers as a wrong API key or login.
//
// # Differences from Maximo
//
//   - Lean JSON only (see Queries); dates are written in UTC.
//   - oslc.where and oslc.orderBy support the subsets above; bulk requests
//     (x-method-override: BULK) get 400 BMXAA0024E.
//   - Unknown attributes in a body are refused rather than ignored, so a
//     mapping mistake shows at once.
//   - curbaltotal is writable; in Maximo it sums INVBALANCES rows.
//   - Asset make and model are in the description; manufacturer and vendor
//     name companies.
//   - Reference checks use the current records; no check stops deleting a
//     record others refer to.
//   - Changes through the API live in memory: a restarted simulator is the
//     seeded system again, with the same credentials.
package maximo
