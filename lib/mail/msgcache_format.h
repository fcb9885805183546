/*
 * msgcache_format.h - the byte layout of a message cache blob, version 1:
 * the parsed form of one message that the store keeps in its index next
 * to the message (postern-store(5) refers here).  Shared by the writer
 * (msgcache_build.c) and the reader (msgcache.c, msgcache_get.c);
 * nothing else should need it.
 * Linked into: lmtpd, imapd, pop3d and the store tools (through
 * mail/msgcache).  Trust: a blob read back from the index may be damaged
 * or hostile; the reader checks every rule below before use.
 *
 * All integers are little-endian and unsigned.  A blob is:
 *
 *   header     64 bytes
 *   parts      nparts records of 76 bytes (pre-order, part 0 first)
 *   envs       nenvs records of 72 bytes
 *   addrs      naddrs records of 16 bytes
 *   params     nparams records of 8 bytes
 *   fields     nfields records of 8 bytes
 *   strings    strings_len bytes
 *   fdata      fdata_len bytes
 *   checksum   8 bytes
 *
 * with nothing between the sections.  Header:
 *
 *    0  4  magic "PMSC"
 *    4  2  version (1); a reader refuses other versions
 *    6  2  header length (64)
 *    8  4  flags: 1 a MIME limit was reached (some part has MIME_F_LIMIT),
 *          2 an address list was cut short (MSGCACHE_MAX_ADDRS, or a
 *          string of over MSGCACHE_MAX_ADDR_TEXT)
 *   12  4  length of the whole blob
 *   16  4  message size (octets; < 2^32 - 1)
 *   20  4  length of the message's header block (its empty line included)
 *   24  4  nparts (1 .. MIME_MAX_PARTS)
 *   28  4  nenvs
 *   32  4  naddrs
 *   36  4  nparams
 *   40  4  nfields
 *   44  4  strings_len
 *   48  4  fdata_len
 *   52  4  cached-field mask: bit i set when every occurrence of field i
 *          of the table below in the message header is in fields/fdata
 *   56  8  zero
 *
 * A string reference (4 bytes) is the offset in strings of a 4-byte
 * length followed by that many bytes, or 0xffffffff for NIL.  Strings
 * may be shared between references.  An index reference is 0xffffffff
 * for "none".
 *
 * Part record: the fields of struct mime_part (mail/mime.h):
 *    0 parent (index; none for part 0, else < this index)
 *    4 end (one past the last descendant: this index < end <= parent's)
 *    8 flags (MIME_F_*; MIME_F_MESSAGE exactly on part 0 and on the
 *      child of a MIME_F_RFC822 part, which has exactly one child)
 *   12 offset of the header in the message, 16 header length,
 *   20 body length (the body follows the header; a child lies within
 *      its parent's body), 24 body lines
 *   28 type, 32 subtype, 36 id, 40 description, 44 encoding, 48 md5,
 *   52 disposition, 56 location: string references (type, subtype and
 *      encoding never NIL)
 *   60 first parameter (index into params), 64 count of Content-Type
 *      parameters (2 bytes), 66 of Content-Disposition parameters (2),
 *   68 of Content-Language tags (2), 70 zero (2)
 *   72 envelope (index into envs) of a MIME_F_MESSAGE part, else none
 *
 * Envelope record (RFC 3501 7.4.2, of the header of its part):
 *    0 present: bit i set when field i of date, subject, from, sender,
 *      reply-to, to, cc, bcc, in-reply-to, message-id occurs (the first
 *      occurrence is the one used)
 *    4 date, 8 subject, 12 in-reply-to, 16 message-id: string
 *      references, unfolded and trimmed, NIL when absent
 *   20 from, 28 sender, 36 reply-to, 44 to, 52 cc, 60 bcc: each the
 *      first address (index into addrs) and the count (4 + 4 bytes)
 *   68 the part it belongs to
 *
 * Address record: name, route, mailbox, host (string references), as
 * IMAP has them: a group start is (NIL NIL group-name NIL), a group end
 * (NIL NIL NIL NIL), and a mailbox has non-NIL mailbox and host (either
 * may be empty).  Group starts and ends pair up within one list.
 *
 * Parameter record: attribute (NIL for a language tag), value (never
 * NIL): string references.
 *
 * Field record: offset (4) and length (2) in fdata, field number (2) in
 * the table below; the records are in message order and each is one
 * whole field as written ("Name: value" with its folding and its final
 * line end).  The table (bit i of the mask is field i):
 *    0 date, 1 from, 2 sender, 3 reply-to, 4 to, 5 cc, 6 bcc, 7 subject,
 *    8 message-id, 9 in-reply-to, 10 references, 11 content-type,
 *   12 importance, 13 priority, 14 x-priority, 15 list-id,
 *   16 list-unsubscribe, 17 list-post, 18 delivered-to, 19 return-path,
 *   20 newsgroups, 21 mime-version
 * fdata holds at most MSGCACHE_FIELDS_MAX bytes: a field name is kept
 * whole or not at all, in table order while there is room.
 *
 * Checksum: msgcache_sum() of every byte before it.
 */
#ifndef POSTERN_MSGCACHE_FORMAT_H
#define POSTERN_MSGCACHE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "mail/msgcache.h"

#define MC_MAGIC "PMSC"
#define MC_VERSION 1
#define MC_HDR_LEN 64
#define MC_PART_LEN 76
#define MC_ENV_LEN 72
#define MC_ADDR_LEN 16
#define MC_PARAM_LEN 8
#define MC_FIELD_LEN 8
#define MC_SUM_LEN 8
#define MC_NONE UINT32_MAX

/* Header offsets. */
enum {
	MC_H_FLAGS = 8,
	MC_H_SIZE = 12,
	MC_H_MSG_SIZE = 16,
	MC_H_HDR_SIZE = 20,
	MC_H_NPARTS = 24, /* then nenvs, naddrs, nparams, nfields */
	MC_H_STRINGS = 44,
	MC_H_FDATA = 48,
	MC_H_MASK = 52,
};

/* Part record offsets. */
enum {
	MC_P_PARENT = 0,
	MC_P_END = 4,
	MC_P_FLAGS = 8,
	MC_P_OFF = 12,
	MC_P_HLEN = 16,
	MC_P_BLEN = 20,
	MC_P_LINES = 24,
	MC_P_STR = 28, /* eight string references */
	MC_P_PARAMS = 60,
	MC_P_NTYPE = 64,
	MC_P_NDISP = 66,
	MC_P_NLANG = 68,
	MC_P_ENV = 72,
};

/* Envelope record offsets. */
enum {
	MC_E_PRESENT = 0,
	MC_E_STR = 4,    /* four string references */
	MC_E_LISTS = 20, /* six (first, count) pairs */
	MC_E_PART = 68,
};

/* Number of cached field names (the table above). */
#define MC_NFIELDNAMES 22
extern const char *const msgcache_field_names[MC_NFIELDNAMES];
/* The number of a field name in that table (any case), or -1. */
int msgcache_field_id(struct span name);

static inline uint32_t
mc_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint16_t
mc_get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline void
mc_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static inline void
mc_put16(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

/* Reading records of an opened (checked) blob. */
static inline struct msgcache_str
mc_str(const struct msgcache *mc, uint32_t r)
{
	struct msgcache_str s;

	s.nil = r == MC_NONE;
	s.s = s.nil ? span_make(NULL, 0)
	            : span_make(mc->strings + r + 4, mc_get32(mc->strings + r));
	return s;
}

static inline const unsigned char *
mc_part_rec(const struct msgcache *mc, uint32_t i)
{
	return mc->parts + (size_t)i * MC_PART_LEN;
}

static inline const unsigned char *
mc_env_rec(const struct msgcache *mc, uint32_t i)
{
	return mc->envs + (size_t)i * MC_ENV_LEN;
}

static inline const unsigned char *
mc_addr_rec(const struct msgcache *mc, uint32_t i)
{
	return mc->addrs + (size_t)i * MC_ADDR_LEN;
}

static inline uint32_t
mc_pget(const struct msgcache *mc, uint32_t i, size_t field)
{
	return mc_get32(mc_part_rec(mc, i) + field);
}

/* The checksum: a 64-bit hash of n bytes (not cryptographic). */
uint64_t msgcache_sum(const unsigned char *p, size_t n);

#endif
