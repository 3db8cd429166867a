package tool_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/gateway/tool"
)

func TestCallsSurviveRegistration(t *testing.T) {
	eps := registered(t,
		tool.Endpoint("Posts.Create",
			tool.Scopes("blog:write"),
			tool.Calls("users.Users.Read", " users.Users.Read"),
			tool.Calls("go.micro.srv.media.Media.Store"),
		),
		tool.Endpoint("Posts.Read", tool.Scopes("blog:read")),
	)
	c, err := tool.FromMetadata(eps["Posts.Create"].Metadata)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"users.Users.Read", "go.micro.srv.media.Media.Store"}
	if !reflect.DeepEqual(c.Calls, want) || strings.Join(c.Scopes, ",") != "blog:write" {
		t.Fatalf("contract = %+v, want calls %q beside the scopes", c, want)
	}
	if got := eps["Posts.Create"].Metadata[tool.MetadataCalls]; got != "users.Users.Read,go.micro.srv.media.Media.Store" {
		t.Fatalf("calls stored as %q", got)
	}
	if read, _ := tool.FromMetadata(eps["Posts.Read"].Metadata); read.Calls != nil {
		t.Fatalf("Posts.Read calls = %q, want none", read.Calls)
	}
}

func TestCallsRejectsMalformedNames(t *testing.T) {
	for _, bad := range []string{"", "users", "Users.Read", "users..Read", ".Users.Read", "users.Users.", "users.Users.Read,posts.Posts.Read", "users.Users.Read posts"} {
		if _, err := tool.Metadata(tool.Calls(bad)); !errors.Is(err, tool.ErrInvalidCall) {
			t.Errorf("Calls(%q): err = %v, want ErrInvalidCall", bad, err)
		}
	}
	md, err := tool.Metadata(tool.Calls())
	if err != nil || len(md) != 0 {
		t.Fatalf("Calls() = %v, %v; want no key", md, err)
	}
}

// A registry entry written by hand (not through Calls) cannot smuggle in a
// malformed name: FromMetadata keeps only well-formed ones.
func TestFromMetadataDropsMalformedCalls(t *testing.T) {
	c, err := tool.FromMetadata(map[string]string{tool.MetadataCalls: "users.Users.Read, bogus ,a..b.c,posts.Posts.Read"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"users.Users.Read", "posts.Posts.Read"}; !reflect.DeepEqual(c.Calls, want) {
		t.Fatalf("Calls = %q, want %q", c.Calls, want)
	}
}
