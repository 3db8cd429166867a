package agent

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Tools the plan calls, as the gateway names go-micro endpoints
// (<service>.<Endpoint>), with the scopes the blog declares for them.
const (
	ToolListUsers     = "users.Users.List"         // blog:read
	ToolCreateUser    = "users.Users.Create"       // blog:admin (setup only)
	ToolCreatePost    = "posts.Posts.Create"       // blog:write
	ToolDeletePost    = "posts.Posts.Delete"       // blog:admin
	ToolCreateComment = "comments.Comments.Create" // blog:write
	ToolListComments  = "comments.Comments.List"   // blog:read
)

// Scopes of the blog's tools.
const (
	ScopeRead  = "blog:read"
	ScopeWrite = "blog:write"
	ScopeAdmin = "blog:admin"
)

// What the plan uses when the message does not say.
const (
	defaultTitle       = "Hello MCP"
	defaultAuthor      = "alice"
	defaultCommentBody = "First! This comment is in the same trace as the post."
)

// step is one tool call of the plan.
type step struct {
	tool string
	// scope is what the step needs; the token asks for the scopes of every
	// step except the overreach.
	scope string
	// why is what a model would say before making the call.
	why  string
	args func(*state) map[string]any
	// read takes what the next steps need from the result and says what
	// happened, for the report.
	read func(*state, json.RawMessage) (string, error)
	// overreach marks the call the agent should not make: its token lacks
	// the scope, and the gateway must refuse it.
	overreach bool
}

// state is what the steps learn from each other's results.
type state struct {
	Intent
	userID, postID, commentID string
}

// Intent is what the agent reads from a message.
type Intent struct {
	Title, Author, Comment string
}

var (
	titleRE  = regexp.MustCompile(`titled\s+['"‘“]([^'"’”]+)['"’”]`)
	authorRE = regexp.MustCompile(`\bas\s+([A-Za-z][A-Za-z0-9_-]*)`)
)

// parseMessage reads the post title and the author from the message, with
// the demo's defaults for whatever it does not say.
func parseMessage(text string) Intent {
	in := Intent{Title: defaultTitle, Author: defaultAuthor, Comment: defaultCommentBody}
	if m := titleRE.FindStringSubmatch(text); m != nil {
		in.Title = strings.TrimSpace(m[1])
	}
	if m := authorRE.FindStringSubmatch(text); m != nil {
		in.Author = strings.ToLower(m[1])
	}
	return in
}

// newPlan is the sequence of tool calls for one message.
//
// This is where an LLM would pick tools. A real agent sends the user
// message and the tools/list result (names, descriptions, input schemas) to
// a model, executes the tool call the model answers with, appends the
// result to the conversation and asks again, until the model answers with
// text. The demo has no model: the choices a model would make are written
// down here, in order, and only the title and the author come from the
// message. Swapping this function for a model loop changes nothing else:
// tokens, spans, _meta propagation and denials work the same way.
func newPlan(in Intent) []step {
	return []step{{
		tool: ToolListUsers, scope: ScopeRead,
		why:  fmt.Sprintf("find the user %q", in.Author),
		args: func(*state) map[string]any { return map[string]any{} },
		read: readUser,
	}, {
		tool: ToolCreatePost, scope: ScopeWrite,
		why: fmt.Sprintf("publish %q as %s", in.Title, in.Author),
		args: func(s *state) map[string]any {
			return map[string]any{
				"title": s.Title, "author_id": s.userID, "tags": []string{"mcp", "tracing"},
				"body": "Published by an agent through tracegate: one user message, one trace.",
			}
		},
		read: readPost,
	}, {
		tool: ToolCreateComment, scope: ScopeWrite,
		why: "add a comment to the new post",
		args: func(s *state) map[string]any {
			return map[string]any{"post_id": s.postID, "author_id": s.userID, "body": s.Comment}
		},
		read: readComment,
	}, {
		// The overreach: a model that decides to "tidy up" on its own. The
		// user did not ask for it, the token does not carry blog:admin and
		// the tool is not even in this caller's tools/list; the gateway
		// must refuse it with a 403 step-up challenge. The agent reports
		// the challenge and does not step up.
		tool: ToolDeletePost, overreach: true,
		why:  "delete the post again (not asked for: beyond the token's scopes)",
		args: func(s *state) map[string]any { return map[string]any{"id": s.postID} },
		read: func(*state, json.RawMessage) (string, error) { return "deleted", nil },
	}, {
		tool: ToolListComments, scope: ScopeRead,
		why:  "check the comment is there (same session, after the 403)",
		args: func(s *state) map[string]any { return map[string]any{"post_id": s.postID} },
		read: readComments,
	}}
}

// planScopes are the scopes the plan needs: those of every step but the
// overreach, sorted.
func planScopes(p []step) []string {
	var out []string
	for _, s := range p {
		if !s.overreach && s.scope != "" && !slices.Contains(out, s.scope) {
			out = append(out, s.scope)
		}
	}
	slices.Sort(out)
	return out
}

func readUser(s *state, raw json.RawMessage) (string, error) {
	var r struct {
		Users []struct{ ID, Name string } `json:"users"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return "", fmt.Errorf("decode users: %w", err)
	}
	for _, u := range r.Users {
		if strings.EqualFold(u.Name, s.Author) {
			s.userID = u.ID
			return fmt.Sprintf("%s is %s", s.Author, u.ID), nil
		}
	}
	return "", fmt.Errorf("%w: %q (run the agent with --setup, or create the user with an admin token)", ErrNoSuchUser, s.Author)
}

func readPost(s *state, raw json.RawMessage) (string, error) {
	var r struct {
		Post struct{ ID, Title string } `json:"post"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || r.Post.ID == "" {
		return "", fmt.Errorf("decode post: %w (%s)", err, raw)
	}
	s.postID = r.Post.ID
	return fmt.Sprintf("%s %q", r.Post.ID, r.Post.Title), nil
}

func readComment(s *state, raw json.RawMessage) (string, error) {
	var r struct {
		Comment struct{ ID string } `json:"comment"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || r.Comment.ID == "" {
		return "", fmt.Errorf("decode comment: %w (%s)", err, raw)
	}
	s.commentID = r.Comment.ID
	return fmt.Sprintf("%s on %s", r.Comment.ID, s.postID), nil
}

func readComments(s *state, raw json.RawMessage) (string, error) {
	var r struct {
		Comments []struct{ ID string } `json:"comments"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return "", fmt.Errorf("decode comments: %w", err)
	}
	if !slices.ContainsFunc(r.Comments, func(c struct{ ID string }) bool { return c.ID == s.commentID }) {
		return "", fmt.Errorf("%w: %s not among %d comments on %s", ErrMissingComment, s.commentID, len(r.Comments), s.postID)
	}
	return fmt.Sprintf("%d comment(s) on %s, %s among them", len(r.Comments), s.postID, s.commentID), nil
}
