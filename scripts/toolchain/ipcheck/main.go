// ipcheck reads one CIDR per line on stdin and prints, per line, a JSON object with how two
// readers of Kubernetes' own code path read it:
//
//   - "netip": Go's net/netip.ParsePrefix, the strict reader (Kubernetes' StrictIPCIDRValidation
//     and its canonical form): ok, the masked prefix's String(), whether the address is an
//     IPv4-mapped IPv6 one, and the error;
//   - "sloppy": k8s.io/utils/net.ParseCIDRSloppy, what the API server accepts and stores for a
//     NetworkPolicy ipBlock while StrictIPCIDRValidation is off (the default through 1.35): ok and
//     the network it means (IPNet.String()).
//
// leasehold's e2e suite compares its own reading of the addresses a stack file may hold with these.
package main

import (
	"bufio"
	"encoding/json"
	"net/netip"
	"os"

	netutils "k8s.io/utils/net"
)

type strict struct {
	OK     bool   `json:"ok"`
	Masked string `json:"masked,omitempty"`
	Mapped bool   `json:"mapped,omitempty"`
	Err    string `json:"err,omitempty"`
}

type sloppy struct {
	OK      bool   `json:"ok"`
	Network string `json:"network,omitempty"`
}

type line struct {
	In     string `json:"in"`
	Netip  strict `json:"netip"`
	Sloppy sloppy `json:"sloppy"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		s := in.Text()
		l := line{In: s}
		if p, err := netip.ParsePrefix(s); err == nil {
			l.Netip = strict{OK: true, Masked: p.Masked().String(), Mapped: p.Addr().Is4In6()}
		} else {
			l.Netip = strict{Err: err.Error()}
		}
		if _, n, err := netutils.ParseCIDRSloppy(s); err == nil {
			l.Sloppy = sloppy{OK: true, Network: n.String()}
		}
		if err := out.Encode(l); err != nil {
			os.Exit(1)
		}
	}
	if in.Err() != nil {
		os.Exit(1)
	}
}
