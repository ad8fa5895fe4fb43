package sap

import (
	"fmt"
	"html"
	"strings"
)

// The simulator's own entity definitions: the services, entity sets,
// properties and function imports it serves. Every property is one of SAP's
// (same name and type as in SAP's $metadata of the service; the fidelity
// test checks it), but only those a client needs and that make the records
// realistic: SAP's types have hundreds.

// Edm types used by the simulator.
const (
	tString         = "Edm.String"
	tBoolean        = "Edm.Boolean"
	tDecimal        = "Edm.Decimal"
	tDateTime       = "Edm.DateTime"
	tDateTimeOffset = "Edm.DateTimeOffset"
	tTime           = "Edm.Time"
	tInt32          = "Edm.Int32"
)

// property is one property of an entity type.
type property struct {
	Name      string
	Type      string
	MaxLength int
	Precision int
	Scale     int
	// readOnly properties are refused in a create or update body (SAP's
	// sap:updatable="false" and computed fields).
	readOnly bool
}

// navigation is a navigation property to a set of child records stored in
// the parent (purchase order items, product descriptions).
type navigation struct {
	Name   string
	Target *entitySet
}

// entitySet is one entity set and its entity type.
type entitySet struct {
	service *service
	Name    string
	Type    string // the entity type's name, without namespace
	Keys    []string
	Props   []property
	Navs    []navigation
	// changeTime names the property holding the last change time ("" when
	// the type has none).
	changeTime string
	// parent is the set whose records hold this set's records (child sets).
	parent  *entitySet
	navName string
	byName  map[string]*property
}

func (e *entitySet) prop(name string) *property { return e.byName[name] }

func (e *entitySet) nav(name string) *navigation {
	for i := range e.Navs {
		if e.Navs[i].Name == name {
			return &e.Navs[i]
		}
	}
	return nil
}

// qualifiedType is the type named in __metadata.
func (e *entitySet) qualifiedType() string { return e.service.Namespace + "." + e.Type }

// param is a function import parameter.
type param struct {
	Name string
	Type string
}

// functionImport is an action on a maintenance order.
type functionImport struct {
	Name       string
	Method     string
	ReturnType string
	Params     []param
}

// service is one OData service under /sap/opu/odata/sap/.
type service struct {
	Name      string
	Namespace string
	Sets      []*entitySet
	Functions []functionImport
	// beyondSpecs marks a service absent from the shared descriptions.
	beyondSpecs bool
}

func (s *service) set(name string) *entitySet {
	for _, e := range s.Sets {
		if e.Name == name {
			return e
		}
	}
	return nil
}

func (s *service) function(name string) *functionImport {
	for i := range s.Functions {
		if s.Functions[i].Name == name {
			return &s.Functions[i]
		}
	}
	return nil
}

// Shorthands for property lists.
func str(name string, n int) property { return property{Name: name, Type: tString, MaxLength: n} }
func roStr(name string, n int) property {
	return property{Name: name, Type: tString, MaxLength: n, readOnly: true}
}
func boolean(name string) property { return property{Name: name, Type: tBoolean} }
func roBool(name string) property  { return property{Name: name, Type: tBoolean, readOnly: true} }
func decimal(name string, p, s int) property {
	return property{Name: name, Type: tDecimal, Precision: p, Scale: s}
}
func date(name string) property   { return property{Name: name, Type: tDateTime, Precision: 0} }
func roDate(name string) property { return property{Name: name, Type: tDateTime, readOnly: true} }
func stamp(name string, precision int) property {
	return property{Name: name, Type: tDateTimeOffset, Precision: precision}
}
func roStamp(name string, precision int) property {
	return property{Name: name, Type: tDateTimeOffset, Precision: precision, readOnly: true}
}

func newSet(name, typ string, keys []string, changeTime string, props ...property) *entitySet {
	e := &entitySet{Name: name, Type: typ, Keys: keys, Props: props, changeTime: changeTime, byName: map[string]*property{}}
	for i := range e.Props {
		e.byName[e.Props[i].Name] = &e.Props[i]
	}
	for _, k := range keys {
		if e.byName[k] == nil {
			panic("key " + k + " is not a property of " + name)
		}
	}
	return e
}

func newService(name, namespace string, sets ...*entitySet) *service {
	s := &service{Name: name, Namespace: namespace, Sets: sets}
	for _, e := range sets {
		e.service = s
	}
	return s
}

// child makes set a child of parent under the navigation property nav.
func child(parent *entitySet, nav string, set *entitySet) {
	parent.Navs = append(parent.Navs, navigation{Name: nav, Target: set})
	set.parent, set.navName = parent, nav
}

// The entity sets, by service.
var (
	setMaintenanceOrder = newSet("MaintenanceOrder", "MaintenanceOrderType", []string{"MaintenanceOrder"}, "LastChangeDateTime",
		roStr("MaintenanceOrder", 12), str("MaintenanceOrderType", 4), str("MaintenanceOrderDesc", 40),
		stamp("MaintOrdBasicStartDateTime", 0), stamp("MaintOrdBasicEndDateTime", 0),
		str("MaintenanceNotification", 12), str("MainWorkCenter", 8), str("MainWorkCenterPlant", 4),
		str("MaintenancePlanningPlant", 4), str("MaintenancePlant", 4), str("BusinessArea", 4), roStr("CompanyCode", 4),
		str("CostCenter", 10), str("Equipment", 18), roStr("EquipmentName", 40), str("FunctionalLocation", 30),
		str("MaintenancePlannerGroup", 3), str("MaintenanceActivityType", 3), str("MaintPriority", 1), roStr("MaintPriorityType", 2),
		str("MaintObjectFreeDefinedAttrib", 30),
		roStr("Currency", 5), str("MaintOrdPersonResponsible", 12), roStr("LastChangeByUser", 12), roStamp("LastChangeDateTime", 0),
		roStr("CreatedByUser", 12), roStamp("MaintOrderCreationDateTime", 0), roStamp("MainWorkCompletedDateTime", 0),
		roStr("SystemStatusText", 40), roStr("UserStatusText", 40), roStr("TechnicalObject", 40), roStr("TechObjIsEquipOrFuncnlLoc", 20),
	)
	svcMaintenanceOrder = newService("API_MAINTENANCEORDER", "cds_api_maintenanceorder_2", setMaintenanceOrder)

	setPurchaseOrder = newSet("A_PurchaseOrder", "A_PurchaseOrderType", []string{"PurchaseOrder"}, "LastChangeDateTime",
		str("PurchaseOrder", 10), str("CompanyCode", 4), str("PurchaseOrderType", 4), roStr("PurchasingDocumentDeletionCode", 1),
		roStr("PurchasingProcessingStatus", 2), roStr("CreatedByUser", 12), roDate("CreationDate"), roStamp("LastChangeDateTime", 7),
		str("Supplier", 10), str("Language", 2), str("PaymentTerms", 4), str("PurchasingOrganization", 4), str("PurchasingGroup", 3),
		date("PurchaseOrderDate"), str("DocumentCurrency", 5), str("IncotermsClassification", 3),
		str("CorrespncExternalReference", 12), str("CorrespncInternalReference", 12), roBool("ReleaseIsNotCompleted"),
	)
	setPurchaseOrderItem = newSet("A_PurchaseOrderItem", "A_PurchaseOrderItemType", []string{"PurchaseOrder", "PurchaseOrderItem"}, "",
		str("PurchaseOrder", 10), str("PurchaseOrderItem", 5), roStr("PurchasingDocumentDeletionCode", 1), str("PurchaseOrderItemText", 40),
		str("Plant", 4), str("StorageLocation", 4), str("MaterialGroup", 9), decimal("OrderQuantity", 13, 3),
		str("PurchaseOrderQuantityUnit", 3), roStr("DocumentCurrency", 5), decimal("NetPriceAmount", 12, 3), decimal("NetPriceQuantity", 5, 0),
		boolean("IsCompletelyDelivered"), boolean("IsFinallyInvoiced"), str("AccountAssignmentCategory", 1), str("Material", 40),
	)
	svcPurchaseOrder = newService("API_PURCHASEORDER_PROCESS_SRV", "API_PURCHASEORDER_PROCESS_SRV", setPurchaseOrder, setPurchaseOrderItem)

	setEquipment = newSet("Equipment", "EquipmentType", []string{"Equipment", "ValidityEndDate"}, "LastChangeDateTime",
		str("Equipment", 18), roDate("ValidityEndDate"), date("ValidityStartDate"), str("EquipmentName", 40), str("EquipmentCategory", 1),
		str("TechnicalObjectType", 10), str("InventoryNumber", 25), date("OperationStartDate"), decimal("AcquisitionValue", 13, 3),
		str("Currency", 5), date("AcquisitionDate"), str("AssetManufacturerName", 30), str("ManufacturerPartTypeName", 20),
		str("ManufacturerSerialNumber", 30), str("ConstructionYear", 4), str("MaintenancePlant", 4), str("PlantSection", 3),
		str("ABCIndicator", 1), roStr("FunctionalLocation", 30), roStr("FunctionalLocationName", 40), str("SuperordinateEquipment", 18),
		str("MaintenancePlanningPlant", 4), str("MainWorkCenter", 8), roDate("CreationDate"), roStr("CreatedByUser", 12),
		roStr("LastChangedByUser", 12), roStamp("LastChangeDateTime", 0), roBool("EquipmentIsMarkedForDeletion"), roBool("EquipmentIsInactive"),
	)
	svcEquipment = newService("API_EQUIPMENT", "cds_api_equipment", setEquipment)

	setFunctionalLocation = newSet("FunctionalLocation", "FunctionalLocationType", []string{"FunctionalLocation"}, "LastChangeDateTime",
		str("FunctionalLocation", 30), roStr("FunctionalLocationLabelName", 40), str("FunctionalLocationName", 40),
		str("FuncLocationStructure", 5), str("FunctionalLocationCategory", 1), str("SuperiorFunctionalLocation", 30),
		str("MaintenancePlant", 4), str("PlantSection", 3), str("CityName", 40), str("StreetName", 60), str("PostalCode", 10),
		str("Country", 3), str("CompanyCode", 4), str("MaintenancePlanningPlant", 4),
		roStamp("LastChangeDateTime", 0), roBool("FuncnlLocIsMarkedForDeletion"), roBool("FunctionalLocationIsActive"),
		roStr("CreatedByUser", 12), roDate("CreationDate"), roStr("LastChangedByUser", 12),
	)
	svcFunctionalLocation = newService("API_FUNCTIONALLOCATION", "cds_api_functionallocation", setFunctionalLocation)

	setProduct = newSet("A_Product", "A_ProductType", []string{"Product"}, "LastChangeDateTime",
		str("Product", 40), str("ProductType", 4), roDate("CreationDate"), roStr("CreatedByUser", 12), roDate("LastChangeDate"),
		roStr("LastChangedByUser", 12), roStamp("LastChangeDateTime", 7), boolean("IsMarkedForDeletion"), str("ProductOldID", 40),
		decimal("GrossWeight", 13, 3), str("WeightUnit", 3), str("PurchaseOrderQuantityUnit", 3), str("ProductGroup", 9),
		str("BaseUnit", 3), str("ProductManufacturerNumber", 40), str("ManufacturerNumber", 10),
	)
	setProductDescription = newSet("A_ProductDescription", "A_ProductDescriptionType", []string{"Product", "Language"}, "",
		str("Product", 40), str("Language", 2), str("ProductDescription", 40),
	)
	svcProduct = newService("API_PRODUCT_SRV", "API_PRODUCT_SRV", setProduct, setProductDescription)

	setSupplier = newSet("A_Supplier", "A_SupplierType", []string{"Supplier"}, "",
		str("Supplier", 10), roStr("CreatedByUser", 12), roDate("CreationDate"), boolean("PaymentIsBlockedForSupplier"),
		boolean("PostingIsBlocked"), boolean("PurchasingIsBlocked"), str("SupplierAccountGroup", 4), roStr("SupplierFullName", 220),
		roStr("SupplierName", 80), roStr("VATRegistration", 20), boolean("DeletionIndicator"),
	)
	svcBusinessPartner = newService("API_BUSINESS_PARTNER", "API_BUSINESS_PARTNER", setSupplier)

	stockKeys = []string{"Material", "Plant", "StorageLocation", "Batch", "Supplier", "Customer", "WBSElementInternalID",
		"SDDocument", "SDDocumentItem", "InventorySpecialStockType", "InventoryStockType"}
	setStock = newSet("A_MatlStkInAcctMod", "A_MatlStkInAcctModType", stockKeys, "",
		str("Material", 40), str("Plant", 4), str("StorageLocation", 4), str("Batch", 10), str("Supplier", 10), str("Customer", 10),
		str("WBSElementInternalID", 8), str("SDDocument", 10), str("SDDocumentItem", 6), str("InventorySpecialStockType", 1),
		str("InventoryStockType", 2), str("MaterialBaseUnit", 3), decimal("MatlWrhsStkQtyInMatlBaseUnit", 31, 14),
	)
	setMaterialStock = newSet("A_MaterialStock", "A_MaterialStockType", []string{"Material"}, "",
		str("Material", 40), str("MaterialBaseUnit", 3),
	)
	svcMaterialStock = newService("API_MATERIAL_STOCK_SRV", "API_MATERIAL_STOCK_SRV", setMaterialStock, setStock)

	setPlant = newSet("A_Plant", "A_PlantType", []string{"Plant"}, "",
		str("Plant", 4), str("PlantName", 30), str("CompanyCode", 4), str("CompanyCodeName", 25),
	)
	svcPlant = newService("API_PLANT_SRV", "API_PLANT_SRV", setPlant)

	setStorageLocation = newSet("StorageLocation", "StorageLocationType", []string{"Plant", "StorageLocation"}, "",
		str("Plant", 4), str("StorageLocation", 4), str("StorageLocationName", 16),
	)
	svcStorageLocation = newService("API_STORAGELOCATION_SRV", "cds_api_storagelocation_srv", setStorageLocation)

	// API_MATERIAL_DOCUMENT_SRV (goods movements) is not among the shared
	// descriptions; its properties follow SAP's documentation.
	setMaterialDocument = newSet("A_MaterialDocumentHeader", "A_MaterialDocumentHeaderType", []string{"MaterialDocumentYear", "MaterialDocument"}, "",
		roStr("MaterialDocumentYear", 4), roStr("MaterialDocument", 10), date("DocumentDate"), date("PostingDate"),
		str("MaterialDocumentHeaderText", 25), str("GoodsMovementCode", 2), str("ReferenceDocument", 16),
		roStr("CreatedByUser", 12), roDate("CreationDate"),
	)
	setMaterialDocumentItem = newSet("A_MaterialDocumentItem", "A_MaterialDocumentItemType", []string{"MaterialDocumentYear", "MaterialDocument", "MaterialDocumentItem"}, "",
		roStr("MaterialDocumentYear", 4), roStr("MaterialDocument", 10), roStr("MaterialDocumentItem", 4), str("Material", 40),
		str("Plant", 4), str("StorageLocation", 4), str("GoodsMovementType", 3), decimal("QuantityInEntryUnit", 13, 3),
		str("EntryUnit", 3), str("GoodsMovementReasonCode", 4), str("MaterialDocumentItemText", 50),
	)
	svcMaterialDocument = newService("API_MATERIAL_DOCUMENT_SRV", "API_MATERIAL_DOCUMENT_SRV", setMaterialDocument, setMaterialDocumentItem)

	// services are every service the simulator serves.
	services = []*service{svcMaintenanceOrder, svcPurchaseOrder, svcEquipment, svcFunctionalLocation, svcProduct,
		svcBusinessPartner, svcMaterialStock, svcPlant, svcStorageLocation, svcMaterialDocument}
)

// maintenanceOrderFunctions are the status actions served, with SAP's
// names and parameters.
var maintenanceOrderFunctions = []functionImport{
	{Name: "ReleaseMaintenanceOrder", Params: []param{{"MaintenanceOrder", tString}}},
	{Name: "SetMaintOrdToTechCompleted", Params: []param{{"MaintenanceOrder", tString}, {"MainWrkCmpltdDateTimeIsUsed", tBoolean},
		{"MaintOrderReferenceDateTime", tDateTimeOffset}, {"AssignedMaintNotifIsToBeClosed", tBoolean}}},
	{Name: "ResetMaintOrdStsTechCompleted", Params: []param{{"MaintenanceOrder", tString}, {"AssgdMaintNotifIsToBePutInProc", tBoolean}}},
	{Name: "SetMaintOrderStatusToClosed", Params: []param{{"MaintenanceOrder", tString}, {"MaintOrderReferenceDateTime", tDateTimeOffset},
		{"AssignedMaintNotifIsToBeClosed", tBoolean}}},
	{Name: "ResetMaintOrderStatusClosed", Params: []param{{"MaintenanceOrder", tString}}},
	{Name: "SetMaintOrderToDoNotExecute", Params: []param{{"MaintenanceOrder", tString}, {"MaintOrderReferenceDateTime", tDateTimeOffset},
		{"MaintOrdCancellationAction", tString}, {"AssignedMaintNotifIsToBeClosed", tBoolean}, {"AssgdMaintNotifIsToBeRsetAlloc", tBoolean}}},
	{Name: "ResetStatusFromDoNotExecute", Params: []param{{"MaintenanceOrder", tString}}},
	{Name: "SetMaintOrderStatusToLocked", Params: []param{{"MaintenanceOrder", tString}}},
	{Name: "SetMaintOrderStatusToUnlocked", Params: []param{{"MaintenanceOrder", tString}}},
}

func init() {
	child(setPurchaseOrder, "to_PurchaseOrderItem", setPurchaseOrderItem)
	child(setProduct, "to_Description", setProductDescription)
	child(setMaterialDocument, "to_MaterialDocumentItem", setMaterialDocumentItem)
	setMaterialStock.Navs = append(setMaterialStock.Navs, navigation{Name: "to_MatlStkInAcctMod", Target: setStock})
	for i := range maintenanceOrderFunctions {
		maintenanceOrderFunctions[i].Method = "POST"
		maintenanceOrderFunctions[i].ReturnType = svcMaintenanceOrder.Namespace + ".DummyFunctionImportResult"
	}
	svcMaintenanceOrder.Functions = maintenanceOrderFunctions
	svcMaterialDocument.beyondSpecs = true
}

func serviceNamed(name string) *service {
	for _, s := range services {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// metadata writes a service's $metadata (EDMX, OData V2) from the
// simulator's own definitions.
func (s *service) metadata() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns:sap="http://www.sap.com/Protocols/SAPData">`)
	b.WriteString(`<edmx:DataServices m:DataServiceVersion="2.0">`)
	fmt.Fprintf(&b, `<Schema Namespace="%s" xml:lang="en" sap:schema-version="1" xmlns="http://schemas.microsoft.com/ado/2008/09/edm">`, s.Namespace)
	for _, e := range s.Sets {
		fmt.Fprintf(&b, `<EntityType Name="%s" sap:content-version="1"><Key>`, e.Type)
		for _, k := range e.Keys {
			fmt.Fprintf(&b, `<PropertyRef Name="%s"/>`, k)
		}
		b.WriteString(`</Key>`)
		for _, p := range e.Props {
			fmt.Fprintf(&b, `<Property Name="%s" Type="%s"`, p.Name, p.Type)
			if p.MaxLength > 0 {
				fmt.Fprintf(&b, ` MaxLength="%d"`, p.MaxLength)
			}
			if p.Type == tDecimal {
				fmt.Fprintf(&b, ` Precision="%d" Scale="%d"`, p.Precision, p.Scale)
			}
			if p.Type == tDateTime || p.Type == tDateTimeOffset {
				fmt.Fprintf(&b, ` Precision="%d"`, p.Precision)
			}
			if p.readOnly {
				b.WriteString(` sap:creatable="false" sap:updatable="false"`)
			}
			b.WriteString(`/>`)
		}
		for _, n := range e.Navs {
			fmt.Fprintf(&b, `<NavigationProperty Name="%s" Relationship="%s.assoc_%s" FromRole="FromRole_%s" ToRole="ToRole_%s"/>`,
				n.Name, s.Namespace, n.Name, n.Name, n.Name)
		}
		b.WriteString(`</EntityType>`)
	}
	if len(s.Functions) > 0 {
		b.WriteString(`<ComplexType Name="DummyFunctionImportResult"><Property Name="IsInvalid" Type="Edm.Boolean"/></ComplexType>`)
	}
	fmt.Fprintf(&b, `<EntityContainer Name="%s_Entities" m:IsDefaultEntityContainer="true">`, s.Namespace)
	for _, e := range s.Sets {
		fmt.Fprintf(&b, `<EntitySet Name="%s" EntityType="%s"/>`, e.Name, html.EscapeString(e.qualifiedType()))
	}
	for _, f := range s.Functions {
		fmt.Fprintf(&b, `<FunctionImport Name="%s" ReturnType="%s" m:HttpMethod="%s">`, f.Name, f.ReturnType, f.Method)
		for _, p := range f.Params {
			fmt.Fprintf(&b, `<Parameter Name="%s" Type="%s" Mode="In"/>`, p.Name, p.Type)
		}
		b.WriteString(`</FunctionImport>`)
	}
	b.WriteString(`</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>`)
	return b.String()
}
