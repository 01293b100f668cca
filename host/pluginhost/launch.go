package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/grpcplugin"
	"github.com/parley-dev/parley/sdk/pluginclient"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// instance is one running plugin process, described and configured.
type instance struct {
	gp      *plugin.Client
	cmd     *exec.Cmd
	conn    *grpc.ClientConn
	client  *pluginclient.ChannelClient
	tail    *stderrTail
	desc    sdk.DescribeResponse
	started time.Time
}

// launch starts, describes and configures one plugin process. It returns
// the binary's sha256 whenever it got far enough to compute it, also on
// failure, so the operator sees which binary failed.
func (m *Manager) launch(ctx context.Context, spec Spec, log hclog.Logger, plog *pluginLog, host sdk.Host) (*instance, string, error) {
	path := binaryPath(m.opts.Dir, spec)
	sum, err := checkBinary(spec.Name, spec.Plugin, path)
	if err != nil {
		return nil, "", err
	}
	pin, err := spec.pin()
	if err != nil {
		return nil, sum, fmt.Errorf("channel %q: %w", spec.Name, err)
	}
	var secure *plugin.SecureConfig
	if pin != "" {
		if pin != sum {
			return nil, sum, fmt.Errorf("channel %q: %w: %s: expected sha256 %s, actual %s",
				spec.Name, ErrChecksumMismatch, path, pin, sum)
		}
		raw, _ := hex.DecodeString(pin) // validated by spec.pin
		// go-plugin checks again right before exec, narrowing the window in
		// which the file could be swapped after our check.
		secure = &plugin.SecureConfig{Checksum: raw, Hash: sha256.New()}
	}

	inst := &instance{cmd: exec.Command(path), tail: &stderrTail{}}
	// The plugin logs at the host's level: lines the host would drop are
	// then never formatted, piped and parsed (about 5% of a busy plugin).
	// It inherits only an allow-listed part of the host's environment, which
	// holds the bot token and every channel's secrets (SkipHostEnv below
	// keeps go-plugin from adding the rest back).
	inst.cmd.Env = pluginEnv(os.Environ(), log.GetLevel().String(), spec.Env)
	isolate(inst.cmd)
	// A plugin's stray writes to os.Stdout/os.Stderr arrive over go-plugin's
	// stdio stream; they go to the channel's log like its hclog output,
	// through pluginLog, which escapes and rate-limits both.
	binary := filepath.Base(path)
	inst.gp = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  grpcplugin.Handshake,
		VersionedPlugins: grpcplugin.VersionedPlugins(nil),
		Cmd:              inst.cmd,
		SecureConfig:     secure,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		GRPCDialOptions:  grpcplugin.HostDialOptions(),
		StartTimeout:     m.opts.StartTimeout,
		Logger:           quietStderr{Logger: log, binary: binary},
		Stderr:           io.MultiWriter(inst.tail, plog.stderr()),
		SyncStdout:       plog.stdio(),
		SyncStderr:       plog.stdio(),
	})
	if err := m.handshake(ctx, inst); err != nil {
		return nil, sum, m.explainStart(ctx, spec, path, inst, err)
	}
	inst.started = time.Now()
	if err := m.configure(ctx, spec, inst, host); err != nil {
		// A healthy plugin exits 0 when stopped gracefully; a non-zero status
		// means it died during Describe or Configure, which is the real news.
		if inst.stop(ctx, true, m.opts.StopTimeout) && inst.crashed() {
			err = fmt.Errorf("channel %q: %w: %s %s", spec.Name, ErrCrashed, path, inst.exitReason())
		}
		return nil, sum, err
	}
	return inst, sum, nil
}

// handshake runs go-plugin's start-up and connects. go-plugin's Start holds
// its lock until the handshake ends (bounded by StartTimeout) and cannot be
// interrupted, so a cancelled ctx returns at once and the process is
// reaped in the background.
func (m *Manager) handshake(ctx context.Context, inst *instance) error {
	done := make(chan error, 1)
	go func() {
		_, err := inst.gp.Start()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return err
		}
	case <-ctx.Done():
		go func() {
			<-done
			inst.gp.Kill()
		}()
		return ctx.Err()
	}
	rpc, err := inst.gp.Client()
	if err != nil {
		return err
	}
	raw, err := rpc.Dispense(grpcplugin.PluginName)
	if err != nil {
		return err
	}
	pc, ok := raw.(*grpcplugin.Conn)
	gc, ok2 := rpc.(*plugin.GRPCClient)
	if !ok || !ok2 {
		return fmt.Errorf("unexpected plugin client %T", raw)
	}
	inst.client, inst.conn = pluginclient.New(pc), gc.Conn
	return nil
}

// configure calls Describe, then Configure with the channel's own table.
func (m *Manager) configure(ctx context.Context, spec Spec, inst *instance, host sdk.Host) error {
	ctx, cancel := context.WithTimeout(ctx, m.opts.CallTimeout)
	defer cancel()
	desc, err := inst.client.Describe(ctx)
	if err != nil {
		return fmt.Errorf("channel %q: describe: %w", spec.Name, err)
	}
	inst.desc = desc
	resp, err := inst.client.Configure(ctx, sdk.ConfigureRequest{
		ChannelName: spec.Name,
		Config:      spec.Config,
		HookBaseURL: hookURL(m.opts.PublicURL, spec.Name),
		Host:        host,
	})
	if err != nil {
		return fmt.Errorf("channel %q: configure: %w", spec.Name, err)
	}
	if len(resp.Errors) > 0 {
		return &ConfigRejectedError{Channel: spec.Name, Problems: resp.Errors}
	}
	return nil
}

var (
	unrecognizedLine = regexp.MustCompile(`Unrecognized remote plugin message: ([^\n]*)`)
	pluginVersion    = regexp.MustCompile(`Plugin version: (\S+?),`)
)

// explainStart turns a go-plugin start-up failure into one line that says
// what is wrong with the binary. go-plugin reports these as plain strings,
// so this matches its (stable since v1.0) wording; anything unknown is
// passed on as is.
func (m *Manager) explainStart(ctx context.Context, spec Spec, path string, inst *instance, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("channel %q: starting %s: %w", spec.Name, path, ctx.Err())
	}
	// Reap the process so its exit status and last stderr lines are known.
	exited := inst.stop(ctx, false, m.opts.StopTimeout)
	code := -1
	if exited && inst.cmd.ProcessState != nil && inst.cmd.ProcessState.Exited() {
		code = inst.cmd.ProcessState.ExitCode()
	}
	stderr := ""
	if l := inst.tail.last(); l != "" {
		stderr = ": " + l
	}
	msg := err.Error()
	var pathErr *fs.PathError
	var execErr *exec.Error
	switch {
	case errors.As(err, &pathErr), errors.As(err, &execErr):
		return fmt.Errorf("channel %q: %w: %v", spec.Name, ErrNotExecutable, err)
	case errors.Is(err, plugin.ErrChecksumsDoNotMatch):
		return fmt.Errorf("channel %q: %w: %s changed while it was being started", spec.Name, ErrChecksumMismatch, path)
	case strings.Contains(msg, "incompatible API version"):
		theirs := "another version"
		if mm := pluginVersion.FindStringSubmatch(msg); mm != nil {
			theirs = mm[1]
		}
		return fmt.Errorf("channel %q: %w: %s speaks protocol %s, this host speaks %d (install a build of the plugin for protocol %d)",
			spec.Name, ErrProtocolMismatch, path, theirs, grpcplugin.ProtocolVersion, grpcplugin.ProtocolVersion)
	case strings.Contains(msg, "incompatible core API version"):
		return fmt.Errorf("channel %q: %w: %s was built with an incompatible go-plugin; rebuild it", spec.Name, ErrProtocolMismatch, path)
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return fmt.Errorf("channel %q: %w: %s did not complete the plugin handshake within %s%s",
			spec.Name, ErrStartTimeout, path, m.opts.StartTimeout, stderr)
	}
	if mm := unrecognizedLine.FindStringSubmatch(msg); mm != nil && strings.TrimSpace(mm[1]) != "" {
		return fmt.Errorf("channel %q: %w: %s printed %q instead of the plugin handshake",
			spec.Name, ErrNotPlugin, path, truncate(strings.TrimSpace(mm[1]), 100))
	}
	if code > 0 {
		return fmt.Errorf("channel %q: %w: %s exited with status %d%s", spec.Name, ErrCrashed, path, code, stderr)
	}
	if code == 0 {
		return fmt.Errorf("channel %q: %w: %s exited without the plugin handshake", spec.Name, ErrNotPlugin, path)
	}
	first, _, _ := strings.Cut(msg, "\n")
	return fmt.Errorf("channel %q: starting %s: %s", spec.Name, path, first)
}

// exitReason describes how the process ended ("exited with status 3:
// <last stderr line>"), or "" while it runs or if unknown. Only call it
// once go-plugin has reaped the process (Exited, or stop returned true).
func (inst *instance) exitReason() string {
	ps := inst.cmd.ProcessState
	if ps == nil {
		return ""
	}
	why := "ended by " + ps.String()
	if ps.Exited() {
		why = fmt.Sprintf("exited with status %d", ps.ExitCode())
	}
	if l := inst.tail.last(); l != "" {
		why += ": " + l
	}
	return why
}

// exited reports whether the process has ended and been reaped.
func (inst *instance) exited() bool { return inst.gp.Exited() }

// crashed reports whether the reaped process exited with a failure status.
func (inst *instance) crashed() bool {
	ps := inst.cmd.ProcessState
	return ps != nil && ps.Exited() && ps.ExitCode() > 0
}

// ping calls the plugin's gRPC health service, as go-plugin's own Ping
// does, but bounded by a deadline: go-plugin's has none and would hang on
// a stopped process.
func (inst *instance) ping(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := healthpb.NewHealthClient(inst.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: plugin.GRPCServiceName})
	if err != nil {
		return fmt.Errorf("health check failed: %w", err)
	}
	return nil
}

// connLost reports whether the gRPC connection to the process is gone.
func (inst *instance) connLost() bool {
	if inst.exited() {
		return true
	}
	s := inst.conn.GetState()
	return s == connectivity.TransientFailure || s == connectivity.Shutdown || s == connectivity.Idle
}

// stop ends the process: gracefully through go-plugin (which closes the
// connection and waits up to 2s), or, when graceful is false or that takes
// longer than timeout, by SIGKILL. It reports whether go-plugin finished
// reaping the process, after which cmd.ProcessState may be read.
func (inst *instance) stop(ctx context.Context, graceful bool, timeout time.Duration) bool {
	if !graceful {
		inst.killProcess()
	}
	done := make(chan struct{})
	go func() {
		inst.gp.Kill()
		close(done)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	// The graceful path hung (a stopped or wedged process): force it.
	inst.killProcess()
	select {
	case <-done:
		return true
	case <-time.After(time.Second):
		// Something outside the plugin's process group still holds its
		// stdout; go-plugin's readers end when that does.
		return false
	}
}

// killProcess SIGKILLs the plugin and anything it spawned. cmd.Process is
// set by go-plugin's Start, which has returned before any caller runs.
func (inst *instance) killProcess() {
	inst.killGroup()
	if inst.cmd.Process != nil {
		_ = inst.cmd.Process.Kill()
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
