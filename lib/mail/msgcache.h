/*
 * msgcache.h - the per-message cache of the mailbox store: build, at
 * delivery time, a compact binary blob holding a message's MIME tree
 * (offsets, sizes, line counts and every BODYSTRUCTURE field), the
 * ENVELOPE of the message and of each embedded message/rfc822, and the
 * header fields IMAP clients ask for most; and read such a blob back
 * without parsing the message again.  The byte layout (version 1) is
 * in mail/msgcache_format.h.
 * Linked into: lmtpd (build), imapd and pop3d (read), the store tools
 * (both).  Trust: msgcache_build reads a hostile message (limits and
 * leniency: mail/mime.h, mail/hdraddr.h); msgcache_open reads a blob
 * from an index file that may be damaged, and checks every length,
 * offset, index and the checksum before anything else may use it.  All
 * functions are pure: no I/O, no globals, no logging.
 *
 * Reading IMAP FETCH items from a cache (part numbers: msgcache_find):
 *  - RFC822.SIZE is msg_size; BODY[HEADER] is part 0's header and
 *    BODY[TEXT] its body.
 *  - BODY[n] is the body of part n, BODY[n.MIME] its header.  For a part
 *    with MIME_F_RFC822, BODY[n.HEADER] and BODY[n.TEXT] are the header
 *    and body of its one child, the embedded message.
 *  - BODY[HEADER.FIELDS (...)] can be answered from the cache when
 *    msgcache_field_cached() holds for every name asked for: walk the
 *    fields (msgcache_field) in order, keep those asked for, add CRLF.
 *    Otherwise (and for HEADER.FIELDS.NOT) read the message.
 *  - ENVELOPE: msgcache_envelope of part 0 (or of an embedded message).
 *  - BODYSTRUCTURE: the parts' fields, children in order.  RFC 3501
 *    has no way to say two things: a multipart with no children (no
 *    usable boundary) is written as one empty text/plain part, and a
 *    message/rfc822 part without MIME_F_RFC822 (it had no body, or a
 *    limit cut it off: MIME_F_LIMIT) with an all-NIL envelope and that
 *    empty part; Dovecot 2.3 does the same.  Lines are reported for
 *    text/ and message/rfc822 parts (mail/imapenc.h).
 *  - The cache covers the fields of the top-level header only; for
 *    BODY[n.HEADER.FIELDS ...] of an embedded message, read the message.
 */
#ifndef POSTERN_MSGCACHE_H
#define POSTERN_MSGCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"
#include "mail/mime.h"

/* Bytes of header fields kept (see msgcache_format.h). */
#define MSGCACHE_FIELDS_MAX 16384
/* Addresses kept of one address list; bytes of one address's strings. */
#define MSGCACHE_MAX_ADDRS 10000
#define MSGCACHE_MAX_ADDR_TEXT 65536
/* No such part / address list entry. */
#define MSGCACHE_NONE UINT32_MAX

/* Blob flags. */
#define MSGCACHE_F_LIMITED 0x1u  /* a MIME limit was reached */
#define MSGCACHE_F_ADDR_CUT 0x2u /* an address list was cut short */

/*
 * Parse msg and append its cache blob to out.  Returns 0, or -1 with
 * out unchanged and the reason in why when msg is 4 GiB or more or the
 * blob would pass out's max.  A typical message gives 1 to 3 KB (most
 * of it the cached header fields); a hostile one at most a few times the
 * size of its headers plus 100 bytes or so a part.
 */
int msgcache_build(struct span msg, struct buf *out, struct why *why);

/* An opened blob.  Everything is borrowed from the blob: valid while the
 * blob's bytes are (for LMDB: until the read transaction ends). */
struct msgcache {
	struct span blob;
	uint32_t flags; /* MSGCACHE_F_* */
	uint32_t msg_size;
	uint32_t header_size; /* the message's header block */
	uint32_t nparts;
	uint32_t nenvs;
	uint32_t naddrs;
	uint32_t nparams;
	uint32_t nfields;
	uint32_t mask; /* fully cached field names */
	const unsigned char *parts;
	const unsigned char *envs;
	const unsigned char *addrs;
	const unsigned char *params;
	const unsigned char *fields;
	const unsigned char *strings;
	const unsigned char *fdata;
	uint32_t strings_len;
	uint32_t fdata_len;
};

/*
 * Check blob completely and fill *out.  Returns 0, or -1 with a reason
 * in why when it is not a valid version 1 blob.  Allocates nothing;
 * time linear in the number of records (and the checksum in the bytes).
 */
int msgcache_open(struct span blob, struct msgcache *out, struct why *why);

/* A string of the cache; nil: IMAP NIL (s is then empty). */
struct msgcache_str {
	struct span s;
	bool nil;
};

struct msgcache_part {
	uint32_t parent; /* MSGCACHE_NONE for part 0 */
	uint32_t end;    /* descendants are the parts before end */
	uint32_t flags;  /* MIME_F_* */
	uint32_t off;    /* the header's offset in the message */
	uint32_t header_len;
	uint32_t body_len; /* the body starts at off + header_len */
	uint32_t body_lines;
	struct msgcache_str type;
	struct msgcache_str subtype;
	struct msgcache_str id;
	struct msgcache_str description;
	struct msgcache_str encoding;
	struct msgcache_str md5;
	struct msgcache_str disposition;
	struct msgcache_str location;
	uint32_t params; /* msgcache_param(params ...) */
	uint32_t n_type_params;
	uint32_t n_disp_params; /* follow the type parameters */
	uint32_t n_lang;        /* follow those; attr is NIL */
	uint32_t env;           /* msgcache_envelope works: a message */
};

/* Part i (< nparts). */
void msgcache_part(const struct msgcache *mc, uint32_t i,
                   struct msgcache_part *out);
/* The first child of part i, the next sibling: or MSGCACHE_NONE. */
uint32_t msgcache_first_child(const struct msgcache *mc, uint32_t i);
uint32_t msgcache_next_sibling(const struct msgcache *mc, uint32_t i);
/*
 * The part an IMAP part number ("1", "2.1.3"; RFC 3501 6.4.5) names,
 * with its rules: part 1 of a message that is not multipart is its body
 * (part 0 here), and the numbers below a message/rfc822 part go into
 * the embedded message's body.  Returns 0, or -1 when there is no such
 * part or the text is not a part number.
 */
int msgcache_find(const struct msgcache *mc, struct span number,
                  uint32_t *part_out);
/* Parameter i (< nparams). */
void msgcache_param(const struct msgcache *mc, uint32_t i,
                    struct msgcache_str *attr_out,
                    struct msgcache_str *value_out);

enum msgcache_list {
	MSGCACHE_FROM,
	MSGCACHE_SENDER,
	MSGCACHE_REPLY_TO,
	MSGCACHE_TO,
	MSGCACHE_CC,
	MSGCACHE_BCC,
	MSGCACHE_NLISTS
};

struct msgcache_env {
	uint32_t present; /* raw presence bits (msgcache_format.h) */
	struct msgcache_str date;
	struct msgcache_str subject;
	struct msgcache_str in_reply_to;
	struct msgcache_str message_id;
	uint32_t first[MSGCACHE_NLISTS]; /* msgcache_addr(first ...) */
	uint32_t count[MSGCACHE_NLISTS];
};

/*
 * The envelope of part i (part 0, or a child of a MIME_F_RFC822 part).
 * As RFC 3501 7.4.2 asks of the server, an absent or empty Sender or
 * Reply-To gives the From list.  Returns 0, or -1 when part i has none.
 */
int msgcache_envelope(const struct msgcache *mc, uint32_t i,
                      struct msgcache_env *out);

/* Address i (< naddrs): a group start has nil host and a mailbox, a
 * group end is all nil. */
struct msgcache_addr {
	struct msgcache_str name;
	struct msgcache_str route;
	struct msgcache_str mailbox;
	struct msgcache_str host;
};
void msgcache_addr(const struct msgcache *mc, uint32_t i,
                   struct msgcache_addr *out);

/* Are all the message header's fields of this name in the cache? */
bool msgcache_field_cached(const struct msgcache *mc, struct span name);
/* Cached field i (< nfields), in message order: its name (borrowed from
 * constant storage, lower case) and the whole field as written. */
void msgcache_field(const struct msgcache *mc, uint32_t i,
                    struct span *name_out, struct span *field_out);
/*
 * The first field of this name: 1 with *field_out set, 0 when the
 * message has none, -1 when the cache cannot tell (read the message).
 */
int msgcache_field_find(const struct msgcache *mc, struct span name,
                        struct span *field_out);

#endif
