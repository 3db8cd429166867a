package scripts_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	dir, err := makeSystemBin()
	if err != nil {
		fmt.Fprintln(os.Stderr, "scripts test:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	systemBin = dir
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
