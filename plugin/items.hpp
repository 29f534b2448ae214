// Adding smbsign's generated items to a frame's tree: the session subtree
// (packet-smbsign.cpp), the NTLM and relay items (relay.cpp) and the what-if items
// (whatif.cpp) all add them through Items.
//
// Enumerated fields are strings holding the core's own words (NUL-terminated literals), so
// that every output (-T fields/json/ek/pdml, columns, the GUI) prints the word and filters
// compare it: smbsign.verdict == "unsigned". In a tree nobody looks at (a display filter,
// -T fields, a colouring rule, a tap) only the fields someone asked for are added:
// Wireshark would fake the others, but only after more work than ours. A field not added
// answers with `top`, to which expert infos then attach.
#pragma once

#include "plugin/internals.hpp"

#include <epan/proto.h>

#include <array>
#include <cstddef>
#include <string_view>

namespace smbsign::plugin {

// smbsign's registered fields, by id: whether this frame's tree wants one is asked some
// thirty times per SMB message, and answered here with a few loads.
class FieldIndex {
public:
    static constexpr std::size_t kMax = 128; // fields smbsign registers, at most

    // Registers `count` fields under `proto` and keeps their records.
    void add(int proto, hf_register_info *hf, std::size_t count);

    // Whether a filter, column or -T fields primed field `hf` for this frame
    // (internals::referenced); a field without a slot is always wanted.
    [[nodiscard]] bool primed(int hf) const noexcept {
        const auto slot = static_cast<std::size_t>(hf - first_);
        return slot >= kMax || info_[slot] == nullptr || internals::referenced(*info_[slot]);
    }

private:
    int first_ = 0;
    std::array<const header_field_info *, kMax> info_{}; // by slot: id - first_
};
inline FieldIndex fields;

struct Items {
    proto_tree *tree; // where the items go (nullptr: nowhere)
    tvbuff_t *tvb;
    proto_item *top; // the smbsign item (nullptr in a tree nobody looks at that has no use for it)
    bool visible;    // someone looks at the tree: every field is added (else those primed)

    [[nodiscard]] bool want(int hf) const noexcept {
        return tree != nullptr && (visible || fields.primed(hf));
    }
    static proto_item *generated(proto_item *item) {
        proto_item_set_generated(item);
        return item;
    }
    // `w` ends where its NUL is: one of the core's literals, or all of a std::string.
    proto_item *word(int hf, std::string_view w) const {
        return want(hf) ? generated(proto_tree_add_string(tree, hf, tvb, 0, 0, w.data())) : top;
    }
    // A word the capture may not give (a name, a reason): nothing when it is empty.
    proto_item *text(int hf, std::string_view w) const { return w.empty() ? nullptr : word(hf, w); }
    proto_item *number(int hf, guint32 n) const {
        return want(hf) ? generated(proto_tree_add_uint(tree, hf, tvb, 0, 0, n)) : top;
    }
    proto_item *boolean(int hf, bool b) const {
        return want(hf) ? generated(proto_tree_add_boolean(tree, hf, tvb, 0, 0, b)) : top;
    }
};

} // namespace smbsign::plugin
