// The what-if policy in the plugin (doc/DEFINITIONS.md, "What if"): the preference
// smbsign.whatif, the smbsign.whatif.* fields of each session, and `-z smbsign,whatif`.
// With the preference unset, nothing here adds a field or costs more than one test.
#pragma once

#include "smbsign/session_view.hpp"

#include <epan/packet.h>

namespace smbsign::plugin::whatif {

// The fields and the preference (under the smbsign module, registered before this).
void register_fields(int proto);

// Reads the preference (the init routine, when a capture is (re)dissected).
void on_init();

// The what-if items of one session, into its smbsign subtree. `visible`: a tree someone
// looks at (else only the fields a filter, column or tap names are added).
void add_items(proto_tree *tree, tvbuff_t *tvb, const smbsign::SessionView &v, bool visible);

// `-z smbsign,whatif[,csv|,json]`.
void register_stats();

} // namespace smbsign::plugin::whatif
