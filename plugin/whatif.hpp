// The what-if policy in the plugin (doc/DEFINITIONS.md, "What if"): the preference
// smbsign.whatif, the smbsign.whatif.* fields of each session, and `-z smbsign,whatif`.
// With the preference unset, nothing here adds a field or costs more than one test.
#pragma once

#include "plugin/items.hpp"
#include "smbsign/session_view.hpp"

#include <epan/packet.h>

namespace smbsign::plugin::whatif {

// The fields and the preference (under the smbsign module, registered before this).
void register_fields(int proto);

// Reads the preference (the init routine, when a capture is (re)dissected).
void on_init();

// The what-if items of one session, into its smbsign subtree.
void add_items(const Items &add, const smbsign::SessionView &v);

// `-z smbsign,whatif[,csv|,json]`.
void register_stats();

} // namespace smbsign::plugin::whatif
