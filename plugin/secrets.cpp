// See secrets.hpp. Files are read with GLib; a file that cannot be read or lines that do
// not parse are reported on stderr by name and line number, never by content.

#include "plugin/secrets.hpp"

// The public headers first: the internal ones use their types.
#include <epan/prefs.h>
#include <epan/uat.h>

#include <epan/prefs-int.h>
#include <epan/uat-int.h>
#include <glib.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace secrets {
namespace {

using smbsign::verify::Secrets;

const char *credentials_path = nullptr; // smbsign.credentials_file

// The current value of another protocol's string preference, or "".
std::string string_pref(const char *module_name, const char *pref_name) {
    module_t *module = prefs_find_module(module_name);
    pref_t *pref = module != nullptr ? prefs_find_preference(module, pref_name) : nullptr;
    const char *value = pref != nullptr ? prefs_get_string_value(pref, pref_current) : nullptr;
    return value != nullptr ? value : "";
}

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
    const std::string path = string_pref("kerberos", "file");
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
void session_key_table(uat_t *uat, Secrets &s) {
    constexpr guint kColumns = 4;
    if (uat->user_data == nullptr || uat->fields == nullptr || uat->ncols < 2)
        return;
    for (guint i = 0; i < uat->user_data->len; ++i) {
        void *rec = uat->user_data->data + i * uat->record_size;
        char *col[kColumns] = {};
        for (guint c = 0; c < kColumns && c < uat->ncols; ++c)
            col[c] = uat_fld_tostr(rec, &uat->fields[c]);
        auto text = [&](guint c) { return std::string_view(col[c] != nullptr ? col[c] : ""); };
        if (col[0] != nullptr)
            smbsign::verify::add_session_key(s, text(0), text(1), text(2), text(3));
        for (guint c = 0; c < kColumns; ++c) {
            if (c > 0 && col[c] != nullptr)
                std::memset(col[c], 0, std::strlen(col[c]));
            g_free(col[c]);
        }
    }
}

void each_uat(void *uat, void *secrets) {
    auto *u = static_cast<uat_t *>(uat);
    if (u->filename != nullptr && std::strcmp(u->filename, "smb2_seskey_list") == 0)
        session_key_table(u, *static_cast<Secrets *>(secrets));
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
    if (std::string pw = string_pref("ntlmssp", "nt_password"); !pw.empty()) {
        s.add_password(pw);
        std::fill(pw.begin(), pw.end(), '\0');
    }
    keytab(s);
    uat_foreach_table(each_uat, &s);
    return s;
}

} // namespace secrets
