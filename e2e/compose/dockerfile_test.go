package compose_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfile checks the one multi-stage recipe: a cached, static,
// trimmed Go build selected by TARGET, shipped in distroless as nonroot.
func TestDockerfile(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "docker", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	froms := regexp.MustCompile(`(?m)^FROM\s+(.*)$`).FindAllStringSubmatch(df, -1)
	if len(froms) != 2 {
		t.Fatalf("FROM lines %v, want a build and a final stage", froms)
	}
	if !strings.Contains(froms[0][1], "golang:${GO_VERSION}") || !strings.Contains(df, "ARG GO_VERSION=1.26") {
		t.Errorf("build stage %q, want golang:1.26", froms[0][1])
	}
	if froms[1][1] != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("final stage %q", froms[1][1])
	}
	for _, want := range []string{
		"ARG TARGET=./cmd/tracegate",
		"--mount=type=cache,target=/go/pkg/mod",
		"--mount=type=cache,target=/root/.cache/go-build",
		"CGO_ENABLED=0",
		"-trimpath",
		`-ldflags="-s -w"`,
		`"${TARGET}"`,
		"COPY --from=build /out/app /app",
		"--chown=65532:65532 /out/var/lib/tracegate /var/lib/tracegate",
		"USER 65532:65532",
		`ENTRYPOINT ["/app"]`,
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	for target := range strings.SplitSeq("./cmd/tracegate ./examples/blog/cmd/users ./examples/blog/cmd/posts ./examples/blog/cmd/comments ./examples/authserver/cmd/authserver ./examples/agent/cmd/agent", " ") {
		if !strings.Contains(df, target) {
			t.Errorf("Dockerfile does not document target %s", target)
		}
	}

	ig, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(ig))
	for _, want := range []string{".git", "**/node_modules", "**/.cache"} {
		if !containsLine(lines, want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
	for _, needed := range []string{"go.mod", "go.sum", "*.go", "docker", "examples", "cmd", "jaeger"} {
		if containsLine(lines, needed) {
			t.Errorf(".dockerignore excludes %s, which the build needs", needed)
		}
	}
}

func containsLine(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}
