// Command crashstart is a test plugin that dies before the handshake, as
// a plugin whose own start-up fails does.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "crashstart: cannot open state file: permission denied")
	os.Exit(2)
}
