// Every difference between the Wireshark versions smbsign builds against (4.0, 4.2, 4.4,
// 4.6), in one place, behind the SDK's version macros. The core knows none of this.
//
//   4.2  heuristic dissectors return bool (gboolean before);
//        plugins describe themselves with plugin_describe() (tshark -G plugins, the GUI's
//        About > Plugins show "unknown" without it).
//   4.6  a stat tap UI's init callback returns bool (void before).
#pragma once

#include <ws_version.h>

#include <glib.h>

#include <cstdint>

#define SMBSIGN_WS_AT_LEAST(major, minor)                                                          \
    (WIRESHARK_VERSION_MAJOR > (major) ||                                                          \
     (WIRESHARK_VERSION_MAJOR == (major) && WIRESHARK_VERSION_MINOR >= (minor)))

#if SMBSIGN_WS_AT_LEAST(4, 2)
#include <wsutil/plugins.h>
#endif

namespace smbsign::plugin::compat {

// What heur_dissector_t returns.
#if SMBSIGN_WS_AT_LEAST(4, 2)
using heur_result = bool;
#else
using heur_result = gboolean;
#endif

// What stat_tap_ui's tap_init_cb returns; tap_init_ok(false) reports a failed init where
// the version can say so (4.6+), and is a no-op before.
#if SMBSIGN_WS_AT_LEAST(4, 6)
using tap_init_result = bool;
inline bool tap_init_ok(bool ok) {
    return ok;
}
#else
using tap_init_result = void;
inline void tap_init_ok(bool) {}
#endif

// plugin_describe(): the plugin registers a dissector (postdissector) and tap listeners.
#if SMBSIGN_WS_AT_LEAST(4, 2)
constexpr std::uint32_t kPluginDescription = WS_PLUGIN_DESC_DISSECTOR | WS_PLUGIN_DESC_TAP_LISTENER;
#define SMBSIGN_HAVE_PLUGIN_DESCRIBE 1
#endif

} // namespace smbsign::plugin::compat
