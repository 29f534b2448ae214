// Registry and Group Policy hints (KB887429, "Configuring SMB signing"): which
// setting produces each side's observed policy, and what to change, on which side,
// to make a failing connection succeed securely.
#pragma once

#include "smbsign/matrix.hpp"

#include <string_view>

namespace smbsign {

// The Windows 2000+ keys; NT 4.0 clients use ...\Services\Rdr\Parameters and
// Windows 98 clients ...\Services\VxD\VNetsup, with the same value names.
constexpr std::string_view server_hint(Policy p, Family f) noexcept {
    switch (p) {
    case Policy::Required:
        return "GPO 'Microsoft network server: Digitally sign communications (always)' = Enabled "
               "(Windows 2000: 'Digitally sign server communication (always)'); registry "
               "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManServer\\Parameters "
               "RequireSecuritySignature = 1";
    case Policy::Enabled:
        if (f == Family::Smb2)
            return "SMB2/3 server that does not require signing: GPO 'Microsoft network server: "
                   "Digitally sign communications (always)' = Disabled; registry "
                   "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManServer\\Parameters "
                   "RequireSecuritySignature = 0 (EnableSecuritySignature is ignored for SMB2)";
        return "GPO 'Microsoft network server: Digitally sign communications (if client agrees)' "
               "= Enabled and '(always)' = Disabled (Windows 2000: 'Digitally sign server "
               "communication (when possible)'); registry "
               "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManServer\\Parameters "
               "EnableSecuritySignature = 1, RequireSecuritySignature = 0";
    case Policy::Disabled:
        if (f == Family::Smb2)
            return "SMB2/3 server that advertises no signing: not a Windows setting (a compliant "
                   "server always sets SIGNING_ENABLED); a third-party server, e.g. Samba "
                   "'server signing = disabled'";
        return "GPO 'Microsoft network server: Digitally sign communications (if client agrees)' "
               "= Disabled and '(always)' = Disabled (Windows 2000: 'Digitally sign server "
               "communication (when possible)' = Disabled); registry "
               "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManServer\\Parameters "
               "EnableSecuritySignature = 0, RequireSecuritySignature = 0 (Samba: 'server signing "
               "= disabled')";
    case Policy::Unknown:
        break;
    }
    return {};
}

constexpr std::string_view client_hint(Policy p, Family f) noexcept {
    switch (p) {
    case Policy::Required:
        return "GPO 'Microsoft network client: Digitally sign communications (always)' = Enabled "
               "(Windows 2000: 'Digitally sign client communication (always)'); registry "
               "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManWorkstation\\Parameters "
               "RequireSecuritySignature = 1 (NT 4.0: ...\\Services\\Rdr\\Parameters; Windows 98: "
               "...\\Services\\VxD\\VNetsup)";
    case Policy::Enabled:
        if (f == Family::Smb2)
            return "SMB2/3 client that does not require signing: GPO 'Microsoft network client: "
                   "Digitally sign communications (always)' = Disabled; registry "
                   "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManWorkstation\\Parameters "
                   "RequireSecuritySignature = 0 (EnableSecuritySignature is ignored for SMB2)";
        return "GPO 'Microsoft network client: Digitally sign communications (if server agrees)' "
               "= Enabled and '(always)' = Disabled (Windows 2000: 'Digitally sign client "
               "communication (when possible)'); registry "
               "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManWorkstation\\Parameters "
               "EnableSecuritySignature = 1, RequireSecuritySignature = 0 (NT 4.0: "
               "...\\Services\\Rdr\\Parameters; Windows 98: ...\\Services\\VxD\\VNetsup)";
    case Policy::Disabled:
        return "GPO 'Microsoft network client: Digitally sign communications (if server agrees)' "
               "= Disabled (Windows 2000: 'Digitally sign client communication (when possible)' = "
               "Disabled); registry "
               "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManWorkstation\\Parameters "
               "EnableSecuritySignature = 0 (NT 4.0: ...\\Services\\Rdr\\Parameters; Windows 98: "
               "...\\Services\\VxD\\VNetsup; Samba: 'client signing = disabled')";
    case Policy::Unknown:
        break;
    }
    return {};
}

// For a failing connection: the secure way to make it work. Never "lower the side
// that requires signing".
constexpr std::string_view fix_hint(Predicted p, Observed o, bool guest_or_anonymous) noexcept {
    if (p == Predicted::BlockedAfterNegotiate)
        return "Server side: turn signing on (LanManServer\\Parameters EnableSecuritySignature = "
               "1, better RequireSecuritySignature = 1; Samba 'server signing = mandatory'). Do "
               "not lower the client's RequireSecuritySignature.";
    if (p == Predicted::DeniedAtTreeConnect || o == Observed::DeniedAtTreeConnect)
        return "Client side: allow signing (LanManWorkstation\\Parameters EnableSecuritySignature "
               "= 1, GPO 'Microsoft network client: Digitally sign communications (if server "
               "agrees)' = Enabled; Samba 'client signing = desired' or 'required'). Keep the "
               "server's requirement.";
    if (p == Predicted::SigningFailure || o == Observed::SigningFailure) {
        if (guest_or_anonymous)
            return "Use an authenticated account instead of guest/anonymous access: a "
                   "guest/anonymous session has no key and cannot sign (Windows 11 24H2 / Server "
                   "2025 block insecure guest logons and require signing by default).";
        return "Server side: make the server able to sign (a third-party server must advertise "
               "SIGNING_ENABLED; Samba 'server signing = auto' or 'mandatory'). Keep the client's "
               "requirement.";
    }
    return {};
}

} // namespace smbsign
