#!/usr/bin/python3
"""Small impacket-based SMB client for the signing cells smbclient cannot express.

Run with Debian's /usr/bin/python3 (python3-impacket).  Used by samples/generate.

Modes
  smb1-require-close  SMB1 client whose policy is "signing required", Windows style:
                      NEGOTIATE with Flags2 0x0010 (SECURITY_SIGNATURE_REQUIRED);
                      if the server's SecurityMode lacks 0x04 (signatures enabled) the
                      client closes the connection right after NEGOTIATE, as Windows
                      does (KB887429: error 1240 ERROR_LOGIN_WKSTA_RESTRICTION).
                      Otherwise it logs on with signing and reads a file.
  smb1-nosign         SMB1 client that never signs (Flags2 without 0x0004/0x0010, zero
                      signatures) whatever the server says: logs on, tree connects,
                      lists the share and reads a file as far as the server lets it.
  smb2-nosign         SMB2/3 client that advertises SecurityMode 0x01 and then does
                      not sign anything, even when the server requires signing.
  smb1-relogon        Three SMB1 logons on one connection, each listing the share: the
                      second with UID 0 (a new logon, not a re-authentication) while the
                      first session is still live, the third after a LOGOFF. Meant for
                      smbsign_server.py, which gives every logon UID 10.
  smb2-compound       SMB 2.1/3.0 logon to a server that requires signing, then one
                      related compound request chain CREATE + QUERY_INFO + CLOSE
                      (SMB2_FLAGS_RELATED_OPERATIONS on the second and third, each element
                      8-byte aligned with NextCommand set and signed over its own bytes),
                      and reads the compound response.
"""
import argparse
import hashlib
import hmac
import struct
import sys

from impacket import crypto, nmb, smb, smb3, smb3structs as s3s
from impacket.smbconnection import SMBConnection
from impacket.smb3structs import SMB2_DIALECT_002, SMB2_DIALECT_21, SMB2_DIALECT_30, SMB2_DIALECT_311

DIALECTS = {'2.0.2': SMB2_DIALECT_002, '2.1': SMB2_DIALECT_21, '3.0': SMB2_DIALECT_30,
            '3.1.1': SMB2_DIALECT_311}


def say(msg):
    print('smbsign_client: ' + msg, flush=True)


class SMB1(smb.SMB):
    """impacket SMB1 client whose NEGOTIATE Flags2 we choose."""
    negotiate_flags2_extra = 0

    def neg_session(self, extended_security=True, negPacket=None):
        f1, f2 = self.get_flags()
        self.set_flags(flags2=f2 | self.negotiate_flags2_extra)
        r = smb.SMB.neg_session(self, extended_security, negPacket)
        # from here on, only what the mode adds
        self.set_flags(flags2=f2 | (self.get_flags()[1] & smb.SMB.FLAGS2_UNICODE))
        return r


def smb1_connect(a, extra_flags2):
    sess = nmb.NetBIOSTCPSession(a.name, a.server_name, a.server, nmb.TYPE_SERVER, a.port, 30)
    SMB1.negotiate_flags2_extra = extra_flags2
    return SMB1(a.server_name, a.server, my_name=a.name, sess_port=a.port, session=sess)


def smb1_session(s, a, share):
    s.login(a.user, a.password, domain='SMBSIGN')
    say('session setup ok')
    tid = s.tree_connect_andx('\\\\%s\\%s' % (a.server_name, share))
    say('tree connect ok, tid=%d' % tid)
    for f in s.list_path(share, '*'):
        say('  %s' % f.get_longname())
    fid = s.nt_create_andx(tid, 'hello.txt')
    data = s.read_andx(tid, fid, 0, 4096)
    say('read %d bytes' % len(data))
    s.close(tid, fid)
    s.disconnect_tree(tid)
    s.logoff()


def mode_smb1_require_close(a):
    s = smb1_connect(a, smb.SMB.FLAGS2_SMB_SECURITY_SIGNATURE_REQUIRED)
    secmode = s._dialects_parameters['SecurityMode']
    say('server SecurityMode 0x%02x' % secmode)
    if not secmode & smb.SMB.SECURITY_SIGNATURES_ENABLED:
        say('server does not sign, client requires signing: closing after NEGOTIATE '
            '(Windows: system error 1240 ERROR_LOGIN_WKSTA_RESTRICTION)')
        s.close_session()
        return 1
    s._SignatureRequired = True     # sign from the first session setup on
    smb1_session(s, a, a.share)
    s.close_session()
    return 0


def mode_smb1_nosign(a):
    s = smb1_connect(a, 0)
    say('server SecurityMode 0x%02x' % s._dialects_parameters['SecurityMode'])
    s._SignatureRequired = False    # no 0x0004/0x0010 in the session setup
    try:
        s.login(a.user, a.password, domain='SMBSIGN')
        say('session setup ok')
        s._SignatureEnabled = False  # impacket would start signing: don't
        tid = s.tree_connect_andx('\\\\%s\\%s' % (a.server_name, a.share))
        say('tree connect ok, tid=%d' % tid)
        fid = s.nt_create_andx(tid, 'hello.txt')
        say('read %d bytes' % len(s.read_andx(tid, fid, 0, 4096)))
        s.close(tid, fid)
        s.disconnect_tree(tid)
        s.logoff()
    except Exception as e:  # the server refusing us is the point of the sample
        say('failed: %s' % e)
        return 1
    finally:
        try:
            s.close_session()
        except Exception:
            pass
    return 0


def mode_smb2_nosign(a):
    c = SMBConnection(a.server_name, a.server, myName=a.name, sess_port=a.port,
                      preferredDialect=DIALECTS[a.dialect], timeout=30)
    s3 = c.getSMBServer()
    say('dialect 0x%04x, server requires signing: %s' % (s3._Connection['Dialect'],
                                                         s3._Connection['RequireSigning']))
    s3._Connection['RequireSigning'] = False   # never sign
    try:
        c.login(a.user, a.password, domain='SMBSIGN')
        say('session setup ok')
        s3._Session['SigningRequired'] = False
        s3._Session['SigningActivated'] = False
        tid = c.connectTree(a.share)
        say('tree connect ok, tid=%d' % tid)
        for f in c.listPath(a.share, '*'):
            say('  %s' % f.get_longname())
        c.disconnectTree(tid)
        c.logoff()
    except Exception as e:
        say('failed: %s' % e)
        return 1
    finally:
        try:
            c.close()
        except Exception:
            pass
    return 0


def smb2_sign(s3, data):
    """The 16-byte signature of one SMB2 message (signature field zero), 2.x or 3.0."""
    if s3._Connection['Dialect'] in (SMB2_DIALECT_002, SMB2_DIALECT_21):
        return hmac.new(s3._Session['SessionKey'], data, hashlib.sha256).digest()[:16]
    return crypto.AES_CMAC(s3._Session['SigningKey'], data, len(data))


def mode_smb2_compound(a):
    c = SMBConnection(a.server_name, a.server, myName=a.name, sess_port=a.port,
                      preferredDialect=DIALECTS[a.dialect], timeout=30)
    s3 = c.getSMBServer()
    c.login(a.user, a.password, domain='SMBSIGN')
    # impacket would encrypt every 3.x message after the logon: sign them in clear instead
    s3._Session['SessionFlags'] &= ~s3s.SMB2_SESSION_FLAG_ENCRYPT_DATA
    say('dialect 0x%04x, signing %s' % (s3._Connection['Dialect'], s3._Session['SigningActivated']))
    tid = c.connectTree(a.share)
    say('tree connect ok, tid=%d' % tid)

    create = s3s.SMB2Create()
    create['SecurityFlags'] = 0
    create['RequestedOplockLevel'] = s3s.SMB2_OPLOCK_LEVEL_NONE
    create['ImpersonationLevel'] = s3s.SMB2_IL_IMPERSONATION
    create['DesiredAccess'] = s3s.FILE_READ_DATA | s3s.FILE_READ_ATTRIBUTES
    create['FileAttributes'] = 0
    create['ShareAccess'] = s3s.FILE_SHARE_READ
    create['CreateDisposition'] = s3s.FILE_OPEN
    create['CreateOptions'] = s3s.FILE_NON_DIRECTORY_FILE
    create['NameLength'] = len('hello.txt') * 2
    create['Buffer'] = 'hello.txt'.encode('utf-16le')
    create['CreateContextsOffset'] = 0
    create['CreateContextsLength'] = 0
    related = b'\xff' * 16   # "the file just opened in this chain"
    query = s3s.SMB2QueryInfo()
    query['InfoType'] = s3s.SMB2_0_INFO_FILE
    query['FileInfoClass'] = s3s.SMB2_FILE_STANDARD_INFO
    query['OutputBufferLength'] = 4096
    query['InputBufferOffset'] = 0
    query['InputBufferLength'] = 0
    query['AdditionalInformation'] = 0
    query['Flags'] = 0
    query['FileID'] = related
    query['Buffer'] = b'\x00'
    close = s3s.SMB2Close()
    close['Flags'] = 0
    close['FileID'] = related

    elements = [(s3s.SMB2_CREATE, create), (s3s.SMB2_QUERY_INFO, query), (s3s.SMB2_CLOSE, close)]
    chain = b''
    for i, (cmd, body) in enumerate(elements):
        p = s3s.SMB2Packet()
        p['Command'] = cmd
        p['CreditCharge'] = 1
        p['CreditRequestResponse'] = 127
        p['MessageID'] = s3._Connection['SequenceWindow']
        s3._Connection['SequenceWindow'] += 1
        p['SessionID'] = s3._Session['SessionID']
        p['TreeID'] = tid
        p['Flags'] = s3s.SMB2_FLAGS_SIGNED | (s3s.SMB2_FLAGS_RELATED_OPERATIONS if i else 0)
        p['Data'] = body
        p['Signature'] = b'\x00' * 16
        last = i == len(elements) - 1
        size = len(p.getData())
        if not last:
            size += -size % 8
            p['NextCommand'] = size
        data = p.getData().ljust(size, b'\x00')
        data = data[:48] + smb2_sign(s3, data) + data[64:]
        chain += data
    s3._NetBIOSSession.send_packet(chain)
    say('sent a compound chain of %d elements, %d bytes' % (len(elements), len(chain)))

    # the compound response: one NetBIOS message, or several if the server split it
    got = 0
    while got < len(elements):
        buf = s3._NetBIOSSession.recv_packet(30).get_trailer()
        while buf:
            nxt, status, cmd = (struct.unpack_from('<I', buf, 20)[0], struct.unpack_from('<I', buf, 8)[0],
                                struct.unpack_from('<H', buf, 12)[0])
            say('response command %d status 0x%08x%s' % (cmd, status, ' (compound)' if nxt else ''))
            if status != 0x103:   # STATUS_PENDING: the final answer follows
                got += 1
            buf = buf[nxt:] if nxt else b''
    c.disconnectTree(tid)
    c.close()   # LOGOFF, then the TCP close
    return 0


def mode_smb1_relogon(a):
    s = smb1_connect(a, 0)
    say('server SecurityMode 0x%02x' % s._dialects_parameters['SecurityMode'])

    def logon_and_list(user, password):
        s.login(user, password, domain='SMBSIGN')
        say('logon as %r: UID %d' % (user, s.get_uid()))
        tid = s.tree_connect_andx('\\\\%s\\%s' % (a.server_name, a.share))
        for f in s.list_path(a.share, '*'):
            say('  %s' % f.get_longname())
        s.disconnect_tree(tid)

    logon_and_list(a.user, a.password)
    s.set_uid(0)  # a new logon, not a re-authentication of the live session
    logon_and_list(a.user2, a.password)
    s.logoff()    # ends the second session; impacket forgets its UID
    logon_and_list(a.user, a.password)
    s.logoff()
    s.close_session()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--mode', required=True, choices=['smb1-require-close', 'smb1-nosign', 'smb2-nosign', 'smb1-relogon',
                                                        'smb2-compound'])
    p.add_argument('--server', required=True, help='server IP address')
    p.add_argument('--server-name', default='SMBSIGN-SRV', help='server NetBIOS name')
    p.add_argument('--name', default='SMBSIGN-CLI', help='client NetBIOS name (my_name)')
    p.add_argument('--port', type=int, default=445)
    p.add_argument('--user', default='smbsign')
    p.add_argument('--password', default='')
    p.add_argument('--user2', default='smbsign2', help='second user (smb1-relogon)')
    p.add_argument('--share', default='data')
    p.add_argument('--dialect', default='2.0.2', choices=sorted(DIALECTS))
    a = p.parse_args()
    fn = {'smb1-require-close': mode_smb1_require_close,
          'smb1-nosign': mode_smb1_nosign,
          'smb2-nosign': mode_smb2_nosign,
          'smb1-relogon': mode_smb1_relogon,
          'smb2-compound': mode_smb2_compound}[a.mode]
    return fn(a)


if __name__ == '__main__':
    sys.exit(main())
