package server

// The typed handlers of each collection. Each only names its types and calls
// the logic in records.go and writes.go, which is written once for all.

import (
	"context"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
)

// ListWorkOrders lists WorkOrders.
func (s *Server) ListWorkOrders(ctx context.Context, req *entityv1.ListWorkOrdersRequest) (*entityv1.ListWorkOrdersResponse, error) {
	items, next, err := list[*entityv1.WorkOrder](ctx, s, model.WorkOrders, req)
	return &entityv1.ListWorkOrdersResponse{WorkOrders: items, NextPageToken: next}, err
}

// GetWorkOrder returns one of WorkOrders.
func (s *Server) GetWorkOrder(ctx context.Context, req *entityv1.GetWorkOrderRequest) (*entityv1.GetWorkOrderResponse, error) {
	item, err := get[*entityv1.WorkOrder](ctx, s, model.WorkOrders, req)
	return &entityv1.GetWorkOrderResponse{WorkOrder: item}, err
}

// CreateWorkOrder creates one of WorkOrders.
func (s *Server) CreateWorkOrder(ctx context.Context, req *entityv1.CreateWorkOrderRequest) (*entityv1.CreateWorkOrderResponse, error) {
	item, err := create(ctx, s, model.WorkOrders, req, req.GetRequestId(), req.GetWorkOrder())
	return &entityv1.CreateWorkOrderResponse{WorkOrder: item}, err
}

// UpdateWorkOrder changes one of WorkOrders.
func (s *Server) UpdateWorkOrder(ctx context.Context, req *entityv1.UpdateWorkOrderRequest) (*entityv1.UpdateWorkOrderResponse, error) {
	item, err := update(ctx, s, model.WorkOrders, req, req.GetRequestId(), req.GetWorkOrder(), req.GetUpdateMask().GetPaths())
	return &entityv1.UpdateWorkOrderResponse{WorkOrder: item}, err
}

// DeleteWorkOrder deletes one of WorkOrders.
func (s *Server) DeleteWorkOrder(ctx context.Context, req *entityv1.DeleteWorkOrderRequest) (*entityv1.DeleteWorkOrderResponse, error) {
	return &entityv1.DeleteWorkOrderResponse{}, remove(ctx, s, model.WorkOrders, req.GetId())
}

// ListAssets lists Assets.
func (s *Server) ListAssets(ctx context.Context, req *entityv1.ListAssetsRequest) (*entityv1.ListAssetsResponse, error) {
	items, next, err := list[*entityv1.Asset](ctx, s, model.Assets, req)
	return &entityv1.ListAssetsResponse{Assets: items, NextPageToken: next}, err
}

// GetAsset returns one of Assets.
func (s *Server) GetAsset(ctx context.Context, req *entityv1.GetAssetRequest) (*entityv1.GetAssetResponse, error) {
	item, err := get[*entityv1.Asset](ctx, s, model.Assets, req)
	return &entityv1.GetAssetResponse{Asset: item}, err
}

// CreateAsset creates one of Assets.
func (s *Server) CreateAsset(ctx context.Context, req *entityv1.CreateAssetRequest) (*entityv1.CreateAssetResponse, error) {
	item, err := create(ctx, s, model.Assets, req, req.GetRequestId(), req.GetAsset())
	return &entityv1.CreateAssetResponse{Asset: item}, err
}

// UpdateAsset changes one of Assets.
func (s *Server) UpdateAsset(ctx context.Context, req *entityv1.UpdateAssetRequest) (*entityv1.UpdateAssetResponse, error) {
	item, err := update(ctx, s, model.Assets, req, req.GetRequestId(), req.GetAsset(), req.GetUpdateMask().GetPaths())
	return &entityv1.UpdateAssetResponse{Asset: item}, err
}

// DeleteAsset deletes one of Assets.
func (s *Server) DeleteAsset(ctx context.Context, req *entityv1.DeleteAssetRequest) (*entityv1.DeleteAssetResponse, error) {
	return &entityv1.DeleteAssetResponse{}, remove(ctx, s, model.Assets, req.GetId())
}

// ListLocations lists Locations.
func (s *Server) ListLocations(ctx context.Context, req *entityv1.ListLocationsRequest) (*entityv1.ListLocationsResponse, error) {
	items, next, err := list[*entityv1.Location](ctx, s, model.Locations, req)
	return &entityv1.ListLocationsResponse{Locations: items, NextPageToken: next}, err
}

// GetLocation returns one of Locations.
func (s *Server) GetLocation(ctx context.Context, req *entityv1.GetLocationRequest) (*entityv1.GetLocationResponse, error) {
	item, err := get[*entityv1.Location](ctx, s, model.Locations, req)
	return &entityv1.GetLocationResponse{Location: item}, err
}

// CreateLocation creates one of Locations.
func (s *Server) CreateLocation(ctx context.Context, req *entityv1.CreateLocationRequest) (*entityv1.CreateLocationResponse, error) {
	item, err := create(ctx, s, model.Locations, req, req.GetRequestId(), req.GetLocation())
	return &entityv1.CreateLocationResponse{Location: item}, err
}

// UpdateLocation changes one of Locations.
func (s *Server) UpdateLocation(ctx context.Context, req *entityv1.UpdateLocationRequest) (*entityv1.UpdateLocationResponse, error) {
	item, err := update(ctx, s, model.Locations, req, req.GetRequestId(), req.GetLocation(), req.GetUpdateMask().GetPaths())
	return &entityv1.UpdateLocationResponse{Location: item}, err
}

// DeleteLocation deletes one of Locations.
func (s *Server) DeleteLocation(ctx context.Context, req *entityv1.DeleteLocationRequest) (*entityv1.DeleteLocationResponse, error) {
	return &entityv1.DeleteLocationResponse{}, remove(ctx, s, model.Locations, req.GetId())
}

// ListParts lists Parts.
func (s *Server) ListParts(ctx context.Context, req *entityv1.ListPartsRequest) (*entityv1.ListPartsResponse, error) {
	items, next, err := list[*entityv1.Part](ctx, s, model.Parts, req)
	return &entityv1.ListPartsResponse{Parts: items, NextPageToken: next}, err
}

// GetPart returns one of Parts.
func (s *Server) GetPart(ctx context.Context, req *entityv1.GetPartRequest) (*entityv1.GetPartResponse, error) {
	item, err := get[*entityv1.Part](ctx, s, model.Parts, req)
	return &entityv1.GetPartResponse{Part: item}, err
}

// CreatePart creates one of Parts.
func (s *Server) CreatePart(ctx context.Context, req *entityv1.CreatePartRequest) (*entityv1.CreatePartResponse, error) {
	item, err := create(ctx, s, model.Parts, req, req.GetRequestId(), req.GetPart())
	return &entityv1.CreatePartResponse{Part: item}, err
}

// UpdatePart changes one of Parts.
func (s *Server) UpdatePart(ctx context.Context, req *entityv1.UpdatePartRequest) (*entityv1.UpdatePartResponse, error) {
	item, err := update(ctx, s, model.Parts, req, req.GetRequestId(), req.GetPart(), req.GetUpdateMask().GetPaths())
	return &entityv1.UpdatePartResponse{Part: item}, err
}

// DeletePart deletes one of Parts.
func (s *Server) DeletePart(ctx context.Context, req *entityv1.DeletePartRequest) (*entityv1.DeletePartResponse, error) {
	return &entityv1.DeletePartResponse{}, remove(ctx, s, model.Parts, req.GetId())
}

// ListInventoryLevels lists InventoryLevels.
func (s *Server) ListInventoryLevels(ctx context.Context, req *entityv1.ListInventoryLevelsRequest) (*entityv1.ListInventoryLevelsResponse, error) {
	items, next, err := list[*entityv1.InventoryLevel](ctx, s, model.InventoryLevels, req)
	return &entityv1.ListInventoryLevelsResponse{InventoryLevels: items, NextPageToken: next}, err
}

// GetInventoryLevel returns one of InventoryLevels.
func (s *Server) GetInventoryLevel(ctx context.Context, req *entityv1.GetInventoryLevelRequest) (*entityv1.GetInventoryLevelResponse, error) {
	item, err := get[*entityv1.InventoryLevel](ctx, s, model.InventoryLevels, req)
	return &entityv1.GetInventoryLevelResponse{InventoryLevel: item}, err
}

// CreateInventoryLevel creates one of InventoryLevels.
func (s *Server) CreateInventoryLevel(ctx context.Context, req *entityv1.CreateInventoryLevelRequest) (*entityv1.CreateInventoryLevelResponse, error) {
	item, err := create(ctx, s, model.InventoryLevels, req, req.GetRequestId(), req.GetInventoryLevel())
	return &entityv1.CreateInventoryLevelResponse{InventoryLevel: item}, err
}

// UpdateInventoryLevel changes one of InventoryLevels.
func (s *Server) UpdateInventoryLevel(ctx context.Context, req *entityv1.UpdateInventoryLevelRequest) (*entityv1.UpdateInventoryLevelResponse, error) {
	item, err := update(ctx, s, model.InventoryLevels, req, req.GetRequestId(), req.GetInventoryLevel(), req.GetUpdateMask().GetPaths())
	return &entityv1.UpdateInventoryLevelResponse{InventoryLevel: item}, err
}

// DeleteInventoryLevel deletes one of InventoryLevels.
func (s *Server) DeleteInventoryLevel(ctx context.Context, req *entityv1.DeleteInventoryLevelRequest) (*entityv1.DeleteInventoryLevelResponse, error) {
	return &entityv1.DeleteInventoryLevelResponse{}, remove(ctx, s, model.InventoryLevels, req.GetId())
}

// ListPurchaseOrders lists PurchaseOrders.
func (s *Server) ListPurchaseOrders(ctx context.Context, req *entityv1.ListPurchaseOrdersRequest) (*entityv1.ListPurchaseOrdersResponse, error) {
	items, next, err := list[*entityv1.PurchaseOrder](ctx, s, model.PurchaseOrders, req)
	return &entityv1.ListPurchaseOrdersResponse{PurchaseOrders: items, NextPageToken: next}, err
}

// GetPurchaseOrder returns one of PurchaseOrders.
func (s *Server) GetPurchaseOrder(ctx context.Context, req *entityv1.GetPurchaseOrderRequest) (*entityv1.GetPurchaseOrderResponse, error) {
	item, err := get[*entityv1.PurchaseOrder](ctx, s, model.PurchaseOrders, req)
	return &entityv1.GetPurchaseOrderResponse{PurchaseOrder: item}, err
}

// CreatePurchaseOrder creates one of PurchaseOrders.
func (s *Server) CreatePurchaseOrder(ctx context.Context, req *entityv1.CreatePurchaseOrderRequest) (*entityv1.CreatePurchaseOrderResponse, error) {
	item, err := create(ctx, s, model.PurchaseOrders, req, req.GetRequestId(), req.GetPurchaseOrder())
	return &entityv1.CreatePurchaseOrderResponse{PurchaseOrder: item}, err
}

// UpdatePurchaseOrder changes one of PurchaseOrders.
func (s *Server) UpdatePurchaseOrder(ctx context.Context, req *entityv1.UpdatePurchaseOrderRequest) (*entityv1.UpdatePurchaseOrderResponse, error) {
	item, err := update(ctx, s, model.PurchaseOrders, req, req.GetRequestId(), req.GetPurchaseOrder(), req.GetUpdateMask().GetPaths())
	return &entityv1.UpdatePurchaseOrderResponse{PurchaseOrder: item}, err
}

// DeletePurchaseOrder deletes one of PurchaseOrders.
func (s *Server) DeletePurchaseOrder(ctx context.Context, req *entityv1.DeletePurchaseOrderRequest) (*entityv1.DeletePurchaseOrderResponse, error) {
	return &entityv1.DeletePurchaseOrderResponse{}, remove(ctx, s, model.PurchaseOrders, req.GetId())
}

// ListVendors lists Vendors.
func (s *Server) ListVendors(ctx context.Context, req *entityv1.ListVendorsRequest) (*entityv1.ListVendorsResponse, error) {
	items, next, err := list[*entityv1.Vendor](ctx, s, model.Vendors, req)
	return &entityv1.ListVendorsResponse{Vendors: items, NextPageToken: next}, err
}

// GetVendor returns one of Vendors.
func (s *Server) GetVendor(ctx context.Context, req *entityv1.GetVendorRequest) (*entityv1.GetVendorResponse, error) {
	item, err := get[*entityv1.Vendor](ctx, s, model.Vendors, req)
	return &entityv1.GetVendorResponse{Vendor: item}, err
}

// CreateVendor creates one of Vendors.
func (s *Server) CreateVendor(ctx context.Context, req *entityv1.CreateVendorRequest) (*entityv1.CreateVendorResponse, error) {
	item, err := create(ctx, s, model.Vendors, req, req.GetRequestId(), req.GetVendor())
	return &entityv1.CreateVendorResponse{Vendor: item}, err
}

// UpdateVendor changes one of Vendors.
func (s *Server) UpdateVendor(ctx context.Context, req *entityv1.UpdateVendorRequest) (*entityv1.UpdateVendorResponse, error) {
	item, err := update(ctx, s, model.Vendors, req, req.GetRequestId(), req.GetVendor(), req.GetUpdateMask().GetPaths())
	return &entityv1.UpdateVendorResponse{Vendor: item}, err
}

// DeleteVendor deletes one of Vendors.
func (s *Server) DeleteVendor(ctx context.Context, req *entityv1.DeleteVendorRequest) (*entityv1.DeleteVendorResponse, error) {
	return &entityv1.DeleteVendorResponse{}, remove(ctx, s, model.Vendors, req.GetId())
}

// ListUsers lists Users.
func (s *Server) ListUsers(ctx context.Context, req *entityv1.ListUsersRequest) (*entityv1.ListUsersResponse, error) {
	items, next, err := list[*entityv1.User](ctx, s, model.Users, req)
	return &entityv1.ListUsersResponse{Users: items, NextPageToken: next}, err
}

// GetUser returns one of Users.
func (s *Server) GetUser(ctx context.Context, req *entityv1.GetUserRequest) (*entityv1.GetUserResponse, error) {
	item, err := get[*entityv1.User](ctx, s, model.Users, req)
	return &entityv1.GetUserResponse{User: item}, err
}

// CreateUser creates one of Users.
func (s *Server) CreateUser(ctx context.Context, req *entityv1.CreateUserRequest) (*entityv1.CreateUserResponse, error) {
	item, err := create(ctx, s, model.Users, req, req.GetRequestId(), req.GetUser())
	return &entityv1.CreateUserResponse{User: item}, err
}

// UpdateUser changes one of Users.
func (s *Server) UpdateUser(ctx context.Context, req *entityv1.UpdateUserRequest) (*entityv1.UpdateUserResponse, error) {
	item, err := update(ctx, s, model.Users, req, req.GetRequestId(), req.GetUser(), req.GetUpdateMask().GetPaths())
	return &entityv1.UpdateUserResponse{User: item}, err
}

// DeleteUser deletes one of Users.
func (s *Server) DeleteUser(ctx context.Context, req *entityv1.DeleteUserRequest) (*entityv1.DeleteUserResponse, error) {
	return &entityv1.DeleteUserResponse{}, remove(ctx, s, model.Users, req.GetId())
}

// SetWorkOrderStatus sets a work order's status.
func (s *Server) SetWorkOrderStatus(ctx context.Context, req *entityv1.SetWorkOrderStatusRequest) (*entityv1.SetWorkOrderStatusResponse, error) {
	item, err := setStatus[*entityv1.WorkOrder](ctx, s, model.WorkOrders, req, req.GetRequestId(), req.GetId(), req.GetStatus().String(), req.GetNote())
	return &entityv1.SetWorkOrderStatusResponse{WorkOrder: item}, err
}

// SetPurchaseOrderStatus sets a purchase order's status.
func (s *Server) SetPurchaseOrderStatus(ctx context.Context, req *entityv1.SetPurchaseOrderStatusRequest) (*entityv1.SetPurchaseOrderStatusResponse, error) {
	item, err := setStatus[*entityv1.PurchaseOrder](ctx, s, model.PurchaseOrders, req, req.GetRequestId(), req.GetId(), req.GetStatus().String(), req.GetNote())
	return &entityv1.SetPurchaseOrderStatusResponse{PurchaseOrder: item}, err
}

// AdjustInventoryLevel adds a delta to an inventory level.
func (s *Server) AdjustInventoryLevel(ctx context.Context, req *entityv1.AdjustInventoryLevelRequest) (*entityv1.AdjustInventoryLevelResponse, error) {
	item, err := s.adjust(ctx, req)
	return &entityv1.AdjustInventoryLevelResponse{InventoryLevel: item}, err
}
