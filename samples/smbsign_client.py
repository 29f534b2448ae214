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
"""
import argparse
import sys

from impacket import nmb, smb, smb3
from impacket.smbconnection import SMBConnection
from impacket.smb3structs import SMB2_DIALECT_002, SMB2_DIALECT_21, SMB2_DIALECT_311

DIALECTS = {'2.0.2': SMB2_DIALECT_002, '2.1': SMB2_DIALECT_21, '3.1.1': SMB2_DIALECT_311}


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
    p.add_argument('--mode', required=True, choices=['smb1-require-close', 'smb1-nosign', 'smb2-nosign', 'smb1-relogon'])
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
          'smb1-relogon': mode_smb1_relogon}[a.mode]
    return fn(a)


if __name__ == '__main__':
    sys.exit(main())
