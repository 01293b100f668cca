package sdk

import (
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
)

// watchParent exits the plugin when the host that started it dies. A host
// killed with SIGKILL cannot stop its plugins, and go-plugin does not notice
// a vanished parent by itself; without this, every host crash would leave an
// orphaned plugin process behind. Polling getppid is portable across Unix
// systems and costs one syscall a second.
func watchParent(logger hclog.Logger, every time.Duration) {
	parent := os.Getppid()
	if parent <= 1 {
		return // started by init or outside a host: nothing to watch
	}
	go func() {
		for range time.Tick(every) {
			if os.Getppid() != parent {
				logger.Warn("the Parley host that started this plugin is gone; exiting")
				os.Exit(0)
			}
		}
	}()
}
