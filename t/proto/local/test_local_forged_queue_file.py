"""local(8) trusts no command or path in a queue file: it asks authd to
expand the recipient's alias (its original recipient) again and runs or
writes only a target that authd names now.  A forged queue file (a
command under a real alias that does not name it, an unknown alias, no
alias, an ordinary address) runs nothing; the same request with what the
alias really names runs it.  Requests are sent to the agent's socket the
way qmgr sends them."""

import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402


class ForgedQueueFile(pt.InstanceTest):
    def test_forged_recipients_not_run(self):
        pt.need_root(self)
        inst = pt.AuthdInstance(params={"allow_mail_to_commands": "yes",
                                        "allow_mail_to_files": "yes"})
        self.instances.append(inst)
        with open(inst.path("master.conf"), "a") as f:
            f.write(pt.LOCAL_MASTER)
        out = inst.path("out")
        os.mkdir(out)
        os.chmod(out, 0o1777)
        legit = "|touch %s/legit" % out
        inst.write_table("aliases", 'run: "%s"\n' % legit)
        inst.queue = inst.path("queue")
        inst.sockets = {"local": inst.path("queue/private/deliver-local")}
        inst.start()
        pt.wait_for(lambda: pt.DeliveryInstance.try_socket(inst.sockets["local"]),
                    what="the local delivery agent")
        forged = "/tmp/postern-forged-%s" % uuid.uuid4().hex
        self.addCleanup(lambda: os.path.exists(forged) and os.unlink(forged))
        rcpts = [("|touch " + forged, ["-O", "rfc822;run@localhost"]),
                 (legit, ["-O", "rfc822;nosuchalias@localhost"]),
                 (legit, []),                       # no alias: orig is itself
                 ("alice@example.org", ["-O", "rfc822;run@localhost"]),
                 (forged, ["-O", "rfc822;run@localhost"])]
        qid = pt.DeliveryInstance.queue_file(inst, "Subject: x\r\n\r\nx\r\n", rcpts)
        results, done = pt.DeliveryInstance.deliver(inst, "local", qid, "run@localhost",
                                                    [0, 1, 2, 3, 4, 9])
        self.assertTrue(done)
        r = {x["index"]: x for x in results}
        self.assertEqual(sorted(r), [0, 1, 2, 3, 4, 9])
        for i in (0, 1, 2, 3, 4):
            self.assertEqual((r[i]["state"], r[i]["dsn"]), ("B", "5.3.0"), r[i])
        self.assertIn("does not name this command or file", r[0]["text"])
        self.assertIn("no longer exists", r[1]["text"])
        self.assertIn("alias expansion failed", r[2]["text"])
        self.assertIn("not a command or file recipient", r[3]["text"])
        self.assertIn("does not name this command or file", r[4]["text"])
        self.assertEqual(r[9]["state"], "D")
        self.assertFalse(os.path.exists(forged), "the forged command did not run")
        self.assertEqual(os.listdir(out), [], "nothing ran, nothing was written")
        # What the alias names now does run, from the same kind of file.
        qid = pt.DeliveryInstance.queue_file(inst, "Subject: x\r\n\r\nx\r\n",
                                             [(legit, ["-O", "rfc822;run@localhost"])])
        results, done = pt.DeliveryInstance.deliver(inst, "local", qid, "run@localhost", [0])
        self.assertEqual((results[0]["state"], results[0]["relay"]), ("S", "local"), results)
        self.assertTrue(os.path.exists(os.path.join(out, "legit")))
        self.assertIn("does not name this command or file (now): not delivered",
                      inst.logtext())

    def test_forged_file_through_qmgr(self):
        pt.need_root(self)
        # The same forgery dropped into incoming/: qmgr routes it to the
        # local agent (it is never expanded), which returns it.
        inst = pt.LocalInstance(users=[("alice@example.org", "pw")],
                                params={"allow_mail_to_commands": "yes"})
        self.instances.append(inst)
        inst.write_table("aliases", 'run: "|touch %s/legit"\n' % inst.out)
        inst.start()
        forged = os.path.join(inst.out, "forged")
        inst.queue_incoming("alice@example.org",
                            [("|touch " + forged, ["-O", "rfc822;run@localhost"])])
        fields, text = inst.dsn_fields("alice@example.org")
        self.assertEqual(fields["Status"], "5.3.0")
        self.assertIn("alias <run@localhost> does not name this command or file",
                      " ".join(text.split()))
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        self.assertEqual(os.listdir(inst.out), [], "nothing ran")


if __name__ == "__main__":
    pt.run()
