// NTLM facts and relay evidence in the plugin (doc/DEFINITIONS.md, "NTLM relay"): the
// smbsign.ntlm.* and smbsign.relay.* fields of each session and the relay expert infos.
// A session without NTLM adds nothing; one without relay signals adds no smbsign.relay.* field.
#pragma once

#include "plugin/items.hpp"
#include "smbsign/session_view.hpp"

#include <epan/expert.h>
#include <epan/packet.h>

namespace smbsign::plugin::relay_items {

// The fields (under the smbsign protocol, registered before this).
void register_fields(int proto);

// The NTLM and relay items of one session, into its smbsign subtree. Returns the item the
// relay expert info attaches to (the role, or `add.top` when that field is not wanted), or
// nullptr when the session has no relay signal.
proto_item *add_items(const Items &add, const smbsign::SessionView &v);

// The expert info of the session's relay finding, on `item` (the text names the signals, the
// other leg and the outcome).
void add_expert(packet_info *pinfo, proto_item *item, const smbsign::SessionView &v,
                expert_field *ei);

} // namespace smbsign::plugin::relay_items
