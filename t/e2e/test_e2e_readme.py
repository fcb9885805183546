"""The README's production sections, run as written: "Running it for
real" (make install, the configuration, a user, postern check/start, mail
in with swaks and out with curl, postern stop), "Users in LDAP" (the
shipped .cf files against a real slapd with StartTLS, postern reload,
postern auth lookup) and "A DMZ gateway" (a second instance relaying to
the first over LMTP/TCP with STARTTLS required).

What the test changes, and only this: paths (/usr/local -> a private
DESTDIR, /etc/postern -> private config directories, with
daemon_directory, queue_directory and data_directory pointing there),
listen ports (free loopback ports instead of 25, 143, ...), the LDAP
server (the test's slapd instead of ldap*.example.org), the address
192.0.2.x of the DMZ example (127.0.0.1), and "make deps && make" (make
check has done both).  Needs root, as the README says."""

import os
import re
import shlex
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import postern_test as pt  # noqa: E402
import slapd  # noqa: E402

README = os.path.join(pt.ROOT, "README.md")
SERVICES = {"smtp_listen": 25, "submission_listen": 587, "smtps_listen": 465,
            "imap_listen": 143, "imaps_listen": 993, "pop3_listen": 110,
            "pop3s_listen": 995}


def sections():
    """{heading: [(info string, text)]} of README's fenced blocks."""
    out, cur = {}, None
    lines = open(README).read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            cur = out.setdefault(line[3:].strip(), [])
        elif line.startswith("```") and cur is not None:
            info, body = line[3:].strip(), []
            i += 1
            while not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            cur.append((info, "\n".join(body) + "\n"))
        i += 1
    return out


@unittest.skipUnless(os.geteuid() == 0, "the production set-up runs as root")
class Readme(unittest.TestCase):
    def setUp(self):
        self.top = pt.tempfile.mkdtemp(prefix="postern-readme-")
        os.chmod(self.top, 0o755)
        self.destdir = os.path.join(self.top, "dest")
        self.prefix = self.destdir + "/usr/local"
        self.blocks = sections()
        self.masters = []
        self.slapd = None

    def tearDown(self):
        for etc in self.masters:
            self.postern(etc, "stop", check=False)
        if self.slapd is not None:
            self.slapd.cleanup()
        for etc in self.masters:
            for pid in pt.pids_with_arg(etc):
                os.kill(pid, 9)
        if not os.environ.get("POSTERN_KEEP"):
            subprocess.run(["rm", "-rf", self.top], check=False)

    # --- running what the README says ---------------------------------

    def local(self, text, etc):
        """README text with this test's paths."""
        text = text.replace("/usr/local", self.prefix)
        return text.replace("/etc/postern", etc)

    def postern(self, etc, *args, check=True, **kw):
        r = subprocess.run([self.prefix + "/sbin/postern", "-c", etc] + list(args),
                           capture_output=True, text=True, timeout=120, **kw)
        if check:
            self.assertEqual(r.returncode, 0, "postern %s: %s%s" % (args, r.stdout, r.stderr))
        return r

    def sh(self, block, etc, ports=None):
        """Run a sh block line by line, as root, in the repository."""
        for line in block.strip().split("\n"):
            line = self.local(line, etc)
            if line.startswith("make deps && make && make install"):
                line = "make -s install DESTDIR=%s" % shlex.quote(self.destdir)
            line = re.sub(r"(^|&& |\| )postern ", r"\1%s/sbin/postern -c %s " % (self.prefix, etc),
                          line)
            if ports:
                line = line.replace("--server 127.0.0.1 ", "--server 127.0.0.1:%d "
                                    % ports["smtp_listen"])
                line = line.replace("imaps://127.0.0.1/", "imaps://127.0.0.1:%d/"
                                    % ports["imaps_listen"])
            if " start" in line and "/sbin/postern" in line:
                self.masters.append(etc)
            r = subprocess.run(line, shell=True, cwd=pt.ROOT, capture_output=True,
                               text=True, timeout=300)
            self.assertEqual(r.returncode, 0, "%s\n%s%s" % (line, r.stdout, r.stderr))
            yield line, r.stdout

    def run_sh(self, block, etc, ports=None):
        return list(self.sh(block, etc, ports))

    def set_conf(self, etc, text):
        """Add the block's lines to postern.conf, each replacing an earlier
        setting of the same parameter (as the README asks)."""
        path = os.path.join(etc, "postern.conf")
        conf = open(path).read()
        for line in text.strip().split("\n"):
            name = line.split("=", 1)[0].strip()
            conf = re.sub(r"(?m)^%s\s*=.*\n" % re.escape(name), "", conf)
            conf += line + "\n"
        with open(path, "w") as f:
            f.write(conf)

    def private(self, etc, name):
        """The test's own settings: paths and ports.  {param: port}."""
        ports = {k: pt.free_port() for k in SERVICES}
        lines = ["daemon_directory = %s/libexec/postern" % self.prefix,
                 "queue_directory = %s/%s/queue" % (self.top, name),
                 "data_directory = %s/%s/data" % (self.top, name),
                 "dns_servers = 127.0.0.1:%d" % pt.free_port()]
        lines += ["%s = 127.0.0.1:%d" % kv for kv in ports.items()]
        self.set_conf(etc, "\n".join(lines))
        return ports

    def cf_for_slapd(self, etc):
        """The .cf files pointed at the test's slapd (StartTLS, its CA)."""
        # (A copy of the CA: slapd's directory is closed to authd's user.)
        ca = os.path.join(etc, "ldap", "ca.pem")
        with open(self.slapd.ca_file) as src, open(ca, "w") as dst:
            dst.write(src.read())
        os.chmod(ca, 0o644)
        for name in ("users.cf", "aliases.cf", "domains.cf"):
            path = os.path.join(etc, "ldap", name)
            text = self.local(open(path).read(), etc)
            text = re.sub(r"(?m)^server_host = .*$", "server_host = " + self.slapd.uri, text)
            text = re.sub(r"(?m)^tls_ca_cert_file = .*$",
                          "tls_ca_cert_file = " + ca, text)
            with open(path, "w") as f:
                f.write(text)

    def wait_delivered(self, etc, user, n):
        def count():
            r = self.postern(etc, "store", "stats", user, check=False)
            m = re.search(r"(?m)^INBOX: messages=(\d+)", r.stdout)
            return int(m.group(1)) if m else 0
        pt.wait_for(lambda: count() >= n, timeout=60, what="%d messages for %s" % (n, user))

    # --- the three sections -----------------------------------------------

    def install_instance(self, name, master_edit=None):
        """"Running it for real" up to the configuration: an instance in
        its own config directory.  Returns (etc, ports)."""
        etc = os.path.join(self.top, name, "etc")
        os.makedirs(os.path.dirname(etc), exist_ok=True)
        blocks = self.blocks["Running it for real"]
        self.assertEqual([b[0] for b in blocks], ["sh", "postern.conf", "sh", "sh"])
        self.run_sh(blocks[0][1], etc)
        self.set_conf(etc, blocks[1][1])
        if master_edit:
            master_edit(etc)
        return etc, self.private(etc, name)

    def test_readme(self):
        # Running it for real.
        etc, ports = self.install_instance("store")
        blocks = self.blocks["Running it for real"]
        self.run_sh(blocks[2][1], etc)
        tryit = blocks[3][1].strip().split("\n")
        self.assertEqual([x.split()[0] for x in tryit], ["swaks", "curl", "postern"])
        self.run_sh(tryit[0], etc, ports)
        self.wait_delivered(etc, "alice@example.org", 1)
        out = self.run_sh(tryit[1], etc, ports)
        self.assertIn("This is a test mailing", out[0][1])

        # Users in LDAP: the sample directory (alice@example.org with the
        # password "secret") behind StartTLS.
        self.slapd = slapd.Slapd(tls=True).start()
        ldap = self.blocks["Users in LDAP"]
        self.assertEqual([b[0] for b in ldap], ["sh", "postern.conf", "sh"])
        self.run_sh(ldap[0][1], etc)
        self.cf_for_slapd(etc)
        self.set_conf(etc, ldap[1][1])
        reload_line, lookup_line = ldap[2][1].strip().split("\n")
        self.run_sh(reload_line, etc)

        # master restarts authd after the reload returns: the next look-ups
        # come from the directory.
        def from_ldap():
            try:
                out = self.run_sh(lookup_line, etc)
            except AssertionError:    # authd restarting
                return False
            return "alice@example.org" in out[0][1] and "Alice Liddell" in out[0][1]
        pt.wait_for(from_ldap, what="the look-up answered from LDAP")

        # A DMZ gateway, relaying to this instance, now the store host.
        dmz = self.blocks["A DMZ gateway"]
        self.assertEqual([b[0] for b in dmz], ["master.conf", "postern.conf"])
        lmtp_port = pt.free_port()

        def dmz_local(text):
            return (text.replace("192.0.2.10:24", "127.0.0.1:%d" % lmtp_port)
                    .replace("192.0.2.5/32", "127.0.0.1/32"))
        with open(os.path.join(etc, "master.conf"), "a") as f:
            f.write(dmz_local(dmz[0][1]))
        self.postern(etc, "reload")

        def no_store(gw_etc):
            path = os.path.join(gw_etc, "master.conf")
            text = open(path).read()
            text = re.sub(r"(?m)^(lmtp|imap|imaps|pop3|pop3s)\s.*\n(?:[ \t].*\n)*", "", text)
            with open(path, "w") as f:
                f.write(text)
        gw, gw_ports = self.install_instance("gateway", master_edit=no_store)
        self.run_sh(ldap[0][1], gw)
        self.cf_for_slapd(gw)
        self.set_conf(gw, dmz_local(dmz[1][1]))
        self.postern(gw, "check")
        self.masters.append(gw)
        self.postern(gw, "start")
        swaks = ["swaks", "--server", "127.0.0.1:%d" % gw_ports["smtp_listen"],
                 "--to", "alice@example.org", "--from", "someone@remote.test",
                 "--header", "Subject: via the gateway"]
        r = subprocess.run(swaks, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.wait_delivered(etc, "alice@example.org", 2)
        # The gateway refuses an unknown address itself (it reads the
        # directory), and has no store.
        r = subprocess.run(swaks[:3] + ["--to", "nobody@example.org"], capture_output=True,
                           text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("550", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.top, "gateway/data/store")) and
                         os.listdir(os.path.join(self.top, "gateway/data/store")))
        # (The store's lmtp-inet requires STARTTLS: the delivery above
        # went over TLS.)
        self.postern(gw, "stop")
        self.masters.remove(gw)
        self.run_sh(tryit[2], etc)
        self.masters.remove(etc)

if __name__ == "__main__":
    pt.run()
