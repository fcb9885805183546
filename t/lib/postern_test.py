"""Helpers for Postern's protocol and end-to-end tests (Python 3 stdlib).

- run(): runs a unittest module and reports in TAP, for prove.
- Instance: a throwaway instance directory with free loopback ports; it
  starts `postern run` in the background, waits until the listeners
  answer, stops it by pid and checks that no process is left behind and
  that the logs hold no panic or sanitizer report.
"""

import ipaddress
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("POSTERN_BUILD", os.path.join(ROOT, "build"))
POSTERN = os.path.join(BUILD, "postern")
LIBEXEC = os.path.join(BUILD, "libexec")
TESTBIN = os.path.join(BUILD, "t", "bin")

# Text that must never appear in a daemon's log.
# The environment of a run with a chrooted service under the sanitizers:
# LeakSanitizer cannot inspect a process inside an empty chroot.
CHROOT_ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")

BAD_LOG = ("panic:", "AddressSanitizer", "LeakSanitizer", "runtime error:",
           "UndefinedBehaviorSanitizer")


def parse_size(text):
    """A size as `postern user add --quota` takes it: 10k, 5M, 1G or bytes."""
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}.get(text[-1:].lower())
    return int(text[:-1]) * mult if mult else int(text)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hosts_name(addr, path="/etc/hosts"):
    """The name smtpd finds for addr in the hosts file (the canonical
    name of its first entry), or None."""
    want = ipaddress.ip_address(addr)
    with open(path, errors="replace") as f:
        for line in f:
            fields = line.split("#", 1)[0].split()
            if len(fields) < 2:
                continue
            try:
                if ipaddress.ip_address(fields[0]) == want:
                    return fields[1].rstrip(".")
            except ValueError:
                continue
    return None


def wait_for(cond, timeout=10.0, what="condition"):
    """Poll cond() until it is true; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def connect_line(addr, timeout=30.0):
    """Connect to ("host", port) or a unix path and read one line."""
    if isinstance(addr, str):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(addr)
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.decode()
    finally:
        s.close()


def try_connect_line(addr):
    try:
        return connect_line(addr, timeout=2.0)
    except OSError:
        return None


def parse_reply(line):
    """'testsvc pid=1 service=x ...' -> dict."""
    return dict(f.split("=", 1) for f in line.split()[1:])


def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return None


def pids_with_arg(arg):
    """Pids of live processes with arg among their arguments."""
    arg = arg.encode()
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        argv = proc_cmdline(int(name))
        if argv and arg in argv and not is_zombie(int(name)):
            out.append(int(name))
    return out


def is_zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


class Instance:
    """A throwaway instance run by `postern run` in the background."""

    def __init__(self, master_conf="", params=None):
        self.dir = tempfile.mkdtemp(prefix="postern-t-")
        os.chmod(self.dir, 0o755)
        self.proc = None
        self.logpath = os.path.join(self.dir, "test.log")
        p = {
            "queue_directory": self.dir + "/queue",
            "data_directory": self.dir + "/data",
            "daemon_directory": LIBEXEC,
        }
        p.update(params or {})
        for d in ("queue", "queue/private", "data"):
            os.mkdir(self.path(d))
        self.write_conf(p)
        self.write_master(master_conf)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write_conf(self, params):
        with open(self.path("postern.conf"), "w") as f:
            for k, v in params.items():
                f.write("%s = %s\n" % (k, v))

    def write_master(self, text):
        with open(self.path("master.conf"), "w") as f:
            f.write(text)

    def write_table(self, name, text):
        """A text table in the instance directory, compiled with postern
        map (hash:$config_directory/NAME)."""
        with open(self.path(name), "w") as f:
            f.write(text)
        r = postern_cmd("map", self.path(name))
        assert r.returncode == 0, r.stderr

    def start(self, *args, wait=(), env=None):
        """Start `postern run`; wait until every address in wait answers."""
        self.log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(
            [POSTERN, "run", "--dir", self.dir] + list(args),
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, env=env)
        for addr in wait:
            wait_for(lambda: try_connect_line(addr), what="%s to answer" % (addr,))
        return self.proc

    def logtext(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def children(self, service=None):
        """Live processes of this instance other than master."""
        pids = [p for p in pids_with_arg(self.dir) if p != self.master_pid()]
        if service is None:
            return sorted(pids)
        return sorted(p for p in pids
                      if service.encode() in (proc_cmdline(p) or [])[4:5])

    def master_pid(self):
        return self.proc.pid if self.proc else None

    def stop(self, timeout=20.0):
        """SIGTERM master; return its exit status; nothing may be left."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait()
        left = pids_with_arg(self.dir)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        self.log.close()
        self.proc = None
        if left:
            raise AssertionError("processes left behind: %r" % left)
        return status

    def check_log(self):
        text = self.logtext()
        for bad in BAD_LOG:
            if bad in text:
                raise AssertionError("log contains %r:\n%s" % (bad, text[-4000:]))
        for ch in text:
            if ord(ch) < 32 and ch not in "\n\t":
                raise AssertionError("unescaped control byte in log")

    def cleanup(self):
        try:
            self.stop()
            if getattr(self, "slapd", None) is not None:
                self.slapd.cleanup()
        finally:
            subprocess.run(["rm", "-rf", self.dir], check=False) if not os.environ.get("POSTERN_KEEP") else None


class InstanceTest(unittest.TestCase):
    """A test case whose instances are stopped and checked afterwards."""

    def setUp(self):
        self.instances = []
        # A cleanup, not tearDown: it runs when setUp fails half-way too
        # (an instance started there is not left running).
        self.addCleanup(self.end_instances)

    def instance(self, *a, **kw):
        inst = Instance(*a, **kw)
        self.instances.append(inst)
        return inst

    def tearDown(self):
        pass

    def end_instances(self):
        for inst in self.instances:
            try:
                inst.stop()
                inst.check_log()
            finally:
                inst.cleanup()


class _TapResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.n = 0

    def _line(self, ok, test, extra=""):
        self.n += 1
        print("%s %d - %s%s" % ("ok" if ok else "not ok", self.n, test.id(), extra))
        sys.stdout.flush()

    def addSuccess(self, test):
        self._line(True, test)

    def _fail(self, test, err):
        self._line(False, test)
        # On stderr: prove shows it without -v, so a CI log says why.
        for line in "".join(traceback.format_exception(*err)).splitlines():
            print("# " + line, file=sys.stderr)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err)

    def addSkip(self, test, reason):
        self._line(True, test, " # SKIP " + reason)


def run(module="__main__"):
    """Run every test of module and print TAP; exit non-zero on failure."""
    suite = unittest.defaultTestLoader.loadTestsFromName(module)
    result = _TapResult()
    suite.run(result)
    print("1..%d" % result.n)
    sys.exit(0 if result.wasSuccessful() and result.n > 0 else 1)


def escape_field(value):
    """A field of the authd protocol (authd(8))."""
    if isinstance(value, str):
        value = value.encode()
    return (value.replace(b"\\", b"\\\\").replace(b"\t", b"\\t")
            .replace(b"\n", b"\\n").replace(b"\r", b"\\r"))


def unescape_field(value):
    out, i = bytearray(), 0
    while i < len(value):
        if value[i:i + 1] == b"\\":
            out += {b"\\": b"\\", b"t": b"\t", b"n": b"\n", b"r": b"\r"}[value[i + 1:i + 2]]
            i += 2
        else:
            out += value[i:i + 1]
            i += 1
    return bytes(out)


class AuthClient:
    """A raw client of authd's socket: send lines, read answers by id."""

    def __init__(self, path, timeout=30.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 0

    def send(self, word, *fields):
        """Send a request; return its id."""
        self.next_id += 1
        line = b"\t".join([str(self.next_id).encode(), word.encode()] +
                          [escape_field(f) for f in fields])
        self.sock.sendall(line + b"\n")
        return self.next_id

    def send_raw(self, data):
        self.sock.sendall(data)

    def read(self):
        """The next answer as (id, word, [fields]); None at end of file."""
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        parts = line.split(b"\t")
        return (int(parts[0]), parts[1].decode(),
                [unescape_field(p).decode(errors="replace") for p in parts[2:]])

    def call(self, word, *fields):
        rid = self.send(word, *fields)
        answer = self.read()
        assert answer is not None and answer[0] == rid, answer
        return answer[1], answer[2]

    def close(self):
        self.sock.close()


def postern_cmd(*args, stdin=None, env=None):
    """Run the postern command; return the CompletedProcess (text)."""
    return subprocess.run([POSTERN] + list(args), input=stdin, capture_output=True,
                          text=True, timeout=120, env=env)


AUTHD_MASTER = "authd unix $queue_directory/$authd_socket n 1 $auth_owner authd\n"


class AuthdInstance(Instance):
    """An instance running authd with a small directory of users.

    directory="ldap": the same users, virtual aliases and domains served by
    a throwaway slapd (t/lib/slapd.py) through ldap: tables, as
    postern-ldap(5) describes, instead of hash: tables."""

    def __init__(self, params=None, users=(), virtual="", aliases="", directory="hash"):
        p = {"mydestination": "localhost", "myorigin": "localhost",
             "virtual_mailbox_domains": "example.org, example.net",
             "relay_domains": "relay.example"}
        p.update(params or {})
        self.directory = directory
        self.slapd = None
        self.virtual_text = virtual
        if directory == "ldap":
            self.ldap_domains = [d.strip() for d in p["virtual_mailbox_domains"].split(",")
                                 if d.strip()]
            p.update({"virtual_mailbox_maps": "ldap:$config_directory/users.cf",
                      "virtual_alias_maps": "ldap:$config_directory/aliases.cf",
                      "virtual_mailbox_domains": "ldap:$config_directory/domains.cf"})
        super().__init__(master_conf=AUTHD_MASTER, params=p)
        self.socket = self.path("queue/auth/authd")
        for name, text in (("virtual", virtual), ("aliases", aliases)):
            self.write_table(name, text)
        with open(self.path("users"), "w") as f:
            f.write("# users\n")
        r = postern_cmd("map", self.path("users"))
        assert r.returncode == 0, r.stderr
        self.users = users

    def start_ldap(self):
        """slapd with the users, aliases and domains; the three .cf files."""
        import slapd
        people, aliases = [], []
        for user in self.users:
            address, password, opts = user[0], user[1], list(user[2:])
            h = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password,
                               capture_output=True, text=True, check=True).stdout.strip()
            attrs = {"--name": "cn", "--quota": "posternQuotaBytes",
                     "--quota-messages": "posternQuotaMessages", "--host": "posternMailHost"}
            extra, name = [], address
            enabled = "TRUE"
            while opts:
                o = opts.pop(0)
                if o == "--disabled":
                    enabled = "FALSE"
                    continue
                v = opts.pop(0)
                if o == "--quota":
                    v = str(parse_size(v))
                if o == "--name":
                    name = v
                else:
                    extra.append("%s: %s" % (attrs[o], v))
            people.append("dn: mail=%s,ou=people,%s\nobjectClass: inetOrgPerson\n"
                          "objectClass: posternAccount\nmail: %s\ncn: %s\nsn: %s\n"
                          "userPassword: {CRYPT}%s\nposternEnabled: %s\n%s"
                          % (address, slapd.SUFFIX, address, name, name, h, enabled,
                             "".join(x + "\n" for x in extra)))
        for line in self.virtual_text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            key, targets = line.split(None, 1)
            aliases.append("dn: cn=%s,ou=aliases,%s\nobjectClass: nisMailAlias\ncn: %s\n%s"
                           % (key, slapd.SUFFIX, key,
                              "".join("rfc822MailMember: %s\n" % x.strip()
                                      for x in targets.split(","))))
        domains = ["dn: associatedDomain=%s,ou=domains,%s\nobjectClass: dNSDomain\n"
                   "objectClass: domainRelatedObject\ndc: %s\nassociatedDomain: %s\n"
                   % (d, slapd.SUFFIX, d.split(".")[0], d) for d in self.ldap_domains]
        with open(slapd.DIRECTORY) as f:
            base = f.read()
        # The sample's tree and service account; our entries in place of
        # its people, aliases and domains.
        keep = [e for e in base.split("\n\n") if e.strip() and
                not re.search(r"^dn: (uid|cn|associatedDomain)=[^,]*,ou=(people|aliases|"
                              r"domains)", e, re.M)]
        path = self.path("directory.ldif")
        with open(path, "w") as f:
            f.write("\n\n".join(keep + people + aliases + domains) + "\n")
        self.slapd = slapd.Slapd(ldif=path).start()
        base_cf = ("server_host = %s\nbind_dn = %s\nbind_pw = %s\nscope = one\n"
                   "timeout = 5s\n" % (self.slapd.uri, slapd.READER_DN, slapd.READER_PW))
        tables = {
            "users.cf": "search_base = ou=people,%s\n"
                        "query_filter = (&(objectClass=posternAccount)(mail=%%s))\n"
                        "result_template = %%{userPassword}:%%{posternEnabled}:"
                        "%%{posternQuotaBytes}:%%{posternQuotaMessages}:"
                        "%%{posternMailHost}:%%{cn}\n",
            "aliases.cf": "search_base = ou=aliases,%s\n"
                          "query_filter = (&(objectClass=nisMailAlias)(cn=%%s))\n"
                          "result_attribute = rfc822MailMember\n",
            "domains.cf": "search_base = ou=domains,%s\n"
                          "query_filter = (associatedDomain=%%s)\n"
                          "result_attribute = associatedDomain\n",
        }
        for name, text in tables.items():
            with open(self.path(name), "w") as f:
                f.write(base_cf + text % slapd.SUFFIX)

    def start(self, *args, wait=(), env=None):
        if self.directory == "ldap" and self.slapd is None:
            self.start_ldap()
        proc = super().start(*args, env=env)
        for user in self.users if self.directory == "hash" else ():
            address, password = user[0], user[1]
            r = postern_cmd("-c", self.dir, "user", "add", address, "--password-stdin",
                            *user[2:], stdin=password + "\n")
            assert r.returncode == 0, r.stderr
        wait_for(lambda: os.path.exists(self.socket), what="authd's socket")
        wait_for(lambda: self.try_auth(), what="authd to answer")
        return proc

    def try_auth(self):
        try:
            c = AuthClient(self.socket, timeout=2)
            c.close()
            return True
        except OSError:
            return False

    def client(self):
        return AuthClient(self.socket)


SMTPD_MASTER = AUTHD_MASTER + "smtp inet $smtp_listen %s - - smtpd\n"
# smtpd on the local submission socket, for sendmail(1).
SUBMIT_MASTER = "submit unix $queue_directory/$sendmail_socket %s - - smtpd\n"

# The submission services as conf/master.conf has them.
SUBMISSION_MASTER = """submission inet $submission_listen %s - - smtpd
    -o smtpd_tls_security_level=encrypt
    -o smtpd_sasl_auth_enable=yes
    -o smtpd_auth_required=yes
smtps inet $smtps_listen %s - - smtpd
    -o smtpd_tls_wrappermode=yes
    -o smtpd_sasl_auth_enable=yes
    -o smtpd_auth_required=yes
"""


def make_cert(directory):
    """A self-signed certificate for localhost and 127.0.0.1 in
    directory/cert.pem and key.pem (the default tls_cert_file and
    tls_key_file when directory is CONFIG/tls)."""
    os.makedirs(directory, exist_ok=True)
    r = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
         "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", os.path.join(directory, "key.pem"),
         "-out", os.path.join(directory, "cert.pem")],
        capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return os.path.join(directory, "cert.pem")


class SmtpdInstance(AuthdInstance):
    """An instance running authd and smtpd on a free loopback port.

    smtpd runs without chroot unless chroot=True: LeakSanitizer cannot
    inspect a process inside an empty chroot, so a chrooted smtpd runs with
    leak detection off (the sanitizer build checks leaks in the others).
    With submit=True smtpd also serves the local submission socket
    (self.submit_socket) that sendmail(1) uses."""

    def __init__(self, params=None, chroot=False, tls=False, submit=False, **kw):
        """tls: make a certificate and run the submission (587) and
        submissions (465) services too, as conf/master.conf has them;
        submit: the local submission socket for sendmail."""
        self.smtp_port = free_port()
        self.submission_port = free_port()
        self.smtps_port = free_port()
        self.chroot = chroot
        self.tls = tls
        self.submit = submit
        # DNS stays on loopback: a port where nobody answers, unless the
        # test runs a server (t/lib/dnsserver.py).  Clients on 127.0.0.1
        # get their name from /etc/hosts and cause no query.
        p = {"smtp_listen": "127.0.0.1:%d" % self.smtp_port,
             "submission_listen": "127.0.0.1:%d" % self.submission_port,
             "smtps_listen": "127.0.0.1:%d" % self.smtps_port,
             "dns_servers": "127.0.0.1:%d" % free_port()}
        p.update(params or {})
        super().__init__(params=p, **kw)
        self.submit_socket = self.path("queue/" + p.get("sendmail_socket", "public/submit"))
        yn = "y" if chroot else "n"
        master = SMTPD_MASTER % yn
        if tls:
            self.cert = make_cert(self.path("tls"))
            master += SUBMISSION_MASTER % (yn, yn)
        if submit:
            master += SUBMIT_MASTER % yn
        self.write_master(master)

    def start(self, *args, wait=(), env=None):
        proc = super().start(*args, env=CHROOT_ENV if self.chroot else env)
        wait_for(lambda: self.smtp_answers(), what="smtpd to answer")
        if self.tls:
            wait_for(lambda: self.smtp_answers(self.submission_port),
                     what="submission to answer")
            wait_for(lambda: self.smtps_answers(), what="smtps to answer")
        if self.submit:
            wait_for(lambda: (try_connect_line(self.submit_socket) or "").startswith("220"),
                     what="smtpd's submission socket to answer")
        return proc

    def smtp_answers(self, port=None):
        try:
            with socket.create_connection(("127.0.0.1", port or self.smtp_port), 2) as s:
                return s.recv(100).startswith(b"220")
        except OSError:
            return False

    def client_context(self):
        """An ssl context that trusts this instance's certificate."""
        ctx = ssl.create_default_context(cafile=self.cert)
        return ctx

    def smtps_answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.smtps_port), 2) as raw:
                with self.client_context().wrap_socket(
                        raw, server_hostname="localhost") as s:
                    return s.recv(100).startswith(b"220")
        except OSError:
            return False

    def queue_files(self):
        """Committed queue files in incoming/ (not .tmp)."""
        out = []
        for root, _dirs, files in os.walk(self.path("queue/incoming")):
            out += [os.path.join(root, f) for f in files if not f.endswith(".tmp")]
        return sorted(out)


# lmtpd on a unix socket and on TCP, as conf/master.conf has them.
LMTPD_MASTER = AUTHD_MASTER + """lmtp unix $lmtp_listen n - $store_owner lmtpd
lmtp-inet inet 127.0.0.1:%d n - $store_owner lmtpd %s
"""


class LmtpdInstance(AuthdInstance):
    """An instance running authd and lmtpd: on the unix socket
    self.lmtp_socket (a local client, always allowed) and on TCP
    self.lmtp_port (checked against lmtpd_client_networks).

    users: (address, password, *`postern user add` options), e.g.
    ("bob@example.org", "pw", "--quota", "10k").  inet_args: extra
    arguments of the TCP service (-o name=value)."""

    def __init__(self, params=None, tls=False, inet_args="", **kw):
        self.lmtp_port = free_port()
        super().__init__(params=params, **kw)
        self.lmtp_socket = self.path("queue/private/lmtp")
        self.store_dir = self.path("data/store")
        if tls:
            self.cert = make_cert(self.path("tls"))
        self.write_master(LMTPD_MASTER % (self.lmtp_port, inet_args))

    def start(self, *args, wait=(), env=None):
        proc = super().start(*args, env=env)
        wait_for(lambda: (try_connect_line(self.lmtp_socket) or "").startswith("220"),
                 what="lmtpd's socket to answer")
        wait_for(lambda: try_connect_line(("127.0.0.1", self.lmtp_port)),
                 what="lmtpd's TCP port to answer")
        return proc

    def lmtp(self, tcp=False, timeout=60):
        """An smtplib.LMTP client, after LHLO."""
        import smtplib
        if tcp:
            c = smtplib.LMTP("127.0.0.1", self.lmtp_port, timeout=timeout)
        else:
            # A host that starts with "/" is a unix socket.
            c = smtplib.LMTP(self.lmtp_socket, timeout=timeout)
        c.ehlo_or_helo_if_needed()
        return c

    def storedump(self, *args, text=True):
        """Run t/bin/storedump as the store's owner (as root: vmail)."""
        kw = {"user": "vmail"} if os.geteuid() == 0 else {}
        return subprocess.run([os.path.join(TESTBIN, "storedump")] + list(args),
                              capture_output=True, text=text, timeout=60, **kw)

    def mailbox(self, user, mailbox="INBOX"):
        """[(uid, size)] of a mailbox, read with the store API; None when
        there is no such mailbox."""
        r = self.storedump(self.store_dir, user, mailbox)
        if r.returncode == 1:
            return None
        assert r.returncode == 0, r.stderr
        out = []
        for line in r.stdout.splitlines():
            f = dict(x.split("=", 1) for x in line.split())
            out.append((int(f["uid"]), int(f["size"])))
        return out

    def message(self, user, uid, mailbox="INBOX"):
        """The bytes of one stored message."""
        r = self.storedump("-c", self.store_dir, user, mailbox, str(uid), text=False)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def create_mailbox(self, user, mailbox):
        r = self.storedump("-m", self.store_dir, user, mailbox)
        assert r.returncode == 0, r.stderr

    def check_store(self, user):
        """`postern store check USER` (which repairs what it finds):
        {"messages": N, "orphans": N, "missing": N, "bad_counters": N}."""
        r = postern_cmd("-c", self.dir, "store", "check", user)
        assert r.returncode in (0, 1) and r.stdout.startswith(user + ": "), r.stderr
        return {k: int(v) for k, v in (f.split("=") for f in r.stdout.split()[1:5])}

def lmtp_data(client, msg, nrcpt):
    """DATA through an smtplib.LMTP client: the nrcpt replies (smtplib
    reads only the first), as [(code, text)]."""
    first = client.data(msg)
    return [first] + [client.getreply() for _ in range(nrcpt - 1)]


QMGR_MASTER = "qmgr unix $queue_directory/$qmgr_socket n 1 - qmgr\n"


class QmgrInstance(SmtpdInstance):
    """smtpd (unchrooted) and qmgr, with the transports pointed at test
    delivery agents (t/lib/agentsink.py): virtual and local domains go to
    transport "sink" with next hop "store", every other domain to "sink"
    with the domain as next hop (unless params say otherwise).
    agents(): start the sinks before start()."""

    def __init__(self, params=None, qmgr=True, **kw):
        p = {"virtual_transport": "sink:store", "local_transport": "sink:store",
             "relay_transport": "sink:", "default_transport": "sink:",
             "minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
             "queue_run_delay": "1s", "myhostname": "mx.test"}
        p.update(params or {})
        super().__init__(params=p, **kw)
        self.qmgr = qmgr
        with open(self.path("master.conf")) as f:
            self.master_text = f.read()
        if qmgr:
            self.write_master(self.master_text + QMGR_MASTER)

    def send(self, sender, rcpts, body=b"Subject: test\r\n\r\nhello\r\n"):
        """One message over SMTP from 127.0.0.1 (mynetworks: may relay)."""
        import smtplib
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=60) as c:
            c.sendmail(sender, rcpts, body)

    def queue_ids(self, state):
        out = []
        for _root, _dirs, files in os.walk(self.path("queue/" + state)):
            out += [f for f in files if not f.endswith(".tmp")]
        return sorted(out)

    def queue_empty(self):
        return all(not self.queue_ids(s) for s in
                   ("incoming", "active", "deferred", "hold", "corrupt"))


# The delivery agents, as conf/master.conf has them (not chrooted in
# tests: only root may chroot).
DELIVERY_MASTER = """delivery-lmtp unix $queue_directory/private/deliver-lmtp n - - delivery lmtp
delivery-smtp unix $queue_directory/private/deliver-smtp n - - delivery smtp
"""


class DeliveryInstance(Instance):
    """An instance running the delivery agents (delivery lmtp and delivery
    smtp) on their unix sockets.  Queue files are written into active/
    with t/bin/qwrite (queue_file()), and requests sent the way qmgr
    sends them (deliver()).  DNS goes to a loopback port where nobody
    answers unless params set dns_servers (t/lib/dnsserver.py)."""

    def __init__(self, params=None, master_extra=""):
        self.smtp_port = free_port()
        p = {"myhostname": "delivery.test",
             "smtp_listen": "127.0.0.1:%d" % self.smtp_port,
             "dns_servers": "127.0.0.1:%d" % free_port()}
        p.update(params or {})
        super().__init__(master_conf=DELIVERY_MASTER + master_extra, params=p)
        self.queue = self.path("queue")
        self.sockets = {"lmtp": self.path("queue/private/deliver-lmtp"),
                        "smtp": self.path("queue/private/deliver-smtp")}

    def start(self, *args, wait=(), env=None):
        proc = super().start(*args, env=env)
        for path in self.sockets.values():
            wait_for(lambda: self.try_socket(path), what="%s to listen" % path)
        return proc

    @staticmethod
    def try_socket(path):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(path)
            return True
        except OSError:
            return False

    def queue_file(self, content, rcpts, sender="sender@origin.test",
                   options=()):
        """Write a queue file into active/; return its id.  rcpts:
        addresses, or (address, [qwrite options after -t]) pairs."""
        args = [os.path.join(TESTBIN, "qwrite"), "-f", sender] + list(options)
        for r in rcpts:
            if isinstance(r, str):
                args += ["-t", r]
            else:
                args += ["-t", r[0]] + list(r[1])
        args.append(self.queue)
        if isinstance(content, str):
            content = content.encode()
        # As root the agents run as the mail owner: the file is theirs.
        kw = {"user": "postern"} if os.geteuid() == 0 else {}
        r = subprocess.run(args, input=content, capture_output=True, timeout=60, **kw)
        assert r.returncode == 0, r.stderr
        return r.stdout.decode().strip()

    def deliver(self, kind, qid, nexthop, indexes, timeout=60):
        """Send one request to delivery KIND ("lmtp" or "smtp"); return
        (results, done): results a list of dicts by field name, done
        whether "done" ended the answer."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.sockets[kind])
        req = "queue_id %s\nnexthop %s\n" % (qid, nexthop)
        req += "".join("rcpt %d\n" % i for i in indexes) + "end\n"
        s.sendall(req.encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        results, done = [], False
        for line in data.decode(errors="replace").split("\n"):
            if line == "done":
                done = True
            elif line.startswith("result\t"):
                f = line.split("\t")
                assert len(f) == 10, line
                results.append({"index": int(f[1]), "state": f[2], "dsn": f[3],
                                "scope": f[4], "relay": f[5], "conn_ms": int(f[6]),
                                "xmit_ms": int(f[7]), "reply": f[8], "text": f[9]})
        return results, done

    def by_index(self, results):
        return {r["index"]: r for r in results}


# The whole mail flow: smtpd, qmgr, the delivery agents and lmtpd.
MAIL_MASTER = ("smtp inet $smtp_listen n - - smtpd\n" + QMGR_MASTER + DELIVERY_MASTER +
               "lmtp unix $lmtp_listen n - $store_owner lmtpd\n")


class MailInstance(SmtpdInstance):
    """authd, smtpd, qmgr, the delivery agents and lmtpd with the default
    transports (lmtp to the local store; smtp by MX, DNS on a loopback
    port where nobody answers unless params say otherwise)."""

    mailbox = LmtpdInstance.mailbox
    message = LmtpdInstance.message
    storedump = LmtpdInstance.storedump
    check_store = LmtpdInstance.check_store

    def __init__(self, params=None, **kw):
        p = {"minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
             "queue_run_delay": "1s", "myhostname": "mx.test"}
        p.update(params or {})
        super().__init__(params=p, **kw)
        self.store_dir = self.path("data/store")
        self.write_master(AUTHD_MASTER + MAIL_MASTER)

    queue_ids = QmgrInstance.queue_ids
    queue_empty = QmgrInstance.queue_empty
    send = QmgrInstance.send

    def wait_mailbox(self, user, n, timeout=30):
        """The mailbox once it holds n messages."""
        wait_for(lambda: len(self.mailbox(user) or []) >= n, timeout=timeout,
                 what="%d messages for %s" % (n, user))
        return self.mailbox(user)


# The local delivery agent, as conf/master.conf has it.
LOCAL_MASTER = ("delivery-local unix $queue_directory/private/deliver-local "
                "n - root local\n")


def need_root(test):
    """Skip test unless we are root: only root's alias tables may name
    commands and files, and only root can make one."""
    if os.geteuid() != 0:
        test.skipTest("needs root (root-owned alias tables)")


def default_privs_uid():
    """The uid alias commands run as: nobody as root, else ourselves
    (development mode)."""
    return 65534 if os.geteuid() == 0 else os.getuid()


class LocalInstance(MailInstance):
    """MailInstance and the local delivery agent (local(8)), with
    self.out, a directory that default_privs may write (mode 1777) for
    what alias commands and files leave behind."""

    def __init__(self, params=None, **kw):
        super().__init__(params=params, **kw)
        with open(self.path("master.conf")) as f:
            text = f.read()
        self.write_master(text + LOCAL_MASTER)
        self.queue = self.path("queue")
        self.out = self.path("out")
        os.mkdir(self.out)
        os.chmod(self.out, 0o1777)

    def start(self, *args, wait=(), env=None):
        proc = super().start(*args, wait=wait, env=env)
        wait_for(lambda: os.path.exists(self.path("queue/private/lmtp")), what="lmtpd")
        wait_for(lambda: DeliveryInstance.try_socket(self.path("queue/private/deliver-local")),
                 what="the local delivery agent")
        return proc

    def read_out(self, name, timeout=30):
        """The contents of out/NAME once it exists and is not empty."""
        path = os.path.join(self.out, name)
        wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0,
                 timeout=timeout, what=path)
        with open(path, "rb") as f:
            return f.read()

    def queue_incoming(self, sender, rcpts, content=b"Subject: queued\r\n\r\nhello\r\n"):
        """A queue file written straight into incoming/ (as if smtpd had
        accepted it earlier), for qmgr's next scan; its id."""
        return DeliveryInstance.queue_file(self, content, rcpts, sender=sender,
                                           options=("-s", "incoming"))

    def dsn_fields(self, user, n=1):
        """The per-recipient fields of the delivery status notice that is
        message n of user's INBOX, and its human-readable text."""
        import email
        import email.policy
        box = self.wait_mailbox(user, n)
        raw = self.message(user, box[n - 1][0])
        m = email.message_from_bytes(raw, policy=email.policy.default)
        parts = list(m.iter_parts())
        fields = dict(list(parts[1].get_payload())[1].items())
        return fields, parts[0].get_content()


# imapd on STARTTLS and implicit TLS ports, with lmtpd to deliver into
# the store, as conf/master.conf has them.
IMAPD_MASTER = """imap inet 127.0.0.1:%d n - $store_owner imapd
imaps inet 127.0.0.1:%d n - $store_owner imapd -o imapd_tls_wrappermode=yes
"""


class ImapdInstance(LmtpdInstance):
    """authd, lmtpd and imapd (self.imap_port with STARTTLS,
    self.imaps_port with implicit TLS) with a certificate."""

    def __init__(self, params=None, **kw):
        self.imap_port = free_port()
        self.imaps_port = free_port()
        super().__init__(params=params, tls=True, **kw)
        with open(self.path("master.conf")) as f:
            text = f.read()
        self.write_master(text + IMAPD_MASTER % (self.imap_port, self.imaps_port))

    def start(self, *args, wait=(), env=None):
        proc = super().start(*args, env=env)
        wait_for(lambda: (try_connect_line(("127.0.0.1", self.imap_port)) or "")
                 .startswith("* OK"), what="imapd to answer")
        return proc

    def imap(self, starttls=True):
        """An imaplib client (after STARTTLS unless told otherwise)."""
        import imaplib
        c = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=60)
        if starttls:
            c.starttls(ssl_context=ssl.create_default_context(cafile=self.cert))
        return c

    def imaps(self):
        import imaplib
        return imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, timeout=60,
                                 ssl_context=ssl.create_default_context(cafile=self.cert))

    def deliver(self, rcpt, body=b"Subject: test\r\n\r\nhello\r\n"):
        c = self.lmtp()
        c.mail("sender@remote.example")
        c.rcpt(rcpt)
        replies = lmtp_data(c, body, 1)
        c.quit()
        return replies


# pop3d on STLS and implicit TLS ports, as conf/master.conf has them.
POP3D_MASTER = """pop3 inet 127.0.0.1:%d n - $store_owner pop3d
pop3s inet 127.0.0.1:%d n - $store_owner pop3d -o pop3d_tls_wrappermode=yes
"""


class Pop3dInstance(ImapdInstance):
    """authd, lmtpd, imapd and pop3d (self.pop3_port with STLS,
    self.pop3s_port with implicit TLS) with a certificate."""

    def __init__(self, params=None, **kw):
        self.pop3_port = free_port()
        self.pop3s_port = free_port()
        super().__init__(params=params, **kw)
        with open(self.path("master.conf")) as f:
            text = f.read()
        self.write_master(text + POP3D_MASTER % (self.pop3_port, self.pop3s_port))

    def start(self, *args, wait=(), env=None):
        proc = super().start(*args, env=env)
        wait_for(lambda: (try_connect_line(("127.0.0.1", self.pop3_port)) or "")
                 .startswith("+OK"), what="pop3d to answer")
        return proc

    def ssl_context(self):
        return ssl.create_default_context(cafile=self.cert)

    def pop3(self, stls=True):
        """A poplib client (after STLS unless told otherwise)."""
        import poplib
        c = poplib.POP3("127.0.0.1", self.pop3_port, timeout=60)
        if stls:
            c.stls(context=self.ssl_context())
        return c

    def pop3s(self):
        import poplib
        return poplib.POP3_SSL("127.0.0.1", self.pop3s_port, timeout=60,
                               context=self.ssl_context())

    def pop3_login(self, user, password):
        c = self.pop3s()
        c.user(user)
        c.pass_(password)
        return c
