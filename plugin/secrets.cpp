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
                     "DOMAIN\\user:RID:LMHASH:NTHASH::: nor DOMAIN\\account:ETYPE:HEXKEY\n",
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
// first two columns are the SessionId and the SessionKey, both hex bytes.
void session_key_table(uat_t *uat, Secrets &s) {
    if (uat->user_data == nullptr || uat->fields == nullptr || uat->ncols < 2)
        return;
    for (guint i = 0; i < uat->user_data->len; ++i) {
        void *rec = uat->user_data->data + i * uat->record_size;
        char *id = uat_fld_tostr(rec, &uat->fields[0]);
        char *key = uat_fld_tostr(rec, &uat->fields[1]);
        if (id != nullptr && key != nullptr)
            smbsign::verify::add_session_key(s, id, key);
        if (key != nullptr)
            std::memset(key, 0, std::strlen(key));
        g_free(id);
        g_free(key);
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
        "pwdump/secretsdump DOMAIN\\user:RID:LMHASH:NTHASH:::, or secretsdump Kerberos keys "
        "DOMAIN\\account:aes256-cts-hmac-sha1-96:HEX (aes128-cts-hmac-sha1-96, rc4_hmac). "
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
