//go:build !unix

package pluginhost

import "os/exec"

// isolate is a no-op where process groups are not available.
func isolate(*exec.Cmd) {}

// killGroup kills just the plugin where process groups are not available.
func (inst *instance) killGroup() {
	if inst.cmd.Process != nil {
		_ = inst.cmd.Process.Kill()
	}
}
