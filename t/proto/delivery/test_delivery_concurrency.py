"""One delivery process serves many requests at once: two requests to a
server that is slow to answer the final dot finish together, not one
after the other; and a request whose qmgr connection goes away early
does not disturb the others (its recipients are qmgr's to defer)."""

import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtpsink  # noqa: E402

TEXT = b"Subject: together\r\n\r\nbody\r\n"


class Concurrency(pt.InstanceTest):
    def test_parallel(self):
        sink = smtpsink.SmtpSink(delays={"dot": 2}).start()
        self.addCleanup(sink.stop)
        agent = pt.DeliveryInstance()
        self.instances.append(agent)
        agent.start()
        qids = [agent.queue_file(TEXT, ["r%d@x.test" % i]) for i in range(4)]
        out = {}

        def one(i):
            out[i] = agent.deliver("smtp", qids[i], "[127.0.0.1]:%d" % sink.port, [0])
        start = time.monotonic()
        threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        # qmgr goes away in the middle of a fifth request.
        qid = agent.queue_file(TEXT, ["gone@x.test"])
        s = socket.socket(socket.AF_UNIX)
        s.connect(agent.sockets["smtp"])
        s.sendall(("queue_id %s\nnexthop [127.0.0.1]:%d\nrcpt 0\nend\n"
                   % (qid, sink.port)).encode())
        s.close()
        for t in threads:
            t.join(30)
        elapsed = time.monotonic() - start
        for i in range(4):
            results, done = out[i]
            self.assertTrue(done)
            self.assertEqual(results[0]["state"], "S")
        self.assertLess(elapsed, 6, "four 2-second deliveries ran at once")
        self.assertEqual(len(agent.children("delivery-smtp")), 1)
        pt.wait_for(lambda: len(sink.messages) == 5, what="the fifth message too")
        # The process lived through it and still serves.
        self.assertEqual(agent.deliver("smtp", qids[0], "[127.0.0.1]:%d" % sink.port,
                                       [0])[0][0]["state"], "S")


if __name__ == "__main__":
    pt.run()
