"""Command-line errors and the modes Postern does not have: no
recipients, unknown options, bad DSN values and bad addresses are usage
or data errors before anything is read or sent; -q says to use postern
queue flush (69), while -bp and mailq list a queue that has nothing yet;
a bad configuration is 78.  Each gives its message on standard error."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import sendmail_test as st  # noqa: E402


class Usage(st.ConfDirTest):
    def check(self, args, status, text, argv0="sendmail"):
        r = st.sendmail(self.conf.dir, *args, argv0=argv0, input=b"Subject: x\n\nbody\n")
        self.assertEqual(r.returncode, status, (args, r.stderr))
        self.assertIn(text.encode(), r.stderr, args)
        self.assertEqual(r.stdout, b"")
        return r

    def test_usage(self):
        self.check([], st.EX_USAGE, "no recipients given (and no -t)")
        self.check(["-K", "a@example.org"], st.EX_USAGE, "usage: sendmail")
        self.check(["-bd"], st.EX_USAGE, "unsupported -b mode")
        self.check(["-N", "sometimes", "a@example.org"], st.EX_USAGE, "-N takes")
        self.check(["-N", "never,success", "a@example.org"], st.EX_USAGE, "-N takes")
        self.check(["-R", "most", "a@example.org"], st.EX_USAGE, "-R takes")
        self.check(["-B", "binary", "a@example.org"], st.EX_USAGE, "-B takes")
        self.check(["-V", "has space", "a@example.org"], st.EX_USAGE, "-V takes")

    def test_bad_addresses(self):
        self.check(["a@b@c"], st.EX_DATAERR, "bad address in recipient")
        self.check(["<a@example.org"], st.EX_DATAERR, "missing '>'")
        self.check(["a@-bad-.example"], st.EX_DATAERR, "bad address in recipient")
        self.check(["x" * 300 + "@example.org"], st.EX_DATAERR, "too long")

    def test_queue_modes(self):
        self.check(["-q"], st.EX_UNAVAILABLE,
                   'sendmail: a queue run is not available; use "postern queue flush"')
        # As root the listing runs as mail_owner: one that surely exists.
        conf = st.ConfDir({"mail_owner": "nobody"})
        self.addCleanup(conf.cleanup)
        for args, argv0 in ((["-bp"], "sendmail"), ([], "/usr/bin/mailq")):
            r = st.sendmail(conf.dir, *args, argv0=argv0)
            self.assertEqual((r.returncode, r.stdout, r.stderr),
                             (st.EX_OK, b"Mail queue is empty\n", b""), argv0)

    def test_ignored_options(self):
        # Accepted without effect: they reach the "system down" stage.
        r = st.sendmail(self.conf.dir, "-oem", "-oee", "-odb", "-om", "-m", "-n",
                        "-h", "10", "-L", "label", "a@example.org", input=b"x\n")
        self.assertEqual(r.returncode, st.EX_TEMPFAIL, r.stderr)

    def test_bad_config(self):
        with open(os.path.join(self.conf.dir, "postern.conf"), "a") as f:
            f.write("message_size_limit = many\n")
        self.check(["a@example.org"], st.EX_CONFIG, "postern.conf:")
        # -C may also name the file itself.
        r = st.sendmail(os.path.join(self.conf.dir, "postern.conf"), "a@example.org")
        self.assertEqual(r.returncode, st.EX_CONFIG, r.stderr)


if __name__ == "__main__":
    pt.run()
