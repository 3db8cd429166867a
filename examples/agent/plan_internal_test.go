package agent

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/tracegate/tracegate/examples/blog/comments"
	"github.com/tracegate/tracegate/examples/blog/posts"
	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/examples/blog/users"
)

func TestParseMessage(t *testing.T) {
	for _, tc := range []struct {
		text string
		want Intent
	}{
		{DefaultMessage, Intent{Title: "Hello MCP", Author: "alice", Comment: defaultCommentBody}},
		{`Publish a post titled "Traces all the way" as Bob, please`, Intent{Title: "Traces all the way", Author: "bob", Comment: defaultCommentBody}},
		{"Write something", Intent{Title: defaultTitle, Author: defaultAuthor, Comment: defaultCommentBody}},
		{"titled ‘Curly’ as carol", Intent{Title: "Curly", Author: "carol", Comment: defaultCommentBody}},
	} {
		if got := parseMessage(tc.text); got != tc.want {
			t.Errorf("parseMessage(%q) = %+v, want %+v", tc.text, got, tc.want)
		}
	}
}

// TestPlanMatchesTheBlog keeps the plan's tool names and scopes in step
// with what the blog declares: the agent names tools as strings, the way a
// model sees them.
func TestPlanMatchesTheBlog(t *testing.T) {
	for got, want := range map[string]string{
		ToolListUsers:     users.Name + "." + users.EndpointList,
		ToolCreateUser:    users.Name + "." + users.EndpointCreate,
		ToolCreatePost:    posts.Name + "." + posts.EndpointCreate,
		ToolDeletePost:    posts.Name + "." + posts.EndpointDelete,
		ToolCreateComment: comments.Name + "." + comments.EndpointCreate,
		ToolListComments:  comments.Name + "." + comments.EndpointList,
		ScopeRead:         svc.ScopeRead,
		ScopeWrite:        svc.ScopeWrite,
		ScopeAdmin:        svc.ScopeAdmin,
	} {
		if got != want {
			t.Errorf("%q, the blog says %q", got, want)
		}
	}
	p := newPlan(parseMessage(DefaultMessage))
	if got := planScopes(p); !slices.Equal(got, []string{ScopeRead, ScopeWrite}) {
		t.Errorf("plan scopes %v, want read and write only", got)
	}
	var over []string
	for _, s := range p {
		if s.overreach {
			over = append(over, s.tool)
		}
	}
	if !slices.Equal(over, []string{ToolDeletePost}) {
		t.Errorf("overreach steps %v, want exactly %s", over, ToolDeletePost)
	}
}

func TestPlanReadsResults(t *testing.T) {
	st := &state{Intent: parseMessage(DefaultMessage)}
	steps := []struct {
		read func(*state, json.RawMessage) (string, error)
		raw  string
	}{
		{readUser, `{"users":[{"id":"user-7","name":"Alice"}]}`},
		{readPost, `{"post":{"id":"post-3","title":"Hello MCP"}}`},
		{readComment, `{"comment":{"id":"comment-9"}}`},
		{readComments, `{"comments":[{"id":"comment-8"},{"id":"comment-9"}]}`},
	}
	for _, s := range steps {
		if _, err := s.read(st, json.RawMessage(s.raw)); err != nil {
			t.Fatalf("read %s: %v", s.raw, err)
		}
	}
	if st.userID != "user-7" || st.postID != "post-3" || st.commentID != "comment-9" {
		t.Errorf("state %+v", st)
	}
	if _, err := readUser(&state{Intent: Intent{Author: "zed"}}, json.RawMessage(`{"users":[]}`)); !errors.Is(err, ErrNoSuchUser) {
		t.Errorf("unknown author: %v, want ErrNoSuchUser", err)
	}
	if _, err := readComments(st, json.RawMessage(`{"comments":[]}`)); !errors.Is(err, ErrMissingComment) {
		t.Errorf("missing comment: %v, want ErrMissingComment", err)
	}
}
