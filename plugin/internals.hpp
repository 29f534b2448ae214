// Every use of Wireshark's internals (what a plugin is not meant to touch: structures
// behind the public API, or headers named *-int.h), in one place next to compat.hpp, so
// that a Wireshark version that changes them breaks this file and nothing else:
//   - the TCP dissector's per-connection record (tcp.stream, tcp.completeness), found
//     the way that dissector finds it (input.cpp: connection and close of each frame);
//   - the function of a heuristic dissector table entry, which input.cpp replaces with
//     a pass-through to note each SMB message;
//   - another protocol's preference and the rows of a UAT table, read by secrets.cpp;
//   - whether a field is referenced this frame, read from its record (items.hpp).
#pragma once

#include <epan/packet.h>
#include <epan/proto.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

namespace smbsign::plugin::internals {

// This frame's TCP connection as the TCP dissector keeps it.
struct TcpConnection {
    std::uint32_t stream; // tcp.stream
    bool closing;         // a FIN or RST has been seen by this frame (tcp.completeness)
};
std::optional<TcpConnection> tcp_connection(packet_info *pinfo);
// Forget the cached connection records (before a new capture).
void forget_tcp_connections();

// Whether this frame's filters, columns, colouring rules or -T fields output reference
// the field `info` describes (its own, or for a protocol also through one of its fields):
// what proto_field_is_referenced answers for a tree nobody looks at, read inline from the
// mark it reads in the field's record (set when a filter or column is primed).
inline bool referenced(const header_field_info &info) noexcept {
    return info.ref_type != HF_REF_TYPE_NONE;
}
// The same, for the field itself only (not through one of a protocol's fields).
inline bool referenced_itself(const header_field_info &info) noexcept {
    return info.ref_type != HF_REF_TYPE_NONE && info.ref_type != HF_REF_TYPE_INDIRECT;
}

// Puts `with` in place of the dissector of the heuristic entry `short_name`; returns the
// function that was there (`with` itself if already put), nullptr if there is no entry.
heur_dissector_t replace_heuristic(const char *short_name, heur_dissector_t with);

// The current value of another protocol's string (or file name) preference, or "".
std::string string_pref(const char *module_name, const char *pref_name);

// Calls `row` with each row of the UAT table whose file is `filename`: the text of its
// first columns (up to `columns`, nullptr where a column is missing). The texts are wiped
// and freed after the call.
void each_uat_row(const char *filename, unsigned columns,
                  const std::function<void(std::span<const char *const>)> &row);

} // namespace smbsign::plugin::internals
