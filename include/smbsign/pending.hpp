// The requests of one connection that await an answer the answer's own bytes cannot be
// matched by: a small bounded table keyed by MID/PID (SMB1) or MessageId (SMB2).
#pragma once

#include "smbsign/frame_log.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

namespace smbsign {

// Why a request is remembered.
enum class PendingKind : std::uint8_t {
    DfsReferral,   // SMB1 Trans2 GET_DFS_REFERRAL (the response lacks the subcommand)
    ExcludedIoctl, // SMB2 IOCTL not counted (an error response lacks the CtlCode)
    Logoff         // LOGOFF (an impacket server answers with id 0)
};

class PendingRequests {
public:
    // SMB1 requests are keyed by MID and PID together.
    static constexpr std::uint64_t smb1_key(std::uint16_t mid, std::uint16_t pid) noexcept {
        return mid | static_cast<std::uint64_t>(pid) << 16;
    }

    // Remembers a request of `session`; false when the table is full (Anomaly::PendingLimit).
    bool remember(std::uint64_t key, std::uint32_t session, PendingKind kind,
                  std::uint32_t limit) noexcept {
        if (pending_.size() >= limit)
            return false;
        try {
            pending_.push_back({key, session, kind});
        } catch (...) { // out of memory: like the limit
            return false;
        }
        return true;
    }

    // The session of the request remembered under `key` as `kind`, if one was; forgets it.
    std::optional<std::uint32_t> take(std::uint64_t key, PendingKind kind) noexcept {
        auto it = std::find_if(pending_.begin(), pending_.end(),
                               [&](const Entry &p) { return p.key == key && p.kind == kind; });
        if (it == pending_.end())
            return std::nullopt;
        const std::uint32_t session = it->session;
        pending_.erase(it);
        return session;
    }

    // Whether `key` was remembered as `kind`; forgets it.
    bool answered(std::uint64_t key, PendingKind kind) noexcept {
        return take(key, kind).has_value();
    }

    [[nodiscard]] std::size_t size() const noexcept { return pending_.size(); }

private:
    struct Entry {
        std::uint64_t key = 0;
        std::uint32_t session = kNoSession;
        PendingKind kind = PendingKind::DfsReferral;
    };
    std::vector<Entry> pending_;
};

} // namespace smbsign
