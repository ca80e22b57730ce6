/*
 * Memory a process keeps until it exits, carved from one private mapping.
 *
 * A forked worker pays, in memory of its own, for every page it writes.
 * From malloc its small blocks land in holes of the master's heap (each a
 * page copied on first write) and its buffers start at odd offsets (a
 * 1 KiB answer and its head then span two pages). Here small blocks are
 * packed side by side and every buffer starts on a page, so a worker
 * touches one page per buffer it uses and one for its small state.
 *
 * Each buffer is followed by a page that is never mapped: running off its
 * end faults at once instead of writing over the next one. Blocks are
 * not freed one by one: arena_free, or the process's exit, returns all.
 *
 * Built with AddressSanitizer, the blocks come from calloc instead, so
 * the sanitizer keeps checking their bounds.
 */
#ifndef PORTER_LIB_ARENA_H
#define PORTER_LIB_ARENA_H

#include <stddef.h>

struct arena {
	char	*base;
	size_t	 cap, used, mapped;
	void	*blocks;	/* with AddressSanitizer: the calloc'd ones */
};

/* Reserve cap bytes of address space (nothing resident yet); -1 on error. */
int	arena_init(struct arena *, size_t cap);
/* n zeroed bytes, 16-byte aligned, right after the previous small block. */
void	*arena_small(struct arena *, size_t n);
/* n zeroed bytes from a page boundary, then a guard page. */
void	*arena_buf(struct arena *, size_t n);
/* The room arena_buf(n) takes, for sizing arena_init's cap. */
size_t	 arena_buf_room(size_t n);
/*
 * Children forked from now on do not inherit the arena: the master's own
 * records, which it rewrites at every fork, are then not a page each
 * child keeps a copy of.
 */
int	 arena_not_inherited(struct arena *);
/*
 * Give back the pages of buf[keep, len) (rounded in to whole pages): they
 * read as zeros after. For a buffer whose contents are dead, so that one
 * large body does not leave a worker with its pages for good.
 */
void	 arena_trim(void *buf, size_t len, size_t keep);
void	 arena_free(struct arena *);

#endif
