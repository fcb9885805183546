"""A delivery agent for qmgr's tests: it serves the request/result
protocol of deliverreq.h (qmgr(8)) on queue/private/deliver-NAME, reads
each request's queue file with t/bin/qcheck, and answers each recipient
as the test's rule says.  It records every request (queue id, next hop,
recipient addresses, content) and the most requests it had at once.

rule(addr, nexthop) returns a tuple (state, dsn, reply, text[, scope]):
state "S", "D" or "B"; scope "r" (default) or "d".  The default rule
sends everything ("S", "2.0.0", "250 2.0.0 ok", "delivered")."""

import glob
import os
import socket
import subprocess
import threading
import time

import postern_test as pt

QCHECK = os.path.join(pt.TESTBIN, "qcheck")


def sent(addr, nexthop):
    return ("S", "2.0.0", "250 2.0.0 ok", "delivered to " + addr)


class AgentSink:
    def __init__(self, queue_dir, name, rule=sent, delay=0.0):
        self.queue_dir = queue_dir
        self.path = os.path.join(queue_dir, "private", "deliver-" + name)
        self.rule = rule
        self.delay = delay
        self.requests = []          # dicts: qid, nexthop, rcpt, content
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.sock.bind(self.path)
        # qmgr runs as mail_owner when the tests run as root.
        os.chmod(self.path, 0o666)
        self.sock.listen(128)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self):
        self.stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _queue_file(self, qid):
        files = glob.glob(os.path.join(self.queue_dir, "active", "*", "*", qid))
        assert len(files) == 1, "queue file %s not in active/: %r" % (qid, files)
        return files[0]

    def _one(self, conn):
        counted = True
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            f = conn.makefile("rwb")
            req = {"rcpt_index": []}
            for line in f:
                line = line.rstrip(b"\n").decode()
                if line == "end":
                    break
                word, _, value = line.partition(" ")
                if word == "rcpt":
                    req["rcpt_index"].append(int(value))
                else:
                    req[word] = value
            path = self._queue_file(req["queue_id"])
            r = subprocess.run([QCHECK, path], capture_output=True, text=True)
            fields = dict(x.split("=", 1) for x in r.stdout.split()[2:]
                          if "=" in x)
            rcpts = [a.strip("<>") for a in fields["rcpt"].split(",")]
            content = subprocess.run([QCHECK, "-c", path],
                                     capture_output=True).stdout
            req["rcpt"] = [rcpts[i] for i in req["rcpt_index"]]
            req["sender"] = fields["sender"].strip("<>")
            req["content"] = content
            req["time"] = time.time()
            with self.lock:
                self.requests.append(req)
            if self.delay:
                time.sleep(self.delay)
            for i, addr in zip(req["rcpt_index"], req["rcpt"]):
                res = self.rule(addr, req["nexthop"])
                state, dsn, reply, text = res[:4]
                scope = res[4] if len(res) > 4 else "r"
                f.write(("result\t%d\t%s\t%s\t%s\tsink.test[127.0.0.1]:25\t5\t7\t%s\t%s\n"
                         % (i, state, dsn, scope, reply, text)).encode())
            # No longer counted once qmgr may start the next request.
            with self.lock:
                self.active -= 1
                counted = False
            f.write(b"done\n")
            f.flush()
        except OSError:
            pass    # qmgr went away (the test is ending)
        finally:
            conn.close()
            with self.lock:
                if counted:
                    self.active -= 1

    def delivered(self):
        """[(qid, rcpt address)] of every request so far."""
        with self.lock:
            return [(r["queue_id"], a) for r in self.requests for a in r["rcpt"]]
