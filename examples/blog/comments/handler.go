package comments

import (
	"context"
	"strings"
	"time"

	"go-micro.dev/v5/errors"

	"github.com/tracegate/tracegate/examples/blog/posts"
	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/telemetry"
)

// Comments is the go-micro handler of the comments service.
type Comments struct {
	store  *svc.Store[Comment]
	posts  *posts.Client
	events *telemetry.Emitter
}

// Create adds a comment to an existing post.
func (h *Comments) Create(ctx context.Context, req *CreateRequest, rsp *CreateResponse) error {
	const id = Name + "." + EndpointCreate
	switch {
	case req.PostID == "":
		return errors.BadRequest(id, "post_id is required")
	case req.AuthorID == "":
		return errors.BadRequest(id, "author_id is required")
	case strings.TrimSpace(req.Body) == "":
		return errors.BadRequest(id, "body is required")
	}
	if req.ReplyTo != "" {
		parent, ok := h.store.Get(req.ReplyTo)
		if !ok || parent.PostID != req.PostID {
			return errors.BadRequest(id, "reply_to %q is not a comment on post %q", req.ReplyTo, req.PostID)
		}
	}
	if _, err := h.posts.Read(ctx, &posts.ReadRequest{ID: req.PostID}); err != nil {
		merr := errors.FromError(err)
		if merr.Code == 404 {
			return errors.BadRequest(id, "post %q not found", req.PostID)
		}
		return errors.InternalServerError(id, "read post %q: %s", req.PostID, merr.Detail)
	}
	rsp.Comment = h.store.Add(func(cid string) Comment {
		return Comment{
			ID: cid, PostID: req.PostID, AuthorID: req.AuthorID, Body: req.Body,
			ReplyTo: req.ReplyTo, CreatedAt: time.Now().UTC(),
		}
	})
	h.events.Emit(ctx, EventCreated,
		svc.CommentIDKey.String(rsp.Comment.ID),
		svc.PostIDKey.String(req.PostID),
		svc.AuthorIDKey.String(req.AuthorID),
	)
	return nil
}

// List returns the comments on a post in creation order.
func (h *Comments) List(ctx context.Context, req *ListRequest, rsp *ListResponse) error {
	const id = Name + "." + EndpointList
	switch {
	case req.PostID == "":
		return errors.BadRequest(id, "post_id is required")
	case req.Limit < 0:
		return errors.BadRequest(id, "limit must not be negative")
	}
	rsp.Comments = h.store.List(req.Limit, func(c Comment) bool { return c.PostID == req.PostID })
	h.events.Emit(ctx, EventListed, svc.PostIDKey.String(req.PostID), svc.CountKey.Int(len(rsp.Comments)))
	return nil
}
