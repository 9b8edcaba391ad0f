package fleettest_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// tabsFor is how long the tabs of the upstream-calls scenario poll. The
// default is the two minutes; -short makes it 20 s.
var tabsFor = flag.Duration("fleet.tabs", 2*time.Minute, "how long the 10 tabs of the upstream-calls scenario poll")

// tabsDuration is tabsFor, or 20 s under -short when the flag was not given.
func tabsDuration() time.Duration {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "fleet.tabs" })
	if testing.Short() && !set {
		return 20 * time.Second
	}
	return *tabsFor
}

var (
	binDir               string // removed by TestMain
	buildOnce            sync.Once
	builtBin, buildError string
)

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "fleettest-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// dashboardBin builds the real cmd/dashboard once per test binary (the go
// command's cache makes it quick after the first time) and returns its path.
func dashboardBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		bin := filepath.Join(binDir, "dashboard")
		cmd := exec.Command("go", "build", "-o", bin, "github.com/respond/bulkjobs/cmd/dashboard")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			buildError = fmt.Sprintf("go build ./cmd/dashboard: %v\n%s", err, out.String())
			return
		}
		t.Logf("built the dashboard in %s", time.Since(start).Round(100*time.Millisecond))
		builtBin = bin
	})
	if buildError != "" {
		t.Fatal(buildError)
	}
	return builtBin
}

// randomKey returns n random bytes in standard base64, as the key variables
// take them. Keys are never logged.
func randomKey(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}
