// Command parley is the Parley host: it runs the Telegram bot, the
// conversations and the desk plugins.
//
//	parley run      --config FILE   run until SIGINT/SIGTERM
//	parley check    --config FILE   validate config, start and configure every plugin, call getMe
//	parley plugins  --config FILE   list channels and their plugins
//	parley status   --config FILE   replicas, the Telegram poller, backlog per channel
//	parley outbox   --config FILE [retry KIND:ID | retry --all [--channel NAME]]   list pending and failed work, or retry
//	parley forget   --config FILE --telegram-user ID   erase a customer's data, telling the desks
//	parley conversations --config FILE [--state open|claimed|closed] [--user ID]   list conversations
//	parley close    --config FILE ID   close a conversation (id or number), telling the desks
//	parley transfer --config FILE ID CHANNEL...   move a conversation to other channels
//	parley demo     [--listen ADDR] [--desk NAME] [--plugins-dir DIR]   the two-pane local demo
//	parley plugin new NAME [--dir DIR] [--module PATH] [--sdk-path DIR | --sdk-version V]   scaffold a channel plugin
//	parley version
//
// --config defaults to $PARLEY_CONFIG, then ./parley.toml.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/parley-dev/parley/host/app"
	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/demo"
	"github.com/parley-dev/parley/host/version"
)

const usage = `parley — bridge a Telegram bot to your support desk.

Usage:
  parley run      [--config FILE]   run the host until SIGINT or SIGTERM
  parley check    [--config FILE]   check config, plugins and the Telegram token; list every problem
  parley plugins  [--config FILE]   list channels with plugin, binary, version, sha256 and status
  parley status   [--config FILE]   replicas alive, which one polls Telegram, backlog per channel
  parley outbox   [--config FILE] [--all]         list pending and failed deliveries and replies
  parley outbox   [--config FILE] retry KIND:ID   retry one (KIND is delivery or reply)
  parley outbox   [--config FILE] retry --all [--channel NAME]
                  retry every failed row (of one channel; "telegram" for replies)
  parley forget   [--config FILE] --telegram-user ID
                  delete a customer's messages, replies, contact details and file references
                  from Parley and tell each desk the conversation is in; safe to run again
  parley conversations [--config FILE] [--state open|claimed|closed] [--user ID]
                  list conversations, most recently active first
  parley close    [--config FILE] ID
                  close a conversation (its id, or its number such as 42), telling every desk
  parley transfer [--config FILE] ID CHANNEL...
                  move a conversation to other channels: they get its last 20 messages, the desks
                  it leaves a transfer notice, and its next messages go to the new channels only
  parley demo     [--listen ADDR] [--desk NAME] [--plugins-dir DIR]
                  run the host between a fake Telegram and a fake desk, with a two-pane
                  web page to play customer and agent (defaults: 127.0.0.1:8400, webhook, bin/plugins)
  parley plugin new NAME [--dir DIR] [--module PATH] [--sdk-path DIR | --sdk-version VERSION]
                  create ./NAME, a channel plugin module that builds and passes the
                  conformance suite (docs/plugin-authors.md)
  parley version

--config defaults to $PARLEY_CONFIG, then ./parley.toml.
`

// cpuProfileEnv names a file the command writes a CPU profile of itself to
// until it exits (for benchmarks; plugins take PARLEY_PLUGIN_CPUPROFILE).
const cpuProfileEnv = "PARLEY_CPUPROFILE"

// startCPUProfile profiles this process into path until the returned stop.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	if path := os.Getenv(cpuProfileEnv); path != "" {
		stopProfile, err := startCPUProfile(path)
		if err != nil {
			fmt.Fprintf(stderr, "parley: %s: %v\n", cpuProfileEnv, err)
			return 1
		}
		defer stopProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fs := flag.NewFlagSet("parley "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", config.DefaultPath(), "config file")
	var err error
	switch cmd {
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, version.String())
		return 0
	case "plugin":
		return pluginCmd(rest, stdout, stderr)
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	case "run":
		if fs.Parse(rest) != nil {
			return 2
		}
		// The revision is of the text parsed; SIGHUP rereads the file.
		var data []byte
		if data, err = os.ReadFile(*configPath); err == nil {
			err = withConfig(*configPath, func(cfg *config.Config) error {
				return app.Run(ctx, cfg, app.RunOptions{Stderr: stderr, ConfigPath: *configPath, ConfigRevision: app.Revision(data)})
			})
		} else {
			err = fmt.Errorf("read config: %w", err)
		}
	case "check":
		if fs.Parse(rest) != nil {
			return 2
		}
		err = withConfig(*configPath, func(cfg *config.Config) error { return app.Check(ctx, cfg, stdout) })
	case "plugins":
		if fs.Parse(rest) != nil {
			return 2
		}
		err = withConfig(*configPath, func(cfg *config.Config) error { return app.ListPlugins(ctx, cfg, stdout) })
	case "status":
		if fs.Parse(rest) != nil {
			return 2
		}
		err = withConfig(*configPath, func(cfg *config.Config) error { return app.Status(ctx, cfg, stdout) })
	case "outbox":
		all := fs.Bool("all", false, "include delivered rows")
		if fs.Parse(rest) != nil {
			return 2
		}
		err = withConfig(*configPath, func(cfg *config.Config) error { return app.Outbox(ctx, cfg, fs.Args(), *all, stdout) })
	case "forget":
		user := fs.Int64("telegram-user", 0, "Telegram user id of the customer to forget")
		if fs.Parse(rest) != nil {
			return 2
		}
		if *user <= 0 || fs.NArg() > 0 {
			fmt.Fprintln(stderr, "usage: parley forget [--config FILE] --telegram-user ID (the customer's numeric Telegram user id)")
			return 2
		}
		err = withConfig(*configPath, func(cfg *config.Config) error { return app.Forget(ctx, cfg, *user, stdout) })
	case "conversations":
		state := fs.String("state", "", "only conversations in this state: open, claimed or closed")
		user := fs.Int64("user", 0, "only this customer's conversations (numeric Telegram user id)")
		if fs.Parse(rest) != nil {
			return 2
		}
		if fs.NArg() > 0 {
			fmt.Fprintln(stderr, "usage: parley conversations [--config FILE] [--state open|claimed|closed] [--user ID]")
			return 2
		}
		f := app.ConversationsFilter{State: *state, TelegramUserID: *user}
		err = withConfig(*configPath, func(cfg *config.Config) error { return app.Conversations(ctx, cfg, f, stdout) })
	case "close":
		if fs.Parse(rest) != nil {
			return 2
		}
		// Flags may follow the id too: parley close 42 --config FILE.
		if fs.NArg() > 1 {
			id := fs.Arg(0)
			if fs.Parse(fs.Args()[1:]) != nil {
				return 2
			}
			if fs.NArg() == 0 {
				_ = fs.Parse([]string{id})
			}
		}
		if fs.NArg() != 1 {
			fmt.Fprintln(stderr, "usage: parley close [--config FILE] ID (a conversation id or number, as parley conversations lists them)")
			return 2
		}
		err = withConfig(*configPath, func(cfg *config.Config) error { return app.CloseConversation(ctx, cfg, fs.Arg(0), stdout) })
	case "transfer":
		args, ok := parseInterspersed(fs, rest)
		if !ok {
			return 2
		}
		if len(args) < 2 {
			fmt.Fprintln(stderr, "usage: parley transfer [--config FILE] ID CHANNEL... (a conversation id or number, then the channels that take it over)")
			return 2
		}
		err = withConfig(*configPath, func(cfg *config.Config) error { return app.Transfer(ctx, cfg, args[0], args[1:], stdout) })
	case "demo":
		listen := fs.String("listen", "127.0.0.1:8400", "address of the demo page")
		desk := fs.String("desk", "webhook", "desk to demo: webhook, slack, helpscout, hipchat or telegramgroup")
		pluginsDir := fs.String("plugins-dir", "bin/plugins", "directory of the parley-channel-* binaries")
		if fs.Parse(rest) != nil {
			return 2
		}
		configSet := false
		fs.Visit(func(f *flag.Flag) { configSet = configSet || f.Name == "config" })
		if configSet {
			fmt.Fprintln(stderr, "parley demo: --config is not used: the demo builds its own config around its fakes")
			return 2
		}
		err = demo.Run(ctx, demo.Options{Listen: *listen, Desk: *desk, PluginsDir: *pluginsDir, Stdout: stdout, Stderr: stderr})
	default:
		fmt.Fprintf(stderr, "parley: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		if !errors.Is(err, app.ErrReported) {
			fmt.Fprintf(stderr, "parley %s: %v\n", cmd, err)
		}
		return 1
	}
	return 0
}

func withConfig(path string, f func(*config.Config) error) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	return f(cfg)
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments, and returns those.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, bool) {
	var pos []string
	for {
		if fs.Parse(args) != nil {
			return nil, false
		}
		if fs.NArg() == 0 {
			return pos, true
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
