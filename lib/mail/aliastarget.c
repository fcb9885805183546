/*
 * aliastarget.c - split alias values into targets and classify them
 * (the rules are in aliastarget.h).
 * Linked into: authd, the aliastarget fuzz target.  Trust: alias text
 * may come from a table anyone could write; everything is bounded.
 */
#include <string.h>

#include "mail/aliastarget.h"

static bool
is_sep(unsigned char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
aliastarget_next(struct span *rest, struct span *item_out, struct why *why)
{
	size_t i = 0;
	size_t start;
	size_t end;

	while (i < rest->len && is_sep(rest->p[i]))
		i++;
	if (i == rest->len) {
		*rest = span_make(rest->p + i, 0);
		return 0;
	}
	if (rest->p[i] == '"') {
		start = ++i;
		while (i < rest->len && rest->p[i] != '"')
			i++;
		if (i == rest->len)
			return why_set(why, "alias target without its closing "
					    "quote");
		end = i++;
		if (i < rest->len && !is_sep(rest->p[i]))
			return why_set(why, "text after the closing quote of "
					    "an alias target");
		if (end == start)
			return why_set(why, "empty quoted alias target");
	} else {
		start = i;
		while (i < rest->len && !is_sep(rest->p[i]))
			i++;
		end = i;
	}
	if (end - start > ALIASTARGET_MAX)
		return why_set(why, "alias target longer than %d bytes",
		    ALIASTARGET_MAX);
	*item_out = span_make(rest->p + start, end - start);
	*rest = span_sub(*rest, i, rest->len - i);
	return 1;
}

/* No control characters (a command line or path goes to a shell or the
 * file system, and into logs). */
static bool
printable(struct span s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (s.p[i] < 0x20 || s.p[i] == 0x7f)
			return false;
	return true;
}

static int
parse_path(struct span path, const char *what, struct why *why)
{
	if (path.len == 0 || path.p[0] != '/')
		return why_set(why, "%s needs an absolute path", what);
	if (!printable(path))
		return why_set(why, "control character in the path of %s",
		    what);
	return 0;
}

int
aliastarget_parse(struct span item, enum aliastarget_kind *kind_out,
    struct span *arg_out, struct why *why)
{
	struct span arg;

	if (item.len == 0)
		return why_set(why, "empty alias target");
	if (item.p[0] == '|') {
		arg = span_trim(span_sub(item, 1, item.len - 1));
		if (arg.len == 0)
			return why_set(why, "empty command");
		if (!printable(arg))
			return why_set(why, "control character in a command");
		*kind_out = ALIASTARGET_COMMAND;
	} else if (item.p[0] == '/') {
		arg = item;
		if (parse_path(arg, "a file target", why) == -1)
			return -1;
		if (arg.p[arg.len - 1] == '/')
			return why_set(why, "a file target ends in '/' "
					    "(maildir delivery is not "
					    "supported)");
		*kind_out = ALIASTARGET_FILE;
	} else if (span_startswith_nocase(item, ":include:")) {
		arg = span_sub(item, 9, item.len - 9);
		if (parse_path(arg, ":include:", why) == -1)
			return -1;
		*kind_out = ALIASTARGET_INCLUDE;
	} else {
		arg = item;
		*kind_out = ALIASTARGET_ADDRESS;
	}
	*arg_out = arg;
	return 0;
}
