package webhookchannel

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
	"github.com/parley-dev/parley/sdk"
)

// errPrivateAddress marks a connection the attachment guard refused: the
// address dialled is loopback, private, link-local (cloud metadata),
// CGNAT, multicast or otherwise not public.
var errPrivateAddress = errors.New("attachment URL leads to a non-public address")

// maxRedirects is how many redirects one attachment fetch follows, as
// net/http does by default.
const maxRedirects = 10

// publicOnly is the IANA special-purpose registry check. ssrf keeps its
// ranges generated from the registries, which a hand-kept list would not.
var publicOnly = ssrf.New(ssrf.WithAnyPort())

// attachmentClient is the client OpenAttachment fetches agent-supplied
// URLs with. Unless allowPrivate, every connection it opens, including
// those after a redirect, goes through a dialer whose Control function
// checks the IP actually being dialled: the check and the connection use
// the same address, so a name that resolves to a public address for a
// check and to 127.0.0.1 for the connection (DNS rebinding) is refused
// too. isPublic, when set, lets tests treat a 127.0.0.1 server as public.
func attachmentClient(base *http.Transport, allowPrivate bool, isPublic func(netip.AddrPort) bool) *http.Client {
	client := &http.Client{CheckRedirect: checkAttachmentRedirect}
	if allowPrivate {
		client.Transport = base
		return client
	}
	dialer := &net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			if ap, err := netip.ParseAddrPort(address); err == nil && isPublic != nil && isPublic(ap) {
				return nil
			}
			if err := publicOnly.Safe(network, address, nil); err != nil {
				return fmt.Errorf("%w (%v); set allow_private_urls = true in the channel config to allow it", errPrivateAddress, err)
			}
			return nil
		},
	}
	t := base.Clone()
	t.DialContext = dialer.DialContext
	// A proxy would connect on the plugin's behalf to an address the
	// dialer never sees, so guarded fetches go direct.
	t.Proxy = nil
	client.Transport = t
	return client
}

// checkAttachmentRedirect follows only http and https redirects, at most
// maxRedirects; each hop's connection is checked again by the dialer.
func checkAttachmentRedirect(req *http.Request, via []*http.Request) error {
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return sdk.Permanent(fmt.Errorf("attachment URL redirects to a %q URL; only http and https are fetched", req.URL.Scheme))
	}
	if len(via) >= maxRedirects {
		return sdk.Permanent(fmt.Errorf("attachment URL redirects more than %d times", maxRedirects))
	}
	return nil
}
