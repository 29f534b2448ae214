// See items.hpp.
#include "plugin/items.hpp"

namespace smbsign::plugin {

void FieldIndex::add(int proto, hf_register_info *hf, std::size_t count) {
    proto_register_field_array(proto, hf, static_cast<int>(count));
    for (std::size_t i = 0; i < count; ++i) {
        const int id = *hf[i].p_id;
        if (first_ == 0)
            first_ = id;
        // Wireshark numbers fields in the order they are registered: smbsign's are together
        // (one outside the slots is always added: right, only slower).
        const auto slot = static_cast<std::size_t>(id - first_);
        if (slot < kMax)
            info_[slot] = &hf[i].hfinfo;
    }
}

} // namespace smbsign::plugin
