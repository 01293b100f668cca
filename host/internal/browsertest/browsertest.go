// Package browsertest starts a headless Chromium for tests, driven through
// chromedp, and saves the screenshots tests take.
//
// Tests that need a browser call New; when no Chromium is installed the
// test is skipped with the reason, so `go test` stays green on a machine
// without one (CI installs Debian's chromium).
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// envPath names an explicit browser binary, checked before the usual names.
const envPath = "PARLEY_CHROMIUM"

// candidates are the names Chromium goes by across distributions.
var candidates = []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "headless-shell"}

// Find returns the path of a Chromium binary, or "" when there is none.
func Find() string {
	if p := os.Getenv(envPath); p != "" {
		return p
	}
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New starts a headless Chromium with a fresh profile and returns a
// chromedp context for one tab; everything stops when the test ends. It
// skips the test when no Chromium is found.
func New(t testing.TB) context.Context {
	t.Helper()
	path := Find()
	if path == "" {
		t.Skipf("no Chromium found (looked for $%s and %s): install Debian's chromium to run browser tests",
			envPath, strings.Join(candidates, ", "))
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// Start the browser now, so a broken install fails here with its reason.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// Do runs steps with a timeout and fails the test on error, naming what
// was being done.
func Do(t testing.TB, ctx context.Context, timeout time.Duration, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Text returns the text of the first element matching the CSS selector,
// waiting up to timeout for it to be visible.
func Text(t testing.TB, ctx context.Context, timeout time.Duration, selector string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(selector))); err != nil {
		t.Fatalf("waiting for %s: %v", selector, err)
	}
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector)))
	if err != nil {
		t.Fatalf("reading %s: %v", selector, err)
	}
	return s
}

// Screenshot saves a full-page PNG as <dir>/<name>.png, where dir is
// $PARLEY_SCREENSHOTS or else a directory under the OS temp dir that
// outlives the test, and logs the path so a person can look at it.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	dir := os.Getenv("PARLEY_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "parley-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)) // quality 100 means PNG
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}
