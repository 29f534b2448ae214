// The verifier: fed by the tracker (result.hpp's Hook) with every SMB message of the first
// pass, already parsed, and the tracker's connection and session indices. It keeps what
// signature checks need and nothing the tracker already knows:
//   - per connection: the SMB 3.1.1 NEGOTIATE hash and the SMB1 signing state (sequence
//     numbers; smb1_signing.hpp);
//   - per session: the NTLMSSP CHALLENGE and the session key AUTHENTICATE proves from the
//     analyst's secrets (or the session-key table gives), the SMB2 signing state
//     (smb2_signing.hpp), counts and where the key came from.
// Both tables are dense, indexed by the tracker's indices: the tracker alone decides which
// connection and session a message belongs to. Per invalid message it keeps the signature
// the key gives (bounded). No message bytes are kept.
#pragma once

#include "smbsign/krb/kerberos.hpp"
#include "smbsign/ntlmssp.hpp"
#include "smbsign/verify/kerberos.hpp"
#include "smbsign/verify/ntlm.hpp"
#include "smbsign/verify/result.hpp"
#include "smbsign/verify/secrets.hpp"
#include "smbsign/verify/sign.hpp"
#include "smbsign/verify/smb1_signing.hpp"
#include "smbsign/verify/smb2_encryption.hpp"
#include "smbsign/verify/smb2_signing.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

namespace smbsign::verify {

// The signature a key gives for an invalid message (8 bytes for SMB1, 16 for SMB2).
struct Expected {
    std::uint32_t frame = 0;
    std::uint32_t session = 0;
    std::uint8_t size = 0;
    std::array<std::uint8_t, 16> signature{};
};

class Verifier final : public Hook {
public:
    static constexpr std::size_t kMaxExpected = 4096;

    explicit Verifier(Secrets secrets) : secrets_(std::move(secrets)) {}

    Code smb2(const MessageContext &ctx, const Smb2Message &m) noexcept override {
        try {
            return smb2_message(ctx, m);
        } catch (...) { // out of memory: this message stays unchecked
            return encode(Status::None);
        }
    }
    Code smb1(const MessageContext &ctx, const Smb1Message &m) noexcept override {
        try {
            return smb1_message(ctx, m);
        } catch (...) {
            return encode(Status::None);
        }
    }

    Code transform(const MessageContext &ctx, const TransformMessage &m,
                   std::span<std::uint8_t> plain) noexcept override {
        try {
            return transform_message(ctx, m, plain);
        } catch (...) {
            return encode(Status::None);
        }
    }

    // One KDC message (port 88: a UDP datagram, or a TCP record without its 4-byte mark),
    // in capture order: with the passwords given, the AS and TGS exchanges give the session
    // keys of the service tickets the SMB AP-REQs carry (KdcPasswordPath). Returns the parse
    // result (a malformed message is the caller's anomaly; it changes nothing here).
    ParseError kdc(Bytes message) noexcept {
        try {
            krb::KdcMessage m;
            const ParseError e = krb::parse_kdc_message(message, m);
            if (e == ParseError::None && !secrets_.passwords.empty())
                kdc_.message(m, secrets_.passwords);
            return e;
        } catch (...) { // out of memory: this message is lost to the password path
            return ParseError::None;
        }
    }
    [[nodiscard]] const KdcPasswordPath &kdc_path() const noexcept { return kdc_; }

    Code compressed(const MessageContext &ctx) noexcept override {
        try {
            if (secrets_.empty())
                return encode(Status::None);
            return unverifiable(session(ctx.session), Reason::Compressed);
        } catch (...) {
            return encode(Status::None);
        }
    }

    [[nodiscard]] SessionSummary summary(std::uint32_t session) const noexcept override {
        return session < sessions_.size() ? sessions_[session].sum : SessionSummary{};
    }

    // The signature the key gives, for a message found invalid.
    [[nodiscard]] const Expected *expected(std::uint32_t frame,
                                           std::uint32_t session) const noexcept {
        auto it = std::lower_bound(expected_.begin(), expected_.end(), frame,
                                   [](const Expected &e, std::uint32_t f) { return e.frame < f; });
        for (; it != expected_.end() && it->frame == frame; ++it)
            if (it->session == session)
                return &*it;
        return nullptr;
    }

    void clear() noexcept override {
        sessions_.clear();
        conns_.clear();
        expected_.clear();
    }

private:
    struct Session {
        SessionSummary sum;
        std::optional<NtlmChallenge> challenge;
        bool unsupported = false; // authentication that gives no key (NTLM v1, Kerberos)
        bool have_key = false;
        bool key_failed = false; // an unproven key gave an invalid first signature
        SessionKey session_key;  // 16 or 32 bytes (session_key.hpp)
        Smb2SigningState smb2;
        Smb2EncryptionState encryption; // smb2_encryption.hpp
        KerberosLogon krb;              // a Kerberos logon's keys (verify/kerberos.hpp)
    };
    struct Connection {
        Smb2NegotiateHash negotiate;
        Smb1SigningState smb1; // SMB1 signs per connection, with one session's key
    };

    // The entry of a tracker index, made when first needed. The tracker's indices are
    // dense and bounded by its limits, so the tables are too.
    template <typename T> static T &entry(std::deque<T> &table, std::uint32_t index) {
        while (table.size() <= index)
            table.emplace_back();
        return table[index];
    }
    Session &session(std::uint32_t index) { return entry(sessions_, index); }
    Connection &connection(std::uint32_t index) { return entry(conns_, index); }

    // --- keys ---------------------------------------------------------------------------

    static bool same_name(Bytes wire, bool unicode, std::string_view utf8) {
        auto want = detail::utf8_to_utf16le(utf8);
        if (!want)
            return false;
        std::vector<std::uint8_t> got;
        detail::append_name(got, wire, unicode, true);
        std::vector<std::uint8_t> w;
        detail::append_name(w, *want, true, true);
        return got == w;
    }

    // AUTHENTICATE in a SESSION_SETUP request's blob: the session key from the first secret
    // whose proof matches; wrong when secrets for the user (or for any user) were all refuted.
    void authenticate(Session &s, Bytes blob) {
        auto au = find_ntlmssp(blob, ntlm::kMessageAuthenticate);
        if (!au)
            return;
        NtlmAuthenticate auth;
        if (parse_ntlm_authenticate(*au, auth) != ParseError::None || !s.challenge)
            return;
        if (auth.nt_response.size() < ntlm::kMinNtlmv2ResponseSize) {
            s.unsupported = true; // NTLM v1, LM or anonymous
            return;
        }
        const bool unicode = (auth.flags & ntlm::kFlagUnicode) != 0;
        bool tried = false;
        for (int pass = 0; pass < 2; ++pass) { // secrets naming the user first
            for (const Credential &c : secrets_.credentials) {
                if ((pass == 0) == c.user.empty())
                    continue;
                if (!c.user.empty() && (!same_name(auth.user, unicode, c.user) ||
                                        (!c.domain.empty() && c.domain != "." &&
                                         !same_name(auth.domain, unicode, c.domain))))
                    continue;
                tried = true;
                auto k = ntlmv2_session_key(c.nt_hash, *s.challenge, auth);
                if (k.status == NtlmProof::Proven) {
                    s.session_key = SessionKey(k.session_key);
                    s.have_key = true;
                    s.sum.key_source = c.source;
                    s.sum.key_state = KeyState::Proven;
                    return;
                }
                if (k.status == NtlmProof::Refuted) {
                    s.sum.key_state = KeyState::Wrong;
                    s.sum.key_source = c.source;
                }
            }
        }
        if (!tried)
            s.sum.key_state = KeyState::Unknown;
    }

    // A SESSION_SETUP blob's Kerberos, read once per message: the AP-REQ of a request opens
    // the ticket with the long-term keys given, the AP-REP of a response gives the acceptor
    // subkey. The session takes the GSS key as soon as there is one (MS-KILE 3.1.1.2), so
    // the final response, signed with it, is checked in the same pass. True when the blob
    // held Kerberos.
    bool kerberos(Session &s, Bytes blob) {
        const krb::Token token = krb::find_kerberos(blob);
        if (token.ap_req && !s.have_key) {
            s.krb.ap_req(*token.ap_req, secrets_.kerberos_keys);
            if (s.krb.state() != KerberosLogon::State::Opened)
                if (const krb::KeyValue *k = kdc_.service_key(token.ap_req->ticket.cipher))
                    s.krb.ap_req_with_key(*token.ap_req, *k);
        }
        if (token.ap_rep)
            s.krb.ap_rep(*token.ap_rep);
        if (!token.ap_req && !token.ap_rep)
            return false;
        if (s.krb.state() == KerberosLogon::State::Wrong && !s.have_key) {
            s.sum.key_source = KeySource::Keytab;
            s.sum.key_state = KeyState::Wrong;
        }
        // The ticket was issued in the capture to a user whose AS-REPs refused every password
        // given (their integrity check failed): the password is known to be wrong, and the
        // session has no key.
        if (token.ap_req && !s.have_key && s.krb.state() != KerberosLogon::State::Opened &&
            s.krb.state() != KerberosLogon::State::Wrong &&
            kdc_.refused(token.ap_req->ticket.cipher)) {
            s.sum.key_source = KeySource::KerberosPassword;
            s.sum.key_state = KeyState::Wrong;
        }
        if (s.krb.state() == KerberosLogon::State::ApRepUnreadable &&
            (s.sum.key_source == KeySource::Keytab ||
             s.sum.key_source == KeySource::KerberosPassword)) { // not the key that signs
            s.session_key.wipe();
            s.have_key = false;
            s.unsupported = true; // "Kerberos without a session key"
            s.sum.key_state = KeyState::Unknown;
        }
        const krb::KeyValue *k = s.krb.gss_key();
        if (auto key = k != nullptr ? SessionKey::from_gss(k->view()) : std::nullopt) {
            s.session_key = *key; // the whole GSS key (session_key.hpp says who takes what)
            s.have_key = true;
            s.sum.key_source =
                s.krb.from_password() ? KeySource::KerberosPassword : KeySource::Keytab;
            s.sum.key_state = KeyState::Proven; // the ticket's own checksum proved the key
        }
        return true;
    }

    // CHALLENGE in a SESSION_SETUP response's blob: the server challenge of the proof.
    static void take_challenge(Session &s, Bytes blob) noexcept {
        if (auto ch = find_ntlmssp(blob, ntlm::kMessageChallenge)) {
            NtlmChallenge c;
            if (parse_ntlm_challenge(*ch, c) == ParseError::None)
                s.challenge = c;
        }
    }
    static Bytes blob_of(const SetupRecord *setup) noexcept {
        return setup != nullptr ? setup->security_blob : Bytes{};
    }

    // Why a session has no signer.
    Reason no_key_reason(const Session &s) const noexcept {
        if (s.smb2.bound())
            return Reason::BoundChannel;
        if (s.sum.key_state == KeyState::Wrong || s.key_failed)
            return Reason::KeyWrong;
        if (!s.unsupported)
            return Reason::NoKey;
        if (s.krb.state() != KerberosLogon::State::NoKey)
            return Reason::Unsupported;
        return kdc_.counts().as_armour_unopened > 0 ? Reason::KerberosArmour
                                                    : Reason::KerberosNoKey;
    }

    // The session key from the session-key table, when authentication gave none.
    void take_table_key(Session &s, std::uint64_t session_id) noexcept {
        if (s.have_key)
            return;
        if (const SessionKey *k = secrets_.session_key(session_id)) {
            s.session_key = *k;
            s.have_key = true;
            s.sum.key_source = KeySource::SessionKey;
            s.sum.key_state = KeyState::Unknown; // proven by the first valid check
        }
    }

    // The session's SMB2 signer, made when first needed; nothing with the reason.
    Reason smb2_signer(const MessageContext &ctx, Session &s, std::uint64_t session_id) {
        if (s.smb2.signer() != nullptr)
            return Reason::None;
        if (s.smb2.bound() || s.key_failed)
            return no_key_reason(s);
        take_table_key(s, session_id);
        if (!s.have_key)
            return no_key_reason(s);
        // MS-SMB2 3.2.5.3.1: SMB2/3 signing keys come from the first 16 bytes.
        return s.smb2.make_signer(ctx.dialect, ctx.algorithm, s.session_key.first16(),
                                  ctx.mid_capture);
    }

    // Counts a check for session s. key_proven: the key was proven before this check (NTLMv2
    // proof, or an earlier valid signature); an unproven key that fails is the wrong key.
    template <std::size_t N>
    Code record(const MessageContext &ctx, Session &s, bool key_proven,
                const SignatureCheck<N> &check) {
        switch (check.status) {
        case MacMatch::Match:
            s.sum.valid++;
            if (s.sum.key_state == KeyState::Unknown)
                s.sum.key_state = KeyState::Proven; // a valid signature proves the key
            return encode(Status::Valid);
        case MacMatch::Mismatch:
            if (!key_proven) {
                // A key nothing has proven yet (session-key table) fails its first test:
                // the key is wrong, not the message.
                s.key_failed = true;
                s.smb2.drop_signer();
                s.sum.key_state = KeyState::Wrong;
                s.sum.unverifiable++;
                return encode(Status::Unverifiable, Reason::KeyWrong);
            }
            s.sum.invalid++;
            if (expected_.size() < kMaxExpected) {
                Expected e{ctx.frame, ctx.session, static_cast<std::uint8_t>(N), {}};
                std::copy(check.expected.begin(), check.expected.end(), e.signature.begin());
                expected_.push_back(e);
            }
            return encode(Status::Invalid);
        case MacMatch::Unusable:
            break;
        }
        s.sum.unverifiable++;
        return encode(Status::Unverifiable, Reason::Truncated);
    }

    Code unverifiable(Session &s, Reason r) {
        s.sum.unverifiable++;
        return encode(Status::Unverifiable, r);
    }

    // --- SMB2 ---------------------------------------------------------------------------

    Code smb2_message(const MessageContext &ctx, const Smb2Message &m) {
        const smb2::Header &h = m.header;
        if (secrets_.empty())
            return encode(Status::None);
        if (h.command == smb2::kCmdNegotiate) { // never signed; feeds the preauth hash
            Smb2NegotiateHash &n = connection(ctx.conn).negotiate;
            if (!h.is_response())
                n.request(m.bytes);
            else if (h.status == smb2::kStatusSuccess)
                n.response(m.bytes);
            return encode(Status::None);
        }
        if (!h.is_signed() && h.command != smb2::kCmdSessionSetup)
            return encode(Status::None);
        // Never signed (MS-SMB2 3.2.5.1.3, 3.3.4.1.1): interim responses, oplock breaks.
        if (h.is_interim() || h.message_id == ~std::uint64_t{0})
            return encode(Status::None);
        Session &s = session(ctx.session);
        if (h.command == smb2::kCmdSessionSetup)
            smb2_session_setup(ctx, s, m);
        if (!h.is_signed())
            return encode(Status::None);
        if (ctx.truncated)
            return unverifiable(s, Reason::Truncated);
        if (const Reason r = smb2_signer(ctx, s, h.session_id); r != Reason::None)
            return unverifiable(s, r);
        return record(ctx, s, s.sum.key_state == KeyState::Proven,
                      s.smb2.signer()->verify(m.bytes));
    }

    void smb2_session_setup(const MessageContext &ctx, Session &s, const Smb2Message &m) {
        const smb2::Header &h = m.header;
        const bool is_311 = ctx.dialect == Dialect::Smb311;
        if (!h.is_response()) {
            // A new session's first request has SessionId 0 (MS-SMB2 3.2.4.2.3).
            const bool binding = m.setup != nullptr && m.setup->binding;
            s.smb2.setup_request(connection(ctx.conn).negotiate, h.session_id == 0, binding, is_311,
                                 m.bytes);
            if (!kerberos(s, blob_of(m.setup)) && !s.have_key)
                authenticate(s, blob_of(m.setup));
            return;
        }
        kerberos(s, blob_of(m.setup));
        if (h.status == smb2::kStatusMoreProcessingRequired) {
            s.smb2.setup_continues(is_311, m.bytes);
            take_challenge(s, blob_of(m.setup));
            return;
        }
        if (h.status == smb2::kStatusSuccess) {
            s.smb2.setup_succeeded();
            if (!s.have_key && !s.challenge)
                s.unsupported = true; // no NTLMSSP: Kerberos, whose key only the table gives
        }
    }

    // --- SMB3 encryption ---------------------------------------------------------------

    // The session's decryptors, made when first needed: from the direction keys the
    // analyst gave, else derived from the session key (MS-SMB2 3.2.5.3.1, 3.3.5.5.3).
    Reason decryptors(const MessageContext &ctx, Session &s, std::uint64_t session_id) {
        if (s.encryption.ready())
            return Reason::None;
        if (s.encryption.failed())
            return Reason::KeyWrong;
        if (s.smb2.bound() || s.key_failed)
            return no_key_reason(s);
        const smb2::Cipher cipher = session_cipher(ctx.dialect, ctx.cipher);
        if (!is_known_cipher(cipher))
            return ctx.mid_capture ? Reason::NoSetup : Reason::UnknownDialect;
        const SessionSecret *given = secrets_.session_secret(session_id);
        if (given != nullptr &&
            (!given->client_to_server.empty() || !given->server_to_client.empty())) {
            if (s.sum.key_source == KeySource::None)
                s.sum.key_source = KeySource::SessionKey; // proven by the first valid tag
            return s.encryption.make(cipher, {given->client_to_server, given->server_to_client},
                                     false);
        }
        take_table_key(s, session_id);
        if (!s.have_key)
            return no_key_reason(s);
        const Digest64 *preauth = s.smb2.complete_preauth_hash(ctx.mid_capture);
        if (ctx.dialect == Dialect::Smb311 && preauth == nullptr)
            return Reason::NoSetup; // 3.1.1 keys need the whole SESSION_SETUP exchange
        const auto keys = smb3_cipher_keys(ctx.dialect, cipher, s.session_key, preauth);
        if (!keys)
            return Reason::UnknownDialect;
        return s.encryption.make(cipher, *keys, s.sum.key_state == KeyState::Proven);
    }

    Code unverifiable_encrypted(Session &s, Reason r) {
        s.sum.encrypted_unverifiable++;
        return encode(Status::Unverifiable, r);
    }

    // MS-SMB2 3.3.5.2.1.1 / 3.2.5.1.1.1: the tag over the transform header's authenticated
    // part and the ciphertext, with the session's key for the message's direction.
    Code transform_message(const MessageContext &ctx, const TransformMessage &m,
                           std::span<std::uint8_t> plain) {
        const smb2::TransformHeader &t = m.header;
        if (secrets_.empty())
            return encode(Status::None);
        Session &s = session(ctx.session);
        if (ctx.truncated || t.ciphertext.size() < t.original_size)
            return unverifiable_encrypted(s, Reason::Truncated);
        if (t.ciphertext.size() != t.original_size || t.flags != smb2::transform::kFlagEncrypted)
            return unverifiable_encrypted(s, Reason::BadTransform);
        if (const Reason r = decryptors(ctx, s, t.session_id); r != Reason::None)
            return unverifiable_encrypted(s, r);
        switch (s.encryption.open(ctx.from_client, t, plain)) {
        case TagMatch::Match:
            s.sum.encrypted_valid++;
            s.encryption.prove();
            if (s.sum.key_state == KeyState::Unknown)
                s.sum.key_state = KeyState::Proven; // a valid tag proves the key
            return encode(Status::Valid);
        case TagMatch::Mismatch:
            if (!s.encryption.proven()) {
                // As for signatures: keys nothing has proven yet that fail their first
                // message are the wrong keys, not an altered message.
                s.encryption.fail();
                if (s.sum.key_state != KeyState::Proven)
                    s.sum.key_state = KeyState::Wrong;
                return unverifiable_encrypted(s, Reason::KeyWrong);
            }
            s.sum.encrypted_invalid++;
            return encode(Status::Invalid);
        case TagMatch::Unusable:
            break;
        }
        return unverifiable_encrypted(s, Reason::NoKey);
    }

    // --- SMB1 ---------------------------------------------------------------------------

    // MS-CIFS 3.2.4.1.1: the AUTHENTICATE leg starts the numbers; its signed success
    // response makes signing active. The NTLM facts as for SMB2.
    void smb1_session_setup(const MessageContext &ctx, Session &s, Smb1SigningState &signing,
                            const Smb1Message &m) {
        const smb1::Header &h = m.header;
        const Bytes blob = blob_of(m.setup);
        if (!h.is_reply()) {
            const bool krb = kerberos(s, blob);
            const bool final_leg =
                krb || find_ntlmssp(blob, ntlm::kMessageAuthenticate).has_value();
            if (!krb && !s.have_key)
                authenticate(s, blob);
            if (final_leg)
                signing.start(ctx.session);
            return;
        }
        kerberos(s, blob);
        if (h.nt_status() && h.status == smb1::kStatusMoreProcessingRequired) {
            take_challenge(s, blob);
            return;
        }
        if (!h.success())
            return;
        if (h.has_signature())
            signing.confirm();
        if (!s.have_key && !s.challenge)
            s.unsupported = true; // no NTLMSSP: Kerberos or legacy NTLM
    }

    // The message's sequence number (MS-CIFS 3.2.4.1.1, 3.3.5.2). Oplock break
    // notifications from the server take none [L]; an NT_CANCEL and a client's oplock
    // release expect no response, so take one number instead of two.
    static std::optional<std::uint32_t> smb1_sequence(Smb1SigningState &signing,
                                                      const Smb1Message &m, bool notification) {
        const smb1::Header &h = m.header;
        if (notification)
            return std::nullopt;
        if (h.is_reply())
            return signing.response(h.mid, h.pid);
        const bool no_reply = h.command == smb1::kCmdNtCancel ||
                              (m.chain.count > 0 && smb1::is_oplock_break(h, m.chain.blocks[0]));
        return signing.request(h.mid, h.pid, !no_reply);
    }

    Code smb1_message(const MessageContext &ctx, const Smb1Message &m) {
        const smb1::Header &h = m.header;
        if (secrets_.empty())
            return encode(Status::None);
        Smb1SigningState &signing = connection(ctx.conn).smb1;
        if (h.command == smb1::kCmdNegotiate) {
            signing.reset();
            return encode(Status::None);
        }
        Session &s = session(ctx.session);
        if (h.command == smb1::kCmdSessionSetupAndX)
            smb1_session_setup(ctx, s, signing, m);
        const bool notification =
            !h.is_reply() && h.command == smb1::kCmdLockingAndX && h.mid == smb1::kOplockBreakMid;
        const std::optional<std::uint32_t> sequence = smb1_sequence(signing, m, notification);
        if (!h.has_signature())
            return encode(Status::None);
        if (notification)
            return unverifiable(s, Reason::NotSignable);
        if (ctx.truncated)
            return unverifiable(s, Reason::Truncated);
        if (!signing.known())
            return unverifiable(s, s.unsupported ? Reason::Unsupported : Reason::NoSetup);
        Session &keyed = session(signing.key_session()); // a deque: `s` stays valid
        if (!keyed.have_key && !keyed.key_failed && &keyed == &s)
            smb1_given_key(s, h.uid);
        if (!keyed.have_key || keyed.key_failed)
            return unverifiable(s, no_key_reason(keyed));
        if (!sequence)
            return unverifiable(s, Reason::NoSequence);
        if (&keyed != &s && s.sum.key_source == KeySource::None) {
            s.sum.key_source = keyed.sum.key_source; // the connection's key signs for it
            s.sum.key_state = keyed.sum.key_state;
        }
        // SMB1 signs with the whole key (MS-SMB 3.1.4.1; 32 bytes with Kerberos AES-256).
        const auto check = signing.check(keyed.session_key.full(), *sequence, m.bytes,
                                         h.is_reply() ? std::nullopt : std::optional{h.mid});
        if (check.resynced)
            return unverifiable(s, Reason::NoSequence);
        // Keys from NTLMv2 or a Kerberos ticket are proven; one given by hand is proven by
        // its first valid signature.
        return record(ctx, s, keyed.sum.key_state == KeyState::Proven, check.mac);
    }

    // A key given by hand for an SMB1 session (a credentials-file `session-key:0xUID:KEY`
    // line, the UID as smbsign.session_id shows it; 16 or 32 bytes, all of it signs): for
    // Kerberos sessions whose exchange or keytab is not at hand.
    void smb1_given_key(Session &s, std::uint16_t uid) {
        const SessionKey *k = secrets_.session_key(uid);
        if (k == nullptr)
            return;
        s.session_key = *k;
        s.have_key = true;
        s.sum.key_source = KeySource::SessionKey;
        s.sum.key_state = KeyState::Unknown;
    }

    Secrets secrets_;
    KdcPasswordPath kdc_;            // the passwords' way to service tickets (verify/kerberos.hpp)
    std::deque<Session> sessions_;   // by the tracker's session index
    std::deque<Connection> conns_;   // by the tracker's connection index
    std::vector<Expected> expected_; // in frame order
};

} // namespace smbsign::verify
