"""A tiny authoritative DNS server for tests (Python 3 standard library).

It answers UDP queries on 127.0.0.1 and a free port, from a thread of the
test process, out of a table of records: PTR, A, AAAA, MX and CNAME.  A
name with no records at all is NXDOMAIN; a name with records of other
types only gets an empty answer (NODATA).  A CNAME is followed as a
recursive server does: the answer holds the chain and the records of its
end.  Names can be made to answer SERVFAIL, to answer late, not to answer
at all, to answer with TC set, or to be preceded by forged answers (wrong
id, wrong source port, wrong question, garbage).  Every question is
recorded, so that a test can check which look-ups were made (and that
none were, or how many).

    dns = DNSServer()
    dns.ptr("127.0.0.2", "good.example.test")
    dns.add("good.example.test", "A", "127.0.0.2")
    dns.start()
    ... params {"dns_servers": dns.address} ...
    dns.stop()

Names are matched without regard to case, and the question is sent back
exactly as asked (resolvers that randomise the case of a query check it).
"""

import ipaddress
import socket
import struct
import threading

TYPES = {"A": 1, "CNAME": 5, "PTR": 12, "MX": 15, "AAAA": 28}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
CLASS_IN = 1
RCODE_OK, RCODE_FORMERR, RCODE_SERVFAIL, RCODE_NXDOMAIN = 0, 1, 2, 3


def reverse_name(addr):
    """The PTR name of an IPv4 or IPv6 address."""
    return ipaddress.ip_address(addr).reverse_pointer


def encode_name(name):
    """A name on the wire, uncompressed; "" or "." is the root."""
    out = b""
    if name.rstrip(".") == "":
        return b"\0"
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def parse_question(packet):
    """(raw question bytes, name, type) of a query, or None."""
    i, labels = 12, []
    while True:
        if i >= len(packet):
            return None
        n = packet[i]
        if n == 0:
            i += 1
            break
        if n > 63 or i + 1 + n > len(packet):
            return None
        labels.append(packet[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    if i + 4 > len(packet):
        return None
    qtype, _qclass = struct.unpack("!HH", packet[i:i + 4])
    return packet[12:i + 4], ".".join(labels).lower(), qtype


class DNSServer:
    def __init__(self, host="127.0.0.1"):
        self.records = {}       # (name, type) -> [value, ...]
        self.servfail = set()   # names that answer SERVFAIL
        self.silent = set()     # names that never answer
        self.delays = {}        # name -> seconds before the answer
        self.truncated = set()  # names that answer with TC set
        self.forged = {}        # (name, type) -> records of forged answers
        self.queries = []       # (name, type name) in arrival order
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.address = "%s:%d" % (host, self.port)
        self.thread = None
        self.running = False

    def add(self, name, rtype, value):
        """A record: A/AAAA an address, PTR a name, MX (pref, name)."""
        with self.lock:
            self.records.setdefault((name.lower().rstrip("."), rtype), []).append(value)

    def ptr(self, addr, name):
        self.add(reverse_name(addr), "PTR", name)

    def fail(self, name):
        """Make name answer SERVFAIL."""
        self.servfail.add(name.lower().rstrip("."))

    def drop(self, name):
        """Make name never answer (the client times out)."""
        self.silent.add(name.lower().rstrip("."))

    def delay(self, name, seconds):
        """Make name answer only after seconds."""
        self.delays[name.lower().rstrip(".")] = seconds

    def truncate(self, name):
        """Make name answer with TC set (the records still follow)."""
        self.truncated.add(name.lower().rstrip("."))

    def forge(self, name, rtype, value):
        """Before the real answer to (name, rtype), send answers that
        hold value instead: with another id, from another port, for
        another question, and a datagram of garbage."""
        with self.lock:
            self.forged.setdefault((name.lower().rstrip("."), rtype), []).append(value)

    def count(self, name, rtype=None):
        """How many times name (of rtype, if given) was asked for."""
        name = name.lower().rstrip(".")
        with self.lock:
            return sum(1 for n, t in self.queries
                       if n == name and (rtype is None or t == rtype))

    def asked(self, name, rtype=None):
        """True when name (of rtype, if given) was asked for."""
        name = name.lower().rstrip(".")
        with self.lock:
            return any(n == name and (rtype is None or t == rtype)
                       for n, t in self.queries)

    def start(self):
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.running = False
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        self.sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _serve(self):
        while self.running:
            try:
                packet, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            reply = self.answer(packet)
            q = parse_question(packet) if len(packet) >= 12 else None
            if reply is not None and q is not None:
                self._send_forged(packet, q, peer)
            wait = self.delays.get(q[1], 0) if q else 0
            if reply is not None and wait:
                threading.Timer(wait, self._send, (reply, peer)).start()
            elif reply is not None:
                self._send(reply, peer)

    def _send(self, reply, peer):
        try:
            self.sock.sendto(reply, peer)
        except OSError:
            pass                        # stopped meanwhile

    def _send_forged(self, packet, q, peer):
        raw, name, qtype = q
        tname = TYPE_NAMES.get(qtype, str(qtype))
        with self.lock:
            values = list(self.forged.get((name, tname), []))
        if not values:
            return
        qid, flags = struct.unpack("!HH", packet[:4])
        rd = flags & 0x0100
        records = [(name, tname, v) for v in values]
        self._send(self.build(qid ^ 0x5555, rd, raw, records, RCODE_OK), peer)
        other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            other.bind((self.sock.getsockname()[0], 0))
            other.sendto(self.build(qid, rd, raw, records, RCODE_OK), peer)
        finally:
            other.close()
        wrong = encode_name("forged." + name) + raw[-4:]
        self._send(self.build(qid, rd, wrong, [("forged." + name, tname, v) for v in values],
                              RCODE_OK), peer)
        self._send(struct.pack("!HH", qid, 0x8180) + b"\xff" * 9, peer)

    def rdata(self, rtype, value):
        if rtype == "A":
            return socket.inet_pton(socket.AF_INET, value)
        if rtype == "AAAA":
            return socket.inet_pton(socket.AF_INET6, value)
        if rtype == "MX":
            return struct.pack("!H", value[0]) + encode_name(value[1])
        return encode_name(value)

    def chain(self, name, tname):
        """The records answering (name, tname): CNAMEs followed (up to
        16 links), as (owner, type name, value) in answer order."""
        out = []
        for _ in range(16):
            found = self.records.get((name, tname), [])
            if found or tname == "CNAME":
                return out + [(name, tname, v) for v in found]
            alias = self.records.get((name, "CNAME"), [])
            if not alias:
                break
            out.append((name, "CNAME", alias[0]))
            name = alias[0].lower().rstrip(".")
        return out

    def build(self, qid, rd, raw, records, rcode, tc=False):
        """A response: the question raw, then records.  An owner that
        is the question's name points at it (offset 12)."""
        qname = parse_question(b"\0" * 12 + raw)[1]
        answers = b""
        for owner, tname, value in records:
            data = self.rdata(tname, value)
            own = (b"\xc0\x0c" if owner.lower().rstrip(".") == qname
                   else encode_name(owner))
            answers += own + struct.pack("!HHIH", TYPES[tname], CLASS_IN, 60,
                                         len(data)) + data
        flags = 0x8000 | 0x0400 | rd | rcode | (0x0200 if tc else 0)
        head = struct.pack("!HHHHHH", qid, flags, 1, len(records), 0, 0)
        return head + raw + answers

    def answer(self, packet):
        """The reply to one query packet, or None to stay silent."""
        if len(packet) < 12:
            return None
        qid, flags, qdcount = struct.unpack("!HHH", packet[:6])
        if flags & 0x8000:
            return None                 # a response, not a query
        q = parse_question(packet) if qdcount == 1 else None
        rd = flags & 0x0100
        if q is None:
            return struct.pack("!HHHHHH", qid, 0x8000 | rd | RCODE_FORMERR,
                               0, 0, 0, 0)
        raw, name, qtype = q
        tname = TYPE_NAMES.get(qtype, str(qtype))
        with self.lock:
            self.queries.append((name, tname))
            found = self.chain(name, tname) if tname in TYPES else []
            exists = any(n == name for n, _t in self.records)
        if name in self.silent:
            return None
        if name in self.servfail:
            rcode = RCODE_SERVFAIL
        else:
            rcode = RCODE_OK if exists else RCODE_NXDOMAIN
        if rcode != RCODE_OK:
            found = []
        return self.build(qid, rd, raw, found, rcode, name in self.truncated)
