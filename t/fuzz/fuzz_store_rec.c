/*
 * fuzz_store_rec.c - libFuzzer target for the store's index records
 * (lib/store/store_rec.c): a damaged index hands any bytes to the
 * decoders, which must refuse or decode within bounds, and whatever
 * decodes must encode back to a record that decodes to the same values.
 * Also the user directory names of lib/store/store.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
mailbox(const uint8_t *data, size_t size)
{
	MDB_val v = { size, (void *)data };
	struct store_mailbox m;
	struct store_mailbox again;
	struct buf b;

	memset(&m, 0, sizeof(m));
	if (store_mbox_decode(v, &m) == -1)
		return;
	buf_init(&b, 1 << 20);
	if (store_mbox_encode(&m, &b) == -1)
		abort();
	v.mv_size = b.len;
	v.mv_data = b.p;
	memset(&again, 0, sizeof(again));
	if (store_mbox_decode(v, &again) == -1 || again.id != m.id ||
	    again.nkeywords != m.nkeywords || again.uidnext != m.uidnext ||
	    b.len != size || memcmp(b.p, data, size) != 0)
		abort();
	buf_fini(&b);
}

static void
message(const uint8_t *data, size_t size)
{
	MDB_val v = { size, (void *)data };
	unsigned char rec[STORE_MSG_REC];
	struct store_msg m;

	if (store_msg_decode(v, 7, &m) == -1)
		return;
	store_msg_encode(&m, rec);
	if (memcmp(rec, data, sizeof(rec)) != 0)
		abort();
}

static void
user(const uint8_t *data, size_t size)
{
	char name[300];
	struct buf dir;
	struct buf back;

	if (size >= sizeof(name) || memchr(data, 0, size) != NULL)
		return;
	memcpy(name, data, size);
	name[size] = '\0';
	buf_init(&dir, 2048);
	buf_init(&back, 2048);
	if (store_user_dir(name, &dir) == 0 &&
	    (store_user_name(buf_str(&dir) + 6, &back) == -1 ||
		strcmp(buf_str(&back), name) != 0))
		abort();
	buf_fini(&dir);
	buf_fini(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mailbox(data, size);
	message(data, size);
	user(data, size);
	return 0;
}
