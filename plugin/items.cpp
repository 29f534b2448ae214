// See items.hpp.
#include "plugin/items.hpp"

namespace smbsign::plugin {

void FieldIndex::add(int proto, hf_register_info *hf, std::size_t count) {
    proto_register_field_array(proto, hf, static_cast<int>(count));
    for (std::size_t i = 0; i < count; ++i) {
        const int id = *hf[i].p_id;
        if (info_.empty())
            first_ = id;
        if (id < first_) { // ids grow with each registration: not expected, but kept right
            info_.insert(info_.begin(), static_cast<std::size_t>(first_ - id), nullptr);
            first_ = id;
        }
        const auto at = static_cast<std::size_t>(id - first_);
        if (at >= info_.size())
            info_.resize(at + 1, nullptr);
        info_[at] = &hf[i].hfinfo;
    }
}

} // namespace smbsign::plugin
