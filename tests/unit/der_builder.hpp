// DER built by hand for the Kerberos tests: tag-length-value with the shortest length form
// (X.690 10.1), and the Kerberos structures smbsign reads, shaped as RFC 4120 and RFC 4178
// define them and as Samba and Windows send them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace testutil::der {

using Buf = std::vector<std::uint8_t>;

inline Buf tlv(std::uint8_t tag, const Buf &contents) {
    Buf out{tag};
    const std::size_t n = contents.size();
    if (n < 0x80) {
        out.push_back(static_cast<std::uint8_t>(n));
    } else {
        Buf len;
        for (std::size_t v = n; v != 0; v >>= 8)
            len.insert(len.begin(), static_cast<std::uint8_t>(v & 0xFF));
        out.push_back(static_cast<std::uint8_t>(0x80 | len.size()));
        out.insert(out.end(), len.begin(), len.end());
    }
    out.insert(out.end(), contents.begin(), contents.end());
    return out;
}
inline Buf cat(std::initializer_list<Buf> parts) {
    Buf out;
    for (const Buf &p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}
inline Buf seq(std::initializer_list<Buf> parts) {
    return tlv(0x30, cat(parts));
}
inline Buf ctx(unsigned n, const Buf &inner) {
    return tlv(static_cast<std::uint8_t>(0xA0 | n), inner);
}
inline Buf app(unsigned n, const Buf &inner) {
    return tlv(static_cast<std::uint8_t>(0x60 | n), inner);
}
inline Buf integer(std::int64_t v) {
    Buf b;
    do {
        b.insert(b.begin(), static_cast<std::uint8_t>(v & 0xFF));
        v >>= 8;
    } while (v != 0 && v != -1);
    if (v == 0 && (b[0] & 0x80))
        b.insert(b.begin(), 0);
    if (v == -1 && !(b[0] & 0x80))
        b.insert(b.begin(), 0xFF);
    return tlv(0x02, b);
}
inline Buf octets(const Buf &b) {
    return tlv(0x04, b);
}
inline Buf text(std::string_view s) {
    return tlv(0x1B, Buf(s.begin(), s.end()));
} // GeneralString
inline Buf oid(std::initializer_list<std::uint8_t> contents) {
    return tlv(0x06, Buf(contents));
}

inline const Buf kSpnego = oid({0x2b, 0x06, 0x01, 0x05, 0x05, 0x02});
inline const Buf kKrb5 = oid({0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02});
inline const Buf kMsKrb5 = oid({0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02});

// RFC 4120 5.2.9 EncryptedData and EncryptionKey.
inline Buf encrypted(std::int32_t etype, std::optional<std::uint32_t> kvno, const Buf &cipher) {
    Buf kv = kvno ? ctx(1, integer(*kvno)) : Buf{};
    return seq({ctx(0, integer(etype)), kv, ctx(2, octets(cipher))});
}
inline Buf encryption_key(std::int32_t etype, const Buf &key) {
    return seq({ctx(0, integer(etype)), ctx(1, octets(key))});
}
inline Buf principal(std::initializer_list<std::string_view> names) {
    Buf strings;
    for (auto n : names) {
        const Buf t = text(n);
        strings.insert(strings.end(), t.begin(), t.end());
    }
    return seq({ctx(0, integer(2)), ctx(1, tlv(0x30, strings))});
}

// RFC 4120 5.5.1 AP-REQ with its Ticket.
inline Buf ap_req(const Buf &ticket_enc, const Buf &authenticator_enc) {
    const Buf ticket =
        app(1, seq({ctx(0, integer(5)), ctx(1, text("SMBSIGN.LAB")),
                    ctx(2, principal({"cifs", "dc1.smbsign.lab"})), ctx(3, ticket_enc)}));
    return app(14, seq({ctx(0, integer(5)), ctx(1, integer(14)),
                        ctx(2, tlv(0x03, {0x00, 0x20, 0x00, 0x00, 0x00})), ctx(3, ticket),
                        ctx(4, authenticator_enc)}));
}
// RFC 4120 5.5.2 AP-REP.
inline Buf ap_rep(const Buf &enc_part) {
    return app(15, seq({ctx(0, integer(5)), ctx(1, integer(15)), ctx(2, enc_part)}));
}
// RFC 4121 4.1 GSS token around a Kerberos message, then RFC 4178 SPNEGO around that.
inline Buf gss_krb5(const Buf &mech_oid, std::uint8_t tok0, const Buf &msg) {
    return app(0, cat({mech_oid, Buf{tok0, 0x00}, msg}));
}
inline Buf spnego_init(const Buf &mech_token) {
    return app(0, cat({kSpnego,
                       ctx(0, seq({ctx(0, seq({kMsKrb5, kKrb5})), ctx(2, octets(mech_token))}))}));
}
inline Buf spnego_resp(const Buf &response_token) {
    return ctx(1, seq({ctx(0, tlv(0x0A, {0x00})), ctx(1, kKrb5), ctx(2, octets(response_token))}));
}

// The decrypted parts (RFC 4120 5.3, 5.5.1, 5.5.2), with only the fields smbsign reads and
// the ones every KDC and client sends.
inline Buf enc_ticket_part(std::int32_t etype, const Buf &key) {
    return app(
        3, seq({ctx(0, tlv(0x03, {0x00, 0x40, 0xe1, 0x00, 0x00})),
                ctx(1, encryption_key(etype, key)), ctx(2, text("SMBSIGN.LAB")),
                ctx(3, principal({"alice"})), ctx(4, seq({ctx(0, integer(1)), ctx(1, octets({}))})),
                ctx(5, tlv(0x18, Buf{'2', '0', '2', '6', '1', '2', '0', '4', '2', '2', '0', '0',
                                     '0', '0', 'Z'})),
                ctx(7, tlv(0x18, Buf{'2', '0', '2', '6', '1', '2', '0', '5', '0', '8', '0', '0',
                                     '0', '0', 'Z'}))}));
}
inline Buf authenticator(const std::optional<std::pair<std::int32_t, Buf>> &subkey) {
    Buf sk = subkey ? ctx(6, encryption_key(subkey->first, subkey->second)) : Buf{};
    return app(2, seq({ctx(0, integer(5)), ctx(1, text("SMBSIGN.LAB")),
                       ctx(2, principal({"alice"})), ctx(4, integer(12345)),
                       ctx(5, tlv(0x18, Buf{'2', '0', '2', '6', '1', '2', '0', '4', '2', '2', '0',
                                            '0', '0', '0', 'Z'})),
                       sk, ctx(7, integer(42))}));
}
inline Buf enc_ap_rep_part(const std::optional<std::pair<std::int32_t, Buf>> &subkey) {
    Buf sk = subkey ? ctx(2, encryption_key(subkey->first, subkey->second)) : Buf{};
    return app(27, seq({ctx(0, tlv(0x18, Buf{'2', '0', '2', '6', '1', '2', '0', '4', '2', '2', '0',
                                             '0', '0', '0', 'Z'})),
                        ctx(1, integer(12345)), sk, ctx(3, integer(7))}));
}

} // namespace testutil::der
