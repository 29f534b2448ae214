// The secrets an analyst gives for verification, and the text formats they come in:
//   - credentials: a password or an NT hash, for one account or (no user) for any;
//   - session keys: SMB2 SessionId -> SessionKey (16 or 32 bytes) and the two direction
//     cipher keys (Wireshark's smb2_seskey_list table; session_key.hpp);
//   - a credentials file: `DOMAIN\user:password` lines, pwdump/secretsdump lines
//     `DOMAIN\user:RID:LMHASH:NTHASH:::` and session-key lines
//     `session-key:0xSESSIONID:KEY[:S2CKEY:C2SKEY]`;
//   - an MIT keytab, whose RC4-HMAC (etype 23) keys are NT hashes.
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

    [[nodiscard]] bool empty() const noexcept {
        return credentials.empty() && session_keys.empty();
    }
    // A password for any user (Wireshark's ntlmssp.nt_password). False if it is not UTF-8.
    bool add_password(std::string_view password, std::string_view user = {},
                      std::string_view domain = {}) {
        auto h = nt_hash_from_password(password);
        if (!h)
            return false;
        credentials.push_back({std::string(user), std::string(domain), *h, KeySource::Password});
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
        out.credentials.push_back(std::move(c));
    }
    return bad;
}

// An MIT keytab (format 0x0501 or 0x0502): every RC4-HMAC (etype 23) key of 16 bytes is an
// NT hash, for the principal's first component as user. Returns how many were added;
// stops quietly at the first entry that does not parse.
inline std::size_t parse_keytab(Bytes data, Secrets &out) {
    constexpr std::uint16_t kEtypeRc4Hmac = 23;
    Reader r(data);
    std::uint8_t v0 = 0, v1 = 0;
    if (!r.read_u8(v0) || !r.read_u8(v1) || v0 != 5 || (v1 != 1 && v1 != 2))
        return 0;
    // 0x0502 is big-endian; 0x0501 uses the host order of the writer, taken as little.
    const bool big = v1 == 2;
    auto u16 = [&](Reader &rd, std::uint16_t &v) {
        if (!rd.read_u16le(v))
            return false;
        if (big)
            v = static_cast<std::uint16_t>(v >> 8 | v << 8);
        return true;
    };
    auto u32 = [&](Reader &rd, std::uint32_t &v) {
        if (!rd.read_u32le(v))
            return false;
        if (big)
            v = (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24);
        return true;
    };
    std::size_t added = 0;
    while (r.remaining() >= 4) {
        std::uint32_t size_raw = 0;
        u32(r, size_raw);
        const auto size = static_cast<std::int32_t>(size_raw);
        const std::uint32_t length =
            size < 0 ? static_cast<std::uint32_t>(-(std::int64_t)size) : size_raw;
        Bytes entry;
        if (!r.read_bytes(length, entry))
            break;
        if (size <= 0)
            continue; // a hole
        Reader e(entry);
        std::uint16_t components = 0;
        if (!u16(e, components))
            break;
        if (v1 == 1)
            --components; // 0x0501 counts the realm too
        std::string user;
        auto counted = [&](std::string *into) {
            std::uint16_t len = 0;
            Bytes b;
            if (!u16(e, len) || !e.read_bytes(len, b))
                return false;
            if (into != nullptr)
                into->assign(b.begin(), b.end());
            return true;
        };
        bool ok = counted(nullptr); // realm
        for (std::uint16_t i = 0; ok && i < components; ++i)
            ok = counted(i == 0 ? &user : nullptr);
        std::uint32_t skip32 = 0;
        std::uint8_t vno8 = 0;
        std::uint16_t etype = 0, key_len = 0;
        Bytes key;
        if (!ok || (v1 == 2 && !u32(e, skip32)) || !u32(e, skip32) || !e.read_u8(vno8) ||
            !u16(e, etype) || !u16(e, key_len) || !e.read_bytes(key_len, key))
            break;
        if (etype != kEtypeRc4Hmac || key.size() != 16)
            continue;
        Credential c;
        c.user = user;
        std::copy(key.begin(), key.end(), c.nt_hash.begin());
        c.source = KeySource::Keytab;
        out.credentials.push_back(std::move(c));
        ++added;
    }
    return added;
}

} // namespace smbsign::verify
