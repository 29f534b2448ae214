// A Kerberos logon's keys, from the service's long-term keys (keytab, credentials lines):
// the ticket (key usage 2) gives the ticket session key, the authenticator (11) the
// initiator's subkey, the AP-REP's encrypted part (12) the acceptor's subkey (RFC 4120
// 5.5, 7.5.1). The GSS key that SMB signs with is the acceptor subkey, else the initiator
// subkey, else the ticket session key (MS-KILE 3.1.1.2). One decryption per message part,
// at most kMaxKeyTries long-term keys tried per ticket: a logon costs a few decrypts, its
// messages none.
#pragma once

#include "smbsign/krb/crypto.hpp"
#include "smbsign/krb/kerberos.hpp"
#include "smbsign/verify/secrets.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace smbsign::verify {

class KerberosLogon {
public:
    static constexpr std::size_t kMaxKeyTries = 64;

    enum class State : std::uint8_t {
        None,   // no AP-REQ seen
        NoKey,  // no long-term key of the ticket's enctype
        Wrong,  // keys of that enctype were given, none opens the ticket
        Opened, // the ticket (and authenticator) decrypted
        // An AP-REP the ticket's key does not open: altered, or not this logon's. Whether it
        // held an acceptor subkey, and so which key signs, is unknown.
        ApRepUnreadable,
    };

    // The AP-REQ of a SESSION_SETUP request: open the ticket with the first long-term key of
    // its enctype that decrypts it (keys whose kvno matches first), then the authenticator.
    void ap_req(const krb::ApReq &req, const std::vector<KerberosKey> &keys) {
        if (state_ == State::Opened)
            return;
        *this = KerberosLogon{};
        state_ = State::NoKey;
        std::size_t tries = 0;
        for (int pass = 0; pass < 2 && tries < kMaxKeyTries; ++pass) {
            for (const KerberosKey &k : keys) {
                if (k.etype != req.ticket.etype || tries >= kMaxKeyTries)
                    continue;
                const bool kvno_match = k.kvno && req.ticket.kvno && *k.kvno == *req.ticket.kvno;
                if ((pass == 0) != kvno_match)
                    continue;
                ++tries;
                state_ = State::Wrong;
                if (open_ticket(req, k))
                    return;
            }
        }
    }

    // The AP-REP of the SESSION_SETUP response: the acceptor's subkey.
    void ap_rep(const krb::ApRep &rep) {
        if (state_ != State::Opened || !ticket_key_ || acceptor_)
            return;
        const krb::KeyValue &tk = *ticket_key_;
        auto plain = krb::decrypt(tk.etype, tk.view(), krb::kUsageApRep, rep.enc_part.cipher);
        if (plain && krb::is_part(plain->view(), krb::kAppEncApRepPart)) {
            acceptor_ = krb::ap_rep_subkey(plain->view());
            return;
        }
        // No fallback to the initiator's keys (MS-KILE 3.1.1.2 would take the AP-REP's).
        wipe();
        state_ = State::ApRepUnreadable;
    }

    [[nodiscard]] State state() const noexcept { return state_; }

    // MS-KILE 3.1.1.2: the session's GSS key, or nothing before the ticket opened.
    [[nodiscard]] const krb::KeyValue *gss_key() const noexcept {
        if (state_ != State::Opened)
            return nullptr;
        if (acceptor_)
            return &*acceptor_;
        if (initiator_)
            return &*initiator_;
        return ticket_key_ ? &*ticket_key_ : nullptr;
    }

    ~KerberosLogon() { wipe(); }
    KerberosLogon() = default;
    KerberosLogon(const KerberosLogon &) = delete;
    KerberosLogon &operator=(const KerberosLogon &) = delete;
    KerberosLogon(KerberosLogon &&) = default;
    KerberosLogon &operator=(KerberosLogon &&other) noexcept {
        wipe();
        state_ = other.state_;
        ticket_key_ = other.ticket_key_;
        initiator_ = other.initiator_;
        acceptor_ = other.acceptor_;
        other.wipe();
        return *this;
    }

private:
    bool open_ticket(const krb::ApReq &req, const KerberosKey &k) {
        auto ticket = krb::decrypt(k.etype, Bytes(k.key), krb::kUsageTicket, req.ticket.cipher);
        if (!ticket)
            return false;
        ticket_key_ = krb::ticket_session_key(ticket->view());
        if (!ticket_key_)
            return false; // decrypted, but not an EncTicketPart: not this key's ticket
        state_ = State::Opened;
        const krb::KeyValue &tk = *ticket_key_;
        auto auth =
            krb::decrypt(tk.etype, tk.view(), krb::kUsageAuthenticator, req.authenticator.cipher);
        if (auth)
            initiator_ = krb::authenticator_subkey(auth->view());
        return true;
    }

    void wipe() noexcept {
        for (auto *k : {&ticket_key_, &initiator_, &acceptor_})
            if (*k) {
                volatile std::uint8_t *p = (*k)->bytes.data();
                for (std::size_t i = 0; i < (*k)->bytes.size(); ++i)
                    p[i] = 0;
                k->reset();
            }
    }

    State state_ = State::None;
    std::optional<krb::KeyValue> ticket_key_;
    std::optional<krb::KeyValue> initiator_;
    std::optional<krb::KeyValue> acceptor_;
};

} // namespace smbsign::verify
