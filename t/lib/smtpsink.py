"""A scriptable SMTP/LMTP test server on loopback (Python 3 standard
library: asyncio in a thread of the test process).

    sink = SmtpSink(rcpt_replies={"bad@x.test": "550 5.1.1 no such user"})
    sink.start()
    ... next hop "[127.0.0.1]:%d" % sink.port ...
    sink.stop()
    sink.messages[0].data   # the text as received, dot-unstuffed

Scriptable: the greeting; the keywords offered (PIPELINING, STARTTLS with
a certificate, DSN, SIZE, 8BITMIME, SMTPUTF8); the reply to MAIL, to each
RCPT (by address), to DATA and to the final dot (LMTP: one reply per
accepted recipient, by address); a recipient limit (452 4.5.3 beyond);
a STARTTLS that says 220 and then drops the connection, or that sends
plaintext behind its 220 (which a client must discard); a delay before
the reply of any stage
(slow mode: "greeting", "ehlo", "mail", "rcpt", "data", "dot"); "close"
as a reply drops the connection instead.  Everything is recorded: each
session's command lines, whether each command arrived before the reply
to the previous one was sent (pipelined), whether TLS was on, and every
message (sender, MAIL parameters, recipients with their parameters, the
text).
"""

import asyncio
import ssl
import threading


class Message:
    def __init__(self):
        self.sender = None
        self.mail_params = []
        self.rcpts = []          # [(address, [params])], accepted only
        self.data = b""
        self.tls = False


class Session:
    def __init__(self):
        self.commands = []       # command lines as received (str)
        self.pipelined = []      # parallel: sent before our last reply
        self.tls = False
        self.helo = None


def _addr(arg):
    """'<a@b> X=y' -> ('a@b', ['X=y'])."""
    arg = arg.strip()
    if not arg.startswith("<") or ">" not in arg:
        return None, []
    end = arg.index(">")
    return arg[1:end], arg[end + 1:].split()


class SmtpSink:
    def __init__(self, lmtp=False, host="127.0.0.1", port=0, name="sink.test",
                 greeting=None, pipelining=True, starttls=False, cert=None,
                 key=None, dsn=True, size=None, eightbitmime=True,
                 smtputf8=False, ehlo_reply=None, mail_reply=None,
                 rcpt_replies=None, data_reply=None, dot_reply=None,
                 dot_replies=None, delays=None, max_rcpts=None,
                 starttls_broken=False, starttls_inject=b""):
        self.lmtp = lmtp
        self.host = host
        self.want_port = port
        self.starttls_broken = starttls_broken
        self.starttls_inject = starttls_inject
        self.name = name
        self.greeting = greeting or "220 %s %s sink" % (name, "LMTP" if lmtp else "ESMTP")
        self.pipelining = pipelining
        self.starttls = starttls
        self.cert, self.key = cert, key
        self.dsn = dsn
        self.size = size
        self.eightbitmime = eightbitmime
        self.smtputf8 = smtputf8
        self.ehlo_reply = ehlo_reply
        self.mail_reply = mail_reply
        self.rcpt_replies = dict(rcpt_replies or {})
        self.data_reply = data_reply
        self.dot_reply = dot_reply
        self.dot_replies = dict(dot_replies or {})
        self.delays = dict(delays or {})
        self.max_rcpts = max_rcpts
        self.sessions = []
        self.messages = []
        self.connections = 0
        self.active = 0             # sessions open now, and the most at once
        self.max_active = 0
        self.lock = threading.Lock()
        self.loop = None
        self.server = None
        self.port = None
        self.thread = None
        self.ready = threading.Event()

    # -- control from the test thread --

    def start(self):
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(10):
            raise AssertionError("smtpsink did not start")
        return self

    def stop(self):
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def address(self):
        return "%s:%d" % (self.host, self.port)

    def all_commands(self):
        with self.lock:
            return [c for s in self.sessions for c in s.commands]

    # -- the server --

    def _run(self):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._session, self.host, self.want_port))
        self.port = self.server.sockets[0].getsockname()[1]
        self.ready.set()
        try:
            self.loop.run_forever()
        finally:
            self.server.close()
            tasks = asyncio.all_tasks(self.loop)
            for task in tasks:
                task.cancel()
            self.loop.run_until_complete(
                asyncio.gather(*tasks, return_exceptions=True))
            self.loop.close()

    def _tls_context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def _keywords(self, tls):
        kw = []
        if self.pipelining:
            kw.append("PIPELINING")
        if self.size is not None:
            kw.append("SIZE %d" % self.size if self.size else "SIZE")
        if self.starttls and not tls:
            kw.append("STARTTLS")
        if self.eightbitmime:
            kw.append("8BITMIME")
        if self.dsn:
            kw.append("DSN")
        if self.smtputf8:
            kw.append("SMTPUTF8")
        kw.append("ENHANCEDSTATUSCODES")
        return kw

    async def _session(self, reader, writer):
        sess = Session()
        with self.lock:
            self.connections += 1
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.sessions.append(sess)
        conn = _Conn(self, sess, reader, writer)
        try:
            await conn.run()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, OSError,
                asyncio.CancelledError):
            pass
        finally:
            with self.lock:
                self.active -= 1
            try:
                writer.close()
            except Exception:
                pass


class _Conn:
    """One session of the sink."""

    def __init__(self, sink, sess, reader, writer):
        self.sink = sink
        self.sess = sess
        self.reader = reader
        self.writer = writer
        self.buf = b""
        self.msg = None
        self.closed = False

    async def line(self):
        """The next line (without CRLF) and whether more input was
        already waiting behind it; None at end of file."""
        while b"\n" not in self.buf:
            chunk = await self.reader.read(65536)
            if not chunk:
                return None, False
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r"), bool(self.buf)

    async def reply(self, text, stage=None):
        """Send a reply (lines joined by \\n in text); 'close' drops the
        connection."""
        delay = self.sink.delays.get(stage)
        if delay:
            await asyncio.sleep(delay)
        if text == "close":
            self.closed = True
            self.writer.close()
            return
        self.writer.write(text.replace("\n", "\r\n").encode() + b"\r\n")
        await self.writer.drain()

    async def run(self):
        s = self.sink
        await self.reply(s.greeting, "greeting")
        if self.closed or not s.greeting.startswith("2"):
            return
        while not self.closed:
            line, more = await self.line()
            if line is None:
                return
            text = line.decode("utf-8", "replace")
            with s.lock:
                self.sess.commands.append(text)
                self.sess.pipelined.append(more)
            verb = text.split(" ", 1)[0].upper()
            arg = text[len(verb):].strip()
            handler = getattr(self, "do_" + verb, None)
            if handler is None:
                await self.reply("502 5.5.2 unknown command")
            else:
                await handler(arg)

    async def do_EHLO(self, arg, lhlo=False):
        s = self.sink
        if s.lmtp != lhlo:
            await self.reply("500 5.5.1 wrong protocol")
            return
        if s.ehlo_reply:
            await self.reply(s.ehlo_reply, "ehlo")
            return
        self.sess.helo = arg
        lines = [s.name] + s._keywords(self.sess.tls)
        text = "\n".join("250-" + x for x in lines[:-1]) + "\n250 " + lines[-1]
        await self.reply(text, "ehlo")

    async def do_LHLO(self, arg):
        await self.do_EHLO(arg, lhlo=True)

    async def do_HELO(self, arg):
        self.sess.helo = arg
        await self.reply("250 %s" % self.sink.name, "ehlo")

    async def do_STARTTLS(self, arg):
        if not self.sink.starttls or self.sess.tls:
            await self.reply("502 5.5.1 no")
            return
        # Plaintext sent with the 220, before TLS: the client must drop it.
        self.writer.write(b"220 2.0.0 go ahead\r\n" + self.sink.starttls_inject)
        await self.writer.drain()
        if self.sink.starttls_broken:
            # Says yes, then no handshake: the client's fails.
            self.closed = True
            self.writer.close()
            return
        self.buf = b""
        await self.writer.start_tls(self.sink._tls_context())
        self.sess.tls = True

    async def do_MAIL(self, arg):
        s = self.sink
        if not arg.upper().startswith("FROM:"):
            await self.reply("501 5.5.4 syntax")
            return
        addr, params = _addr(arg[5:])
        if s.mail_reply:
            await self.reply(s.mail_reply, "mail")
            return
        self.msg = Message()
        self.msg.sender = addr
        self.msg.mail_params = params
        self.msg.tls = self.sess.tls
        await self.reply("250 2.1.0 ok", "mail")

    async def do_RCPT(self, arg):
        s = self.sink
        if self.msg is None:
            await self.reply("503 5.5.1 need MAIL", "rcpt")
            return
        addr, params = _addr(arg[3:])
        if s.max_rcpts is not None and len(self.msg.rcpts) >= s.max_rcpts:
            await self.reply("452 4.5.3 too many recipients", "rcpt")
            return
        r = s.rcpt_replies.get(addr, "250 2.1.5 ok")
        if r.startswith("2"):
            self.msg.rcpts.append((addr, params))
        await self.reply(r, "rcpt")

    async def do_DATA(self, arg):
        s = self.sink
        if self.msg is None or not self.msg.rcpts:
            await self.reply("554 5.5.1 no valid recipients", "data")
            if self.msg is not None:
                self.msg = None
            return
        if s.data_reply:
            await self.reply(s.data_reply, "data")
            return
        await self.reply("354 go ahead", "data")
        data = bytearray()
        while True:
            line, _more = await self.line_raw()
            if line is None:
                return
            if line == b".\r\n":
                break
            if line.startswith(b"."):
                line = line[1:]
            data += line
        self.msg.data = bytes(data)
        msg, self.msg = self.msg, None
        with s.lock:
            s.messages.append(msg)
        if s.lmtp:
            for addr, _p in msg.rcpts:
                await self.reply(s.dot_replies.get(addr, s.dot_reply or "250 2.0.0 ok"), "dot")
        else:
            await self.reply(s.dot_reply or "250 2.0.0 queued", "dot")

    async def line_raw(self):
        """The next line with its line end, as sent."""
        while b"\n" not in self.buf:
            chunk = await self.reader.read(65536)
            if not chunk:
                return None, False
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n", bool(self.buf)

    async def do_RSET(self, arg):
        self.msg = None
        await self.reply("250 2.0.0 ok", "rset")

    async def do_NOOP(self, arg):
        await self.reply("250 2.0.0 ok")

    async def do_QUIT(self, arg):
        await self.reply("221 2.0.0 bye")
        self.closed = True
