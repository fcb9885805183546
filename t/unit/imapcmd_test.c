/*
 * imapcmd_test.c - unit tests for lib/mail/imapcmd: framing of lines and
 * literals (synchronising, LITERAL+ and LITERAL-, refused and skipped),
 * every command form, the typed arguments, every rejection branch, the
 * limits, hostile input, and every prefix of every case.
 */
#include "base/xmem.h"
#include "mail/imapcmd.h"
#include "mail/imapsearch.h"
#include "tap.h"

#define C(x) IMAPCMD_##x
#define E(x) IMAPCMD_ERR_##x
#define REFUSED (-2)
#define INCOMPLETE (-3)

static struct imapcmd_limits lim;
static struct imapcmd_frame fr;
static struct arena ar;

/*
 * Feed wire bytes (lines end in CR LF; the last may not) through the frame
 * as a session would, literals in chunks of chunk bytes (0: all at once),
 * and parse the command.  Returns 0 or -1 (imapcmd_parse), REFUSED (the
 * frame's err goes to cmd->err) or INCOMPLETE.
 */
static int
run_chunked(const char *w, size_t len, size_t chunk, struct imapcmd *cmd,
            struct why *why)
{
	struct imapcmd_input in;
	size_t pos = 0;

	imapcmd_frame_reset(&fr);
	arena_reset(&ar);
	memset(cmd, 0, sizeof(*cmd));
	while (pos <= len) {
		const char *crlf = memmem(w + pos, len - pos, "\r\n", 2);
		size_t end = crlf != NULL ? (size_t)(crlf - w) : len;
		enum imapcmd_frame_res r;

		r = imapcmd_frame_line(&fr, span_make(w + pos, end - pos));
		pos = crlf != NULL ? end + 2 : len + 1;
		if (r == IMAPCMD_FRAME_DONE) {
			imapcmd_frame_input(&fr, &in);
			return imapcmd_parse(&in, &lim, &ar, cmd, why);
		}
		if (r == IMAPCMD_FRAME_REFUSED) {
			cmd->err = fr.err;
			snprintf(why->msg, sizeof(why->msg), "%s", fr.why.msg);
			return REFUSED;
		}
		while (fr.need > 0 && pos < len) {
			size_t n = len - pos;

			if (chunk > 0 && n > chunk)
				n = chunk;
			pos +=
			    imapcmd_frame_literal(&fr, span_make(w + pos, n));
		}
	}
	return INCOMPLETE;
}

static int
run(const char *w, size_t len, struct imapcmd *cmd, struct why *why)
{
	return run_chunked(w, len ? len : strlen(w), 0, cmd, why);
}

/* why: a piece of the reason, when the command fails. */
static const struct {
	const char *w;
	size_t len; /* 0: strlen */
	int ret;
	enum imapcmd_name name;
	enum imapcmd_err err;
	const char *why;
} cases[] = {
    /* Commands without arguments. */
    {"a1 CAPABILITY", 0, 0, C(CAPABILITY), E(NONE), NULL},
    {"a noop", 0, 0, C(NOOP), E(NONE), NULL},
    {"a LOGOUT", 0, 0, C(LOGOUT), E(NONE), NULL},
    {"a StartTLS", 0, 0, C(STARTTLS), E(NONE), NULL},
    {"a CHECK", 0, 0, C(CHECK), E(NONE), NULL},
    {"a CLOSE", 0, 0, C(CLOSE), E(NONE), NULL},
    {"a EXPUNGE", 0, 0, C(EXPUNGE), E(NONE), NULL},
    {"a IDLE", 0, 0, C(IDLE), E(NONE), NULL},
    {"a NAMESPACE", 0, 0, C(NAMESPACE), E(NONE), NULL},
    {"a UNSELECT", 0, 0, C(UNSELECT), E(NONE), NULL},
    {"a NOOP ", 0, 0, C(NOOP), E(NONE), NULL},
    {"a]b.c NOOP", 0, 0, C(NOOP), E(NONE), NULL},
    {"a NOOP x", 0, -1, C(NOOP), E(BAD), "unexpected extra"},
    {"a EXPUNGE 1", 0, -1, C(EXPUNGE), E(BAD), "unexpected extra"},
    /* Tags and names. */
    {"", 0, -1, C(NONE), E(UNTAGGED), "empty"},
    {"*", 0, -1, C(NONE), E(UNTAGGED), "tag"},
    {"* NOOP", 0, -1, C(NONE), E(UNTAGGED), "tag"},
    {"+ NOOP", 0, -1, C(NONE), E(UNTAGGED), "tag"},
    {"a", 0, -1, C(NONE), E(BAD), "command name expected"},
    {"a+b NOOP", 0, -1, C(NONE), E(UNTAGGED), "tag"},
    {"a%b NOOP", 0, -1, C(NONE), E(UNTAGGED), "tag"},
    {"(a NOOP", 0, -1, C(NONE), E(UNTAGGED), "tag"},
    {"\"a\" NOOP", 0, -1, C(NONE), E(UNTAGGED), "tag"},
    {" a NOOP", 0, -1, C(NONE), E(UNTAGGED), "tag"},
    {"a\x01 NOOP", 0, -1, C(NONE), E(UNTAGGED), "tag"},
    {"a FOO", 0, -1, C(NONE), E(UNKNOWN), "unknown command"},
    {"a  NOOP", 0, -1, C(NONE), E(UNKNOWN), "unknown command"},
    {"a UID", 0, -1, C(NONE), E(BAD), "UID needs"},
    {"a UID NOOP", 0, -1, C(NOOP), E(BAD), "UID NOOP is not"},
    {"a UID FOO", 0, -1, C(NONE), E(UNKNOWN), "unknown command"},
    {"a UID UID FETCH 1 FLAGS", 0, -1, C(NONE), E(UNKNOWN), "unknown"},
    /* Tokens: NUL, CR, LF, 8-bit, escapes, parentheses. */
    {"a LOGIN u\0x p", 13, -1, C(LOGIN), E(BAD), "NUL in command"},
    {"a LOGIN \"u\0\" p", 14, -1, C(LOGIN), E(BAD), "NUL in quoted"},
    {"a LOGIN {3}\r\nu\0x p", 18, -1, C(LOGIN), E(BAD), "NUL in literal"},
    {"a LOGIN u\rx p", 0, -1, C(LOGIN), E(BAD), "CR or LF outside"},
    {"a LOGIN \"a\rb\" p", 0, -1, C(LOGIN), E(BAD), "CR or LF in quoted"},
    {"a SELECT \xc3\xa4", 0, -1, C(SELECT), E(BAD), "8-bit"},
    {"a SELECT \"\xc3\xa4\"", 0, 0, C(SELECT), E(NONE), NULL},
    {"a LOGIN \"a\\b\" p", 0, -1, C(LOGIN), E(BAD), "bad escape"},
    {"a LOGIN \"a\\", 0, -1, C(LOGIN), E(BAD), "bad escape"},
    {"a LOGIN \"abc", 0, -1, C(LOGIN), E(BAD), "unterminated"},
    {"a FETCH 1 (FLAGS", 0, -1, C(FETCH), E(BAD), "missing ')'"},
    {"a FETCH 1 (FLAGS))", 0, -1, C(FETCH), E(BAD), "unbalanced ')'"},
    {"a FETCH 1 FLAGS)", 0, -1, C(FETCH), E(BAD), "unbalanced ')'"},
    {"a FETCH 1 BODY[TEXT", 0, -1, C(FETCH), E(BAD), "missing ']'"},
    {"a FETCH 1 (FLAGS)(UID)", 0, -1, C(FETCH), E(BAD), "space expected"},
    {"a LOGIN u\"p\"", 0, -1, C(LOGIN), E(BAD), "space expected"},
    {"a LOGIN {3}x", 0, -1, C(LOGIN), E(BAD), "not at the end"},
    {"a LOGIN {}", 0, -1, C(LOGIN), E(BAD), "bad literal length"},
    {"a LOGIN {3+x}", 0, -1, C(LOGIN), E(BAD), "not at the end"},
    {"a APPEND x ~{3}\r\nabc", 0, -1, C(APPEND), E(BAD), "binary literals"},
    {"a LOGIN \\ p", 0, -1, C(LOGIN), E(BAD), "unexpected"},
    {"a LOGIN { p", 0, -1, C(LOGIN), E(BAD), "bad literal length"},
    {"a LOGIN u {99999999999999999999999}x", 0, -1, C(LOGIN), E(TOOBIG),
     "too large"},
    /* AUTHENTICATE (RFC 3501 6.2.2, SASL-IR). */
    {"a AUTHENTICATE PLAIN", 0, 0, C(AUTHENTICATE), E(NONE), NULL},
    {"a AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=", 0, 0, C(AUTHENTICATE),
     E(NONE), NULL},
    {"a AUTHENTICATE PLAIN =", 0, 0, C(AUTHENTICATE), E(NONE), NULL},
    {"a AUTHENTICATE", 0, -1, C(AUTHENTICATE), E(BAD), "mechanism expected"},
    {"a AUTHENTICATE \"PLAIN\"", 0, -1, C(AUTHENTICATE), E(BAD),
     "atom expected"},
    {"a AUTHENTICATE PLAIN abc", 0, -1, C(AUTHENTICATE), E(BAD),
     "initial response"},
    {"a AUTHENTICATE PLAIN a=bc", 0, -1, C(AUTHENTICATE), E(BAD),
     "initial response"},
    {"a AUTHENTICATE PLAIN \"dGVz\"", 0, -1, C(AUTHENTICATE), E(BAD),
     "initial response"},
    {"a AUTHENTICATE PLAIN = =", 0, -1, C(AUTHENTICATE), E(BAD),
     "unexpected extra"},
    /* LOGIN. */
    {"a LOGIN user pass", 0, 0, C(LOGIN), E(NONE), NULL},
    {"a LOGIN \"us er\" \"p\\\"w\"", 0, 0, C(LOGIN), E(NONE), NULL},
    {"a LOGIN {4}\r\nuser {4+}\r\npass", 0, 0, C(LOGIN), E(NONE), NULL},
    {"a LOGIN NIL 123", 0, 0, C(LOGIN), E(NONE), NULL},
    {"a LOGIN", 0, -1, C(LOGIN), E(BAD), "user name expected"},
    {"a LOGIN u", 0, -1, C(LOGIN), E(BAD), "password expected"},
    {"a LOGIN (u) p", 0, -1, C(LOGIN), E(BAD), "string expected"},
    {"a LOGIN u* p", 0, -1, C(LOGIN), E(BAD), "bad character in atom"},
    {"a LOGIN u p x", 0, -1, C(LOGIN), E(BAD), "unexpected extra"},
    /* SELECT and EXAMINE, CONDSTORE and QRESYNC (RFC 7162). */
    {"a SELECT INBOX", 0, 0, C(SELECT), E(NONE), NULL},
    {"a EXAMINE \"Sent Items\"", 0, 0, C(EXAMINE), E(NONE), NULL},
    {"a SELECT INBOX (CONDSTORE)", 0, 0, C(SELECT), E(NONE), NULL},
    {"a SELECT INBOX (QRESYNC (67890007 20050715194045000 "
     "41,43:211,214:541))",
     0, 0, C(SELECT), E(NONE), NULL},
    {"a SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541 "
     "(1:5 41:45)))",
     0, 0, C(SELECT), E(NONE), NULL},
    {"a SELECT INBOX (QRESYNC (1 2 (1 1)) CONDSTORE)", 0, 0, C(SELECT), E(NONE),
     NULL},
    {"a SELECT", 0, -1, C(SELECT), E(BAD), "mailbox expected"},
    {"a SELECT INBOX (FOO)", 0, -1, C(SELECT), E(BAD), "unknown or repeated"},
    {"a SELECT INBOX (CONDSTORE CONDSTORE)", 0, -1, C(SELECT), E(BAD),
     "unknown or repeated"},
    {"a SELECT INBOX CONDSTORE", 0, -1, C(SELECT), E(BAD), "list expected"},
    {"a SELECT INBOX () x", 0, -1, C(SELECT), E(BAD), "unexpected extra"},
    {"a SELECT INBOX (QRESYNC)", 0, -1, C(SELECT), E(BAD),
     "QRESYNC parameters expected"},
    {"a SELECT INBOX (QRESYNC (0 1))", 0, -1, C(SELECT), E(BAD),
     "out of range"},
    {"a SELECT INBOX (QRESYNC (4294967296 1))", 0, -1, C(SELECT), E(BAD),
     "out of range"},
    {"a SELECT INBOX (QRESYNC (1 99999999999999999999999))", 0, -1, C(SELECT),
     E(BAD), "number too large"},
    {"a SELECT INBOX (QRESYNC (1 9223372036854775808))", 0, -1, C(SELECT),
     E(BAD), "out of range"},
    {"a SELECT INBOX (QRESYNC (1))", 0, -1, C(SELECT), E(BAD),
     "MODSEQ expected"},
    {"a SELECT INBOX (QRESYNC (1 2 1:*))", 0, -1, C(SELECT), E(BAD),
     "* in known UIDs"},
    {"a SELECT INBOX (QRESYNC (1 2 (1)))", 0, -1, C(SELECT), E(BAD),
     "known UID set expected"},
    {"a SELECT INBOX (QRESYNC (1 2 (1 2 3)))", 0, -1, C(SELECT), E(BAD),
     "unexpected extra"},
    {"a SELECT INBOX (QRESYNC (1 2 0))", 0, -1, C(SELECT), E(BAD), "zero"},
    {"a SELECT INBOX (QRESYNC (1 2 1 (1 1) x))", 0, -1, C(SELECT), E(BAD),
     "unexpected extra"},
    /* Mailbox commands. */
    {"a CREATE foo/bar", 0, 0, C(CREATE), E(NONE), NULL},
    {"a DELETE foo", 0, 0, C(DELETE), E(NONE), NULL},
    {"a SUBSCRIBE foo", 0, 0, C(SUBSCRIBE), E(NONE), NULL},
    {"a UNSUBSCRIBE {3+}\r\nfoo", 0, 0, C(UNSUBSCRIBE), E(NONE), NULL},
    {"a RENAME a b", 0, 0, C(RENAME), E(NONE), NULL},
    {"a RENAME a", 0, -1, C(RENAME), E(BAD), "new mailbox expected"},
    {"a CREATE", 0, -1, C(CREATE), E(BAD), "mailbox expected"},
    {"a CREATE a%", 0, -1, C(CREATE), E(BAD), "bad character"},
    {"a CREATE BODY[x]", 0, -1, C(CREATE), E(BAD), "string expected"},
    /* LIST and LSUB (RFC 3501, 5258, 6154, 5819). */
    {"a LIST \"\" *", 0, 0, C(LIST), E(NONE), NULL},
    {"a LIST \"\" %", 0, 0, C(LIST), E(NONE), NULL},
    {"a LIST ~/Mail/ foo%", 0, 0, C(LIST), E(NONE), NULL},
    {"a LIST \"\" \"*\"", 0, 0, C(LIST), E(NONE), NULL},
    {"a LIST \"\" a]b", 0, 0, C(LIST), E(NONE), NULL},
    {"a LIST (SUBSCRIBED) \"\" *", 0, 0, C(LIST), E(NONE), NULL},
    {"a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" *", 0, 0, C(LIST), E(NONE), NULL},
    {"a LIST (SPECIAL-USE REMOTE) \"\" *", 0, 0, C(LIST), E(NONE), NULL},
    {"a LIST () \"\" *", 0, 0, C(LIST), E(NONE), NULL},
    {"a LIST \"\" (INBOX Drafts) RETURN (CHILDREN SPECIAL-USE "
     "SUBSCRIBED STATUS (MESSAGES UNSEEN))",
     0, 0, C(LIST), E(NONE), NULL},
    {"a LIST \"\" * RETURN ()", 0, 0, C(LIST), E(NONE), NULL},
    {"a LSUB \"\" *", 0, 0, C(LSUB), E(NONE), NULL},
    {"a LIST", 0, -1, C(LIST), E(BAD), "reference expected"},
    {"a LIST \"\"", 0, -1, C(LIST), E(BAD), "mailbox pattern expected"},
    {"a LIST (FOO) \"\" *", 0, -1, C(LIST), E(BAD), "unknown LIST option"},
    {"a LIST (RECURSIVEMATCH) \"\" *", 0, -1, C(LIST), E(BAD),
     "RECURSIVEMATCH alone"},
    {"a LIST \"\" * RETURN (FOO)", 0, -1, C(LIST), E(BAD),
     "unknown LIST return"},
    {"a LIST \"\" * RETURN (STATUS (MESSAGES) STATUS (UNSEEN))", 0, -1, C(LIST),
     E(BAD), "unknown LIST return"},
    {"a LIST \"\" * RETURN", 0, -1, C(LIST), E(BAD), "return options"},
    {"a LIST \"\" ()", 0, -1, C(LIST), E(BAD), "empty pattern list"},
    {"a LIST \"\" * RETURN (STATUS ())", 0, -1, C(LIST), E(BAD),
     "empty status"},
    {"a LIST \"\" * RETURN (STATUS)", 0, -1, C(LIST), E(BAD),
     "status items expected"},
    {"a LSUB \"\" (a)", 0, -1, C(LSUB), E(BAD), "string expected"},
    {"a LSUB () \"\" *", 0, -1, C(LSUB), E(BAD), "string expected"},
    {"a LIST \"\" \\x", 0, -1, C(LIST), E(BAD), "bad mailbox pattern"},
    {"a LIST \"\" * FOO", 0, -1, C(LIST), E(BAD), "unexpected extra"},
    /* STATUS. */
    {"a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN "
     "HIGHESTMODSEQ SIZE DELETED DELETED-STORAGE)",
     0, 0, C(STATUS), E(NONE), NULL},
    {"a STATUS INBOX ()", 0, -1, C(STATUS), E(BAD), "empty status"},
    {"a STATUS INBOX (FOO)", 0, -1, C(STATUS), E(BAD), "unknown status"},
    {"a STATUS INBOX", 0, -1, C(STATUS), E(BAD), "status items expected"},
    {"a STATUS INBOX MESSAGES", 0, -1, C(STATUS), E(BAD), "list expected"},
    /* APPEND (and MULTIAPPEND, RFC 3502). */
    {"a APPEND INBOX {5}\r\nhello", 0, 0, C(APPEND), E(NONE), NULL},
    {"a APPEND INBOX (\\Seen foo) \"17-Jul-1996 02:44:25 -0700\" "
     "{5}\r\nhello",
     0, 0, C(APPEND), E(NONE), NULL},
    {"a APPEND INBOX \" 7-Jul-1996 02:44:25 +0000\" {1+}\r\nx", 0, 0, C(APPEND),
     E(NONE), NULL},
    {"a APPEND INBOX {1}\r\na (\\Seen) {1}\r\nb", 0, 0, C(APPEND), E(NONE),
     NULL},
    {"a APPEND INBOX {0}\r\n", 0, 0, C(APPEND), E(NONE), NULL},
    {"a APPEND INBOX () {7}\r\n{5}\r\n\xff\x01", 0, 0, C(APPEND), E(NONE),
     NULL},
    {"a APPEND INBOX", 0, -1, C(APPEND), E(BAD), "message literal expected"},
    {"a APPEND INBOX \"msg\"", 0, -1, C(APPEND), E(BAD), "bad date-time"},
    {"a APPEND INBOX (\\Recent) {1}\r\nx", 0, -1, C(APPEND), E(BAD),
     "unknown system flag"},
    {"a APPEND INBOX (\\Seen)", 0, -1, C(APPEND), E(BAD), "must be a literal"},
    {"a APPEND INBOX msg", 0, -1, C(APPEND), E(BAD), "must be a literal"},
    {"a APPEND INBOX \"32-Jan-2000 02:44:25 -0700\" {1}\r\nx", 0, -1, C(APPEND),
     E(BAD), "bad date-time"},
    {"a APPEND INBOX \"29-Feb-2001 02:44:25 -0700\" {1}\r\nx", 0, -1, C(APPEND),
     E(BAD), "bad date-time"},
    {"a APPEND INBOX \"7-Jul-1996 02:44:25 -0700\" {1}\r\nx", 0, -1, C(APPEND),
     E(BAD), "bad date-time"},
    {"a APPEND INBOX \"17-Jul-1996 24:44:25 -0700\" {1}\r\nx", 0, -1, C(APPEND),
     E(BAD), "bad date-time"},
    {"a APPEND INBOX \"17-Jul-1996 02:44:25 0700\" {1}\r\nx", 0, -1, C(APPEND),
     E(BAD), "bad date-time"},
    {"a APPEND INBOX \"17-Foo-1996 02:44:25 +0700\" {1}\r\nx", 0, -1, C(APPEND),
     E(BAD), "bad date-time"},
    {"a APPEND INBOX {1}\r\nx \"x\"", 0, -1, C(APPEND), E(BAD),
     "bad date-time"},
    /* STORE. */
    {"a STORE 1:3 +FLAGS (\\Deleted)", 0, 0, C(STORE), E(NONE), NULL},
    {"a STORE 1 FLAGS.SILENT \\Seen \\Flagged", 0, 0, C(STORE), E(NONE), NULL},
    {"a STORE 1 -FLAGS ()", 0, 0, C(STORE), E(NONE), NULL},
    {"a STORE 1 (UNCHANGEDSINCE 12345) +FLAGS.SILENT (\\Seen)", 0, 0, C(STORE),
     E(NONE), NULL},
    {"a UID STORE 1:* +flags (kw $Forwarded)", 0, 0, C(STORE), E(NONE), NULL},
    {"a STORE", 0, -1, C(STORE), E(BAD), "sequence set expected"},
    {"a STORE 1", 0, -1, C(STORE), E(BAD), "FLAGS expected"},
    {"a STORE 1 FOO (\\Seen)", 0, -1, C(STORE), E(BAD), "+FLAGS"},
    {"a STORE 1 +FLAGS.LOUD (\\Seen)", 0, -1, C(STORE), E(BAD), "+FLAGS"},
    {"a STORE 1 FLAGS", 0, -1, C(STORE), E(BAD), "flag list expected"},
    {"a STORE 1 (FOO 1) FLAGS ()", 0, -1, C(STORE), E(BAD),
     "unknown STORE modifier"},
    {"a STORE 1 (UNCHANGEDSINCE) FLAGS ()", 0, -1, C(STORE), E(BAD),
     "UNCHANGEDSINCE expected"},
    {"a STORE 1 (UNCHANGEDSINCE 1 2) FLAGS ()", 0, -1, C(STORE), E(BAD),
     "unexpected extra"},
    {"a STORE 1 FLAGS (\\Bogus)", 0, -1, C(STORE), E(BAD),
     "unknown system flag"},
    {"a STORE 1 FLAGS (\\Recent)", 0, -1, C(STORE), E(BAD),
     "unknown system flag"},
    {"a STORE 1 FLAGS (a%b)", 0, -1, C(STORE), E(BAD), "bad keyword"},
    {"a STORE 1 FLAGS (\"x\")", 0, -1, C(STORE), E(BAD), "flag expected"},
    {"a STORE 1 FLAGS (()) ", 0, -1, C(STORE), E(BAD), "flag expected"},
    {"a STORE 1 \"FLAGS\" ()", 0, -1, C(STORE), E(BAD), "atom expected"},
    /* FETCH. */
    {"a FETCH 1 ALL", 0, 0, C(FETCH), E(NONE), NULL},
    {"a FETCH 1 fast", 0, 0, C(FETCH), E(NONE), NULL},
    {"a FETCH 1 FULL", 0, 0, C(FETCH), E(NONE), NULL},
    {"a FETCH 1:* (FLAGS UID)", 0, 0, C(FETCH), E(NONE), NULL},
    {"a FETCH 1 BODY[]", 0, 0, C(FETCH), E(NONE), NULL},
    {"a FETCH 1 BODY.PEEK[HEADER.FIELDS (From Subject)]<0.100>", 0, 0, C(FETCH),
     E(NONE), NULL},
    {"a FETCH 1 (BODY[1.2.MIME] BODY[1.2.3] BODY[TEXT] BODY[HEADER] "
     "BODY[2.HEADER] BODY[3.TEXT] BODY[HEADER.FIELDS.NOT (X-A \"X-B\")])",
     0, 0, C(FETCH), E(NONE), NULL},
    {"a FETCH 1 (ENVELOPE INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE "
     "RFC822.TEXT BODY BODYSTRUCTURE UID MODSEQ)",
     0, 0, C(FETCH), E(NONE), NULL},
    {"a FETCH 1 (BINARY[1]<0.10> BINARY.PEEK[1] BINARY.SIZE[1] BINARY[])", 0, 0,
     C(FETCH), E(NONE), NULL},
    {"a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)", 0, 0, C(FETCH),
     E(NONE), NULL},
    {"a FETCH 1 (FLAGS) (CHANGEDSINCE 1)", 0, 0, C(FETCH), E(NONE), NULL},
    {"a FETCH 1 BODY[HEADER.FIELDS ({4}\r\nFrom)]", 0, 0, C(FETCH), E(NONE),
     NULL},
    {"a FETCH 1", 0, -1, C(FETCH), E(BAD), "fetch attributes expected"},
    {"a FETCH", 0, -1, C(FETCH), E(BAD), "sequence set expected"},
    {"a FETCH 1 FOO", 0, -1, C(FETCH), E(BAD), "unknown fetch attribute"},
    {"a FETCH 1 \"FLAGS\"", 0, -1, C(FETCH), E(BAD), "unknown fetch"},
    {"a FETCH 1 ()", 0, -1, C(FETCH), E(BAD), "empty fetch attribute"},
    {"a FETCH 1 (ALL)", 0, -1, C(FETCH), E(BAD), "unknown fetch attribute"},
    {"a FETCH 1 BODY[FOO]", 0, -1, C(FETCH), E(BAD), "bad section"},
    {"a FETCH 1 BODY[MIME]", 0, -1, C(FETCH), E(BAD), "MIME needs"},
    {"a FETCH 1 BODY[0]", 0, -1, C(FETCH), E(BAD), "bad part number"},
    {"a FETCH 1 BODY[01]", 0, -1, C(FETCH), E(BAD), "bad part number"},
    {"a FETCH 1 BODY[1.]", 0, -1, C(FETCH), E(BAD), "bad section"},
    {"a FETCH 1 BODY[1..2]", 0, -1, C(FETCH), E(BAD), "bad section"},
    {"a FETCH 1 BODY[1x]", 0, -1, C(FETCH), E(BAD), "bad section"},
    {"a FETCH 1 BODY[\"1\"]", 0, -1, C(FETCH), E(BAD), "bad section"},
    {"a FETCH 1 BODY[99999999999]", 0, -1, C(FETCH), E(BAD),
     "part number too large"},
    {"a FETCH 1 BODY[1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1."
     "1.1.1.1.1.1]",
     0, -1, C(FETCH), E(LIMIT), "section nested too deep"},
    {"a FETCH 1 BODY[HEADER.FIELDS]", 0, -1, C(FETCH), E(BAD),
     "header field list expected"},
    {"a FETCH 1 BODY[HEADER.FIELDS ()]", 0, -1, C(FETCH), E(BAD),
     "empty header field list"},
    {"a FETCH 1 BODY[HEADER.FIELDS ((a))]", 0, -1, C(FETCH), E(BAD),
     "string expected"},
    {"a FETCH 1 BODY[TEXT x]", 0, -1, C(FETCH), E(BAD), "bad section"},
    {"a FETCH 1 BODY[]<0.0>", 0, -1, C(FETCH), E(BAD), "bad <partial>"},
    {"a FETCH 1 BODY[]<1>", 0, -1, C(FETCH), E(BAD), "bad <partial>"},
    {"a FETCH 1 BODY[]<1.", 0, -1, C(FETCH), E(BAD), "bad <partial>"},
    {"a FETCH 1 BODY[]<a.b>", 0, -1, C(FETCH), E(BAD), "bad <partial>"},
    {"a FETCH 1 BODY[]<99999999999.1>", 0, -1, C(FETCH), E(BAD), "too large"},
    {"a FETCH 1 BODY[]<4294967296.1>", 0, -1, C(FETCH), E(BAD),
     "bad <partial>"},
    {"a FETCH 1 BINARY[HEADER]", 0, -1, C(FETCH), E(BAD), "part numbers only"},
    {"a FETCH 1 BINARY.SIZE[1]<0.1>", 0, -1, C(FETCH), E(BAD), "bad <partial>"},
    {"a FETCH 1 BINARY.SIZE", 0, -1, C(FETCH), E(BAD), "unknown fetch"},
    {"a FETCH 1 FLAGS (FOO)", 0, -1, C(FETCH), E(BAD),
     "unknown or repeated FETCH modifier"},
    {"a FETCH 1 FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)", 0, -1, C(FETCH), E(BAD),
     "unknown or repeated"},
    {"a FETCH 1 FLAGS (CHANGEDSINCE 0)", 0, -1, C(FETCH), E(BAD),
     "out of range"},
    {"a FETCH 1 FLAGS (CHANGEDSINCE 1 VANISHED)", 0, -1, C(FETCH), E(BAD),
     "VANISHED needs"},
    {"a UID FETCH 1 FLAGS (VANISHED)", 0, -1, C(FETCH), E(BAD),
     "VANISHED needs"},
    {"a FETCH 1 FLAGS (CHANGEDSINCE 1) x", 0, -1, C(FETCH), E(BAD),
     "unexpected extra"},
    {"a FETCH 1 FLAGS x", 0, -1, C(FETCH), E(BAD), "list expected"},
    {"a FETCH 0 FLAGS", 0, -1, C(FETCH), E(BAD), "zero"},
    {"a FETCH 1:x FLAGS", 0, -1, C(FETCH), E(BAD), "number or *"},
    {"a FETCH 4294967296 FLAGS", 0, -1, C(FETCH), E(BAD), "too large"},
    {"a FETCH \"1\" FLAGS", 0, -1, C(FETCH), E(BAD), "sequence set expected"},
    /* COPY, MOVE, UID EXPUNGE. */
    {"a COPY 1:3 Trash", 0, 0, C(COPY), E(NONE), NULL},
    {"a UID COPY 1:* \"Trash\"", 0, 0, C(COPY), E(NONE), NULL},
    {"a MOVE 1 Archive", 0, 0, C(MOVE), E(NONE), NULL},
    {"a UID MOVE 5 x", 0, 0, C(MOVE), E(NONE), NULL},
    {"a UID EXPUNGE 1:5,7", 0, 0, C(EXPUNGE), E(NONE), NULL},
    {"a COPY 1", 0, -1, C(COPY), E(BAD), "mailbox expected"},
    {"a COPY", 0, -1, C(COPY), E(BAD), "sequence set expected"},
    {"a COPY (1) x", 0, -1, C(COPY), E(BAD), "sequence set expected"},
    {"a MOVE 1 x y", 0, -1, C(MOVE), E(BAD), "unexpected extra"},
    {"a UID EXPUNGE", 0, -1, C(EXPUNGE), E(BAD), "UID set expected"},
    {"a UID EXPUNGE 1 2", 0, -1, C(EXPUNGE), E(BAD), "unexpected extra"},
    /* SEARCH (more in imapsearch_test). */
    {"a SEARCH ALL", 0, 0, C(SEARCH), E(NONE), NULL},
    {"a UID SEARCH RETURN (MIN MAX) CHARSET UTF-8 TEXT \"x\"", 0, 0, C(SEARCH),
     E(NONE), NULL},
    {"a SEARCH CHARSET UTF-8 SUBJECT {4}\r\n\xc3\xa4\xc3\xb6 NOT DELETED", 0, 0,
     C(SEARCH), E(NONE), NULL},
    {"a SEARCH", 0, -1, C(SEARCH), E(BAD), "search key expected"},
    {"a SEARCH CHARSET KOI8-R ALL", 0, -1, C(SEARCH), E(BADCHARSET), "charset"},
    /* ENABLE, ID, QUOTA. */
    {"a ENABLE CONDSTORE QRESYNC", 0, 0, C(ENABLE), E(NONE), NULL},
    {"a ENABLE", 0, -1, C(ENABLE), E(BAD), "capability expected"},
    {"a ENABLE \"x\"", 0, -1, C(ENABLE), E(BAD), "atom expected"},
    {"a ID NIL", 0, 0, C(ID), E(NONE), NULL},
    {"a ID (\"name\" \"x\" \"version\" NIL)", 0, 0, C(ID), E(NONE), NULL},
    {"a ID ()", 0, 0, C(ID), E(NONE), NULL},
    {"a ID", 0, -1, C(ID), E(BAD), "ID parameter list expected"},
    {"a ID NIL x", 0, -1, C(ID), E(BAD), "unexpected extra"},
    {"a ID (\"a\")", 0, -1, C(ID), E(BAD), "bad ID parameter list"},
    {"a ID (\"k\" \"v\") x", 0, -1, C(ID), E(BAD), "unexpected extra"},
    {"a ID (\"k\" (v))", 0, -1, C(ID), E(BAD), "string expected"},
    {"a ID (\"0123456789012345678901234567890\" \"v\")", 0, -1, C(ID), E(BAD),
     "too long"},
    {"a GETQUOTA \"\"", 0, 0, C(GETQUOTA), E(NONE), NULL},
    {"a GETQUOTAROOT INBOX", 0, 0, C(GETQUOTAROOT), E(NONE), NULL},
    {"a SETQUOTA \"\" (STORAGE 512 MESSAGE 1000)", 0, 0, C(SETQUOTA), E(NONE),
     NULL},
    {"a SETQUOTA \"\" ()", 0, 0, C(SETQUOTA), E(NONE), NULL},
    {"a GETQUOTA", 0, -1, C(GETQUOTA), E(BAD), "quota root expected"},
    {"a GETQUOTA a b", 0, -1, C(GETQUOTA), E(BAD), "unexpected extra"},
    {"a SETQUOTA \"\"", 0, -1, C(SETQUOTA), E(BAD), "resource limits expected"},
    {"a SETQUOTA \"\" (STORAGE)", 0, -1, C(SETQUOTA), E(BAD), "limit expected"},
    {"a SETQUOTA \"\" (STORAGE x)", 0, -1, C(SETQUOTA), E(BAD),
     "number expected"},
    {"a SETQUOTA \"\" (\"STORAGE\" 1)", 0, -1, C(SETQUOTA), E(BAD),
     "atom expected"},
    /* Literals that lie: {3} with six bytes sent. */
    {"a LOGIN {3}\r\nabcdef p", 0, -1, C(LOGIN), E(BAD), "space expected"},
};

/* The case's bytes, printable, for failure messages. */
static const char *
esc(const char *w, size_t len)
{
	static char out[200];
	size_t i, k = 0;

	for (i = 0; i < len && k + 5 < sizeof(out); i++) {
		unsigned char c = (unsigned char)w[i];

		if (c >= 0x20 && c < 0x7f)
			out[k++] = (char)c;
		else
			k += (size_t)snprintf(out + k, sizeof(out) - k,
			                      "\\x%02x", c);
	}
	out[k] = '\0';
	return out;
}

static void
test_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].w);
		struct imapcmd c, c1;
		struct why why = {""}, why1;
		int r = run_chunked(cases[i].w, len, 0, &c, &why);

		if (!ok(r == cases[i].ret, "case %zu: %s", i, why.msg))
			diag("%s: got %d", esc(cases[i].w, len), r);
		if (cases[i].ret == 0)
			is_int(c.name, cases[i].name, "name of %zu", i);
		is_int(c.err, cases[i].err, "error kind of %zu", i);
		if (cases[i].why != NULL)
			if (!ok(strstr(why.msg, cases[i].why) != NULL,
			        "reason of %zu: %s", i, why.msg))
				diag("%s: want '%s'", esc(cases[i].w, len),
				     cases[i].why);
		/* The same, literals given a byte at a time, and in
		 * chunks of 2 to 6 bytes. */
		r = run_chunked(cases[i].w, len, 1, &c1, &why1);
		ok(r == cases[i].ret && c1.err == c.err &&
		       strcmp(why1.msg, why.msg) == 0,
		   "byte by byte, case %zu", i);
		r = run_chunked(cases[i].w, len, 2 + i % 5, &c1, &why1);
		ok(r == cases[i].ret && c1.err == c.err &&
		       strcmp(why1.msg, why.msg) == 0,
		   "in chunks, case %zu", i);
	}
}

/* Every prefix of every one-line case: no crash or overread, and a
 * failure always says which kind. */
static void
test_prefixes(void)
{
	size_t i, n, bad = 0, tried = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].w);

		if (memmem(cases[i].w, len, "\r\n", 2) != NULL)
			continue;
		for (n = 0; n < len; n++) {
			unsigned char *copy = xmalloc(n + 1);
			struct imapcmd_input in = {span_make(copy, n), NULL, 0};
			struct imapcmd c;
			struct why why;
			int r;

			memcpy(copy, cases[i].w, n);
			arena_reset(&ar);
			r = imapcmd_parse(&in, &lim, &ar, &c, &why);
			tried++;
			if ((r != 0 && r != -1) ||
			    (r == -1 && (c.err == E(NONE) || !why.msg[0])) ||
			    (r == 0 && c.err != E(NONE)))
				bad++;
			xfree(&copy);
		}
	}
	is_int(bad, 0, "%zu prefixes parsed sanely", tried);
}

static struct imapcmd cmd;

/* Parse w; true when it parsed. */
static bool
P(const char *w)
{
	struct why why;
	int r = run(w, 0, &cmd, &why);

	if (r != 0)
		diag("'%s': %d %s", w, r, why.msg);
	return r == 0;
}

static bool
eq(struct span s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

static bool
seq_is(const struct imapseq *q, const char *want)
{
	struct buf b;
	bool same;

	buf_init(&b, 4096);
	same = imapseq_format(q, &b) == 0 && strcmp(buf_str(&b), want) == 0;
	if (!same)
		diag("set is '%s', want '%s'", buf_str(&b), want);
	buf_fini(&b);
	return same;
}

static void
test_fields_basic(void)
{
	const struct imapcmd_node *n = NULL;
	struct why why;

	ok(P("A001 uid fetch 1 FLAGS") && eq(cmd.tag, "A001") && cmd.uid &&
	       cmd.name == C(FETCH),
	   "tag, UID, name");
	ok(P("a LOGIN {4}\r\nus\"r {5+}\r\np{1}\r") &&
	       eq(cmd.u.login.user, "us\"r") && eq(cmd.u.login.pass, "p{1}\r"),
	   "LOGIN with literals: bytes are never syntax");
	ok(P("a LOGIN \"a\\\\b\\\"c\" \"\"") &&
	       eq(cmd.u.login.user, "a\\b\"c") && cmd.u.login.pass.len == 0,
	   "quoted strings are unescaped; empty string");
	ok(P("a AUTHENTICATE plain =") && eq(cmd.u.auth.mech, "plain") &&
	       cmd.u.auth.has_ir && eq(cmd.u.auth.ir, "="),
	   "AUTHENTICATE with an empty initial response");
	ok(P("a AUTHENTICATE PLAIN") && !cmd.u.auth.has_ir,
	   "AUTHENTICATE without one");
	ok(P("a SELECT iNbOx") && cmd.u.select.mbox.inbox &&
	       eq(cmd.u.select.mbox.name, "INBOX") && !cmd.u.select.condstore,
	   "INBOX is case-insensitive");
	ok(P("a SELECT INBOX/x") && !cmd.u.select.mbox.inbox &&
	       eq(cmd.u.select.mbox.name, "INBOX/x"),
	   "INBOX/x is not INBOX");
	ok(P("a CREATE \"&AOQ-\"") && eq(cmd.u.mbox.name, "&AOQ-"),
	   "modified UTF-7 is left as sent");
	ok(P("a RENAME a \"b c\"") && eq(cmd.u.rename.from.name, "a") &&
	       eq(cmd.u.rename.to.name, "b c"),
	   "RENAME");
	ok(P("a NOOP") && cmd.args == NULL, "no arguments");
	/* The tree is there even when the typed arguments are refused. */
	if (!ok(run("a FETCH 1 (FLAGS (a \"b\" NIL 42) {2}\r\nxy)", 0, &cmd,
	            &why) == -1 &&
	            (n = cmd.args) != NULL && n->type == IMAPCMD_N_NUMBER &&
	            n->num == 1,
	        "generic tree: number"))
		return;
	n = n->next;
	ok(n != NULL && n->type == IMAPCMD_N_LIST && n->next == NULL,
	   "generic tree: list");
	n = n->child;
	ok(n->type == IMAPCMD_N_ATOM && eq(n->s, "FLAGS"), "atom");
	ok(n->next->type == IMAPCMD_N_LIST &&
	       n->next->child->type == IMAPCMD_N_ATOM &&
	       n->next->child->next->type == IMAPCMD_N_QUOTED &&
	       n->next->child->next->next->type == IMAPCMD_N_NIL &&
	       n->next->child->next->next->next->num == 42,
	   "nested list: atom, quoted, NIL, number");
	ok(n->next->next->type == IMAPCMD_N_LITERAL &&
	       eq(n->next->next->s, "xy") && !n->next->next->nonsync,
	   "literal");
}

static void
test_fields_select(void)
{
	const struct imapcmd_select *s = &cmd.u.select;

	ok(P("a SELECT INBOX (CONDSTORE)") && s->condstore && !s->qresync,
	   "CONDSTORE");
	ok(P("a EXAMINE x (QRESYNC (67890007 20050715194045000 "
	     "41,43:211,214:541 (1:5,7 41:45,50)))") &&
	       s->qresync && s->uidvalidity == 67890007 &&
	       s->modseq == 20050715194045000ULL && s->has_known_uids &&
	       seq_is(&s->known_uids, "41,43:211,214:541") && s->has_match &&
	       seq_is(&s->match_seq, "1:5,7") &&
	       seq_is(&s->match_uid, "41:45,50"),
	   "QRESYNC with known UIDs and sequence match data");
	ok(P("a SELECT x (QRESYNC (1 0))") && s->qresync &&
	       !s->has_known_uids && !s->has_match && s->modseq == 0,
	   "QRESYNC bare");
}

static void
test_fields_list(void)
{
	const struct imapcmd_list *l = &cmd.u.list;

	ok(P("a LIST \"\" *") && !l->extended && l->ref.len == 0 &&
	       l->npat == 1 && eq(l->pat[0], "*"),
	   "LIST plain");
	ok(P("a LIST (SUBSCRIBED RECURSIVEMATCH) ~/ (INBOX \"a b\" %/x) "
	     "RETURN (CHILDREN STATUS (MESSAGES SIZE) SPECIAL-USE)") &&
	       l->extended &&
	       l->sel ==
	           (IMAPCMD_LSEL_SUBSCRIBED | IMAPCMD_LSEL_RECURSIVEMATCH) &&
	       eq(l->ref, "~/") && l->npat == 3 && eq(l->pat[1], "a b") &&
	       eq(l->pat[2], "%/x") &&
	       l->ret == (IMAPCMD_LRET_CHILDREN | IMAPCMD_LRET_STATUS |
	                  IMAPCMD_LRET_SPECIAL_USE) &&
	       l->status == (IMAPCMD_ST_MESSAGES | IMAPCMD_ST_SIZE),
	   "LIST-EXTENDED with LIST-STATUS");
	ok(P("a LIST \"\" * RETURN ()") && l->extended && l->ret == 0,
	   "RETURN () is extended, no options");
	ok(P("a STATUS INBOX (UIDNEXT HIGHESTMODSEQ)") &&
	       cmd.u.status.items ==
	           (IMAPCMD_ST_UIDNEXT | IMAPCMD_ST_HIGHESTMODSEQ) &&
	       cmd.u.status.mbox.inbox,
	   "STATUS items");
}

static void
test_fields_append(void)
{
	const struct imapcmd_append *a = &cmd.u.append;

	ok(P("a APPEND x (\\Seen \\Draft $Junk) \"17-Jul-1996 02:44:25 "
	     "-0700\" {5}\r\nhello") &&
	       a->nmsg == 1 &&
	       a->msg[0].flags.sys == (IMAPCMD_F_SEEN | IMAPCMD_F_DRAFT) &&
	       a->msg[0].flags.nkw == 1 && eq(a->msg[0].flags.kw[0], "$Junk") &&
	       a->msg[0].has_date && a->msg[0].tz == -420 &&
	       a->msg[0].date == 837596665 && eq(a->msg[0].data, "hello"),
	   "APPEND: flags, date-time, literal");
	ok(P("a APPEND x \" 1-Jan-1970 00:00:00 +0100\" {1}\r\nx") &&
	       a->msg[0].date == -3600 && a->msg[0].tz == 60,
	   "APPEND: a day with a space, a zone east");
	ok(P("a APPEND x {1}\r\na (\\Flagged) {2}\r\nbc {0}\r\n") &&
	       a->nmsg == 3 && eq(a->msg[0].data, "a") && !a->msg[0].has_date &&
	       a->msg[1].flags.sys == IMAPCMD_F_FLAGGED &&
	       eq(a->msg[1].data, "bc") && a->msg[2].data.len == 0,
	   "MULTIAPPEND of three");
}

static void
test_fields_store(void)
{
	const struct imapcmd_store *s = &cmd.u.store;

	ok(P("a STORE 3:1,7 +FLAGS.SILENT (\\Deleted foo)") &&
	       seq_is(&s->set, "1:3,7") && s->op == IMAPCMD_STORE_ADD &&
	       s->silent && s->flags.sys == IMAPCMD_F_DELETED &&
	       s->flags.nkw == 1 && eq(s->flags.kw[0], "foo") &&
	       !s->has_unchangedsince,
	   "+FLAGS.SILENT");
	ok(P("a STORE * (UNCHANGEDSINCE 0) -flags \\Answered bar") &&
	       seq_is(&s->set, "*") && s->op == IMAPCMD_STORE_REMOVE &&
	       !s->silent && s->flags.sys == IMAPCMD_F_ANSWERED &&
	       s->flags.nkw == 1 && s->has_unchangedsince &&
	       s->unchangedsince == 0,
	   "-flags, bare flags, UNCHANGEDSINCE 0");
	ok(P("a STORE 1 FLAGS ()") && s->op == IMAPCMD_STORE_SET &&
	       s->flags.sys == 0 && s->flags.nkw == 0,
	   "FLAGS () clears");
}

static void
test_fields_fetch(void)
{
	const struct imapcmd_fetch *f = &cmd.u.fetch;
	const struct imapcmd_fetch_att *a;

	ok(P("a FETCH 1:* FULL") && f->natt == 5 &&
	       f->items ==
	           ((1u << IMAPCMD_FI_FLAGS) | (1u << IMAPCMD_FI_INTERNALDATE) |
	            (1u << IMAPCMD_FI_RFC822_SIZE) |
	            (1u << IMAPCMD_FI_ENVELOPE) | (1u << IMAPCMD_FI_BODY)) &&
	       seq_is(&f->set, "1:*"),
	   "FULL");
	ok(P("a FETCH 1 FAST") && f->natt == 3, "FAST");
	ok(P("a FETCH 1 ALL") && f->natt == 4 &&
	       (f->items & (1u << IMAPCMD_FI_ENVELOPE)),
	   "ALL");
	ok(P("a FETCH 2 body.peek[1.2.HEADER.FIELDS.NOT (X-A {3}\r\nX-B)]"
	     "<5.10>") &&
	       f->natt == 1,
	   "BODY.PEEK[...]<5.10>");
	a = &f->att[0];
	ok(a->item == IMAPCMD_FI_BODY_SECTION && a->peek && a->sec.npart == 2 &&
	       a->sec.part[0] == 1 && a->sec.part[1] == 2 &&
	       a->sec.text == IMAPCMD_SEC_HEADER_FIELDS_NOT &&
	       a->sec.nfield == 2 && eq(a->sec.field[1], "X-B") && a->partial &&
	       a->off == 5 && a->len == 10,
	   "the section and partial");
	ok(P("a FETCH 1 (BODY[] BODY[3.MIME] BINARY.PEEK[1.2]<0.4294967295> "
	     "BINARY.SIZE[] RFC822.SIZE)") &&
	       f->natt == 5 && f->att[0].sec.npart == 0 &&
	       f->att[0].sec.text == IMAPCMD_SEC_ALL && !f->att[0].peek &&
	       f->att[1].sec.text == IMAPCMD_SEC_MIME &&
	       f->att[2].item == IMAPCMD_FI_BINARY && f->att[2].peek &&
	       f->att[2].len == 4294967295u &&
	       f->att[3].item == IMAPCMD_FI_BINARY_SIZE &&
	       f->att[4].item == IMAPCMD_FI_RFC822_SIZE,
	   "several sections");
	ok(P("a UID FETCH 1:* (FLAGS MODSEQ) (VANISHED CHANGEDSINCE 7)") &&
	       f->has_changedsince && f->changedsince == 7 && f->vanished &&
	       (f->items & (1u << IMAPCMD_FI_MODSEQ)),
	   "CHANGEDSINCE and VANISHED");
}

static void
test_fields_other(void)
{
	ok(P("a UID MOVE 1,3:4 \"Junk\"") && cmd.name == C(MOVE) && cmd.uid &&
	       seq_is(&cmd.u.copy.set, "1,3:4") &&
	       eq(cmd.u.copy.mbox.name, "Junk"),
	   "UID MOVE");
	ok(P("a UID EXPUNGE 5:3") && cmd.u.expunge.has_set &&
	       seq_is(&cmd.u.expunge.set, "3:5"),
	   "UID EXPUNGE");
	ok(P("a EXPUNGE") && !cmd.u.expunge.has_set, "EXPUNGE");
	ok(P("a ENABLE CONDSTORE utf8=accept") && cmd.u.enable.ncap == 2 &&
	       eq(cmd.u.enable.cap[1], "utf8=accept"),
	   "ENABLE");
	ok(P("a ID (\"name\" \"mutt\" \"os\" NIL)") && !cmd.u.id.nil &&
	       cmd.u.id.npair == 2 && eq(cmd.u.id.pair[0].val, "mutt") &&
	       cmd.u.id.pair[1].val_nil,
	   "ID pairs");
	ok(P("a ID nil") && cmd.u.id.nil, "ID NIL");
	ok(P("a SETQUOTA \"\" (STORAGE 512)") && cmd.u.quota.nres == 1 &&
	       eq(cmd.u.quota.res[0].name, "STORAGE") &&
	       cmd.u.quota.res[0].limit == 512,
	   "SETQUOTA");
	ok(P("a GETQUOTAROOT inbox") && cmd.u.mbox.inbox, "GETQUOTAROOT");
	ok(P("a UID SEARCH RETURN () UNSEEN") && cmd.u.search->esearch &&
	       cmd.u.search->ret == IMAPSEARCH_RET_ALL,
	   "SEARCH RETURN ()");
}

static void
test_fields(void)
{
	test_fields_basic();
	test_fields_select();
	test_fields_list();
	test_fields_append();
	test_fields_store();
	test_fields_fetch();
	test_fields_other();
}

int
main(void)
{
	imapcmd_limits_default(&lim);
	imapcmd_frame_init(&fr, &lim);
	arena_init(&ar, 16 * 1024 * 1024);
	test_cases();
	test_prefixes();
	test_fields();
	imapcmd_frame_fini(&fr);
	arena_reset(&ar);
	return done_testing();
}
