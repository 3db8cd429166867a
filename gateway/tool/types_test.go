package tool_test

import (
	"context"
	"time"
)

type Attachment struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	Size int64  `json:"size,omitempty"`
}

type Author struct {
	ID      string   `json:"id"`
	Contact *Contact `json:"contact,omitempty"`
}

type Contact struct {
	Email string `json:"email"`
	Links []Link `json:"links,omitempty"`
}

type Link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

type CreateRequest struct {
	Title       string            `json:"title" jsonschema:"the post title"`
	Body        string            `json:"body"`
	AuthorID    string            `json:"author_id"`
	Tags        []string          `json:"tags,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Attachments []Attachment      `json:"attachments,omitempty"`
	PublishAt   *time.Time        `json:"publish_at,omitempty"`
	Author      Author            `json:"author"`
	Draft       *bool             `json:"draft"`
	internal    string            //lint:ignore U1000 an unexported field the schema must leave out
}

type CreateResponse struct {
	ID string `json:"id"`
}

type ReadRequest struct {
	ID string `json:"id"`
}

type ReadResponse struct {
	Title string `json:"title"`
}

// Posts is a handler for the registry round-trip tests.
type Posts struct{}

func (*Posts) Create(context.Context, *CreateRequest, *CreateResponse) error { return nil }

func (*Posts) Read(context.Context, *ReadRequest, *ReadResponse) error { return nil }
