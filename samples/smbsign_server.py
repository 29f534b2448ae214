#!/usr/bin/python3
"""Minimal impacket SMB1 server for samples/generate (Debian's python3-impacket).

Serves one share, SMB1 only, signing disabled (impacket's SecurityMode 0x03), and
accepts any user name and password (no credentials configured). Its notable trait,
the reason the sample exists: every logon on a connection gets UID 10, also a
second logon while the first session is still live (impacket 0.10 smbserver.py,
"TODO: Manage more UIDs for the same session").

Usage: smbsign_server.py --address IP --share NAME=PATH [--port 445]
"""
import argparse
import sys

from impacket import smbserver


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--address', required=True)
    p.add_argument('--port', type=int, default=445)
    p.add_argument('--name', default='SMBSIGN-IMP', help='server NetBIOS name')
    p.add_argument('--share', required=True, help='NAME=PATH')
    a = p.parse_args()
    name, path = a.share.split('=', 1)
    srv = smbserver.SimpleSMBServer(listenAddress=a.address, listenPort=a.port)
    # fixed names instead of impacket's random ones, so that captures repeat
    cfg = srv._SimpleSMBServer__smbConfig
    for key, value in (('server_name', a.name), ('server_os', 'impacket'),
                       ('server_domain', 'SMBSIGN')):
        cfg.set('global', key, value)
    srv.addShare(name, path, 'smbsign sample share')
    srv.setSMB2Support(False)
    print('smbsign_server: listening on %s:%d' % (a.address, a.port), flush=True)
    srv.start()
    return 0


if __name__ == '__main__':
    sys.exit(main())
