// Every anomaly the core reports. One flat list, each mapped one to one to an
// expert-info entry by the plugin.
#pragma once

#include <cstdint>
#include <string_view>

namespace smbsign {

enum class Anomaly : std::uint8_t {
    TruncatedHeader,     // an SMB header cut short: its message is ignored
    MalformedHeader,     // bytes that cannot be an SMB header
    TruncatedBody,       // a message the analysis needs is cut short
    MalformedBody,       // a message the analysis needs cannot be valid
    InvalidSecurityMode, // signing "required" without "enabled", or an SMB2 server without ENABLED
    ContradictoryServerPolicy, // two NEGOTIATE responses with different policies on one connection
    ConnectionLimit,           // too many connections tracked: this one is not analysed
    SessionLimit,              // too many sessions: this one is not analysed
    PendingLimit,              // too many outstanding requests remembered on one connection
    ReusedSessionId,           // the server gave a new logon the id of a live session
    RelayIndexLimit,           // too many NTLM logons indexed: this one is not linked (relay.hpp)
    MalformedSecurityToken,    // a SESSION_SETUP's SPNEGO/Kerberos token that does not parse
    KdcLimit, // the password path's bounded tables or string-to-key budget ran out (kerberos.hpp)
    Count
};

using AnomalySet = std::uint16_t;
static_assert(static_cast<unsigned>(Anomaly::Count) <= 16);

constexpr AnomalySet bit(Anomaly a) noexcept {
    return static_cast<AnomalySet>(1u << static_cast<unsigned>(a));
}

constexpr bool has(AnomalySet set, Anomaly a) noexcept {
    return (set & bit(a)) != 0;
}

// The last part of the expert-info name.
constexpr std::string_view short_name(Anomaly a) noexcept {
    switch (a) {
    case Anomaly::TruncatedHeader:
        return "truncated_header";
    case Anomaly::MalformedHeader:
        return "header";
    case Anomaly::TruncatedBody:
        return "truncated_body";
    case Anomaly::MalformedBody:
        return "body";
    case Anomaly::InvalidSecurityMode:
        return "invalid_security_mode";
    case Anomaly::ContradictoryServerPolicy:
        return "contradictory_server_policy";
    case Anomaly::ConnectionLimit:
        return "connection_limit";
    case Anomaly::SessionLimit:
        return "session_limit";
    case Anomaly::PendingLimit:
        return "pending_limit";
    case Anomaly::ReusedSessionId:
        return "reused_session_id";
    case Anomaly::RelayIndexLimit:
        return "relay_index_limit";
    case Anomaly::MalformedSecurityToken:
        return "security_token";
    case Anomaly::KdcLimit:
        return "kdc_limit";
    case Anomaly::Count:
        break;
    }
    return "unknown";
}

// The expert-info summary for each anomaly.
constexpr std::string_view describe(Anomaly a) noexcept {
    switch (a) {
    case Anomaly::TruncatedHeader:
        return "SMB header truncated: message not analysed, session verdict unknown";
    case Anomaly::MalformedHeader:
        return "Malformed SMB header: message not analysed, session verdict unknown";
    case Anomaly::TruncatedBody:
        return "SMB message needed for the signing analysis is truncated: verdict unknown";
    case Anomaly::MalformedBody:
        return "SMB message needed for the signing analysis is malformed: verdict unknown";
    case Anomaly::InvalidSecurityMode:
        return "Invalid signing SecurityMode (required without enabled, or a server without "
               "SIGNING_ENABLED)";
    case Anomaly::ContradictoryServerPolicy:
        return "Contradictory server signing policy: two NEGOTIATE responses disagree on this "
               "connection";
    case Anomaly::ConnectionLimit:
        return "Connection limit reached: this connection is not analysed";
    case Anomaly::SessionLimit:
        return "Session limit reached: this session is not analysed";
    case Anomaly::PendingLimit:
        return "Pending-request limit reached on this connection: a request was not remembered";
    case Anomaly::ReusedSessionId:
        return "Server reused the id of a live session for a new logon on this connection: the "
               "new logon replaces that session and later messages with this id belong to it";
    case Anomaly::RelayIndexLimit:
        return "NTLM relay index limit reached: this logon is not linked to other connections";
    case Anomaly::MalformedSecurityToken:
        return "Malformed SPNEGO/Kerberos token in SESSION_SETUP: its Kerberos is not read, so no "
               "keytab or password gives this session a key";
    case Anomaly::KdcLimit:
        return "Kerberos exchange limit reached: from here on a password may not reach every "
               "session's key (too many logons or user keys to derive)";
    case Anomaly::Count:
        break;
    }
    return "unknown anomaly";
}

} // namespace smbsign
