// See secrets.hpp. Files are read with GLib; a file that cannot be read or lines that do
// not parse are reported on stderr by name and line number, never by content.

#include "plugin/secrets.hpp"

#include "plugin/internals.hpp"

#include <epan/prefs.h>
#include <glib.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace smbsign::plugin::secrets {
namespace {

using smbsign::verify::Secrets;

const char *credentials_path = nullptr; // smbsign.credentials_file

bool read_file(const std::string &path, std::string &out) {
    gchar *contents = nullptr;
    gsize length = 0;
    if (!g_file_get_contents(path.c_str(), &contents, &length, nullptr))
        return false;
    out.assign(contents, length);
    std::memset(contents, 0, length); // the copy is all that is left
    g_free(contents);
    return true;
}

void credentials_file(Secrets &s) {
    if (credentials_path == nullptr || *credentials_path == '\0')
        return;
    std::string text;
    if (!read_file(credentials_path, text)) {
        std::fprintf(stderr, "smbsign: cannot read the credentials file %s\n", credentials_path);
        return;
    }
    for (std::size_t line : smbsign::verify::parse_credentials(text, s))
        std::fprintf(stderr,
                     "smbsign: %s line %zu is neither DOMAIN\\user:password, "
                     "DOMAIN\\user:RID:LMHASH:NTHASH:::, DOMAIN\\account:ETYPE:HEXKEY nor "
                     "session-key:0xID:KEY[:S2C:C2S]\n",
                     credentials_path, line);
    std::fill(text.begin(), text.end(), '\0');
}

void keytab(Secrets &s) {
    const std::string path = internals::string_pref("kerberos", "file");
    if (path.empty())
        return;
    std::string data;
    if (!read_file(path, data))
        return; // Kerberos itself reports its keytab
    smbsign::verify::parse_keytab(
        smbsign::Bytes(reinterpret_cast<const std::uint8_t *>(data.data()), data.size()), s);
    std::fill(data.begin(), data.end(), '\0');
}

// Wireshark's SMB2 session-key table (also filled by -o uat:smb2_seskey_list:...): its
// columns are the SessionId, the SessionKey, and the Server-to-Client and
// Client-to-Server cipher keys, all hex bytes (the last two may be empty).
void session_key_table(Secrets &s) {
    internals::each_uat_row("smb2_seskey_list", 4, [&s](std::span<const char *const> col) {
        auto text = [&col](std::size_t c) {
            return std::string_view(col[c] != nullptr ? col[c] : "");
        };
        if (col[0] != nullptr)
            smbsign::verify::add_session_key(s, text(0), text(1), text(2), text(3));
    });
}

} // namespace

void register_prefs(int proto) {
    module_t *module = prefs_register_protocol(proto, nullptr);
    prefs_register_filename_preference(
        module, "credentials_file", "Credentials file",
        "Accounts to verify SMB signatures with, one per line: DOMAIN\\user:password, or "
        "pwdump/secretsdump DOMAIN\\user:RID:LMHASH:NTHASH:::, secretsdump Kerberos keys "
        "DOMAIN\\account:aes256-cts-hmac-sha1-96:HEX (aes128-cts-hmac-sha1-96, rc4_hmac), or a "
        "session's keys session-key:0xSESSIONID:KEY[:S2CKEY:C2SKEY] (KEY 16 or 32 bytes in hex). "
        "Wireshark's NTLMSSP password, Kerberos keytab and SMB2 session-key table are used too.",
        &credentials_path, FALSE);
}

Secrets collect() {
    Secrets s;
    credentials_file(s);
    if (std::string pw = internals::string_pref("ntlmssp", "nt_password"); !pw.empty()) {
        s.add_password(pw);
        std::fill(pw.begin(), pw.end(), '\0');
    }
    keytab(s);
    session_key_table(s);
    return s;
}

} // namespace smbsign::plugin::secrets
