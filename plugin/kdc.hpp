// The KDC exchanges (port 88, or wherever Kerberos is decoded) handed to the verifier's password
// path (verify/kerberos.hpp, KdcPasswordPath): smbsign's own handles take Kerberos's entries of the
// tcp.port and udp.port tables, give each whole KDC message to the verifier on the first pass, then
// call Wireshark's Kerberos dissector with the same bytes, so its tree is unchanged.
#pragma once

#include <epan/packet.h>

namespace smbsign::verify {
class Verifier;
}

namespace smbsign::plugin::kdc {

// Puts smbsign's handles on every tcp.port and udp.port entry that holds Kerberos's (port 88,
// and ports given to Kerberos by Decode As); called on every init, after Decode As changes.
// `limit` is the expert info shown on the KDC message at which the verifier's password
// path first reached a limit (KdcPasswordPath::overflowed).
void hook(int proto, expert_field *limit);
// The verifier KDC messages go to from now on (nullptr: none; not owned).
void set_verifier(verify::Verifier *v);

} // namespace smbsign::plugin::kdc
