// Package sap simulates an SAP S/4HANA system's OData V2 APIs for one
// company running a seeded plant, so connectors can be built, tested and
// benchmarked without an SAP system. It follows SAP's published service
// descriptions (vendor-specs/sap/*.edmx and API_MATERIAL_STOCK_SRV's OpenAPI
// export); the fidelity test compares the $metadata it serves, generated
// from its own entity definitions, with them, and lists where it differs on
// purpose.
//
// # Serving
//
// New returns a Server, an http.Handler answering under
// /sap/opu/odata/sap/<SERVICE>/:
//
//	API_MAINTENANCEORDER           MaintenanceOrder (POST creates one in CRTD);
//	                               status function imports
//	                               ReleaseMaintenanceOrder,
//	                               SetMaintOrdToTechCompleted,
//	                               ResetMaintOrdStsTechCompleted,
//	                               SetMaintOrderStatusToClosed,
//	                               ResetMaintOrderStatusClosed,
//	                               SetMaintOrderToDoNotExecute,
//	                               ResetStatusFromDoNotExecute,
//	                               SetMaintOrderStatusToLocked, ...Unlocked
//	                               (POST ...?MaintenanceOrder='4000001')
//	API_PURCHASEORDER_PROCESS_SRV  A_PurchaseOrder (POST: deep insert with
//	                               to_PurchaseOrderItem; DELETE sets the
//	                               deletion indicator L), A_PurchaseOrderItem
//	API_EQUIPMENT                  Equipment
//	API_FUNCTIONALLOCATION         FunctionalLocation
//	API_PRODUCT_SRV                A_Product, A_ProductDescription (to_Description)
//	API_BUSINESS_PARTNER           A_Supplier
//	API_MATERIAL_STOCK_SRV         A_MaterialStock, A_MatlStkInAcctMod
//	API_PLANT_SRV                  A_Plant
//	API_STORAGELOCATION_SRV        StorageLocation
//	API_MATERIAL_DOCUMENT_SRV      A_MaterialDocumentHeader (POST: a goods
//	                               movement, deep insert with
//	                               to_MaterialDocumentItem), A_MaterialDocumentItem
//
// Each service serves its service document, $metadata, Set, Set/$count,
// Set(key), Set(key)/navigation; PATCH, MERGE (also POST with X-HTTP-Method)
// and PUT change maintenance orders, purchase order headers, equipment,
// functional locations, products and suppliers. OAuth 2.0 client
// credentials are served at POST /sap/bc/sec/oauth2/token. The fault and
// stats endpoints of package fault are under /_sim/.
//
// # Protocol
//
// JSON only: {"d": {"results": [...]}} for collections, {"d": {...}} for an
// entity, __metadata with uri, type and etag; Edm.DateTime as /Date(ms)/,
// Edm.DateTimeOffset as /Date(ms+0000)/, Edm.Decimal as a string with the
// property's scale ("2.500"). Query options: $top, $skip, $inlinecount=
// allpages (d.__count), $expand, $select, $filter (comparisons eq, ne, gt, ge, lt,
// le of a property with a literal, joined by and: LastChangeDateTime ge
// datetimeoffset'2026-01-01T00:00:00Z', PurchaseOrder gt '4500000100'),
// $orderby on the key. A listing without $top, or with one larger than
// Config.PageSize, answers a page and a __next link with $skiptoken.
//
// Authentication: Basic (Config.Username, Password) or a bearer token from
// the token endpoint; anything else gets 401. Writes follow SAP's CSRF
// protocol: a GET with X-CSRF-Token: Fetch returns a token bound to a
// session cookie (SAP_SESSIONID_MWS_100); a write without both gets 403
// with X-CSRF-Token: Required. ExpireSessions ends every session. Changes
// need If-Match with the entity's ETag (or *): none gets 428, a stale one
// 412. Errors are {"error": {"code", "message": {"lang", "value"},
// "innererror"}} with SAP-style codes: ME/045 unknown supplier, 06/042
// supplier blocked for purchasing, M3/305 unknown material, M7/021 stock
// deficit, BS/007 status change not allowed, /IWBEP/CM_MGW_RT/020 not found.
//
// # Business rules
//
// Maintenance orders need an order type (PM01, PM02, PM03), a description
// and equipment, a functional location or a planning plant; they start in
// CRTD. Purchase orders get the next number (4500000001...), status 02 (active),
// need CompanyCode, PurchaseOrderType, Supplier (existing, not blocked),
// PurchasingOrganization, PurchasingGroup and at least one item with a
// plant, a quantity, a net price and a material or a short text with a
// material group and an order unit. Maintenance order statuses move
// CRTD -> REL -> TECO -> CLSD (with resets), CRTD/REL -> DNEX, and LKD is
// added and removed by lock and unlock. Goods movements of type 561/701 add
// to and 562/702 take from a storage location's unrestricted-use stock,
// never below zero.
//
// # The seeded plant
//
// Up to six plants, each with three storage locations and a site
// functional location with areas below it; equipment in groups of a machine
// and three components; spare parts (products, with English and some German
// descriptions) stocked in storage locations; suppliers, every seventh
// blocked for purchasing; maintenance orders and purchase orders spread
// over the two years before the epoch, older ones mostly completed. A
// seeded record is generated from its index whenever it is read and its
// change time grows with its key, so 100,000 maintenance orders cost no
// memory; changes go to a small overlay. The same Config gives the same
// records and credentials.
//
// # Differences from SAP
//
//   - Only the properties a client needs are served (each exists in SAP's
//     description with the same type); SAP's types have hundreds.
//   - API_MATERIAL_DOCUMENT_SRV is not among the shared descriptions; its
//     entity sets follow SAP's documentation and only goods movements of
//     types 561, 562, 701 and 702 to unrestricted-use stock are posted.
//   - ETags are a hash of the entity's properties (SAP uses the change
//     time on some sets); function imports require If-Match.
//   - $filter has no functions, or, not or parentheses; $orderby only on
//     the key; no $batch, no Atom XML.
//   - Equipment, locations, products and suppliers cannot be created; only
//     maintenance orders, purchase orders and material documents are.
//   - The CSRF token is valid across every service of the system.
package sap
