// Every use of Wireshark's internals (what a plugin is not meant to touch: structures
// behind the public API, or headers named *-int.h), in one place next to compat.hpp, so
// that a Wireshark version that changes them breaks this file and nothing else:
//   - the TCP dissector's per-connection record (tcp.stream, tcp.completeness), found
//     the way that dissector finds it (input.cpp: connection and close of each frame);
//   - the function of a heuristic dissector table entry, which input.cpp replaces with
//     a pass-through to note each SMB message;
//   - another protocol's preference and the rows of a UAT table, read by secrets.cpp.
#pragma once

#include <epan/packet.h>

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
