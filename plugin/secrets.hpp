// The secrets smbsign verifies signatures with, collected from preferences: Wireshark's
// own (ntlmssp.nt_password, kerberos.file, the smb2_seskey_list table) and smbsign's
// credentials file. The secrets go to the core; nothing here prints them.
#pragma once

#include "smbsign/verify/secrets.hpp"

namespace smbsign::plugin::secrets {

// smbsign's own preferences (smbsign.credentials_file), under our protocol's module.
void register_prefs(int proto);

// Everything the preferences hold now; empty when nothing is given.
smbsign::verify::Secrets collect();

} // namespace smbsign::plugin::secrets
