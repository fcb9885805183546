/*
 * arena_test.c - unit tests for lib/base/arena: alignment, zeroing, the
 * maximum (refused, never aborted), overflow, reset and reuse.
 */
#include <stdalign.h>
#include <stdint.h>

#include "base/arena.h"
#include "tap.h"

int
main(void)
{
	struct arena a;
	unsigned char *p, *q;
	size_t i;
	bool zero = true;

	arena_init(&a, 100000);
	p = arena_alloc(&a, 3);
	q = arena_alloc(&a, 10);
	ok(p != NULL && q != NULL && p != q, "two allocations");
	ok((uintptr_t)q % alignof(max_align_t) == 0, "aligned");
	for (i = 0; i < 10; i++)
		zero = zero && q[i] == 0;
	ok(zero, "zeroed");
	ok(arena_alloc(&a, 200000) == NULL, "past max: NULL");
	ok(arena_alloc(&a, SIZE_MAX) == NULL, "SIZE_MAX: NULL");
	ok(arena_allocarray(&a, SIZE_MAX / 2, 4) == NULL, "overflow: NULL");
	p = arena_alloc(&a, 50000);
	ok(p != NULL, "a large block still fits");
	memset(p, 0xff, 50000);
	ok(arena_alloc(&a, 60000) == NULL, "but not past the total");
	arena_reset(&a);
	is_int(a.used, 0, "reset");
	p = arena_alloc(&a, 90000);
	ok(p != NULL && p[0] == 0 && p[89999] == 0, "reused, zeroed");
	for (i = 0; i < 1000; i++)
		if (arena_alloc(&a, 1) == NULL)
			break;
	ok(i < 1000, "many small ones stop at the max too");
	arena_reset(&a);
	ok(arena_alloc(&a, 16) != NULL, "usable after a reset");
	arena_reset(&a);
	arena_init(&a, SIZE_MAX);
	is_int(a.max == ARENA_MAX_CEILING, 1, "max capped");
	arena_reset(&a);
	return done_testing();
}
