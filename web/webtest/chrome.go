package webtest

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chrome starts headless Chromium (Debian's /usr/bin/chromium, or
// CHROMIUM_PATH) and returns a context for one tab; it closes when the test
// ends. Without Chromium the test is skipped, unless E2E_REQUIRE_BROWSER=1
// (set by .ci/run) makes that a failure.
func Chrome(t testing.TB) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM_PATH")
	if path == "" {
		for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
			if _, err := os.Stat(p); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		}
	}
	if path == "" {
		if os.Getenv("E2E_REQUIRE_BROWSER") == "1" {
			t.Fatal("Chromium not found and E2E_REQUIRE_BROWSER=1: install it with apt-get install -y chromium")
		}
		t.Skip("browser test skipped: Chromium not found (apt-get install -y chromium)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// BrowserLogin logs in through the login form as email and waits for the page
// that follows.
func (a *App) BrowserLogin(t testing.TB, ctx context.Context, email string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="email"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), Password),
		chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`input[name="password"]`)),
	)
	if err != nil {
		t.Fatalf("log in as %s in the browser: %v", email, err)
	}
}

// Do runs browser steps and fails the test on error, naming what was done.
func Do(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Eval evaluates a JavaScript expression in the page and fails the test on
// error.
func Eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// Location returns the page's URL.
func Location(t testing.TB, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatalf("location: %v", err)
	}
	return loc
}

// ConsoleLog collects the page's console messages, uncaught exceptions and
// browser log entries (CSP violations among them) from now on.
type ConsoleLog struct {
	mu   sync.Mutex
	msgs []string
}

// WatchConsole starts collecting; it stops when ctx ends.
func WatchConsole(t testing.TB, ctx context.Context) *ConsoleLog {
	t.Helper()
	l := &ConsoleLog{}
	seq := chromedp.Console(ctx) // subscribes now, before any further action
	go func() {
		for m, err := range seq {
			if err != nil {
				return
			}
			l.mu.Lock()
			l.msgs = append(l.msgs, string(m.Type)+": "+m.Text)
			l.mu.Unlock()
		}
	}()
	return l
}

// Messages returns what was collected so far.
func (l *ConsoleLog) Messages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.msgs...)
}
