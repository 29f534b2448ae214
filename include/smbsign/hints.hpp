// Registry and Group Policy hints (KB887429, "Configuring SMB signing"): which
// setting produces each side's observed policy, and what to change, on which side,
// to make a failing connection succeed securely. Each text stays well under
// Wireshark's 240-character item label.
#pragma once

#include "smbsign/matrix.hpp"

#include <string_view>

namespace smbsign {

struct Hint {
    std::string_view group_policy; // the setting, with its Windows 2000 name where it differs
    std::string_view registry;     // key and values (Windows 2000 and later)
};

// The server side: HKLM\SYSTEM\CurrentControlSet\Services\LanManServer\Parameters.
constexpr Hint server_hint(Policy p, Family f) noexcept {
    switch (p) {
    case Policy::Required:
        return {"'Microsoft network server: Digitally sign communications (always)' = Enabled "
                "(Windows 2000: 'Digitally sign server communication (always)')",
                "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManServer\\Parameters "
                "RequireSecuritySignature = 1"};
    case Policy::Enabled:
        if (f == Family::Smb2)
            return {"'Microsoft network server: Digitally sign communications (always)' = "
                    "Disabled (SMB2/3 ignores '(if client agrees)')",
                    "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManServer\\Parameters "
                    "RequireSecuritySignature = 0"};
        return {"'Microsoft network server: Digitally sign communications (if client agrees)' = "
                "Enabled, '(always)' = Disabled (Windows 2000: '... (when possible)')",
                "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManServer\\Parameters "
                "EnableSecuritySignature = 1, RequireSecuritySignature = 0"};
    case Policy::Disabled:
        if (f == Family::Smb2)
            return {"none: a Windows SMB2/3 server always offers signing; a third-party server "
                    "(e.g. Samba 'server signing = disabled')",
                    "not a Windows registry setting"};
        return {"'Microsoft network server: Digitally sign communications (if client agrees)' = "
                "Disabled (Windows 2000: '... (when possible)'; Samba: 'server signing = "
                "disabled')",
                "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManServer\\Parameters "
                "EnableSecuritySignature = 0, RequireSecuritySignature = 0"};
    case Policy::Unknown:
        break;
    }
    return {};
}

// The client side: ...\Services\LanManWorkstation\Parameters on Windows 2000 and later,
// ...\Services\Rdr\Parameters on NT 4.0, ...\Services\VxD\VNetsup on Windows 98.
constexpr Hint client_hint(Policy p, Family f) noexcept {
    switch (p) {
    case Policy::Required:
        return {"'Microsoft network client: Digitally sign communications (always)' = Enabled "
                "(Windows 2000: 'Digitally sign client communication (always)')",
                "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManWorkstation\\Parameters "
                "RequireSecuritySignature = 1 (NT 4.0: Rdr\\Parameters; Windows 98: VxD\\VNetsup)"};
    case Policy::Enabled:
        if (f == Family::Smb2)
            return {"'Microsoft network client: Digitally sign communications (always)' = "
                    "Disabled (SMB2/3 ignores '(if server agrees)')",
                    "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManWorkstation\\Parameters "
                    "RequireSecuritySignature = 0"};
        return {"'Microsoft network client: Digitally sign communications (if server agrees)' = "
                "Enabled, '(always)' = Disabled (Windows 2000: '... (when possible)')",
                "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManWorkstation\\Parameters "
                "EnableSecuritySignature = 1, RequireSecuritySignature = 0 (NT 4.0: Rdr; 98: "
                "VNetsup)"};
    case Policy::Disabled:
        return {"'Microsoft network client: Digitally sign communications (if server agrees)' = "
                "Disabled (Windows 2000: '... (when possible)'; Samba: 'client signing = "
                "disabled')",
                "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManWorkstation\\Parameters "
                "EnableSecuritySignature = 0 (NT 4.0: Rdr\\Parameters; Windows 98: VxD\\VNetsup)"};
    case Policy::Unknown:
        break;
    }
    return {};
}

// For a failing connection: the secure way to make it work. Never "lower the side
// that requires signing".
constexpr std::string_view fix_hint(Predicted p, Observed o, bool guest_or_anonymous,
                                    Family f) noexcept {
    if (p == Predicted::BlockedAfterNegotiate)
        return "Server: turn signing on (LanManServer EnableSecuritySignature = 1, better "
               "RequireSecuritySignature = 1; Samba 'server signing = mandatory'). Keep the "
               "client's requirement.";
    if (f == Family::Smb2 && o == Observed::DeniedAtTreeConnect)
        return "Client: a conforming SMB2/3 client signs whenever the server requires it (no "
               "setting turns that off); this one does not: update or replace the client. Keep "
               "the server's requirement.";
    if (p == Predicted::DeniedAtTreeConnect || o == Observed::DeniedAtTreeConnect)
        return "Client: allow signing (LanManWorkstation EnableSecuritySignature = 1; Samba "
               "'client signing = desired' or 'required'). Keep the server's requirement.";
    if (p == Predicted::SigningFailure || o == Observed::SigningFailure) {
        if (guest_or_anonymous)
            return "Use an authenticated account instead of guest/anonymous access: such a "
                   "session has no key and cannot sign.";
        return "Server: make it sign (a third-party server must offer SIGNING_ENABLED; Samba "
               "'server signing = auto' or 'mandatory'). Keep the client's requirement.";
    }
    return {};
}

} // namespace smbsign
