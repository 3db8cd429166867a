package users

import (
	"context"
	"strings"
	"time"

	"go-micro.dev/v5/errors"

	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/telemetry"
)

// Users is the go-micro handler of the users service.
type Users struct {
	store  *svc.Store[User]
	events *telemetry.Emitter
}

// Create adds a user; the e-mail address must be unique.
func (h *Users) Create(ctx context.Context, req *CreateRequest, rsp *CreateResponse) error {
	const id = Name + "." + EndpointCreate
	name, email := strings.TrimSpace(req.Name), strings.TrimSpace(req.Email)
	switch {
	case name == "":
		return errors.BadRequest(id, "name is required")
	case !strings.Contains(email, "@"):
		return errors.BadRequest(id, "email %q is not an e-mail address", req.Email)
	}
	if dup := h.store.List(1, func(u User) bool { return strings.EqualFold(u.Email, email) }); len(dup) > 0 {
		return errors.Conflict(id, "email %q is taken by %s", email, dup[0].ID)
	}
	rsp.User = h.store.Add(func(uid string) User {
		return User{ID: uid, Name: name, Email: email, Bio: req.Bio, Roles: req.Roles, CreatedAt: time.Now().UTC()}
	})
	h.events.Emit(ctx, EventCreated, svc.UserIDKey.String(rsp.User.ID))
	return nil
}

// Read returns one user.
func (h *Users) Read(ctx context.Context, req *ReadRequest, rsp *ReadResponse) error {
	u, ok := h.store.Get(req.ID)
	if !ok {
		return errors.NotFound(Name+"."+EndpointRead, "user %q not found", req.ID)
	}
	rsp.User = u
	h.events.Emit(ctx, EventRead, svc.UserIDKey.String(u.ID))
	return nil
}

// List returns users in creation order.
func (h *Users) List(ctx context.Context, req *ListRequest, rsp *ListResponse) error {
	if req.Limit < 0 {
		return errors.BadRequest(Name+"."+EndpointList, "limit must not be negative")
	}
	rsp.Users = h.store.List(req.Limit, nil)
	h.events.Emit(ctx, EventListed, svc.CountKey.Int(len(rsp.Users)))
	return nil
}
