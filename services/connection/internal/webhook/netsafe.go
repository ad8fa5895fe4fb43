package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrPrivateAddress is the error of a connection refused because the
// address is not on the public internet.
var ErrPrivateAddress = errors.New("a private, loopback or link-local address")

// privateHint says how to allow such addresses, in refusals.
const privateHint = "webhooks may only reach the public internet unless the server runs with MILLWRIGHT_ALLOW_PRIVATE_NETWORKS=true"

// nonPublic are ranges that are not caught by netip.Addr's own predicates.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT, shared address space
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and the broadcast address
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
}

// Prefixes of IPv6 addresses that embed an IPv4 one.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// Public reports whether an address is on the public internet: not
// private, loopback, link-local, multicast, unspecified or reserved,
// including IPv4 addresses embedded in IPv6 ones (mapped, NAT64, 6to4).
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a): // NAT64 of an IPv4 address
			return Public(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		case sixToFour.Contains(a): // 6to4 of an IPv4 address
			return Public(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		}
	}
	return true
}

// control refuses, at dial time, to connect to an address that is not
// public: it sees the address DNS resolved to, so a name that resolves to a
// private address (or starts to, after the endpoint was created) is refused.
func control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refusing to connect to %s: not an IP address and port", address)
	}
	if !Public(ap.Addr()) {
		return fmt.Errorf("refusing to connect to %s, %w; %s", ap.Addr().Unmap(), ErrPrivateAddress, privateHint)
	}
	return nil
}

// CheckURL checks an endpoint's URL: absolute http(s), with a host, and,
// unless allowPrivate, not a host that is or resolves to a non-public
// address. A host that does not resolve now is accepted: it is checked
// again, by address, at every connection. The error describes the problem
// for the caller.
func CheckURL(ctx context.Context, raw string, allowPrivate bool) error {
	if raw == "" {
		return errors.New("is required")
	}
	if len(raw) > 2048 {
		return errors.New("must be at most 2048 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || strings.ContainsAny(raw, " \t\r\n") {
		return errors.New("is not a valid URL")
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return errors.New("must be an http:// or https:// URL")
	}
	host := u.Hostname()
	if host == "" {
		return errors.New("must have a host")
	}
	if allowPrivate {
		return nil
	}
	refused := func(a netip.Addr) error {
		return fmt.Errorf("%s is %w; %s", a.Unmap(), ErrPrivateAddress, privateHint)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if !Public(a) {
			return refused(a)
		}
		return nil
	}
	lower := strings.ToLower(strings.TrimSuffix(host, "."))
	if lower == "localhost" || strings.HasSuffix(lower, ".localhost") {
		return fmt.Errorf("%s is %w; %s", host, ErrPrivateAddress, privateHint)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if !Public(a) {
			return fmt.Errorf("%s resolves to %s, %w; %s", host, a.Unmap(), ErrPrivateAddress, privateHint)
		}
	}
	return nil
}
