//go:build unix

package pluginhost

import (
	"os/exec"
	"syscall"
)

// isolate starts the plugin in its own process group, so that stopping it
// also stops any child it spawned. Otherwise a child holding the plugin's
// stdout (a shell script's background job) keeps go-plugin's readers, and
// with them the whole stop, waiting until the child ends.
func isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup SIGKILLs the plugin's process group. go-plugin reaps the
// plugin only after its stdout and stderr close, so while it has not
// exited the group id is still the plugin's and cannot name anyone else.
func (inst *instance) killGroup() {
	if inst.cmd.Process != nil && !inst.exited() {
		_ = syscall.Kill(-inst.cmd.Process.Pid, syscall.SIGKILL)
	}
}
