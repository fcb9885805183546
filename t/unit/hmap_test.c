/*
 * hmap_test.c - unit tests for lib/base/hmap: put/get/replace/delete,
 * growth through many keys, binary keys, the empty key.
 */
#include <stdio.h>
#include <string.h>

#include "base/hmap.h"
#include "tap.h"

static void
test_basic(void)
{
	struct hmap *m = hmap_new();
	int a = 1, b = 2;

	ok(hmap_get(m, span_str("x")) == NULL, "empty table: not found");
	ok(hmap_put(m, span_str("x"), &a) == NULL, "new key");
	ok(hmap_get(m, span_str("x")) == &a, "found");
	ok(hmap_get(m, span_str("X")) == NULL, "keys are exact (case)");
	ok(hmap_get(m, span_make("x", 0)) == NULL, "prefix is another key");
	ok(hmap_put(m, span_str("x"), &b) == &a, "replace gives the old value");
	ok(hmap_get(m, span_str("x")) == &b && hmap_count(m) == 1,
	    "replaced, one key");
	ok(hmap_put(m, span_make("", 0), &a) == NULL &&
	       hmap_get(m, span_make("", 0)) == &a,
	    "the empty key");
	ok(hmap_put(m, span_make("a\0b", 3), &a) == NULL &&
	       hmap_get(m, span_make("a\0c", 3)) == NULL &&
	       hmap_get(m, span_make("a\0b", 3)) == &a,
	    "binary keys");
	ok(hmap_del(m, span_str("x")) == &b && hmap_get(m, span_str("x")) ==
		   NULL,
	    "deleted");
	ok(hmap_del(m, span_str("x")) == NULL, "delete twice");
	is_int(hmap_count(m), 2, "count after delete");
	hmap_free(&m);
	ok(m == NULL, "free clears the pointer");
	hmap_free(&m);
}

static void
test_many(void)
{
	static int vals[20000];
	struct hmap *m = hmap_new();
	char key[32];
	bool good = true;
	int i;

	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "user%d@example.org", i);
		good &= hmap_put(m, span_str(key), &vals[i]) == NULL;
	}
	ok(good && hmap_count(m) == 20000, "20000 keys put");
	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "user%d@example.org", i);
		good &= hmap_get(m, span_str(key)) == &vals[i];
	}
	ok(good, "every key found after growth");
	for (i = 0; i < 20000; i += 2) {
		snprintf(key, sizeof(key), "user%d@example.org", i);
		good &= hmap_del(m, span_str(key)) == &vals[i];
	}
	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "user%d@example.org", i);
		good &= hmap_get(m, span_str(key)) == (i % 2 ? &vals[i] : NULL);
	}
	ok(good && hmap_count(m) == 10000, "half deleted, the rest found");
	hmap_free(&m);
}

int
main(void)
{
	test_basic();
	test_many();
	return done_testing();
}
