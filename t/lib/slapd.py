"""A throwaway OpenLDAP slapd for the tests of Postern's ldap: tables.

Slapd() builds, in a temporary directory, a cn=config configuration (with
slapadd -n0) that loads the core, cosine, inetorgperson, nis and misc
schemas from /etc/ldap/schema and conf/ldap/postern-schema.ldif, and one
mdb database for dc=example,dc=org filled (with slapadd -n1) from an LDIF
file, by default the shipped conf/ldap/directory.ldif.  start() runs
/usr/sbin/slapd in the foreground (-d 0, so its pid is ours to track)
on 127.0.0.1 on a free port and on an ldapi:// socket, and returns once
the port answers; stop() ends it by pid and waits; restart() brings it
back on the same port with the same data; cleanup() stops it and
removes the directory.  slapd runs as the calling user.

Slapd(tls=True) also makes a CA and a server certificate for 127.0.0.1
and localhost (openssl, at run time), offers StartTLS and listens for
ldaps:// on a second port (ldaps_uri); ca_file is the CA to trust.

Access: the service account cn=postern,ou=services,dc=example,dc=org
(password READER_PW) may read everything, userPassword included; an
anonymous client may read the aliases and domains but nothing under
ou=people, and userPassword only through a bind.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import urllib.parse

import postern_test as pt

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SCHEMA_DIR = "/etc/ldap/schema"
MODULE_DIR = "/usr/lib/ldap"
SUFFIX = "dc=example,dc=org"
ROOT_DN = "cn=admin," + SUFFIX
ROOT_PW = "admin-secret"
READER_DN = "cn=postern,ou=services," + SUFFIX
READER_PW = "postern-reader"
DIRECTORY = os.path.join(pt.ROOT, "conf", "ldap", "directory.ldif")
POSTERN_SCHEMA = os.path.join(pt.ROOT, "conf", "ldap", "postern-schema.ldif")

CONFIG = """\
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {dir}/slapd.pid
olcArgsFile: {dir}/slapd.args
{tls}
dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: {moddir}
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file://{schema}/core.ldif
include: file://{schema}/cosine.ldif
include: file://{schema}/inetorgperson.ldif
include: file://{schema}/nis.ldif
include: file://{schema}/misc.ldif
include: file://{postern_schema}

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcDbDirectory: {dir}/data
olcSuffix: {suffix}
olcRootDN: {rootdn}
olcRootPW: {rootpw}
olcDbMaxSize: 16777216
olcAccess: {{0}}to attrs=userPassword by dn.exact="{reader}" read
  by anonymous auth by * none
olcAccess: {{1}}to dn.subtree="ou=people,{suffix}" by dn.exact="{reader}" read
  by * none
olcAccess: {{2}}to * by * read
"""


class Slapd:
    """One slapd with its own configuration and data in a temp dir."""

    def __init__(self, ldif=DIRECTORY, tls=False):
        self.dir = tempfile.mkdtemp(prefix="postern-slapd-")
        self.port = pt.free_port()
        self.tls = tls
        self.tls_port = pt.free_port() if tls else None
        self.ca_file = os.path.join(self.dir, "ca.pem")
        self.proc = None
        self.log = None
        self.logpath = os.path.join(self.dir, "slapd.log")
        self.socket_path = os.path.join(self.dir, "ldapi")
        try:
            self._configure(ldif)
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    @property
    def uri(self):
        return "ldap://127.0.0.1:%d/" % self.port

    @property
    def ldaps_uri(self):
        return "ldaps://127.0.0.1:%d/" % self.tls_port

    @property
    def ldapi_uri(self):
        return "ldapi://%s/" % urllib.parse.quote(self.socket_path, safe="")

    def _run(self, argv):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError("%s failed (%d):\n%s%s" % (
                " ".join(argv), r.returncode, r.stdout, r.stderr))

    def _make_certs(self):
        """A CA, and a server certificate for 127.0.0.1 signed by it."""
        d = self.dir
        self._run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                   "-days", "2", "-subj", "/CN=Postern test CA",
                   "-keyout", d + "/ca.key", "-out", self.ca_file])
        self._run(["openssl", "req", "-newkey", "rsa:2048", "-nodes",
                   "-subj", "/CN=127.0.0.1", "-keyout", d + "/server.key",
                   "-out", d + "/server.csr"])
        with open(d + "/ext.cnf", "w") as f:
            f.write("subjectAltName = IP:127.0.0.1, DNS:localhost\n")
        self._run(["openssl", "x509", "-req", "-in", d + "/server.csr",
                   "-CA", self.ca_file, "-CAkey", d + "/ca.key",
                   "-CAcreateserial", "-days", "2", "-extfile", d + "/ext.cnf",
                   "-out", d + "/server.pem"])
        return ("olcTLSCACertificateFile: {ca}\n"
                "olcTLSCertificateFile: {d}/server.pem\n"
                "olcTLSCertificateKeyFile: {d}/server.key\n").format(
                    ca=self.ca_file, d=d)

    def _configure(self, ldif):
        os.mkdir(os.path.join(self.dir, "slapd.d"), 0o700)
        os.mkdir(os.path.join(self.dir, "data"), 0o700)
        tls = self._make_certs() if self.tls else ""
        text = CONFIG.format(dir=self.dir, moddir=MODULE_DIR, tls=tls,
                             schema=SCHEMA_DIR, postern_schema=POSTERN_SCHEMA,
                             suffix=SUFFIX, rootdn=ROOT_DN, rootpw=ROOT_PW,
                             reader=READER_DN)
        conf = os.path.join(self.dir, "config.ldif")
        with open(conf, "w") as f:
            f.write(text)
        confdir = os.path.join(self.dir, "slapd.d")
        self._run([SLAPADD, "-n0", "-F", confdir, "-l", conf])
        self._run([SLAPADD, "-n1", "-F", confdir, "-l", ldif])

    def _answers(self):
        if self.proc.poll() is not None:
            raise AssertionError("slapd exited with %d:\n%s" % (
                self.proc.returncode, self.logtext()[-4000:]))
        try:
            with socket.create_connection(("127.0.0.1", self.port), 1.0):
                return True
        except OSError:
            return False

    def start(self, timeout=20.0):
        """Start slapd; return once it accepts connections."""
        if self.proc is not None:
            raise AssertionError("slapd is already running")
        self.log = open(self.logpath, "ab")
        urls = "%s %s" % (self.uri, self.ldapi_uri)
        if self.tls:
            urls += " " + self.ldaps_uri
        self.proc = subprocess.Popen(
            [SLAPD, "-d", "0", "-h", urls,
             "-F", os.path.join(self.dir, "slapd.d")],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        try:
            pt.wait_for(self._answers, timeout=timeout,
                        what="slapd on port %d" % self.port)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout=20.0):
        """SIGTERM slapd by pid and wait until it has exited."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait()
        self.proc = None
        self.log.close()
        self.log = None
        return status

    def restart(self):
        """Stop and start again: same port, same data."""
        self.stop()
        return self.start()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def logtext(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def cleanup(self):
        """Stop slapd (nothing may be left running) and remove its files."""
        try:
            self.stop()
        finally:
            if not os.environ.get("POSTERN_KEEP"):
                shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
