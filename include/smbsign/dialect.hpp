// The SMB dialect a connection negotiated, and the names of dialects, signing
// algorithms and ciphers as smbsign shows them.
#pragma once

#include "smbsign/smb2.hpp"

#include <cstdint>
#include <string_view>

namespace smbsign {

enum class Dialect : std::uint8_t {
    Unknown,
    Core,     // SMB1 core dialect: no signing
    Lanman,   // SMB1 LANMAN family: no signing
    NtLm012,  // "NT LM 0.12"
    Smb2Wild, // 0x02FF: the SMB1-to-SMB2 negotiate is still under way
    Smb202,
    Smb210,
    Smb300,
    Smb302,
    Smb311,
};

constexpr std::string_view to_string(Dialect d) noexcept {
    switch (d) {
    case Dialect::Core:
        return "core";
    case Dialect::Lanman:
        return "LANMAN";
    case Dialect::NtLm012:
        return "NT LM 0.12";
    case Dialect::Smb2Wild:
        return "2.???";
    case Dialect::Smb202:
        return "2.0.2";
    case Dialect::Smb210:
        return "2.1";
    case Dialect::Smb300:
        return "3.0";
    case Dialect::Smb302:
        return "3.0.2";
    case Dialect::Smb311:
        return "3.1.1";
    case Dialect::Unknown:
        break;
    }
    return "unknown";
}

constexpr std::string_view to_string(smb2::SigningAlgorithm a) noexcept {
    switch (a) {
    case smb2::SigningAlgorithm::HmacSha256:
        return "HMAC-SHA256";
    case smb2::SigningAlgorithm::AesCmac:
        return "AES-128-CMAC";
    case smb2::SigningAlgorithm::AesGmac:
        return "AES-128-GMAC";
    case smb2::SigningAlgorithm::Md5:
        return "MD5 (SMB1 MAC)";
    case smb2::SigningAlgorithm::Unknown:
        break;
    }
    return "unknown";
}

constexpr std::string_view to_string(smb2::Cipher c) noexcept {
    switch (c) {
    case smb2::Cipher::Aes128Ccm:
        return "AES-128-CCM";
    case smb2::Cipher::Aes128Gcm:
        return "AES-128-GCM";
    case smb2::Cipher::Aes256Ccm:
        return "AES-256-CCM";
    case smb2::Cipher::Aes256Gcm:
        return "AES-256-GCM";
    case smb2::Cipher::Unknown:
        return "unknown";
    case smb2::Cipher::None:
        break;
    }
    return "none";
}

// An SMB2 NEGOTIATE DialectRevision as a dialect.
inline Dialect dialect_from_smb2(std::uint16_t d) noexcept {
    switch (d) {
    case smb2::kDialect202:
        return Dialect::Smb202;
    case smb2::kDialect210:
        return Dialect::Smb210;
    case smb2::kDialect300:
        return Dialect::Smb300;
    case smb2::kDialect302:
        return Dialect::Smb302;
    case smb2::kDialect311:
        return Dialect::Smb311;
    case smb2::kDialectWildcard:
        return Dialect::Smb2Wild;
    default:
        return Dialect::Unknown;
    }
}

} // namespace smbsign
