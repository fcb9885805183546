/*
 * lineio.h - a line-oriented connection on an event loop: complete lines
 * in, buffered writes out, a maximum line length, an idle timeout.  This
 * and conn are the only modules that touch libevent buffers.
 *
 * Callbacks run on the loop.  The line callback gets each line without
 * its LF (a CR before the LF is kept: protocols decide).  The event
 * callback reports the end of the connection (LINEIO_EOF, LINEIO_ERROR,
 * LINEIO_TIMEOUT, LINEIO_CLOSED after lineio_close_flush) or one
 * LINEIO_TOO_LONG per over-long line, whose bytes are then skipped up to
 * the next LF, or LINEIO_READY once a layer put in by lineio_wrap (TLS)
 * has finished its setup (the connection goes on).  After an
 * end-of-connection event no more callbacks come and the owner must call
 * lineio_free (it may do so inside the callback).  Inside the line
 * callback the owner must not free the lineio; it may call
 * lineio_close_flush.
 *
 * Linked into: authd (and the protocol daemons).  Trust: the peer is
 * hostile; line length and buffered output are bounded.
 */
#ifndef POSTERN_LINEIO_H
#define POSTERN_LINEIO_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct bufferevent;
struct event_base;
struct lineio;

enum lineio_event {
	LINEIO_EOF,
	LINEIO_ERROR,
	LINEIO_TIMEOUT,
	LINEIO_CLOSED,
	LINEIO_TOO_LONG,
	LINEIO_READY,		/* lineio_wrap's layer is up; not an end */
};

typedef void lineio_line_fn(void *arg, struct span line);
typedef void lineio_event_fn(void *arg, enum lineio_event ev);
/* Raw input: returns how many bytes of data it took (all of them unless
 * it switched back to lines with lineio_raw(l, NULL)). */
typedef size_t lineio_raw_fn(void *arg, struct span data);
/* Queued output has fallen to the low mark (lineio_set_drain). */
typedef void lineio_drain_fn(void *arg);
/*
 * Build a bufferevent that owns fd from now on (closes it when freed),
 * or return NULL.  Called with fd -1 when the wrap is cancelled (the
 * lineio ended first): then only release arg.
 */
typedef struct bufferevent *lineio_wrap_fn(struct event_base *base, int fd,
    void *arg);

/*
 * Take fd (non-blocking; owned from now on).  idle_ms 0 = no timeout;
 * otherwise LINEIO_TIMEOUT when no input came for idle_ms while reading,
 * or queued output made no progress for idle_ms.
 * Returns NULL when libevent cannot set it up (fd is then closed).
 */
struct lineio *lineio_new(struct event_base *base, int fd, size_t max_line,
	    uint64_t idle_ms, lineio_line_fn *on_line, lineio_event_fn *on_event,
	    void *arg);
/* Change the idle timeout (0: none), for reads and for queued output
 * the peer does not take; it counts from now. */
void	lineio_set_idle(struct lineio *l, uint64_t idle_ms);
/* Text (copied; NULL: none) sent when reading times out, before the
 * connection closes and LINEIO_TIMEOUT is reported ("421 ..."). */
void	lineio_set_farewell(struct lineio *l, const char *text);
/* Queue bytes for the peer.  0, or -1 when closing or out of memory. */
int	lineio_write(struct lineio *l, const void *p, size_t n);
/* Stop or resume reading (back-pressure while requests are pending). */
void	lineio_pause(struct lineio *l);
void	lineio_resume(struct lineio *l);
/*
 * Deliver input as raw bytes to fn instead of as lines (an SMTP DATA
 * body), until lineio_raw(l, NULL), which may be called inside fn; the
 * bytes fn did not take are then read as lines again.
 */
void	lineio_raw(struct lineio *l, lineio_raw_fn *fn);
/* Bytes queued but not yet sent. */
size_t	lineio_pending(const struct lineio *l);
/*
 * Call fn(arg) each time the queued output falls to low bytes or fewer
 * (fn NULL: never), so that a writer streaming a large body (an SMTP
 * client's DATA) refills only then and never queues it whole.  Not
 * called while closing, while a lineio_wrap is pending, or after the
 * end.  fn may write; like the line callback it must not free l.
 */
void	lineio_set_drain(struct lineio *l, size_t low, lineio_drain_fn *fn,
	    void *arg);
/* Stop reading; close once the queued output is sent (LINEIO_CLOSED). */
void	lineio_close_flush(struct lineio *l);
/*
 * Move the connection onto a new bufferevent made by wrap(base, fd, arg)
 * (STARTTLS, implicit TLS; lib/tls).  Every byte of input buffered so far
 * is discarded first, so that data the peer pipelined before the layer
 * was up is never taken as coming through it (CVE-2011-0411); the count
 * goes to *discarded_out.  Output already queued is sent first, as it
 * is (the STARTTLS reply goes out in clear); until then reading stops
 * and lineio_write fails.  Legal inside the line callback: no further
 * line of the old stream is delivered.  wrap is called at once or from
 * the loop; when it fails the connection ends with LINEIO_ERROR.
 * Returns 0, or -1 when the connection is ending or a wrap is already
 * pending (nothing done; wrap(NULL, -1, arg) is called to release arg).
 */
int	lineio_wrap(struct lineio *l, lineio_wrap_fn *wrap, void *arg,
	    size_t *discarded_out);
/* The current bufferevent, for layer modules (lib/tls) to query their
 * state.  Borrowed: valid until the next lineio_wrap or lineio_free. */
struct bufferevent *lineio_bufferevent(const struct lineio *l);
/* Free; the descriptor is closed as soon as libevent lets go of it (at
 * the latest on the loop's next pass).  NULL allowed, pointer cleared. */
void	lineio_free(struct lineio **lp);

#endif
