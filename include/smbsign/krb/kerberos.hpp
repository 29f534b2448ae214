// The Kerberos messages inside an SMB SESSION_SETUP security blob, read with the bounded DER
// reader (der.hpp): SPNEGO (RFC 4178) around a GSS-API token (RFC 2743 3.1, RFC 4121 4.1)
// around an AP-REQ or AP-REP (RFC 4120 5.5), and the parts that decrypt to keys
// (EncTicketPart, Authenticator, EncAPRepPart). Free of cryptography: the decryption is
// krb/crypto.hpp's, which hands the plaintexts back here.
#pragma once

#include "smbsign/bytes.hpp"
#include "smbsign/krb/der.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace smbsign::krb {

// OID contents (DER, without tag and length).
// SPNEGO 1.3.6.1.5.5.2 (RFC 4178 3).
inline constexpr std::array<std::uint8_t, 6> kOidSpnego = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
// Kerberos V5 1.2.840.113554.1.2.2 (RFC 4121 1).
inline constexpr std::array<std::uint8_t, 9> kOidKrb5 = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                                         0x12, 0x01, 0x02, 0x02};
// Microsoft's Kerberos OID 1.2.840.48018.1.2.2 (MS-KILE 1.9; a 1.2.840.113554 typo kept).
inline constexpr std::array<std::uint8_t, 9> kOidMsKrb5 = {0x2a, 0x86, 0x48, 0x82, 0xf7,
                                                           0x12, 0x01, 0x02, 0x02};

// RFC 4121 4.1: TOK_ID of the initial context tokens.
inline constexpr std::uint16_t kTokApReq = 0x0100;
inline constexpr std::uint16_t kTokApRep = 0x0200;
inline constexpr std::size_t kTokIdSize = 2;

// Application tags (RFC 4120 5.3, 5.5, 5.10; RFC 2743 3.1 for the GSS token).
inline constexpr std::uint32_t kAppGssToken = 0;
inline constexpr std::uint32_t kAppTicket = 1;
inline constexpr std::uint32_t kAppAuthenticator = 2;
inline constexpr std::uint32_t kAppEncTicketPart = 3;
inline constexpr std::uint32_t kAppApReq = 14;
inline constexpr std::uint32_t kAppApRep = 15;
inline constexpr std::uint32_t kAppEncApRepPart = 27;

// RFC 4178 4.2: NegotiationToken CHOICE tags, and the mech token fields.
inline constexpr std::uint32_t kNegTokenInit = 0;
inline constexpr std::uint32_t kNegTokenResp = 1;
inline constexpr std::uint32_t kNegInitMechToken = 2;
inline constexpr std::uint32_t kNegRespResponseToken = 2;

// RFC 4120 7.5.1: key usage numbers.
inline constexpr std::int32_t kUsageAsRep = 3;
inline constexpr std::int32_t kUsageTicket = 2;
inline constexpr std::int32_t kUsageTgsRepSessionKey = 8;
inline constexpr std::int32_t kUsageTgsRepSubkey = 9;
inline constexpr std::int32_t kUsageAuthenticator = 11;
inline constexpr std::int32_t kUsageApRep = 12;

// Nesting the reader follows: SPNEGO, then one GSS token.
inline constexpr int kMaxDepth = 2;
// The longest key a Kerberos enctype has (aes256-cts-hmac-sha384-192: 32 bytes).
inline constexpr std::size_t kMaxKeySize = 32;

// RFC 4120 5.2.9 EncryptedData.
struct EncryptedData {
    std::int32_t etype = 0;
    std::optional<std::uint32_t> kvno;
    Bytes cipher;
};

struct ApReq {
    EncryptedData ticket;        // Ticket.enc-part, under the service's long-term key
    EncryptedData authenticator; // under the ticket's session key
};

struct ApRep {
    EncryptedData enc_part; // under the ticket's session key
};

// RFC 4120 5.2.9 EncryptionKey, as a decrypted part holds it.
struct KeyValue {
    std::int32_t etype = 0;
    std::uint8_t size = 0;
    std::array<std::uint8_t, kMaxKeySize> bytes{};

    [[nodiscard]] Bytes view() const noexcept { return {bytes.data(), size}; }
};

// What a security blob holds of Kerberos.
struct Token {
    std::optional<ApReq> ap_req;
    std::optional<ApRep> ap_rep;
    ParseError error = ParseError::None; // Kerberos (or SPNEGO) that does not parse
};

namespace detail {
template <std::size_t N> constexpr bool equal(Bytes b, const std::array<std::uint8_t, N> &a) {
    return b.size() == N && std::equal(b.begin(), b.end(), a.begin());
}

// The contents of the SEQUENCE inside an explicit or application tag.
constexpr std::optional<Bytes> sequence_in(const der::Tlv &tagged) noexcept {
    const auto s = der::inner(tagged, der::kTagSequence);
    return s ? std::optional<Bytes>(s->value) : std::nullopt;
}

constexpr bool in_int32(std::int64_t v) noexcept {
    return v >= INT32_MIN && v <= INT32_MAX;
}
} // namespace detail

// RFC 4120 5.2.9: EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] UInt32 OPTIONAL,
// cipher [2] OCTET STRING }, `tagged` being the explicit tag around it.
constexpr ParseError parse_encrypted_data(const der::Tlv &tagged, EncryptedData &out) noexcept {
    const auto seq = detail::sequence_in(tagged);
    if (!seq)
        return ParseError::Malformed;
    const auto etype = der::context_integer(*seq, 0);
    const auto cipher = der::context_octets(*seq, 2);
    if (!etype || !detail::in_int32(*etype) || !cipher)
        return ParseError::Malformed;
    out.etype = static_cast<std::int32_t>(*etype);
    out.cipher = *cipher;
    if (const auto kvno = der::context_integer(*seq, 1); kvno && *kvno >= 0)
        out.kvno = static_cast<std::uint32_t>(*kvno);
    return ParseError::None;
}

// RFC 4120 5.5.1: AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno [0], msg-type [1],
// ap-options [2], ticket [3] Ticket, authenticator [4] EncryptedData }; Ticket ::=
// [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2], enc-part [3] }.
constexpr ParseError parse_ap_req(const der::Tlv &app, ApReq &out) noexcept {
    const auto seq = detail::sequence_in(app);
    if (!seq)
        return ParseError::Malformed;
    const auto ticket_field = der::context_field(*seq, 3);
    const auto auth_field = der::context_field(*seq, 4);
    if (!ticket_field || !auth_field)
        return ParseError::Malformed;
    der::Tlv ticket;
    if (der::read_one(ticket_field->value, ticket) != ParseError::None ||
        !ticket.is(der::Class::Application, kAppTicket))
        return ParseError::Malformed;
    const auto ticket_seq = detail::sequence_in(ticket);
    if (!ticket_seq)
        return ParseError::Malformed;
    const auto enc_part = der::context_field(*ticket_seq, 3);
    if (!enc_part || parse_encrypted_data(*enc_part, out.ticket) != ParseError::None)
        return ParseError::Malformed;
    return parse_encrypted_data(*auth_field, out.authenticator);
}

// RFC 4120 5.5.2: AP-REP ::= [APPLICATION 15] SEQUENCE { pvno [0], msg-type [1],
// enc-part [2] EncryptedData }.
constexpr ParseError parse_ap_rep(const der::Tlv &app, ApRep &out) noexcept {
    const auto seq = detail::sequence_in(app);
    if (!seq)
        return ParseError::Malformed;
    const auto enc_part = der::context_field(*seq, 2);
    if (!enc_part)
        return ParseError::Malformed;
    return parse_encrypted_data(*enc_part, out.enc_part);
}

namespace detail {
constexpr void read_token(Bytes data, int depth, Token &out) noexcept;

// A Kerberos message on its own: AP-REQ or AP-REP (anything else is not ours). Both are
// constructed (X.690 8.9): a raw NTLMSSP blob's first byte, 'N' (0x4e), reads as a
// primitive [APPLICATION 14] and is not an AP-REQ.
constexpr void read_message(const der::Tlv &t, Token &out) noexcept {
    if (!t.constructed)
        return;
    if (t.is(der::Class::Application, kAppApReq)) {
        ApReq req;
        out.error = parse_ap_req(t, req);
        if (out.error == ParseError::None)
            out.ap_req = req;
    } else if (t.is(der::Class::Application, kAppApRep)) {
        ApRep rep;
        out.error = parse_ap_rep(t, rep);
        if (out.error == ParseError::None)
            out.ap_rep = rep;
    }
}

// RFC 2743 3.1: [APPLICATION 0] { thisMech OID, innerContextToken }. SPNEGO's inner token
// is a NegotiationToken; Kerberos's (RFC 4121 4.1) is TOK_ID then the message.
constexpr void read_gss(const der::Tlv &app, int depth, Token &out) noexcept {
    der::Reader r(app.value);
    der::Tlv oid;
    if (const auto e = r.next(oid);
        e != ParseError::None || !oid.is(der::Class::Universal, der::kTagOid)) {
        out.error = e != ParseError::None ? e : ParseError::Malformed;
        return;
    }
    const Bytes rest = app.value.subspan(r.offset());
    if (equal(oid.value, kOidSpnego)) {
        read_token(rest, depth + 1, out);
        return;
    }
    if (!equal(oid.value, kOidKrb5) && !equal(oid.value, kOidMsKrb5))
        return; // another mechanism (NTLMSSP has no GSS framing of its own in SMB)
    der::Tlv msg;
    if (rest.size() < kTokIdSize) {
        out.error = ParseError::Truncated;
        return;
    }
    if (const auto e = der::read_one(rest.subspan(kTokIdSize), msg); e != ParseError::None) {
        out.error = e;
        return;
    }
    read_message(msg, out);
}

// RFC 4178 4.2: negTokenInit's mechToken or negTokenResp's responseToken, an OCTET STRING
// holding the chosen mechanism's token.
constexpr void read_negotiation(const der::Tlv &choice, int depth, Token &out) noexcept {
    const auto seq = sequence_in(choice);
    if (!seq) {
        out.error = ParseError::Malformed;
        return;
    }
    const std::uint32_t field =
        choice.number == kNegTokenInit ? kNegInitMechToken : kNegRespResponseToken;
    if (const auto token = der::context_octets(*seq, field))
        read_token(*token, depth + 1, out);
}

constexpr void read_token(Bytes data, int depth, Token &out) noexcept {
    if (depth > kMaxDepth || data.empty())
        return;
    der::Tlv t;
    if (const auto e = der::read_one(data, t); e != ParseError::None)
        return; // not DER: NTLMSSP, or nothing we read
    if (t.is(der::Class::Application, kAppGssToken) && t.constructed)
        read_gss(t, depth, out);
    else if (t.cls == der::Class::Context && t.constructed &&
             (t.number == kNegTokenInit || t.number == kNegTokenResp))
        read_negotiation(t, depth, out);
    else
        read_message(t, out);
}
} // namespace detail

// The AP-REQ or AP-REP a SESSION_SETUP security blob carries: bare, in a Kerberos GSS token
// (either OID), or inside SPNEGO. Nothing for NTLMSSP or an empty blob.
constexpr Token find_kerberos(Bytes blob) noexcept {
    Token out;
    detail::read_token(blob, 0, out);
    return out;
}

// RFC 4120 5.2.9: EncryptionKey ::= SEQUENCE { keytype [0] Int32, keyvalue [1] OCTET
// STRING }, inside the explicit tag `tagged`.
constexpr std::optional<KeyValue> parse_encryption_key(const der::Tlv &tagged) noexcept {
    const auto seq = detail::sequence_in(tagged);
    if (!seq)
        return std::nullopt;
    const auto type = der::context_integer(*seq, 0);
    const auto value = der::context_octets(*seq, 1);
    if (!type || !detail::in_int32(*type) || !value || value->empty() ||
        value->size() > kMaxKeySize)
        return std::nullopt;
    KeyValue k;
    k.etype = static_cast<std::int32_t>(*type);
    k.size = static_cast<std::uint8_t>(value->size());
    std::copy(value->begin(), value->end(), k.bytes.begin());
    return k;
}

// The key field [n] of a decrypted part [APPLICATION app] SEQUENCE { ... }.
constexpr std::optional<KeyValue> key_in_part(Bytes plaintext, std::uint32_t app,
                                              std::uint32_t n) noexcept {
    der::Tlv part;
    if (der::read_one(plaintext, part) != ParseError::None ||
        !part.is(der::Class::Application, app))
        return std::nullopt;
    const auto seq = detail::sequence_in(part);
    if (!seq)
        return std::nullopt;
    const auto field = der::context_field(*seq, n);
    return field ? parse_encryption_key(*field) : std::nullopt;
}

// RFC 4120 5.3 EncTicketPart: key [1], the ticket's session key.
constexpr std::optional<KeyValue> ticket_session_key(Bytes plaintext) noexcept {
    return key_in_part(plaintext, kAppEncTicketPart, 1);
}
// RFC 4120 5.5.1 Authenticator: subkey [6], the initiator's subkey.
constexpr std::optional<KeyValue> authenticator_subkey(Bytes plaintext) noexcept {
    return key_in_part(plaintext, kAppAuthenticator, 6);
}
// RFC 4120 5.5.2 EncAPRepPart: subkey [2], the acceptor's subkey.
constexpr std::optional<KeyValue> ap_rep_subkey(Bytes plaintext) noexcept {
    return key_in_part(plaintext, kAppEncApRepPart, 2);
}
// Whether a plaintext is the decrypted part it should be (an Authenticator or EncAPRepPart
// without a subkey still proves the key).
constexpr bool is_part(Bytes plaintext, std::uint32_t app) noexcept {
    der::Tlv part;
    return der::read_one(plaintext, part) == ParseError::None &&
           part.is(der::Class::Application, app);
}

} // namespace smbsign::krb
