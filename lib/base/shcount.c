/*
 * shcount.c - counters shared by a service's processes through a mapped
 * file, with a liveness lock per process (shcount.h).
 * Linked into: imapd.  Runs as the service's user.  Trust: keys are peer
 * data and are only hashed; the file's header is checked, and an owner
 * number read from it is bounded before it is used.
 *
 * File layout (native byte order; only processes of one host share it):
 *
 *   0     header: magic, version, nslots, two random seeds
 *   64    one byte per owner number 1..SHCOUNT_MAX_PROCS: never written,
 *         only locked (fcntl) by the process holding that number
 *   512   nslots slots of struct slot
 *
 * Byte 0 is locked while a process sets the file up or takes an owner
 * number, so that a file is re-initialised only when no live process has
 * it mapped (a shrinking file would kill them with SIGBUS).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/shcount.h"
#include "base/xmem.h"

#define MAGIC "PSTSHCN1"
#define VERSION 1
#define OWNER_BASE 64
#define SLOT_BASE 512
/* Slots scanned for one key: how many keys may share a hash position. */
#define WINDOW 32
#define MIN_SLOTS 1024
#define MAX_SLOTS 1048576

struct header {
	char magic[8];
	uint32_t version;
	uint32_t nslots;
	uint64_t seed[2];
	unsigned char pad[32];
};

struct slot {
	_Atomic uint32_t owner;		/* 0: free, else an owner number */
	_Atomic uint32_t count;		/* > 0 while in use */
	_Atomic uint64_t h[2];		/* the key's hashes */
};

struct shcount {
	int fd;				/* -1: private table */
	uint32_t me;			/* our owner number */
	size_t nslots;			/* a power of two */
	size_t size;			/* of the mapping or allocation */
	uint64_t seed[2];
	struct slot *slot;		/* mapped, or owned (private) */
	uint64_t checked[SHCOUNT_MAX_PROCS / 64];	/* one total()'s */
	uint64_t alive[SHCOUNT_MAX_PROCS / 64];
};

static uint64_t
hash(uint64_t seed, struct span k)
{
	uint64_t h = 14695981039346656037ull ^ seed;

	for (size_t i = 0; i < k.len; i++)
		h = (h ^ k.p[i]) * 1099511628211ull;
	/* Spread the low bits, which pick the window. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

/* A write lock on one byte: F_SETLKW waits, F_SETLK fails at once. */
static int
lock_byte(int fd, off_t at, int cmd, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = at;
	fl.l_len = 1;
	while (fcntl(fd, cmd, &fl) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* Whether another process holds owner number o (1-based). */
static bool
owner_alive(int fd, uint32_t o)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = OWNER_BASE + (off_t)o - 1;
	fl.l_len = 1;
	/* When the kernel cannot tell, count the owner: a table error must
	 * not lift a limit quietly, and the next total() asks again. */
	if (fcntl(fd, F_GETLK, &fl) == -1)
		return true;
	return fl.l_type != F_UNLCK;
}

static bool
any_owner_alive(int fd)
{
	for (uint32_t o = 1; o <= SHCOUNT_MAX_PROCS; o++)
		if (owner_alive(fd, o))
			return true;
	return false;
}

static size_t
round_slots(size_t n)
{
	size_t r = MIN_SLOTS;

	while (r < n && r < MAX_SLOTS)
		r *= 2;
	return r;
}

static void
new_seeds(uint64_t seed[2])
{
	if (getentropy(seed, 2 * sizeof(seed[0])) == -1) {
		seed[0] = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull;
		seed[1] = (uint64_t)(uintptr_t)seed;
	}
}

/* Check the header; when no live process uses the file, start afresh. */
static int
setup_file(struct shcount *c, struct why *why)
{
	struct header h;
	struct stat st;

	if (fstat(c->fd, &st) == -1)
		return why_syserr(why, "fstat");
	if (st.st_size == (off_t)c->size &&
	    pread(c->fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) &&
	    memcmp(h.magic, MAGIC, 8) == 0 && h.version == VERSION &&
	    h.nslots == c->nslots && any_owner_alive(c->fd)) {
		memcpy(c->seed, h.seed, sizeof(c->seed));
		return 0;
	}
	if (any_owner_alive(c->fd))
		return why_set(why, "in use by processes with another "
				    "table size or version");
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, MAGIC, 8);
	h.version = VERSION;
	h.nslots = (uint32_t)c->nslots;
	new_seeds(h.seed);
	memcpy(c->seed, h.seed, sizeof(c->seed));
	if (ftruncate(c->fd, 0) == -1 || ftruncate(c->fd, (off_t)c->size) ==
	    -1)
		return why_syserr(why, "ftruncate");
	if (pwrite(c->fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return why_syserr(why, "write");
	return 0;
}

/* Take the lowest free owner number and clear what its last holder left. */
static int
take_owner(struct shcount *c, struct why *why)
{
	for (uint32_t o = 1; o <= SHCOUNT_MAX_PROCS; o++) {
		if (lock_byte(c->fd, OWNER_BASE + (off_t)o - 1, F_SETLK,
			F_WRLCK) == -1)
			continue;
		c->me = o;
		for (size_t i = 0; i < c->nslots; i++)
			if (atomic_load(&c->slot[i].owner) == o) {
				atomic_store(&c->slot[i].count, 0);
				atomic_store(&c->slot[i].owner, 0);
			}
		return 0;
	}
	return why_set(why, "more than %d processes share it",
	    SHCOUNT_MAX_PROCS);
}

static int
open_file(struct shcount *c, const char *path, struct why *why)
{
	void *p;
	int rc = -1;

	c->fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (c->fd == -1)
		return why_syserr(why, "open %s", path);
	if (lock_byte(c->fd, 0, F_SETLKW, F_WRLCK) == -1)
		return why_syserr(why, "lock %s", path);
	if (setup_file(c, why) == 0) {
		p = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    c->fd, 0);
		if (p == MAP_FAILED) {
			why_syserr(why, "mmap %s", path);
		} else {
			c->slot = (struct slot *)((char *)p + SLOT_BASE);
			rc = take_owner(c, why);
		}
	}
	lock_byte(c->fd, 0, F_SETLK, F_UNLCK);
	return rc;
}

struct shcount *
shcount_open(const char *path, size_t nslots, struct why *why)
{
	struct shcount *c = xcalloc(1, sizeof(*c));
	struct slot probe;

	c->fd = -1;
	c->nslots = round_slots(nslots);
	if (!atomic_is_lock_free(&probe.owner) ||
	    !atomic_is_lock_free(&probe.h[0])) {
		why_set(why, "no lock-free atomics on this machine");
		free(c);
		return NULL;
	}
	if (path == NULL) {
		c->me = 1;
		c->size = c->nslots * sizeof(struct slot);
		c->slot = xcalloc(c->nslots, sizeof(struct slot));
		new_seeds(c->seed);
		return c;
	}
	c->size = SLOT_BASE + c->nslots * sizeof(struct slot);
	if (open_file(c, path, why) == -1)
		shcount_close(&c);
	return c;
}

void
shcount_close(struct shcount **cp)
{
	struct shcount *c = *cp;

	if (c == NULL)
		return;
	if (c->fd == -1) {
		free(c->slot);
	} else {
		if (c->slot != NULL)
			munmap((char *)c->slot - SLOT_BASE, c->size);
		/* Closing the descriptor releases the owner lock. */
		close(c->fd);
	}
	free(c);
	*cp = NULL;
}

bool
shcount_is_shared(const struct shcount *c)
{
	return c->fd != -1;
}

static bool
slot_is(struct slot *s, const uint64_t h[2])
{
	return atomic_load(&s->h[0]) == h[0] && atomic_load(&s->h[1]) == h[1];
}

/* Our slot for the key, or NULL. */
static struct slot *
own_slot(struct shcount *c, const uint64_t h[2])
{
	size_t mask = c->nslots - 1;

	for (size_t i = 0; i < WINDOW; i++) {
		struct slot *s = &c->slot[(h[0] + i) & mask];

		if (atomic_load(&s->owner) == c->me && slot_is(s, h))
			return s;
	}
	return NULL;
}

int
shcount_add(struct shcount *c, struct span key)
{
	uint64_t h[2] = { hash(c->seed[0], key), hash(c->seed[1], key) };
	size_t mask = c->nslots - 1;
	struct slot *s = own_slot(c, h);

	if (s != NULL) {
		atomic_fetch_add(&s->count, 1);
		return 0;
	}
	for (size_t i = 0; i < WINDOW; i++) {
		uint32_t free_owner = 0;

		s = &c->slot[(h[0] + i) & mask];
		if (atomic_load(&s->owner) != 0 ||
		    !atomic_compare_exchange_strong(&s->owner, &free_owner,
			c->me))
			continue;
		/* The hashes before the count: a reader that sees the count
		 * sees whose it is. */
		atomic_store(&s->h[0], h[0]);
		atomic_store(&s->h[1], h[1]);
		atomic_store(&s->count, 1);
		return 0;
	}
	return -1;
}

void
shcount_sub(struct shcount *c, struct span key)
{
	uint64_t h[2] = { hash(c->seed[0], key), hash(c->seed[1], key) };
	struct slot *s = own_slot(c, h);

	if (s == NULL)
		return;
	if (atomic_load(&s->count) > 1) {
		atomic_fetch_sub(&s->count, 1);
		return;
	}
	atomic_store(&s->count, 0);
	atomic_store(&s->h[0], 0);
	atomic_store(&s->h[1], 0);
	atomic_store(&s->owner, 0);
}

/* Whether owner o counts in this total (cached for the call). */
static bool
counts(struct shcount *c, uint32_t o)
{
	uint64_t bit;
	size_t w;

	if (o == c->me)
		return true;
	if (c->fd == -1 || o == 0 || o > SHCOUNT_MAX_PROCS)
		return false;
	w = (o - 1) / 64;
	bit = 1ull << ((o - 1) % 64);
	if (!(c->checked[w] & bit)) {
		c->checked[w] |= bit;
		if (owner_alive(c->fd, o))
			c->alive[w] |= bit;
	}
	return (c->alive[w] & bit) != 0;
}

uint64_t
shcount_total(struct shcount *c, struct span key)
{
	uint64_t h[2] = { hash(c->seed[0], key), hash(c->seed[1], key) };
	size_t mask = c->nslots - 1;
	uint64_t sum = 0;

	memset(c->checked, 0, sizeof(c->checked));
	memset(c->alive, 0, sizeof(c->alive));
	for (size_t i = 0; i < WINDOW; i++) {
		struct slot *s = &c->slot[(h[0] + i) & mask];
		uint32_t n = atomic_load(&s->count);

		if (n > 0 && slot_is(s, h) && counts(c, atomic_load(&s->owner)))
			sum += n;
	}
	return sum;
}
