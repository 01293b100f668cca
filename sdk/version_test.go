package sdk_test

import (
	"context"
	"os"
	"regexp"
	"testing"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

func TestBuildVersionUnstamped(t *testing.T) {
	if got := sdk.BuildVersion(); got != "dev" {
		t.Fatalf("BuildVersion() = %q in an unstamped test binary, want dev", got)
	}
}

// TestMakefileStampsEveryPlugin builds each of the repository's plugins
// with the stamp the Makefile uses, as a release build does, and checks
// that Describe reports the stamped version across the process boundary.
func TestMakefileStampsEveryPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds four plugins")
	}
	makefile, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`-X (github\.com/parley-dev/parley/sdk\.\w+)=\$\(VERSION\)`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("the Makefile's LDFLAGS do not stamp the SDK's build version into plugins")
	}
	const version = "9.8.7-stamp-test"
	// BuildPlugin runs go build with this environment; GOFLAGS carries the
	// same -X the Makefile passes.
	t.Setenv("GOFLAGS", "-ldflags=-X="+string(m[1])+"="+version)
	for _, name := range []string{"webhook", "slack", "helpscout", "hipchat", "telegramgroup"} {
		t.Run(name, func(t *testing.T) {
			h := plugintest.ServeBinary(t, plugintest.BuildPlugin(t, "../plugins/"+name))
			d, err := h.Channel.Describe(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if d.Version != version {
				t.Fatalf("Describe().Version = %q, want the stamped %q", d.Version, version)
			}
		})
	}
}
