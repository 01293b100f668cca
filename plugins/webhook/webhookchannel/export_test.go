package webhookchannel

import "net/netip"

// TreatAsPublic makes c's attachment guard take hostport (a 127.0.0.1
// test server) for a public address, standing in for a desk's file
// server on the internet. Call it before Configure.
func TreatAsPublic(c *Channel, hostport string) {
	want := netip.MustParseAddrPort(hostport)
	c.isPublic = func(ap netip.AddrPort) bool { return ap == want }
}
