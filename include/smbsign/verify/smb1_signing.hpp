// The SMB1 signing state of one connection (MS-CIFS 3.1.5.1, 3.2.4.1.1, 3.3.5.2): which
// session's key signs, the next sequence number, and the sequence numbers of the requests
// still awaiting their response. A unit of its own, as Samba's smb1_signing_state:
//   reset()    a NEGOTIATE: nothing is signed yet;
//   start()    the SESSION_SETUP request that carries the key (NTLMSSP AUTHENTICATE) is
//              sequence number 0, its response 1 (MS-CIFS 3.2.4.1.1);
//   confirm()  its signed success response: signing is active, a later logon on the same
//              connection does not restart the numbers;
//   request() / response()  the number of each message, requests and responses paired by
//              MID and PID;
//   check()    the signature, with resynchronisation when the capture lost messages.
#pragma once

#include "smbsign/bytes.hpp"
#include "smbsign/verify/sign.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

namespace smbsign::verify {

class Smb1SigningState {
public:
    static constexpr std::size_t kMaxPending = 64; // requests awaiting an answer
    static constexpr std::uint32_t kMaxResync = 8; // sequence numbers tried ahead

    void reset() noexcept { *this = Smb1SigningState{}; }

    // The request that establishes the key (its AUTHENTICATE leg), from session
    // `key_session` (the tracker's index): numbering restarts at 0, unless signing is
    // already active on the connection.
    void start(std::uint32_t key_session) noexcept {
        if (active_)
            return;
        reset();
        known_ = true;
        key_session_ = key_session;
    }
    // The signed success response to that SESSION_SETUP: signing is active.
    void confirm() noexcept {
        if (known_)
            active_ = true;
    }

    [[nodiscard]] bool known() const noexcept { return known_; }
    [[nodiscard]] std::uint32_t key_session() const noexcept { return key_session_; }

    // MS-CIFS 3.2.4.1.1: a request takes the next number; its response (when one follows:
    // `expects_reply`) the one after. Nothing before start().
    std::optional<std::uint32_t> request(std::uint16_t mid, std::uint16_t pid, bool expects_reply) {
        if (!known_)
            return std::nullopt;
        const std::uint32_t sequence = next_;
        if (!expects_reply) {
            next_ += 1;
            return sequence;
        }
        next_ += 2;
        if (pending_.size() >= kMaxPending)
            pending_.erase(pending_.begin());
        pending_.push_back({mid, pid, sequence});
        return sequence;
    }

    // MS-CIFS 3.3.5.2: a response takes its request's number plus one; nothing when the
    // request was not seen.
    std::optional<std::uint32_t> response(std::uint16_t mid, std::uint16_t pid) noexcept {
        if (!known_)
            return std::nullopt;
        auto it = std::find_if(pending_.begin(), pending_.end(),
                               [&](const Pending &p) { return p.mid == mid && p.pid == pid; });
        if (it == pending_.end())
            return std::nullopt;
        const std::uint32_t sequence = it->sequence + 1;
        pending_.erase(it);
        return sequence;
    }

    struct Check {
        SignatureCheck<smb1::kSignatureSize> mac;
        bool resynced = false; // the signature fits a number a few ahead: messages were lost
    };

    // The message's signature under `mac_key` and `sequence`. Messages missing from the
    // capture (not from the wire) shift every later number: a signature that fits a few
    // numbers on says so, and numbering resumes from there (a request that was just
    // numbered, identified by `request_mid`, moves with it).
    Check check(Bytes mac_key, std::uint32_t sequence, Bytes message,
                std::optional<std::uint16_t> request_mid) noexcept {
        Check c{smb1_verify(mac_key, sequence, message), false};
        if (c.mac.status != MacMatch::Mismatch)
            return c;
        for (std::uint32_t ahead = 1; ahead <= kMaxResync; ++ahead) {
            if (smb1_verify(mac_key, sequence + ahead, message).status != MacMatch::Match)
                continue;
            next_ += ahead;
            if (request_mid && !pending_.empty() && pending_.back().mid == *request_mid)
                pending_.back().sequence += ahead;
            c.resynced = true;
            return c;
        }
        return c;
    }

private:
    struct Pending {
        std::uint16_t mid;
        std::uint16_t pid;
        std::uint32_t sequence;
    };
    bool known_ = false;  // a key-bearing SESSION_SETUP was seen: numbers are known
    bool active_ = false; // its success response was signed
    std::uint32_t next_ = 0;
    std::uint32_t key_session_ = 0;
    std::vector<Pending> pending_;
};

} // namespace smbsign::verify
