// Just enough NTLMSSP to tell an anonymous AUTHENTICATE (MS-NLMP 2.2.1.3, 3.2.5.1.2).
#pragma once

#include "smbsign/bytes.hpp"

#include <algorithm>
#include <array>

namespace smbsign {

namespace ntlm {
inline constexpr std::array<std::uint8_t, 8> kSignature = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
inline constexpr std::uint32_t kMessageAuthenticate = 3;
inline constexpr std::uint32_t kFlagAnonymous = 0x00000800; // NTLMSSP_NEGOTIATE_ANONYMOUS
inline constexpr std::size_t kUserNameFieldOffset = 36;     // UserNameFields: Len, MaxLen, Offset
inline constexpr std::size_t kNegotiateFlagsOffset = 60;
} // namespace ntlm

enum class NtlmAuth : std::uint8_t { None, User, Anonymous };

// Finds an NTLMSSP message inside a security blob (bare or wrapped in SPNEGO)
// and says whether it is an AUTHENTICATE, and an anonymous one.
inline NtlmAuth find_ntlm_authenticate(Bytes blob) noexcept {
    auto it = std::search(blob.begin(), blob.end(), ntlm::kSignature.begin(), ntlm::kSignature.end());
    if (it == blob.end())
        return NtlmAuth::None;
    Reader r(blob.subspan(static_cast<std::size_t>(it - blob.begin())));
    std::uint32_t type = 0;
    std::uint16_t user_len = 0;
    if (!r.skip(ntlm::kSignature.size()) || !r.read_u32le(type) || type != ntlm::kMessageAuthenticate)
        return NtlmAuth::None;
    if (!r.seek(ntlm::kUserNameFieldOffset) || !r.read_u16le(user_len))
        return NtlmAuth::None;
    std::uint32_t flags = 0;
    if (r.seek(ntlm::kNegotiateFlagsOffset) && r.read_u32le(flags) && (flags & ntlm::kFlagAnonymous))
        return NtlmAuth::Anonymous;
    return user_len == 0 ? NtlmAuth::Anonymous : NtlmAuth::User;
}

} // namespace smbsign
