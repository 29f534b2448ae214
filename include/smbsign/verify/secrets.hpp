// The secrets an analyst gives for verification, and the text formats they come in:
//   - credentials: a password or an NT hash, for one account or (no user) for any;
//   - session keys: SMB2 SessionId -> SessionKey (16 or 32 bytes) and the two direction
//     cipher keys (Wireshark's smb2_seskey_list table; session_key.hpp);
//   - a credentials file: `DOMAIN\user:password` lines, pwdump/secretsdump lines
//     `DOMAIN\user:RID:LMHASH:NTHASH:::` and session-key lines
//     `session-key:0xSESSIONID:KEY[:S2CKEY:C2SKEY]`;
//   - an MIT keytab, whose RC4-HMAC (etype 23) keys are NT hashes;
//   - Kerberos long-term keys (every etype) from the keytab and from credentials-file lines
//     as secretsdump prints them, `DOMAIN\account:aes256-cts-hmac-sha1-96:HEX`.
// Secrets stay in memory here: nothing in this file prints, logs or returns them as text.
#pragma once

#include "smbsign/bytes.hpp"
#include "smbsign/verify/crypto.hpp"
#include "smbsign/verify/ntlm.hpp"
#include "smbsign/verify/result.hpp"
#include "smbsign/verify/session_key.hpp"
#include "smbsign/verify/smb2_keys.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smbsign::verify {

struct Credential {
    std::string user;   // UTF-8; empty: try for any user
    std::string domain; // UTF-8; empty: any domain
    NtHash nt_hash{};
    KeySource source = KeySource::Password;
};

// A user's password as given (ntlmssp.nt_password, a credentials file's `DOMAIN\\user:password`
// line): Kerberos derives its keys from the text itself (RFC 3961 3 string-to-key).
struct KerberosPassword {
    std::string user;   // empty: any user
    std::string domain; // empty: any domain
    std::string password;
    KerberosPassword() = default;
    KerberosPassword(std::string u, std::string d, std::string p)
        : user(std::move(u)), domain(std::move(d)), password(std::move(p)) {}
    KerberosPassword(const KerberosPassword &) = default;
    KerberosPassword(KerberosPassword &&) = default;
    KerberosPassword &operator=(const KerberosPassword &) = default;
    KerberosPassword &operator=(KerberosPassword &&) = default;
    ~KerberosPassword() {
        volatile char *p = password.data();
        for (std::size_t i = 0; i < password.size(); ++i)
            p[i] = 0;
    }
};

// A service's (or any account's) long-term Kerberos key: it opens the tickets issued to it.
struct KerberosKey {
    std::string principal; // `a/b@REALM` from a keytab, `account` from a credentials line
    std::int32_t etype = 0;
    std::optional<std::uint32_t> kvno; // as the keytab says; none from a credentials line
    std::vector<std::uint8_t> key;
};

// The keys given for one SMB2 session: its session key (16 or 32 bytes) and/or the
// cipher keys of each direction (Wireshark's table columns Server-to-Client and
// Client-to-Server, 16 or 32 bytes). Any of them may be empty.
struct SessionSecret {
    std::uint64_t id = 0; // SessionId (host order)
    SessionKey key;
    SessionKey server_to_client;
    SessionKey client_to_server;
};

struct Secrets {
    std::vector<Credential> credentials;
    std::vector<SessionSecret> session_keys;
    std::vector<KerberosKey> kerberos_keys;
    std::vector<KerberosPassword> passwords; // the passwords among the credentials, as text

    [[nodiscard]] bool empty() const noexcept {
        return credentials.empty() && session_keys.empty() && kerberos_keys.empty();
    }
    // A password for any user (Wireshark's ntlmssp.nt_password). False if it is not UTF-8.
    bool add_password(std::string_view password, std::string_view user = {},
                      std::string_view domain = {}) {
        auto h = nt_hash_from_password(password);
        if (!h)
            return false;
        credentials.push_back({std::string(user), std::string(domain), *h, KeySource::Password});
        passwords.emplace_back(std::string(user), std::string(domain), std::string(password));
        return true;
    }
    // The session key given for a session, or nullptr.
    [[nodiscard]] const SessionKey *session_key(std::uint64_t id) const noexcept {
        for (const SessionSecret &s : session_keys)
            if (s.id == id && !s.key.empty())
                return &s.key;
        return nullptr;
    }
    // Everything given for a session (the first entry naming it), or nullptr.
    [[nodiscard]] const SessionSecret *session_secret(std::uint64_t id) const noexcept {
        for (const SessionSecret &s : session_keys)
            if (s.id == id)
                return &s;
        return nullptr;
    }
};

namespace detail {
inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}
} // namespace detail

// `DOMAIN\user` or `user` into its parts.
inline void split_account(std::string_view account, std::string &user, std::string &domain) {
    const auto slash = account.find('\\');
    if (slash == std::string_view::npos) {
        user.assign(account);
        domain.clear();
    } else {
        domain.assign(account.substr(0, slash));
        user.assign(account.substr(slash + 1));
    }
}

namespace detail {
// A hex key of `max` bytes at most into `out`; empty text leaves `out` empty. False if the
// text is not hex or `make` refuses its size.
template <typename Make>
inline bool hex_key(std::string_view hex, std::size_t max, Make make, SessionKey &out) {
    if (hex.empty())
        return true;
    auto bytes = smbsign::parse_hex(hex, max);
    if (!bytes)
        return false;
    auto key = make(Bytes(*bytes));
    std::fill(bytes->begin(), bytes->end(), 0);
    if (!key)
        return false;
    out = *key;
    return true;
}

// The keys of one session (the session key and/or the direction keys); false, and nothing
// added, if any is malformed or none is given.
inline bool add_session_secret(Secrets &out, std::uint64_t id, std::string_view key_hex,
                               std::string_view s2c_hex, std::string_view c2s_hex) {
    SessionSecret s;
    s.id = id;
    if (!hex_key(key_hex, SessionKey::kMaxSize, SessionKey::from_gss, s.key) ||
        !hex_key(s2c_hex, SessionKey::kMaxSize, SessionKey::cipher_key, s.server_to_client) ||
        !hex_key(c2s_hex, SessionKey::kMaxSize, SessionKey::cipher_key, s.client_to_server))
        return false;
    if (s.key.empty() && s.server_to_client.empty() && s.client_to_server.empty())
        return false;
    out.session_keys.push_back(s);
    return true;
}
} // namespace detail

// One row of Wireshark's smb2_seskey_list: SessionId as 8 wire-order (little-endian)
// bytes in hex; SessionKey in hex (shorter than 16 bytes zero-padded as MS-SMB2 3.2.5.3.1
// says, up to 32 bytes kept whole: Wireshark 4.0's table takes at most 16); the
// Server-to-Client and Client-to-Server cipher keys (16 or 32 bytes, or empty). False if
// any is not hex of the right size, or no key is given.
inline bool add_session_key(Secrets &out, std::string_view id_hex, std::string_view key_hex,
                            std::string_view s2c_hex = {}, std::string_view c2s_hex = {}) {
    auto id = smbsign::parse_hex(id_hex, 8);
    if (!id || id->size() != 8)
        return false;
    std::uint64_t sid = 0;
    for (std::size_t i = 0; i < 8; ++i)
        sid |= static_cast<std::uint64_t>((*id)[i]) << (8 * i);
    return detail::add_session_secret(out, sid, key_hex, s2c_hex, c2s_hex);
}

// A credentials-file line `session-key:0xSESSIONID:KEY[:S2CKEY:C2SKEY]` after its prefix:
// the SessionId as Wireshark shows smb2.sesid (a 0x-prefixed number), the session key
// (16 or 32 bytes: a 32-byte Kerberos AES-256 key opens AES-256 sessions, which
// Wireshark 4.0's table cannot take), and optionally the two direction cipher keys (KEY
// may then be empty). False if the line is malformed.
inline constexpr std::string_view kSessionKeyPrefix = "session-key:";

inline bool add_session_key_line(Secrets &out, std::string_view rest) {
    std::vector<std::string_view> f;
    for (;;) {
        const auto p = rest.find(':');
        f.push_back(detail::trim(rest.substr(0, p)));
        if (p == std::string_view::npos)
            break;
        rest = rest.substr(p + 1);
    }
    if ((f.size() != 2 && f.size() != 4) || !(f[0].starts_with("0x") || f[0].starts_with("0X")))
        return false;
    const std::string_view digits = f[0].substr(2);
    if (digits.empty() || digits.size() > 16)
        return false;
    std::uint64_t id = 0;
    for (char c : digits) {
        const int v = hex_value(c);
        if (v < 0)
            return false;
        id = id << 4 | static_cast<std::uint64_t>(v);
    }
    return detail::add_session_secret(out, id, f[1], f.size() == 4 ? f[2] : std::string_view{},
                                      f.size() == 4 ? f[3] : std::string_view{});
}

namespace krb_etype {
// RFC 3961 8, RFC 3962, RFC 4757, RFC 8009: the enctype numbers of the keys secretsdump and
// keytabs hold.
inline constexpr std::int32_t kDesCbcCrc = 1;
inline constexpr std::int32_t kDesCbcMd5 = 3;
inline constexpr std::int32_t kAes128CtsSha1 = 17;
inline constexpr std::int32_t kAes256CtsSha1 = 18;
inline constexpr std::int32_t kAes128CtsSha256 = 19;
inline constexpr std::int32_t kAes256CtsSha384 = 20;
inline constexpr std::int32_t kRc4Hmac = 23;
inline constexpr std::int32_t kIgnored = 0; // a name we know and skip (single DES)

// The enctype a credentials line names (secretsdump's and MIT's spellings), or nothing.
inline std::optional<std::int32_t> from_name(std::string_view name) noexcept {
    struct Name {
        std::string_view text;
        std::int32_t etype;
    };
    static constexpr Name kNames[] = {
        {"aes256-cts-hmac-sha1-96", kAes256CtsSha1},
        {"aes128-cts-hmac-sha1-96", kAes128CtsSha1},
        {"aes256-cts-hmac-sha384-192", kAes256CtsSha384},
        {"aes128-cts-hmac-sha256-128", kAes128CtsSha256},
        {"rc4_hmac", kRc4Hmac},
        {"rc4-hmac", kRc4Hmac},
        {"arcfour-hmac", kRc4Hmac},
        {"des-cbc-md5", kIgnored},
        {"des-cbc-crc", kIgnored},
    };
    for (const Name &n : kNames)
        if (n.text == name)
            return n.etype;
    return std::nullopt;
}
} // namespace krb_etype

// `ACCOUNT:ETYPE-NAME:HEX` (secretsdump's Kerberos keys): true when the line has that shape,
// whether the key was taken (single DES is skipped) or the hex is bad (`bad` set).
inline bool parse_kerberos_key_line(std::string_view line, Secrets &out, bool &bad) {
    const auto c1 = line.find(':');
    const auto c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos || line.find(':', c2 + 1) != std::string_view::npos)
        return false;
    const auto etype = krb_etype::from_name(line.substr(c1 + 1, c2 - c1 - 1));
    if (!etype)
        return false;
    bad = false;
    if (*etype == krb_etype::kIgnored)
        return true;
    auto key = smbsign::parse_hex(line.substr(c2 + 1), 64);
    if (!key || key->empty()) {
        bad = true;
        return true;
    }
    if (*etype == krb_etype::kRc4Hmac && key->size() == 16) { // the NT hash (RFC 4757 2)
        Credential c;
        split_account(line.substr(0, c1), c.user, c.domain);
        std::copy(key->begin(), key->end(), c.nt_hash.begin());
        c.source = KeySource::NtHash;
        out.credentials.push_back(std::move(c));
    }
    out.kerberos_keys.push_back(
        {std::string(line.substr(0, c1)), *etype, std::nullopt, std::move(*key)});
    return true;
}

// Reads a credentials file's text into `out`; returns the numbers of lines that could not
// be read (1-based), so the caller can point at them without quoting them. Blank lines and
// lines starting with '#' are skipped.
inline std::vector<std::size_t> parse_credentials(std::string_view text, Secrets &out) {
    std::vector<std::size_t> bad;
    std::size_t number = 0;
    while (!text.empty()) {
        const auto eol = text.find('\n');
        std::string_view line = detail::trim(text.substr(0, eol));
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        ++number;
        if (line.empty() || line.front() == '#')
            continue;
        if (line.starts_with(kSessionKeyPrefix)) {
            if (!add_session_key_line(out, line.substr(kSessionKeyPrefix.size())))
                bad.push_back(number);
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            bad.push_back(number);
            continue;
        }
        bool bad_key = false;
        if (parse_kerberos_key_line(line, out, bad_key)) {
            if (bad_key)
                bad.push_back(number);
            continue;
        }
        Credential c;
        split_account(line.substr(0, colon), c.user, c.domain);
        // pwdump/secretsdump: account:RID:LMHASH:NTHASH:::
        std::vector<std::string_view> f;
        for (std::string_view rest = line;;) {
            const auto p = rest.find(':');
            f.push_back(rest.substr(0, p));
            if (p == std::string_view::npos)
                break;
            rest = rest.substr(p + 1);
        }
        const bool rid = f.size() >= 4 && !f[1].empty() &&
                         f[1].find_first_not_of("0123456789") == std::string_view::npos;
        if (rid && f[3].size() == 32) {
            auto h = smbsign::parse_hex(f[3], 16);
            if (h && h->size() == 16) {
                std::copy(h->begin(), h->end(), c.nt_hash.begin());
                c.source = KeySource::NtHash;
                out.credentials.push_back(std::move(c));
                continue;
            }
        }
        auto h = nt_hash_from_password(line.substr(colon + 1));
        if (!h) {
            bad.push_back(number);
            continue;
        }
        c.nt_hash = *h;
        c.source = KeySource::Password;
        out.passwords.emplace_back(c.user, c.domain, std::string(line.substr(colon + 1)));
        out.credentials.push_back(std::move(c));
    }
    return bad;
}

namespace detail {
// The keytab's integers: big-endian in format 0x0502, the writer's order (taken as little)
// in 0x0501.
struct KeytabReader {
    Reader r;
    bool big;
    bool u16(std::uint16_t &v) {
        if (!r.read_u16le(v))
            return false;
        if (big)
            v = static_cast<std::uint16_t>(v >> 8 | v << 8);
        return true;
    }
    bool u32(std::uint32_t &v) {
        if (!r.read_u32le(v))
            return false;
        if (big)
            v = (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24);
        return true;
    }
    bool counted(std::string &into) {
        std::uint16_t len = 0;
        Bytes b;
        if (!u16(len) || !r.read_bytes(len, b))
            return false;
        into.assign(b.begin(), b.end());
        return true;
    }
};

// One keytab entry (MIT's keytab file format): principal `a/b@REALM`, timestamp, 8-bit
// kvno, keyblock, and in 0x0502 an optional 32-bit kvno that supersedes the 8-bit one.
inline bool parse_keytab_entry(Bytes entry, bool big, bool v1, KerberosKey &out) {
    KeytabReader e{Reader(entry), big};
    std::uint16_t components = 0;
    std::string realm;
    if (!e.u16(components) || !e.counted(realm))
        return false;
    if (v1 && components > 0)
        --components; // 0x0501 counts the realm too
    out.principal.clear();
    for (std::uint16_t i = 0; i < components; ++i) {
        std::string part;
        if (!e.counted(part))
            return false;
        out.principal += (i == 0 ? "" : "/") + part;
    }
    out.principal += "@" + realm;
    std::uint32_t name_type = 0, timestamp = 0, kvno32 = 0;
    std::uint8_t vno8 = 0;
    std::uint16_t etype = 0, key_len = 0;
    Bytes key;
    if ((!v1 && !e.u32(name_type)) || !e.u32(timestamp) || !e.r.read_u8(vno8) || !e.u16(etype) ||
        !e.u16(key_len) || !e.r.read_bytes(key_len, key))
        return false;
    out.etype = static_cast<std::int16_t>(etype);
    out.kvno = vno8;
    if (e.r.remaining() >= 4 && e.u32(kvno32) && kvno32 != 0)
        out.kvno = kvno32;
    out.key.assign(key.begin(), key.end());
    return true;
}
} // namespace detail

// An MIT keytab (format 0x0501 or 0x0502): every key becomes a Kerberos long-term key, and
// every RC4-HMAC (etype 23) key of 16 bytes is also an NT hash (RFC 4757 2), for the
// principal's first component as user. Returns how many keys were added; stops quietly at
// the first entry that does not parse.
inline std::size_t parse_keytab(Bytes data, Secrets &out) {
    Reader r(data);
    std::uint8_t v0 = 0, v1 = 0;
    if (!r.read_u8(v0) || !r.read_u8(v1) || v0 != 5 || (v1 != 1 && v1 != 2))
        return 0;
    detail::KeytabReader sizes{r, v1 == 2};
    std::size_t added = 0;
    while (sizes.r.remaining() >= 4) {
        std::uint32_t size_raw = 0;
        sizes.u32(size_raw);
        const auto size = static_cast<std::int32_t>(size_raw);
        const std::uint32_t length =
            size < 0 ? static_cast<std::uint32_t>(-(std::int64_t)size) : size_raw;
        Bytes entry;
        if (!sizes.r.read_bytes(length, entry))
            break;
        if (size <= 0)
            continue; // a hole
        KerberosKey k;
        if (!detail::parse_keytab_entry(entry, v1 == 2, v1 == 1, k))
            break;
        if (k.key.empty())
            continue;
        if (k.etype == krb_etype::kRc4Hmac && k.key.size() == 16) {
            Credential c;
            c.user = k.principal.substr(0, k.principal.find_first_of("/@"));
            std::copy(k.key.begin(), k.key.end(), c.nt_hash.begin());
            c.source = KeySource::Keytab;
            out.credentials.push_back(std::move(c));
        }
        out.kerberos_keys.push_back(std::move(k));
        ++added;
    }
    return added;
}

} // namespace smbsign::verify
