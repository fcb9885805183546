"""1,000 concurrent requests (100 connections, 10 pipelined each) are all
answered, each with its own id."""

import threading
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402



class Concurrency(pt.InstanceTest):
    def test_thousand(self):
        inst = pt.AuthdInstance(users=[("u%d@example.org" % i, "pw%d" % i) for i in range(5)],
                                params={"authd_failure_delay": "0"})
        self.instances.append(inst)
        inst.start()
        clients = [inst.client() for _ in range(100)]
        results = {}

        def run(n, c):
            sent = {}
            for k in range(10):
                i = (n + k) % 5
                if k % 2:
                    sent[c.send("VERIFY", "pop3", "u%d@example.org" % i, "pw%d" % i,
                                "127.0.0.%d" % (n % 250 + 1))] = ("OK", ["u%d@example.org" % i])
                else:
                    sent[c.send("LOOKUP", "u%d@example.org" % i)] = ("OK", None)
            got = {}
            for _ in range(10):
                rid, word, f = c.read()
                got[rid] = (word, f)
            results[n] = (sent, got)

        threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        answered = 0
        for n, (sent, got) in results.items():
            self.assertEqual(sorted(sent), sorted(got))
            for rid, (word, f) in sent.items():
                self.assertEqual(got[rid][0], word)
                if f is not None:
                    self.assertEqual(got[rid][1], f)
                answered += 1
        self.assertEqual(answered, 1000)


if __name__ == "__main__":
    pt.run()
