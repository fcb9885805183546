"""The peers of make bench PEERS=1 (t/bench/bench.py): Postfix and Dovecot
from Debian's packages, unpacked by build-aux/peers.sh (never installed,
never started as system services), each run in a private mount namespace
(PEERS/ns) with a private configuration written here, listening only on
127.0.0.1 high ports and unix sockets in a throwaway directory.

Users: the daemons run as the users the Postern side uses (as root:
Postfix's mail_owner is Postern's mail_owner, Dovecot's login processes
run as it too, its internal processes as Postern's auth_owner, and the
mailboxes belong to Postern's store_owner).  The passwords are Postern's
own crypt(3) hashes, copied from its users file into Dovecot's passwd-file
(scheme CRYPT, libxcrypt on both sides), so a login costs the same hash.

Durability, the same on both sides (a 250 means the message is on disk):
Postfix fsyncs a queue file before smtpd's 250 (always; nothing to set).
Dovecot: mail_fsync = always (fsync after every write of mail and index
files; lmtp answers 250 only after).  Dovecot 2.3 has no fsync_mode
setting: mail_fsync is its only fsync knob.

Mailbox format: Dovecot's maildir by default, because it is the same shape
as Postern's store (one file per message, written once and renamed into
place, plus an index that can be rebuilt from the files); mdbox (several
messages per file, and a map index that the files alone do not fully
rebuild) is Dovecot's faster format and can be chosen with
--dovecot-format mdbox.
"""

import os
import signal
import subprocess
import time


def _wait(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def _answers(port, prefix):
    import socket
    try:
        with socket.create_connection(("127.0.0.1", port), 2) as s:
            return s.recv(100).startswith(prefix)
    except OSError:
        return False


def _unix_answers(path, prefix):
    import socket
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(path)
            return s.recv(100).startswith(prefix)
    except OSError:
        return False


def _descendants(pid):
    import procstat
    return procstat.members(procstat.Group([pid]))


class Dovecot:
    """Dovecot's imap, pop3 and lmtp.  users: [(address, crypt hash)]."""

    def __init__(self, peers, base, users, owners, imap_port, pop3_port,
                 mail_format="maildir", hibernate=False, connections=1000):
        self.peers = peers
        self.dir = os.path.join(base, "dovecot")
        self.lmtp_socket = os.path.join(self.dir, "lmtp")
        self.log = os.path.join(self.dir, "dovecot.log")
        self.imap_port, self.pop3_port = imap_port, pop3_port
        self.proc = None
        mail_owner, store_owner, auth_owner = owners
        for d in ("", "run", "state", "mail"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        if os.geteuid() == 0:
            os.chown(os.path.join(self.dir, "mail"), *_ids(store_owner))
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            for address, hashed in users:
                f.write("%s:{CRYPT}%s\n" % (address, hashed))
        location = {"maildir": "maildir:~/Maildir",
                    "mdbox": "mdbox:~/mdbox"}[mail_format]
        procs = connections + 200
        conf = [
            "base_dir = %s/run" % self.dir,
            "state_dir = %s/state" % self.dir,
            "instance_name = bench-peer",
            "protocols = imap pop3 lmtp",
            "listen = 127.0.0.1",
            "ssl = no",
            "disable_plaintext_auth = no",
            "auth_mechanisms = plain login",
            "log_path = %s" % self.log,
            "default_internal_user = %s" % auth_owner,
            "default_internal_group = %s" % auth_owner,
            "default_login_user = %s" % mail_owner,
            "first_valid_uid = 1",
            "first_valid_gid = 1",
            "mail_location = %s" % location,
            "mail_fsync = always",
            "mail_max_userip_connections = %d" % procs,
            "default_client_limit = %d" % (2 * procs),
            "imap_hibernate_timeout = %s" % ("1s" if hibernate else "0"),
            "passdb {\n  driver = passwd-file\n  args = %s/passwd\n}" % self.dir,
            "userdb {\n  driver = static\n  args = uid=%s gid=%s home=%s/mail/%%u\n}"
            % (store_owner, store_owner, self.dir),
            "service imap-login {\n  inet_listener imap {\n    port = %d\n  }\n"
            "  inet_listener imaps {\n    port = 0\n  }\n}" % imap_port,
            "service pop3-login {\n  inet_listener pop3 {\n    port = %d\n  }\n"
            "  inet_listener pop3s {\n    port = 0\n  }\n}" % pop3_port,
            "service imap {\n  process_limit = %d\n%s}" % (procs, (
                "  unix_listener imap-master {\n    mode = 0666\n  }\n"
                if hibernate else "")),
            "service lmtp {\n  unix_listener %s {\n    mode = 0666\n  }\n}"
            % self.lmtp_socket,
        ]
        if hibernate:
            # imap processes run as the mailbox owner and hand their
            # connections to imap-hibernate, which hands them back.
            conf.append("service imap-hibernate {\n  unix_listener imap-hibernate {\n"
                        "    mode = 0666\n  }\n}")
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(conf) + "\n")

    def start(self):
        self.out = open(os.path.join(self.dir, "stderr"), "ab")
        self.proc = subprocess.Popen(
            [os.path.join(self.peers, "ns"), "/usr/sbin/dovecot", "-F", "-c", self.conf],
            stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.out)
        _wait(lambda: _answers(self.imap_port, b"* OK"), 30, "dovecot's imap")
        _wait(lambda: _answers(self.pop3_port, b"+OK"), 30, "dovecot's pop3")
        _wait(lambda: _unix_answers(self.lmtp_socket, b"220"), 30, "dovecot's lmtp")

    def root(self):
        return self.proc.pid

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            for pid in _descendants(self.proc.pid):
                os.kill(pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
        self.out.close()


class Postfix:
    """Postfix's smtpd, cleanup, qmgr, lmtp (to Dovecot) and smtp (to the
    sink).  users: the addresses it accepts in example.org."""

    def __init__(self, peers, base, users, owners, smtp_port, lmtp_socket, sink_port,
                 sessions=200):
        self.peers = peers
        self.dir = os.path.join(base, "postfix")
        self.cfg = os.path.join(self.dir, "cfg")
        self.log = os.path.join(self.dir, "postfix.log")
        self.smtp_port = smtp_port
        self.proc = None
        mail_owner, _store_owner, auth_owner = owners
        for d in ("cfg", "queue", "data"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        if os.geteuid() == 0:
            os.chown(os.path.join(self.dir, "data"), *_ids(mail_owner))
        with open(os.path.join(self.cfg, "vmailbox"), "w") as f:
            for address in users:
                f.write("%s ok\n" % address)
        main = {
            "compatibility_level": "3.6",
            "queue_directory": self.dir + "/queue",
            "data_directory": self.dir + "/data",
            "meta_directory": peers + "/root/etc/postfix",
            "mail_owner": mail_owner,
            # Unused (no postdrop), but it must exist and differ from
            # mail_owner's group.
            "setgid_group": auth_owner,
            "myhostname": "peer.test",
            "mydomain": "peer.test",
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "alias_maps": "",
            "alias_database": "",
            "biff": "no",
            "virtual_mailbox_domains": "example.org",
            "virtual_mailbox_maps": "texthash:%s/vmailbox" % self.cfg,
            "virtual_transport": "lmtp:unix:%s" % lmtp_socket,
            "transport_maps": "inline:{remote.test=smtp:[127.0.0.1]:%d}" % sink_port,
            "maillog_file": self.log,
            "maillog_file_prefixes": self.dir,
        }
        with open(os.path.join(self.cfg, "main.cf"), "w") as f:
            for k, v in main.items():
                f.write("%s = %s\n" % (k, v))
        # Debian's master.cf less what is not used, nothing chrooted (a
        # chroot needs copies of system files), smtpd on a loopback port
        # with room for the idle-session measurement.
        services = [
            ("127.0.0.1:%d" % smtp_port, "inet", "n", str(sessions + 50), "smtpd"),
            ("cleanup", "unix", "n", "0", "cleanup"),
            ("qmgr", "unix", "n", "1", "qmgr"),
            ("rewrite", "unix", "-", "-", "trivial-rewrite"),
            ("bounce", "unix", "-", "0", "bounce"),
            ("defer", "unix", "-", "0", "bounce"),
            ("trace", "unix", "-", "0", "bounce"),
            ("verify", "unix", "-", "1", "verify"),
            ("proxymap", "unix", "-", "-", "proxymap"),
            ("smtp", "unix", "-", "-", "smtp"),
            ("relay", "unix", "-", "-", "smtp"),
            ("error", "unix", "-", "-", "error"),
            ("retry", "unix", "-", "-", "error"),
            ("discard", "unix", "-", "-", "discard"),
            ("lmtp", "unix", "-", "-", "lmtp"),
            ("anvil", "unix", "-", "1", "anvil"),
            ("scache", "unix", "-", "1", "scache"),
            ("postlog", "unix-dgram", "n", "1", "postlogd"),
        ]
        with open(os.path.join(self.cfg, "master.cf"), "w") as f:
            for name, kind, private, maxproc, cmd in services:
                f.write("%-16s %-10s %s - n - %s %s\n" % (name, kind, private, maxproc, cmd))

    def _ns(self, *args, **kw):
        return [os.path.join(self.peers, "ns")] + list(args)

    def start(self):
        self.out = open(os.path.join(self.dir, "stderr"), "ab")
        self.proc = subprocess.Popen(
            self._ns("/usr/sbin/postfix", "-c", self.cfg, "start-fg"),
            stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.out)
        _wait(lambda: _answers(self.smtp_port, b"220"), 60, "postfix's smtpd")

    def root(self):
        return self.proc.pid

    def stop(self):
        if self.proc is None:
            return
        subprocess.run(self._ns("/usr/sbin/postfix", "-c", self.cfg, "stop"),
                       stdout=self.out, stderr=self.out, timeout=60)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            for pid in _descendants(self.proc.pid):
                os.kill(pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
        self.out.close()


def _ids(user):
    import pwd
    pw = pwd.getpwnam(user)
    return pw.pw_uid, pw.pw_gid
