// The KDC exchanges (RFC 4120 5.4, 5.9.1; RFC 6113 5.4 for FAST) read with the bounded DER
// reader (der.hpp): what a password needs to reach a service ticket's session key. From an
// AS-REQ the client's name and realm; from a KRB-ERROR or AS-REP the PA-ETYPE-INFO2 salt;
// from an AS-REP and TGS-REP the ticket and the encrypted part; from a TGS-REQ the PA-TGS-REQ
// AP-REQ (its authenticator holds the subkey) and whether it is FAST-armoured; from a
// FAST-armoured AS-REQ the armor's AP-REQ; from an AS-REP or TGS-REP the PA-FX-FAST reply. Free of
// cryptography, like kerberos.hpp; the decrypted parts are read here too (EncKDCRepPart,
// Authenticator, KrbFastResponse).
#pragma once

#include "smbsign/bytes.hpp"
#include "smbsign/krb/der.hpp"
#include "smbsign/krb/kerberos.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace smbsign::krb {

// RFC 4120 5.4.1, 5.4.2, 5.9.1: application tags (equal to the msg-type values).
inline constexpr std::uint32_t kAppAsReq = 10;
inline constexpr std::uint32_t kAppAsRep = 11;
inline constexpr std::uint32_t kAppTgsReq = 12;
inline constexpr std::uint32_t kAppTgsRep = 13;
inline constexpr std::uint32_t kAppKrbError = 30;
inline constexpr std::uint32_t kAppEncAsRepPart = 25;
inline constexpr std::uint32_t kAppEncTgsRepPart = 26;

// RFC 4120 7.5.2, RFC 6113 7.3: padata types.
inline constexpr std::int32_t kPaTgsReq = 1;
inline constexpr std::int32_t kPaEtypeInfo2 = 19;
inline constexpr std::int32_t kPaFxFast = 136;

// RFC 4120 7.5.1 and RFC 6113 5.4.2, 5.4.3: key usages of the KDC exchanges.
inline constexpr std::int32_t kUsageTgsReqAuthenticator = 7;
inline constexpr std::int32_t kUsageFastRep = 52; // KEY_USAGE_FAST_REP

// RFC 6113 5.4.1.1: KrbFastArmor's armor-type for an AP-REQ (FX_FAST_ARMOR_AP_REQUEST).
inline constexpr std::int32_t kArmorApRequest = 1;

// X.680 8.4: GeneralString, Kerberos's KerberosString and Realm (RFC 4120 5.2.1).
inline constexpr std::uint32_t kTagGeneralString = 27;

// The longest principal or salt kept (a salt is realm + name components: RFC 4120 4).
inline constexpr std::size_t kMaxNameSize = 512;
// Name components and padata entries read at most.
inline constexpr std::size_t kMaxEntries = 16;

// RFC 4120 5.2.7.5 ETYPE-INFO2-ENTRY.
struct EtypeInfo {
    std::int32_t etype = 0;
    std::optional<Bytes> salt;
    Bytes s2kparams;
};

// What one KDC message holds for the password path.
struct KdcMessage {
    std::uint32_t type = 0;            // kAppAsReq, kAppAsRep, kAppTgsReq, kAppTgsRep, kAppKrbError
    std::string client;                // AS-REQ, AS-REP, KRB-ERROR cname components joined with
                                       // '/', no realm (a KRB-ERROR may have none)
    std::string realm;                 // AS-REQ req-body realm; AS-REP, KRB-ERROR crealm
    std::vector<EtypeInfo> etype_info; // PA-ETYPE-INFO2 of a KRB-ERROR or AS-REP
    EncryptedData ticket;              // AS-REP, TGS-REP: Ticket.enc-part
    EncryptedData enc_part;            // AS-REP, TGS-REP: enc-part
    std::optional<ApReq> tgs_ap_req;   // TGS-REQ: PA-TGS-REQ
    bool fast = false;                 // PA-FX-FAST present
    std::optional<ApReq> fast_armor;   // AS-REQ: KrbFastArmor's AP-REQ (armor-type 1)
    std::optional<EncryptedData> fast_rep; // AS-REP, TGS-REP: KrbFastArmoredRep.enc-fast-rep
};

// RFC 6113 5.4.3 KrbFastResponse, opened: the padata of the reply (an armoured AS-REP's
// PA-ETYPE-INFO2 is here, not outside) and the strengthen-key when there is one. The salts
// point into the decrypted bytes it was read from.
struct FastResponse {
    std::vector<EtypeInfo> etype_info;
    std::optional<KeyValue> strengthen;
};

namespace detail {
// RFC 4120 5.2.2 PrincipalName ::= SEQUENCE { name-type [0], name-string [1] SEQUENCE OF
// KerberosString }: the components joined with '/'.
inline std::optional<std::string> principal_name(const der::Tlv &tagged) {
    const auto seq = sequence_in(tagged);
    const auto names = seq ? der::context_field(*seq, 1) : std::nullopt;
    const auto list = names ? sequence_in(*names) : std::nullopt;
    if (!list)
        return std::nullopt;
    std::string out;
    der::Reader r(*list);
    der::Tlv s;
    for (std::size_t i = 0; i < kMaxEntries && !r.empty(); ++i) {
        if (r.next(s) != ParseError::None || !s.is(der::Class::Universal, kTagGeneralString))
            return std::nullopt;
        if (!out.empty())
            out += '/';
        out.append(s.value.begin(), s.value.end());
        if (out.size() > kMaxNameSize)
            return std::nullopt;
    }
    return out;
}

inline std::optional<Bytes> general_string(Bytes contents, std::uint32_t n) {
    const auto f = der::context_field(contents, n);
    const auto t = f ? der::inner(*f, kTagGeneralString) : std::nullopt;
    return t ? std::optional<Bytes>(t->value) : std::nullopt;
}

// RFC 4120 5.2.7.5: ETYPE-INFO2 ::= SEQUENCE OF ETYPE-INFO2-ENTRY { etype [0], salt [1]
// KerberosString OPTIONAL, s2kparams [2] OCTET STRING OPTIONAL }.
inline ParseError parse_etype_info2(Bytes value, std::vector<EtypeInfo> &out) {
    der::Tlv list;
    if (der::read_one(value, list) != ParseError::None ||
        !list.is(der::Class::Universal, der::kTagSequence))
        return ParseError::Malformed;
    der::Reader r(list.value);
    der::Tlv e;
    while (!r.empty() && out.size() < kMaxEntries) {
        if (r.next(e) != ParseError::None || !e.is(der::Class::Universal, der::kTagSequence))
            return ParseError::Malformed;
        const auto etype = der::context_integer(e.value, 0);
        if (!etype || !in_int32(*etype))
            return ParseError::Malformed;
        EtypeInfo info;
        info.etype = static_cast<std::int32_t>(*etype);
        info.salt = general_string(e.value, 1);
        if (info.salt && info.salt->size() > kMaxNameSize)
            return ParseError::Malformed;
        info.s2kparams = der::context_octets(e.value, 2).value_or(Bytes{});
        out.push_back(info);
    }
    return ParseError::None;
}

// RFC 6113 5.4.2, 5.4.3: PA-FX-FAST's value, CHOICE { armored-data [0] SEQUENCE }: the
// contents of that SEQUENCE (a KrbFastArmoredReq or KrbFastArmoredRep).
inline std::optional<Bytes> armored_data(Bytes value) {
    der::Tlv choice;
    if (der::read_one(value, choice) != ParseError::None || !choice.is(der::Class::Context, 0))
        return std::nullopt;
    return sequence_in(choice);
}

// An AP-REQ ([APPLICATION 14]) that is the whole of `value`.
inline std::optional<ApReq> ap_req_in(Bytes value) {
    der::Tlv app;
    ApReq out;
    if (der::read_one(value, app) != ParseError::None ||
        !app.is(der::Class::Application, kAppApReq) || parse_ap_req(app, out) != ParseError::None)
        return std::nullopt;
    return out;
}

// RFC 6113 5.4.3: KrbFastArmoredRep ::= SEQUENCE { enc-fast-rep [0] EncryptedData }.
inline std::optional<EncryptedData> fast_armored_rep(Bytes value) {
    const auto seq = armored_data(value);
    const auto enc = seq ? der::context_field(*seq, 0) : std::nullopt;
    EncryptedData out;
    if (!enc || parse_encrypted_data(*enc, out) != ParseError::None)
        return std::nullopt;
    return out;
}

// RFC 6113 5.4.2: KrbFastArmoredReq ::= SEQUENCE { armor [0] KrbFastArmor OPTIONAL,
// req-checksum [1], enc-fast-req [2] }; KrbFastArmor ::= SEQUENCE { armor-type [0] Int32,
// armor-value [1] OCTET STRING }: the AP-REQ of an armor of type 1. A TGS-REQ has no armor
// field (its PA-TGS-REQ is the armor); other armor types are not read.
inline std::optional<ApReq> fast_armor(Bytes value) {
    const auto req = armored_data(value);
    const auto armor_field = req ? der::context_field(*req, 0) : std::nullopt;
    const auto armor = armor_field ? sequence_in(*armor_field) : std::nullopt;
    if (!armor || der::context_integer(*armor, 0) != kArmorApRequest)
        return std::nullopt;
    const auto ap = der::context_octets(*armor, 1);
    return ap ? ap_req_in(*ap) : std::nullopt;
}

// One PA-DATA ::= SEQUENCE { padata-type [1] Int32, padata-value [2] OCTET STRING }.
inline ParseError read_padata(const der::Tlv &pa, KdcMessage &out) {
    if (!pa.is(der::Class::Universal, der::kTagSequence))
        return ParseError::Malformed;
    const auto type = der::context_integer(pa.value, 1);
    const auto value = der::context_octets(pa.value, 2);
    if (!type || !value)
        return ParseError::Malformed;
    if (*type == kPaEtypeInfo2)
        return parse_etype_info2(*value, out.etype_info);
    if (*type == kPaFxFast) {
        out.fast = true;
        if (out.type == kAppTgsRep || out.type == kAppAsRep)
            out.fast_rep = fast_armored_rep(*value);
        else if (out.type == kAppAsReq)
            out.fast_armor = fast_armor(*value);
        return ParseError::None;
    }
    if (*type == kPaTgsReq && out.type == kAppTgsReq) {
        out.tgs_ap_req = ap_req_in(*value);
        if (!out.tgs_ap_req)
            return ParseError::Malformed;
    }
    return ParseError::None;
}

// METHOD-DATA ::= SEQUENCE OF PA-DATA (RFC 4120 5.9.1, 5.4.1), at most kMaxEntries read.
inline ParseError read_padata_list(Bytes value, KdcMessage &out) {
    der::Tlv list;
    if (der::read_one(value, list) != ParseError::None ||
        !list.is(der::Class::Universal, der::kTagSequence))
        return ParseError::Malformed;
    der::Reader r(list.value);
    der::Tlv pa;
    for (std::size_t i = 0; i < kMaxEntries && !r.empty(); ++i) {
        if (r.next(pa) != ParseError::None)
            return ParseError::Malformed;
        if (const auto e = read_padata(pa, out); e != ParseError::None)
            return e;
    }
    return ParseError::None;
}

// RFC 4120 5.4.1 KDC-REQ ::= SEQUENCE { pvno [1], msg-type [2], padata [3] OPTIONAL,
// req-body [4] KDC-REQ-BODY }; KDC-REQ-BODY { kdc-options [0], cname [1] OPTIONAL,
// realm [2], ... }.
inline ParseError parse_kdc_req(Bytes seq, KdcMessage &out) {
    if (const auto pa = der::context_field(seq, 3))
        if (const auto e = read_padata_list(pa->value, out); e != ParseError::None)
            return e;
    const auto body_field = der::context_field(seq, 4);
    const auto body = body_field ? sequence_in(*body_field) : std::nullopt;
    if (!body)
        return ParseError::Malformed;
    if (const auto cname = der::context_field(*body, 1)) {
        const auto name = principal_name(*cname);
        if (!name)
            return ParseError::Malformed;
        out.client = *name;
    }
    const auto realm = general_string(*body, 2);
    if (!realm || realm->size() > kMaxNameSize)
        return ParseError::Malformed;
    out.realm.assign(realm->begin(), realm->end());
    return ParseError::None;
}

// RFC 4120 5.4.2 KDC-REP ::= SEQUENCE { pvno [0], msg-type [1], padata [2] OPTIONAL,
// crealm [3], cname [4], ticket [5] Ticket, enc-part [6] EncryptedData }.
inline ParseError parse_kdc_rep(Bytes seq, KdcMessage &out) {
    if (const auto pa = der::context_field(seq, 2))
        if (const auto e = read_padata_list(pa->value, out); e != ParseError::None)
            return e;
    if (const auto cname = der::context_field(seq, 4))
        out.client = principal_name(*cname).value_or(std::string{});
    if (const auto crealm = general_string(seq, 3); crealm && crealm->size() <= kMaxNameSize)
        out.realm.assign(crealm->begin(), crealm->end());
    const auto ticket_field = der::context_field(seq, 5);
    const auto enc_field = der::context_field(seq, 6);
    der::Tlv ticket;
    if (!ticket_field || !enc_field ||
        der::read_one(ticket_field->value, ticket) != ParseError::None ||
        !ticket.is(der::Class::Application, kAppTicket))
        return ParseError::Malformed;
    const auto ticket_seq = sequence_in(ticket);
    const auto ticket_enc = ticket_seq ? der::context_field(*ticket_seq, 3) : std::nullopt;
    if (!ticket_enc || parse_encrypted_data(*ticket_enc, out.ticket) != ParseError::None)
        return ParseError::Malformed;
    return parse_encrypted_data(*enc_field, out.enc_part);
}

// RFC 4120 5.9.1 KRB-ERROR: crealm [7] OPTIONAL, cname [8] OPTIONAL, realm [9] (the
// service's), e-data [12] OPTIONAL, a METHOD-DATA for KDC_ERR_PREAUTH_REQUIRED (7.5.9, 5.2.7);
// other e-data is not a padata list and is skipped.
inline ParseError parse_krb_error(Bytes seq, KdcMessage &out) {
    if (const auto cname = der::context_field(seq, 8))
        out.client = principal_name(*cname).value_or(std::string{});
    auto realm = general_string(seq, 7);
    if (!realm)
        realm = general_string(seq, 9);
    if (realm && realm->size() <= kMaxNameSize)
        out.realm.assign(realm->begin(), realm->end());
    if (const auto edata = der::context_octets(seq, 12))
        (void)read_padata_list(*edata, out);
    return ParseError::None;
}
} // namespace detail

// One KDC message (the bytes after TCP's record mark, or a UDP datagram): the parts above, or
// an error. Messages of other types return ParseError::None with type 0.
inline ParseError parse_kdc_message(Bytes data, KdcMessage &out) {
    out = KdcMessage{};
    der::Tlv app;
    if (const auto e = der::read_one(data, app); e != ParseError::None)
        return e;
    if (app.cls != der::Class::Application)
        return ParseError::Malformed;
    const auto seq = detail::sequence_in(app);
    if (!seq)
        return ParseError::Malformed;
    out.type = app.number;
    switch (app.number) {
    case kAppAsReq:
    case kAppTgsReq:
        return detail::parse_kdc_req(*seq, out);
    case kAppAsRep:
    case kAppTgsRep:
        return detail::parse_kdc_rep(*seq, out);
    case kAppKrbError:
        return detail::parse_krb_error(*seq, out);
    default:
        out.type = 0;
        return ParseError::None;
    }
}

// RFC 4120 5.4.2 EncKDCRepPart: key [0]. The AS-REP's part may carry either tag (RFC 4120
// 5.4.2 notes implementations that use EncTGSRepPart's for both).
inline std::optional<KeyValue> kdc_rep_session_key(Bytes plaintext) {
    if (auto k = key_in_part(plaintext, kAppEncAsRepPart, 0))
        return k;
    return key_in_part(plaintext, kAppEncTgsRepPart, 0);
}

// RFC 6113 5.4.3 KrbFastResponse ::= SEQUENCE { padata [0] SEQUENCE OF PA-DATA,
// strengthen-key [1] EncryptionKey OPTIONAL, finished [2] OPTIONAL, nonce [3] }.
inline std::optional<FastResponse> fast_response(Bytes plaintext) {
    der::Tlv seq;
    if (der::read_one(plaintext, seq) != ParseError::None ||
        !seq.is(der::Class::Universal, der::kTagSequence))
        return std::nullopt;
    FastResponse out;
    if (const auto pa = der::context_field(seq.value, 0)) {
        KdcMessage inner; // the padata of an AS-REP: PA-ETYPE-INFO2 is what is kept
        inner.type = kAppAsRep;
        if (detail::read_padata_list(pa->value, inner) != ParseError::None)
            return std::nullopt;
        out.etype_info = std::move(inner.etype_info);
    }
    if (const auto f = der::context_field(seq.value, 1)) {
        out.strengthen = parse_encryption_key(*f);
        if (!out.strengthen)
            return std::nullopt;
    }
    return out;
}

} // namespace smbsign::krb
