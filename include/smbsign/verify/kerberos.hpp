// A Kerberos logon's keys, from the service's long-term keys (keytab, credentials lines):
// the ticket (key usage 2) gives the ticket session key, the authenticator (11) the
// initiator's subkey, the AP-REP's encrypted part (12) the acceptor's subkey (RFC 4120
// 5.5, 7.5.1). The GSS key that SMB signs with is the acceptor subkey, else the initiator
// subkey, else the ticket session key (MS-KILE 3.1.1.2). One decryption per message part,
// at most kMaxKeyTries long-term keys tried per ticket: a logon costs a few decrypts, its
// messages none.
#pragma once

#include "smbsign/krb/crypto.hpp"
#include "smbsign/krb/kdc.hpp"
#include "smbsign/krb/kerberos.hpp"
#include "smbsign/verify/secrets.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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

    // The AP-REQ whose ticket's session key the KDC exchanges gave (KdcPasswordPath): the
    // key is proven when it opens the authenticator (usage 11), which carries its checksum.
    void ap_req_with_key(const krb::ApReq &req, const krb::KeyValue &ticket_key) {
        if (state_ == State::Opened)
            return;
        auto auth = krb::decrypt(ticket_key.etype, ticket_key.view(), krb::kUsageAuthenticator,
                                 req.authenticator.cipher);
        if (!auth || !krb::is_part(auth->view(), krb::kAppAuthenticator))
            return;
        *this = KerberosLogon{};
        ticket_key_ = ticket_key;
        initiator_ = krb::authenticator_subkey(auth->view());
        state_ = State::Opened;
        from_password_ = true;
    }
    // Whether the ticket's key came from a password (ap_req_with_key), not a long-term key.
    [[nodiscard]] bool from_password() const noexcept { return from_password_; }

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
        from_password_ = other.from_password_;
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
    bool from_password_ = false;
    std::optional<krb::KeyValue> ticket_key_;
    std::optional<krb::KeyValue> initiator_;
    std::optional<krb::KeyValue> acceptor_;
};

// A user's password carried through the KDC exchanges of the capture to the session keys of
// the service tickets they issued (RFC 4120 3.1, 3.3; RFC 6113 5.4 for FAST):
//   AS-REP enc-part (usage 3) under string-to-key(password, PA-ETYPE-INFO2 salt) -> TGT
//   session key; TGS-REQ PA-TGS-REQ authenticator (usage 7) under it -> subkey; TGS-REP
//   enc-part (usage 9 with a subkey, 8 without) -> the service ticket's session key. A
//   FAST-armoured TGS-REP (PA-FX-FAST) is opened with the armor key KRB-FX-CF2(subkey, TGT
//   session key, "subkeyarmor", "ticketarmor") (5.4.1.1), its KrbFastResponse (usage 52)
//   may give a strengthen-key, and the reply key is then KRB-FX-CF2(strengthen-key, reply
//   key, "strengthenkey", "replykey") (5.4.3). A FAST-armoured AS exchange is opened the same
//   way when its armor ticket is a TGT opened earlier in the capture (the armor AP-REQ's
//   authenticator, usage 11, gives the subkey); armoured by a ticket from outside the
//   capture (a machine's TGT got at boot) it is not, and says nothing about the password.
//   Each table is bounded; at a limit the oldest entry goes and `overflowed()` says so.
//   Every decrypt checks its own integrity, so a key that opens a part is proven and a
//   wrong password is known.
class KdcPasswordPath {
public:
    static constexpr std::size_t kMaxEntries = 64; // TGTs, pending TGS-REQs, armor keys,
                                                   // service tickets, the users' keys
    static constexpr std::size_t kMaxPasswordTries = 16;
    static constexpr std::size_t kMaxFingerprints = 256; // tickets issued, refused TGTs
    // The string-to-key work a capture may cost, in AES-SHA1 default derivations (4096
    // PBKDF2 iterations, a few milliseconds): a user's key is derived once per password,
    // enctype and salt, and AS-REPs with ever new salts or high iteration counts stop here.
    static constexpr std::size_t kDerivationBudget = 512;

    struct Counts {
        std::size_t as_opened = 0, as_wrong = 0, as_no_password = 0;
        std::size_t as_armour_unopened = 0; // FAST AS-REPs whose armor key is not known
        std::size_t tgs_opened = 0, tgs_unopened = 0;
        std::size_t keys_derived = 0; // string-to-key runs (the cache's misses)
    };

    // `passwords`: the same list on every call (the Verifier's); keys derived from them are
    // remembered by their place in it.
    void message(const krb::KdcMessage &m, const std::vector<KerberosPassword> &passwords) {
        if (m.type == krb::kAppAsReq)
            as_req(m);
        else if (m.type == krb::kAppAsRep)
            as_rep(m, passwords);
        else if (m.type == krb::kAppTgsReq)
            tgs_req(m);
        else if (m.type == krb::kAppTgsRep)
            tgs_rep(m);
        else if (m.type == krb::kAppKrbError)
            krb_error(m);
    }

    // The session key of the service ticket whose enc-part is `ticket_cipher`, or nullptr.
    [[nodiscard]] const krb::KeyValue *service_key(Bytes ticket_cipher) const noexcept {
        for (const Entry &e : tickets_)
            if (same(e.cipher, ticket_cipher))
                return &e.key;
        return nullptr;
    }
    // Whether the passwords given are known not to reach the key of the ticket whose
    // enc-part is `ticket_cipher`: so far in the capture, it was issued (by a TGS-REP or an
    // AS-REP), every AS-REP a password was tried on refused it and none opened, and every
    // TGS-REQ asked with a TGT of such a refused AS-REP. A ticket from outside the capture, or a
    // capture whose TGS-REQs also use other TGTs (another user's, got before the capture),
    // leaves it unknown: the ticket may be of a user whose password was never tried.
    [[nodiscard]] bool refused(Bytes ticket_cipher) const noexcept {
        if (counts_.as_opened != 0 || counts_.as_wrong == 0 || other_tgt_)
            return false;
        const std::uint64_t f = fingerprint(ticket_cipher);
        return std::find(issued_.begin(), issued_.end(), f) != issued_.end();
    }
    // Whether a bounded table dropped an entry or the derivation budget ran out: some
    // logon may have no key for that reason alone.
    [[nodiscard]] bool overflowed() const noexcept { return overflowed_; }
    [[nodiscard]] const Counts &counts() const noexcept { return counts_; }
    // Whether any AS-REP was opened: without it no ticket can be.
    [[nodiscard]] bool saw_kdc() const noexcept { return saw_kdc_; }

    KdcPasswordPath() = default;
    KdcPasswordPath(const KdcPasswordPath &) = delete;
    KdcPasswordPath &operator=(const KdcPasswordPath &) = delete;
    ~KdcPasswordPath() {
        wipe_all(tgts_);
        wipe_all(tickets_);
        wipe_all(derived_);
        wipe_all(armors_);
        wipe_all(pending_);
    }

private:
    struct Entry {
        std::vector<std::uint8_t> cipher; // the ticket's enc-part (not secret)
        krb::KeyValue key;
    };
    struct Derived { // string-to-key's result (size 0: the library refused)
        std::int32_t etype = 0;
        std::size_t password = 0; // its index in the passwords given
        std::string salt;
        std::vector<std::uint8_t> params;
        krb::KeyValue key;
    };
    struct Pending { // a TGS-REQ whose authenticator opened
        krb::KeyValue tgt;
        krb::KeyValue subkey; // size 0: none
    };
    // A KRB-ERROR's PA-ETYPE-INFO2 entry (KDC_ERR_PREAUTH_REQUIRED, RFC 4120 5.2.7.5): the salt
    // and params the client then derives its key with; the AS-REP need not repeat them.
    struct SaltHint {
        std::string client; // empty: the error named no client
        std::string realm;
        std::int32_t etype = 0;
        std::optional<std::string> salt;
        std::vector<std::uint8_t> params;
    };

    static bool same(const std::vector<std::uint8_t> &a, Bytes b) noexcept {
        return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
    }
    static bool same_key(const krb::KeyValue &a, const krb::KeyValue &b) noexcept {
        return a.etype == b.etype && a.size == b.size &&
               std::equal(a.bytes.begin(), a.bytes.begin() + a.size, b.bytes.begin());
    }
    static void wipe(krb::KeyValue &k) noexcept {
        volatile std::uint8_t *p = k.bytes.data();
        for (std::size_t i = 0; i < k.bytes.size(); ++i)
            p[i] = 0;
        k.size = 0;
    }
    static void wipe(Entry &e) noexcept { wipe(e.key); }
    static void wipe(Derived &d) noexcept { wipe(d.key); }
    static void wipe(Pending &p) noexcept {
        wipe(p.tgt);
        wipe(p.subkey);
    }
    template <typename T> static void wipe_all(std::vector<T> &v) noexcept {
        for (T &e : v)
            wipe(e);
    }
    static std::optional<krb::KeyValue> to_key(std::int32_t etype, Bytes b) noexcept {
        if (b.empty() || b.size() > krb::kMaxKeySize)
            return std::nullopt;
        krb::KeyValue k;
        k.etype = etype;
        k.size = static_cast<std::uint8_t>(b.size());
        std::copy(b.begin(), b.end(), k.bytes.begin());
        return k;
    }
    // FNV-1a 64 of a ticket's enc-part: what tells tickets apart where no key is kept.
    static std::uint64_t fingerprint(Bytes cipher) noexcept { return fnv1a64(cipher); }
    // Keeps the last kMaxFingerprints: an older ticket forgotten is only not known refused.
    static void remember(std::vector<std::uint64_t> &v, std::uint64_t f) {
        if (v.size() >= kMaxFingerprints)
            v.erase(v.begin());
        v.push_back(f);
    }
    // Appends to a bounded table; at the limit the oldest entry is wiped and goes, and
    // `overflowed()` says so when a logon may lose its key for it (not for a user's key,
    // which is derived again when needed).
    template <typename T> T &push(std::vector<T> &v, T e, bool may_lose_a_key = true) {
        if (v.size() >= kMaxEntries) {
            overflowed_ = overflowed_ || may_lose_a_key;
            wipe(v.front());
            v.erase(v.begin());
        }
        v.push_back(std::move(e));
        wipe(e); // the moved-from copy keeps the key's bytes
        return v.back();
    }

    // A password given for this client: no user, or the same user in no domain, the realm,
    // or the realm's first label (the NetBIOS domain name of an AD realm).
    static bool for_client(const KerberosPassword &p, const krb::KdcMessage &m) noexcept {
        if (p.user.empty())
            return true;
        if (!iequal(p.user, m.client))
            return false;
        const std::string_view realm = m.realm;
        return p.domain.empty() || iequal(p.domain, realm) ||
               iequal(p.domain, realm.substr(0, realm.find('.')));
    }
    // RFC 4120 4: the default salt, the realm followed by the name components.
    static std::string default_salt(const krb::KdcMessage &m) {
        std::string salt = m.realm;
        for (char c : m.client)
            if (c != '/')
                salt += c;
        return salt;
    }
    static const krb::EtypeInfo *entry_for(const std::vector<krb::EtypeInfo> &info,
                                           std::int32_t etype) noexcept {
        for (const krb::EtypeInfo &e : info)
            if (e.etype == etype)
                return &e;
        return nullptr;
    }
    // The salt and s2kparams of an AS-REP's enctype: its own PA-ETYPE-INFO2 entry (`info`:
    // inside the armour for FAST), else that of the newest KRB-ERROR that asked the same
    // client in the realm for pre-authentication, else the default salt and params.
    struct Salt {
        std::string salt;
        Bytes params; // points into the message or into hints_
    };
    Salt salt_of(const krb::KdcMessage &m, const std::vector<krb::EtypeInfo> &info,
                 std::int32_t etype) const {
        if (const krb::EtypeInfo *e = entry_for(info, etype))
            return {e->salt ? std::string(e->salt->begin(), e->salt->end()) : default_salt(m),
                    e->s2kparams};
        for (auto it = hints_.rbegin(); it != hints_.rend(); ++it)
            if (it->etype == etype && iequal(it->realm, m.realm) &&
                (it->client.empty() || iequal(it->client, m.client)))
                return {it->salt.value_or(default_salt(m)), it->params};
        return {default_salt(m), {}};
    }

    // The PA-ETYPE-INFO2 of a KRB-ERROR (the KDC asking for pre-authentication), kept for the
    // AS-REP that follows: the newest entry per client, realm and enctype.
    void krb_error(const krb::KdcMessage &m) {
        for (const krb::EtypeInfo &e : m.etype_info) {
            std::erase_if(hints_, [&](const SaltHint &h) {
                return h.etype == e.etype && h.realm == m.realm && h.client == m.client;
            });
            if (hints_.size() >= kMaxEntries)
                hints_.erase(hints_.begin()); // a logon without it falls back to the default
            SaltHint h{
                m.client, m.realm, e.etype, std::nullopt, {e.s2kparams.begin(), e.s2kparams.end()}};
            if (e.salt)
                h.salt.emplace(e.salt->begin(), e.salt->end());
            hints_.push_back(std::move(h));
        }
    }

    // RFC 6113 5.4.1.1: a FAST-armoured AS-REQ's armor is an AP-REQ whose ticket is a TGT;
    // when that TGT came from an AS-REP opened here, its authenticator (usage 11) gives the
    // subkey, and the armor key is KRB-FX-CF2(subkey, TGT key, "subkeyarmor", "ticketarmor").
    void as_req(const krb::KdcMessage &m) {
        if (!m.fast_armor)
            return;
        for (const Entry &t : tgts_) {
            if (!same(t.cipher, m.fast_armor->ticket.cipher))
                continue;
            const auto auth = krb::decrypt(t.key.etype, t.key.view(), krb::kUsageAuthenticator,
                                           m.fast_armor->authenticator.cipher);
            const auto sub = auth && krb::is_part(auth->view(), krb::kAppAuthenticator)
                                 ? krb::authenticator_subkey(auth->view())
                                 : std::nullopt;
            const auto armor = sub ? armor_key(*sub, t.key) : std::nullopt;
            if (armor && std::none_of(armors_.begin(), armors_.end(),
                                      [&](const krb::KeyValue &k) { return same_key(k, *armor); }))
                push(armors_, *armor); // a request sent again (a replay) adds no decrypt
            return;
        }
    }

    // RFC 4120 3.1.5, 7.5.1 usage 3: the AS-REP's enc-part under the user's key, derived with
    // the salt and params of its PA-ETYPE-INFO2. A FAST-armoured AS-REP is opened with an
    // armor key of the capture (usage 52): its KrbFastResponse holds the PA-ETYPE-INFO2 and
    // the strengthen-key, and the reply key is KRB-FX-CF2(strengthen-key, user's key,
    // "strengthenkey", "replykey") (RFC 6113 5.4.3). An armoured reply with no known armor key
    // says nothing about the password.
    void as_rep(const krb::KdcMessage &m, const std::vector<KerberosPassword> &passwords) {
        const std::uint64_t ticket = fingerprint(m.ticket.cipher);
        remember(issued_, ticket);
        std::optional<krb::SecretBytes> fast_plain; // `fast`'s salts point into it
        std::optional<krb::FastResponse> fast;
        if (m.fast_rep) {
            fast_plain = open_fast_rep(*m.fast_rep);
            fast = fast_plain ? krb::fast_response(fast_plain->view()) : std::nullopt;
            if (!fast) {
                ++counts_.as_armour_unopened;
                return;
            }
        }
        const std::int32_t etype = m.enc_part.etype;
        const Salt salt = salt_of(m, fast ? fast->etype_info : m.etype_info, etype);
        std::size_t tries = 0;
        for (std::size_t i = 0; i < passwords.size(); ++i) {
            if (!for_client(passwords[i], m) || tries >= kMaxPasswordTries)
                continue;
            ++tries;
            const krb::KeyValue *key =
                user_key(etype, i, passwords[i].password, salt.salt, salt.params);
            if (key == nullptr)
                continue;
            const auto reply = fast && fast->strengthen ? strengthened(*fast->strengthen, *key)
                                                        : std::optional<krb::KeyValue>(*key);
            const auto plain =
                reply ? krb::decrypt(etype, reply->view(), krb::kUsageAsRep, m.enc_part.cipher)
                      : std::nullopt;
            const auto tgt = plain ? krb::kdc_rep_session_key(plain->view()) : std::nullopt;
            if (!tgt)
                continue;
            saw_kdc_ = true;
            ++counts_.as_opened;
            push(tgts_, Entry{{m.ticket.cipher.begin(), m.ticket.cipher.end()}, *tgt});
            return;
        }
        if (tries == 0) {
            ++counts_.as_no_password;
            return;
        }
        ++counts_.as_wrong;
        remember(refused_tgts_, ticket);
    }

    // An armoured reply's KrbFastResponse, decrypted with the newest armor key that opens
    // it; that key and the older ones (requests answered by a KRB-ERROR, or lost) are dropped.
    std::optional<krb::SecretBytes> open_fast_rep(const krb::EncryptedData &rep) {
        for (auto it = armors_.rbegin(); it != armors_.rend(); ++it) {
            auto plain = krb::decrypt(it->etype, it->view(), krb::kUsageFastRep, rep.cipher);
            if (!plain)
                continue;
            const auto used = std::next(it).base();
            for (auto k = armors_.begin(); k != std::next(used); ++k)
                wipe(*k);
            armors_.erase(armors_.begin(), std::next(used));
            return plain;
        }
        return std::nullopt;
    }

    // The user's long-term key for the `index`th password, enctype, salt and params: derived
    // on the first AS-REP that needs it, within the budget, and kept for the next logons.
    // Params the library is not asked to run (refused iteration counts) cost one unit.
    const krb::KeyValue *user_key(std::int32_t etype, std::size_t index,
                                  const std::string &password, const std::string &salt,
                                  Bytes params) {
        for (const Derived &d : derived_)
            if (d.etype == etype && d.password == index && d.salt == salt && same(d.params, params))
                return d.key.size != 0 ? &d.key : nullptr;
        const auto iterations = krb::s2k_iterations(etype, params);
        const bool runs = iterations && *iterations <= krb::kMaxS2kIterations;
        const std::size_t cost =
            runs ? std::max<std::size_t>(1, *iterations / krb::kAesSha1Iterations) : 1;
        if (cost > budget_) {
            budget_ = 0;
            overflowed_ = true;
            return nullptr;
        }
        budget_ -= cost;
        ++counts_.keys_derived;
        Derived d{etype, index, salt, {params.begin(), params.end()}, {}};
        if (const auto k = krb::string_to_key(etype, password, salt, params))
            if (const auto v = to_key(etype, k->view()))
                d.key = *v;
        const Derived &kept = push(derived_, std::move(d), false);
        wipe(d);
        return kept.key.size != 0 ? &kept.key : nullptr;
    }

    // RFC 4120 5.5.1, 7.5.1 usage 7: the PA-TGS-REQ authenticator under the TGT session key.
    void tgs_req(const krb::KdcMessage &m) {
        if (!m.tgs_ap_req)
            return;
        const std::uint64_t tgt = fingerprint(m.tgs_ap_req->ticket.cipher);
        if (std::find(refused_tgts_.begin(), refused_tgts_.end(), tgt) == refused_tgts_.end())
            other_tgt_ = true;
        for (const Entry &t : tgts_) {
            if (!same(t.cipher, m.tgs_ap_req->ticket.cipher))
                continue;
            const auto auth =
                krb::decrypt(t.key.etype, t.key.view(), krb::kUsageTgsReqAuthenticator,
                             m.tgs_ap_req->authenticator.cipher);
            if (!auth || !krb::is_part(auth->view(), krb::kAppAuthenticator))
                return;
            Pending p{t.key, {}};
            if (const auto sub = krb::authenticator_subkey(auth->view()))
                p.subkey = *sub;
            push(pending_, p);
            return;
        }
    }

    void tgs_rep(const krb::KdcMessage &m) {
        remember(issued_, fingerprint(m.ticket.cipher));
        for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
            if (const auto key = open_tgs_rep(m, *it)) {
                ++counts_.tgs_opened;
                push(tickets_, Entry{{m.ticket.cipher.begin(), m.ticket.cipher.end()}, *key});
                wipe(*it);
                pending_.erase(std::next(it).base());
                return;
            }
        }
        ++counts_.tgs_unopened;
    }

    // RFC 6113 5.4.1.1: the armor key of an AP-REQ armor (a TGS-REQ's PA-TGS-REQ, an AS-REQ's
    // KrbFastArmor) from its authenticator's subkey and its ticket's session key.
    static std::optional<krb::KeyValue> armor_key(const krb::KeyValue &subkey,
                                                  const krb::KeyValue &ticket_key) {
        const auto cf2 = krb::fx_cf2(subkey, "subkeyarmor", ticket_key, "ticketarmor");
        return cf2 ? to_key(subkey.etype, cf2->view()) : std::nullopt;
    }
    // RFC 6113 5.4.3: the reply key replaced by KRB-FX-CF2(strengthen-key, reply key).
    static std::optional<krb::KeyValue> strengthened(const krb::KeyValue &strengthen,
                                                     const krb::KeyValue &reply) {
        const auto cf2 = krb::fx_cf2(strengthen, "strengthenkey", reply, "replykey");
        return cf2 ? to_key(strengthen.etype, cf2->view()) : std::nullopt;
    }

    // The reply key of a FAST TGS-REP, strengthened if the KrbFastResponse says so; nothing
    // when the armoured reply does not open.
    static std::optional<krb::KeyValue> fast_reply_key(const krb::KdcMessage &m, const Pending &p,
                                                       const krb::KeyValue &reply) {
        if (!m.fast_rep || p.subkey.size == 0)
            return std::nullopt;
        const auto armor = armor_key(p.subkey, p.tgt);
        const auto plain = armor ? krb::decrypt(armor->etype, armor->view(), krb::kUsageFastRep,
                                                m.fast_rep->cipher)
                                 : std::nullopt;
        const auto response = plain ? krb::fast_response(plain->view()) : std::nullopt;
        if (!response)
            return std::nullopt;
        return response->strengthen ? strengthened(*response->strengthen, reply) : reply;
    }

    static std::optional<krb::KeyValue> open_tgs_rep(const krb::KdcMessage &m, const Pending &p) {
        const bool sub = p.subkey.size != 0;
        krb::KeyValue reply = sub ? p.subkey : p.tgt;
        if (m.fast_rep) {
            const auto k = fast_reply_key(m, p, reply);
            if (!k)
                return std::nullopt;
            reply = *k;
        }
        const std::int32_t usage = sub ? krb::kUsageTgsRepSubkey : krb::kUsageTgsRepSessionKey;
        const auto plain = krb::decrypt(reply.etype, reply.view(), usage, m.enc_part.cipher);
        return plain ? krb::kdc_rep_session_key(plain->view()) : std::nullopt;
    }

    std::vector<Entry> tgts_;
    std::vector<Pending> pending_;
    std::vector<krb::KeyValue> armors_;       // the armor keys of FAST AS-REQs
    std::vector<SaltHint> hints_;             // the salts of KRB-ERRORs
    std::vector<std::uint64_t> issued_;       // fingerprints of the tickets KDC replies issued
    std::vector<std::uint64_t> refused_tgts_; // ... of the tickets of refused AS-REPs
    bool other_tgt_ = false;                  // a TGS-REQ asked with a TGT of no refused AS-REP
    std::vector<Entry> tickets_;
    std::vector<Derived> derived_;
    std::size_t budget_ = kDerivationBudget;
    Counts counts_;
    bool overflowed_ = false;
    bool saw_kdc_ = false;
};

} // namespace smbsign::verify
