package svc

import "testing"

func TestServiceOf(t *testing.T) {
	for in, want := range map[string]string{
		"users.Users.Read":              "users",
		"go.micro.srv.users.Users.Read": "go.micro.srv.users",
		"Users.Read":                    "",
		"Read":                          "",
		".Users.Read":                   "",
		"":                              "",
	} {
		if got := serviceOf(in); got != want {
			t.Errorf("serviceOf(%q) = %q, want %q", in, got, want)
		}
	}
}
