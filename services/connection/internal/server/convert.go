package server

import (
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/connection/internal/store"
)

func accountProto(a store.Account) *connectionv1.Account {
	return &connectionv1.Account{
		Id:          a.ID,
		DisplayName: a.DisplayName,
		Credits: &connectionv1.CreditPool{
			Limit:     int32(a.CreditLimit),
			Used:      int32(a.CreditsUsed),
			Available: int32(max(a.CreditLimit-a.CreditsUsed, 0)),
		},
		CreateTime: timestamppb.New(a.CreateTime),
	}
}

func connectionProto(c store.Connection) *connectionv1.Connection {
	return &connectionv1.Connection{
		Id:                 c.ID,
		System:             c.System,
		DisplayName:        c.DisplayName,
		Settings:           c.Settings,
		Metadata:           c.Metadata,
		Status:             connectionv1.Connection_Status(connectionv1.Connection_Status_value[c.Status]),
		StatusReason:       c.StatusReason,
		Credits:            int32(c.Credits),
		PreviousConnection: c.PreviousConnection,
		CreateTime:         timestamp(c.CreateTime),
		UpdateTime:         timestamp(c.UpdateTime),
		StatusTime:         timestamp(c.StatusTime),
		DisconnectTime:     timestamp(c.DisconnectTime),
	}
}

func eventProto(e store.Event) (*connectionv1.Event, error) {
	data := &structpb.Struct{}
	if err := data.UnmarshalJSON([]byte(e.Data)); err != nil {
		return nil, err
	}
	return &connectionv1.Event{Id: e.ID, Type: e.Type, CreateTime: timestamp(e.CreateTime), Connection: e.ConnectionID, Data: data}, nil
}

func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
