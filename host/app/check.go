package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/pluginhost"
)

// problem is one thing `parley check` found, with what to do about it.
type problem struct {
	what string
	fix  string
}

// Check validates everything `parley run` needs, listing every problem
// with its fix: the config (already loaded), every enabled plugin started
// and configured, the store's location, and the bot token against
// Telegram's getMe.
func Check(ctx context.Context, cfg *config.Config, out io.Writer) error {
	var problems []problem
	log := hclog.NewNullLogger()

	specs, specProblems := enabledSpecs(cfg)
	problems = append(problems, specProblems...)
	statuses, err := pluginhost.Check(ctx, pluginhost.Options{
		Dir: cfg.Plugins.Dir, PublicURL: cfg.Server.PublicURL, StartTimeout: cfg.Plugins.StartTimeout.Duration, Logger: log,
	}, specs)
	for _, st := range statuses {
		if st.LastError == "" {
			fmt.Fprintf(out, "ok    channel %s: plugin %s %s configured (%s)\n", st.Name, st.Plugin, st.Version, st.Path)
		}
	}
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				problems = append(problems, problem{what: line, fix: pluginFix(line)})
			}
		}
	}

	if cfg.Server.PublicURL == "" {
		problems = append(problems, problem{
			what: "server.public_url is not set: desks get file links without a host, which no agent can open, and desk webhooks have no address",
			fix:  "set server.public_url to the https URL that reaches server.listen (through your reverse proxy)",
		})
	}

	if p := checkStoreLocation(cfg); p != nil {
		problems = append(problems, *p)
	} else {
		fmt.Fprintf(out, "ok    store: %s\n", cfg.Store.Driver)
	}
	fmt.Fprintf(out, "info  %s\n", retentionLine(cfg))

	hc := newHTTPClient()
	for _, b := range cfg.Bots() {
		tg, err := newTelegramClient(b, hc, log, nil)
		if err == nil {
			u, gerr := tg.getMe(ctx)
			if gerr != nil {
				err = gerr
			} else {
				fmt.Fprintf(out, "ok    telegram: bot %s is @%s and answers getMe\n", b.Name, u.Username)
			}
		}
		if err != nil {
			problems = append(problems, problem{
				what: fmt.Sprintf("bot %s: %v", b.Name, err),
				fix:  "check the bot's token (from @BotFather) and that its api_url is reachable from this machine",
			})
		}
	}

	// Warnings are printed but do not fail the check.
	var warnings []problem
	if w := openAdminWarning(cfg); w != nil {
		warnings = append(warnings, *w)
	}
	for _, w := range warnings {
		fmt.Fprintf(out, "WARN  %s\n      fix: %s\n", w.what, w.fix)
	}

	if len(problems) == 0 {
		fmt.Fprintln(out, "parley check: everything is ready")
		return nil
	}
	for _, p := range problems {
		fmt.Fprintf(out, "FAIL  %s\n      fix: %s\n", p.what, p.fix)
	}
	fmt.Fprintf(out, "parley check: %d problem(s)\n", len(problems))
	return ErrReported
}

// openAdminWarning warns about an admin listener reachable from the
// network without a token: anyone who reaches it can read the status page
// and metrics (customer names stay hidden) and probe the host.
func openAdminWarning(cfg *config.Config) *problem {
	if cfg.Admin.Loopback() || cfg.Admin.Token != "" {
		return nil
	}
	return &problem{
		what: fmt.Sprintf("admin.listen %s is not loopback and admin.token is not set: anyone who reaches it can read /status and /metrics", cfg.Admin.Listen),
		fix:  `set [admin] token = "${PARLEY_ADMIN_TOKEN}" (at least 16 random characters), or listen on 127.0.0.1`,
	}
}

func enabledSpecs(cfg *config.Config) ([]pluginhost.Spec, []problem) {
	var specs []pluginhost.Spec
	var problems []problem
	for _, ch := range cfg.EnabledChannels() {
		spec, err := specOf(ch)
		if err != nil {
			problems = append(problems, problem{what: err.Error(), fix: "fix the channel's config table"})
			continue
		}
		specs = append(specs, spec)
	}
	if len(specs) == 0 && len(problems) == 0 {
		problems = append(problems, problem{
			what: "no enabled channel: messages would have nowhere to go",
			fix:  "add a [channels.<name>] table with plugin = \"webhook\" (see config.example.toml)",
		})
	}
	return specs, problems
}

// pluginFix suggests the fix for a plugin start-up error line.
func pluginFix(line string) string {
	switch {
	case strings.Contains(line, pluginhost.ErrNotFound.Error()):
		return "build the plugin (make build) or copy its binary into plugins.dir, named parley-channel-<plugin>"
	case strings.Contains(line, pluginhost.ErrNotExecutable.Error()):
		return "chmod +x the plugin binary"
	case strings.Contains(line, pluginhost.ErrChecksumMismatch.Error()):
		return "install the binary you pinned, or update the channel's sha256 (parley plugins shows the actual one)"
	case strings.Contains(line, pluginhost.ErrNotPlugin.Error()):
		return "plugins.dir must hold only Parley plugin binaries built with the sdk"
	case strings.Contains(line, pluginhost.ErrProtocolMismatch.Error()):
		return "install a plugin release built for this parley's protocol version (parley version)"
	case strings.Contains(line, "config"):
		return "correct the named keys in the channel's [channels.<name>.config] table"
	default:
		return "run the plugin's binary by hand to see its own error, and check the log of parley run"
	}
}

func checkStoreLocation(cfg *config.Config) *problem {
	if cfg.Store.Driver != config.DriverSQLite {
		return nil
	}
	path := strings.TrimPrefix(cfg.Store.DSN, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return &problem{what: fmt.Sprintf("store: folder %s for the SQLite file does not exist", dir), fix: "create it, or point store.dsn elsewhere"}
	}
	f, err := os.CreateTemp(dir, ".parley-check-*")
	if err != nil {
		return &problem{what: fmt.Sprintf("store: cannot write in %s: %v", dir, errors.Unwrap(err)), fix: "give the parley user write access to that folder"}
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// ListPlugins prints the channels table: channel, plugin, binary, version,
// sha256 and status (each plugin started, described and stopped again).
func ListPlugins(ctx context.Context, cfg *config.Config, out io.Writer) error {
	specs, _ := enabledSpecs(cfg)
	statuses, _ := pluginhost.Check(ctx, pluginhost.Options{
		Dir: cfg.Plugins.Dir, PublicURL: cfg.Server.PublicURL, StartTimeout: cfg.Plugins.StartTimeout.Duration, Logger: hclog.NewNullLogger(),
	}, specs)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANNEL\tPLUGIN\tBINARY\tVERSION\tSHA256\tSTATUS")
	for _, st := range statuses {
		status := "ok"
		if st.LastError != "" {
			status = st.LastError
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", st.Name, st.Plugin, st.Path, dash(st.Version), dash(st.SHA256), status)
	}
	for _, ch := range cfg.Channels {
		if !ch.Enabled {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\tdisabled\n", ch.Name, ch.Plugin)
		}
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
