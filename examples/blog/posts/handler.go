package posts

import (
	"context"
	"slices"
	"strings"
	"time"

	"go-micro.dev/v5/errors"

	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/telemetry"
)

// Posts is the go-micro handler of the posts service.
type Posts struct {
	store  *svc.Store[Post]
	users  *users.Client
	events *telemetry.Emitter
}

// Create publishes a post by an existing user.
func (h *Posts) Create(ctx context.Context, req *CreateRequest, rsp *CreateResponse) error {
	const id = Name + "." + EndpointCreate
	if err := validateCreate(id, req); err != nil {
		return err
	}
	if _, err := h.author(ctx, id, req.AuthorID); err != nil {
		return err
	}
	rsp.Post = h.store.Add(func(pid string) Post {
		return Post{
			ID: pid, Title: strings.TrimSpace(req.Title), Body: req.Body, AuthorID: req.AuthorID,
			Tags: req.Tags, Metadata: req.Metadata, Attachments: req.Attachments,
			PublishAt: req.PublishAt, CreatedAt: time.Now().UTC(),
		}
	})
	h.events.Emit(ctx, EventCreated, svc.PostIDKey.String(rsp.Post.ID), svc.AuthorIDKey.String(req.AuthorID))
	return nil
}

// Read returns a post with its author.
func (h *Posts) Read(ctx context.Context, req *ReadRequest, rsp *ReadResponse) error {
	const id = Name + "." + EndpointRead
	p, ok := h.store.Get(req.ID)
	if !ok {
		return errors.NotFound(id, "post %q not found", req.ID)
	}
	author, err := h.author(ctx, id, p.AuthorID)
	if err != nil {
		return err
	}
	rsp.Post, rsp.Author = p, author
	h.events.Emit(ctx, EventRead, svc.PostIDKey.String(p.ID), svc.AuthorIDKey.String(p.AuthorID))
	return nil
}

// List returns posts in creation order, filtered by author and tag.
func (h *Posts) List(ctx context.Context, req *ListRequest, rsp *ListResponse) error {
	if req.Limit < 0 {
		return errors.BadRequest(Name+"."+EndpointList, "limit must not be negative")
	}
	rsp.Posts = h.store.List(req.Limit, func(p Post) bool {
		return (req.AuthorID == "" || p.AuthorID == req.AuthorID) && (req.Tag == "" || slices.Contains(p.Tags, req.Tag))
	})
	h.events.Emit(ctx, EventListed, svc.AuthorIDKey.String(req.AuthorID), svc.CountKey.Int(len(rsp.Posts)))
	return nil
}

// Delete removes a post.
func (h *Posts) Delete(ctx context.Context, req *DeleteRequest, rsp *DeleteResponse) error {
	if !h.store.Delete(req.ID) {
		return errors.NotFound(Name+"."+EndpointDelete, "post %q not found", req.ID)
	}
	rsp.ID = req.ID
	h.events.Emit(ctx, EventDeleted, svc.PostIDKey.String(req.ID))
	return nil
}

// author reads the user authorID from the users service: a missing user is
// the caller's mistake (400), any other failure the service's (500).
func (h *Posts) author(ctx context.Context, id, authorID string) (users.User, error) {
	rsp, err := h.users.Read(ctx, &users.ReadRequest{ID: authorID})
	if err != nil {
		merr := errors.FromError(err)
		if merr.Code == 404 {
			return users.User{}, errors.BadRequest(id, "author %q not found", authorID)
		}
		return users.User{}, errors.InternalServerError(id, "read author %q: %s", authorID, merr.Detail)
	}
	return rsp.User, nil
}

func validateCreate(id string, req *CreateRequest) error {
	switch {
	case strings.TrimSpace(req.Title) == "":
		return errors.BadRequest(id, "title is required")
	case strings.TrimSpace(req.Body) == "":
		return errors.BadRequest(id, "body is required")
	case req.AuthorID == "":
		return errors.BadRequest(id, "author_id is required")
	}
	for i, a := range req.Attachments {
		if a.Name == "" || a.URL == "" {
			return errors.BadRequest(id, "attachments[%d]: name and url are required", i)
		}
		if a.Size < 0 {
			return errors.BadRequest(id, "attachments[%d]: size must not be negative", i)
		}
	}
	return nil
}
