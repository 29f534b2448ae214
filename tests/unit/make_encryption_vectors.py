#!/usr/bin/python3
"""Prints the known answers of verify_encryption_test.cpp (EncryptionVectors), computed
here independently of the C++ core, with Python's hmac/hashlib, pycryptodomex (MD4, RC4)
and cryptography (AESCCM, AESGCM), from the lab's encrypted samples and the lab password
(samples/README.md: user smbsign, domain SMBSIGN, password Sign1ng-Pass):

    tests/unit/make_encryption_vectors.py [SAMPLES_DIR]

For each sample: the NTLMv2 session key (MS-NLMP 3.3.2, KEY_EXCH), the 3.1.1 preauth hash
(MS-SMB2 3.2.5.2: NEGOTIATE pair, then every SESSION_SETUP message but the final
response) or none for 3.0, the client-to-server cipher key (MS-SMB2 3.2.5.3.1), and the
first client TRANSFORM message's frame and plaintext (decrypted and tag-checked here).
Needs tshark. Regenerate after regenerating the samples.
"""
import hashlib
import hmac
import os
import subprocess
import sys

from Cryptodome.Cipher import ARC4
from Cryptodome.Hash import MD4
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM

D = (sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../samples")).rstrip("/") + "/"
USER, DOMAIN, PASSWORD = "smbsign", "SMBSIGN", "Sign1ng-Pass"


def smb_messages(f):
    """(frame, from_client, SMB message bytes) of every one-message frame."""
    out = subprocess.run(["tshark", "-r", D + f, "-Y", "tcp.len > 0", "-T", "fields", "-e", "frame.number",
                          "-e", "tcp.dstport", "-e", "tcp.payload"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        fr, dport, payload = line.split("\t")
        b = bytes.fromhex(payload.replace(":", ""))
        n = int.from_bytes(b[1:4], "big")
        if b[0] == 0 and len(b) == 4 + n:
            yield int(fr), dport == "445", b[4:]


def ntlmssp(blob, kind):
    i = blob.find(b"NTLMSSP\0")
    while i >= 0:
        if int.from_bytes(blob[i + 8:i + 12], "little") == kind:
            return blob[i:]
        i = blob.find(b"NTLMSSP\0", i + 1)
    return None


def field(msg, off):
    ln, _, at = int.from_bytes(msg[off:off + 2], "little"), 0, int.from_bytes(msg[off + 4:off + 8], "little")
    return msg[at:at + ln]


def vectors(f, cipher):
    nt = MD4.new(PASSWORD.encode("utf-16le")).digest()
    owf = hmac.new(nt, (USER.upper() + DOMAIN).encode("utf-16le"), "md5").digest()
    h = bytes(64)
    challenge = session_key = None
    c2s_transform = None
    for fr, from_client, m in smb_messages(f):
        if m[:4] == b"\xfdSMB":
            if from_client and c2s_transform is None:
                c2s_transform = (fr, m)
            continue
        cmd, status = int.from_bytes(m[12:14], "little"), int.from_bytes(m[8:12], "little")
        if cmd == 0 or (cmd == 1 and not (not from_client and status == 0)):
            h = hashlib.sha512(h + m).digest()  # NEGOTIATE, SESSION_SETUP but the final response
        if cmd == 1 and not from_client and (c := ntlmssp(m, 2)):
            challenge = c[24:32]
        if cmd == 1 and from_client and (a := ntlmssp(m, 3)):
            ntresp = field(a, 20)
            proof = hmac.new(owf, challenge + ntresp[16:], "md5").digest()
            assert proof == ntresp[:16], "the lab password does not prove this AUTHENTICATE"
            base = hmac.new(owf, proof, "md5").digest()
            session_key = ARC4.new(base).decrypt(field(a, 52))  # KEY_EXCH (Samba, smbclient)
    wide = cipher in ("AES-256-CCM", "AES-256-GCM")
    if cipher == "3.0":
        label, context, length = b"SMB2AESCCM\0", b"ServerIn \0", 128
    else:
        label, context, length = b"SMBC2SCipherKey\0", h, 256 if wide else 128
    key = hmac.new(session_key, b"\0\0\0\1" + label + b"\0" + context + length.to_bytes(4, "big"),
                   "sha256").digest()[:length // 8]
    fr, m = c2s_transform
    tag, nonce, aad, ct = m[4:20], m[20:36], m[20:52], m[52:]
    aead = AESGCM(key) if cipher.endswith("GCM") else AESCCM(key, tag_length=16)
    plain = aead.decrypt(nonce[:12] if cipher.endswith("GCM") else nonce[:11], ct + tag, aad)
    return session_key, h if cipher != "3.0" else None, key, fr, plain


for f, cipher in (("smb30-encrypted-aes128ccm.pcap", "3.0"), ("smb311-encrypted-aes128ccm.pcap", "AES-128-CCM"),
                  ("smb311-encrypted-aes128gcm.pcap", "AES-128-GCM"), ("smb311-encrypted-aes256ccm.pcap", "AES-256-CCM"),
                  ("smb311-encrypted-aes256gcm.pcap", "AES-256-GCM")):
    sk, h, key, fr, plain = vectors(f, cipher)
    print(f"// {f}: session key {sk.hex()}")
    if h:
        print(f"//   preauth hash {h.hex()}")
    print(f'{{"{f}", "{cipher}", "{key.hex()}", {fr}, "{plain[:64].hex()}", {len(plain)}}},')
