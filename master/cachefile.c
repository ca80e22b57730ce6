/*
 * cache.path: the store in a file, mapped MAP_SHARED by the master before
 * the first fork, so every process of this porter maps it at the same
 * address (the store keeps offsets only, so another porter may map it
 * elsewhere).
 *
 * Who uses the file is told by open file description locks (F_OFD_*),
 * which every child inherits with the descriptor and which the kernel
 * drops when the last process holding it ends, however it ends:
 *   byte 0  read-locked by every porter using the file; a master that
 *           gets it write-locked is alone: nobody is inside the store,
 *           so it restores it (locks made afresh, holds cleared, chains,
 *           queues and free lists rebuilt), then downgrades to a read lock.
 *   byte 1, byte 2
 *           a side each: the store has holds for two porters (the old
 *           and the new master of a binary upgrade, whose scoreboards
 *           number their slots alike), and a porter's slots name holds
 *           side * nslots + slot.
 * A clean stop (the last porter, every child gone) syncs the bytes and
 * marks the store clean; a start that finds it not clean (SIGKILL, a
 * crash, a power cut) checks every object's crc32.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "master/cachefile.h"
#include "shared/shm.h"
#include "shared/store.h"

#define SIDES		2	/* porters that may share the file at once */
/* Bytes synced for the clean mark: the store's header (a few KiB) and
   then some, whole pages. */
#define HEAD_SYNC	(64 * 1024)

/* An OFD lock on byte b: type F_WRLCK, F_RDLCK or F_UNLCK. 0 or -1. */
static int
byte_lock(int fd, int b, short type, int wait)
{
	struct flock l;

	memset(&l, 0, sizeof(l));
	l.l_type = type;
	l.l_whence = SEEK_SET;
	l.l_start = b;
	l.l_len = 1;
	return (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &l));
}

/* The file emptied to len bytes of zeros, its blocks reserved. */
static int
make_empty(int fd, const char *path, size_t len)
{
	int e;

	if (ftruncate(fd, 0) == -1 || ftruncate(fd, (off_t)len) == -1) {
		log_error("cache.path %s: ftruncate: %s", path,
		    strerror(errno));
		return (-1);
	}
	/*
	 * Reserved now: a page of a sparse file with no room left on its
	 * file system would kill with SIGBUS whoever first writes it.
	 */
	if ((e = posix_fallocate(fd, 0, (off_t)len)) != 0 &&
	    e != EOPNOTSUPP && e != EINVAL) {
		log_error("cache.path %s: reserving %zu bytes: %s", path, len,
		    strerror(e));
		return (-1);
	}
	return (0);
}

static void *
map(int fd, size_t len)
{
	void *at = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return (at == MAP_FAILED ? NULL : at);
}

/* This run's cache in anonymous memory, when the file cannot be had. */
static int
anonymous(struct shm *s, const struct store_params *p)
{
	size_t len = store_size(p);
	void *at;

	at = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (at == MAP_FAILED || store_init(at, p) == -1) {
		log_error("cache: anonymous memory of %zu bytes: %s", len,
		    strerror(errno));
		return (-1);
	}
	shm_set_cache(s, at, len, -1, 0);
	return (0);
}

/* Alone on the file: restore it, or start it empty. 0 or -1. */
static int
take_over(int fd, const char *path,
    const struct store_params *fp, size_t len, void **atp)
{
	struct store_restore res;
	struct stat sb;
	char why[200];
	void *at = NULL;
	double t0;
	int fresh = 0, clean;

	if (fstat(fd, &sb) == -1) {
		log_error("cache.path %s: fstat: %s", path, strerror(errno));
		return (-1);
	}
	if ((size_t)sb.st_size != len) {
		if (sb.st_size > 0)
			log_warnx("cache.path %s: %lld bytes, this "
			    "configuration needs %zu: starting with an empty "
			    "cache", path, (long long)sb.st_size, len);
		if (make_empty(fd, path, len) == -1)
			return (-1);
		fresh = 1;
	}
	if ((at = map(fd, len)) == NULL) {
		log_error("cache.path %s: mmap: %s", path, strerror(errno));
		return (-1);
	}
	if (!fresh) {
		clean = store_was_clean(at);
		t0 = clock_now();
		if (store_restore(at, fp, !clean, &res, why,
		    sizeof(why)) == 0)
			log_info("cache.path %s: %u object(s), %llu bytes, kept "
			    "after %s stop (%s); dropped %u unfinished, %u "
			    "damaged, %u failing their checksum; %.0f ms",
			    path, res.kept, (unsigned long long)res.kept_bytes,
			    clean ? "a clean" : "an unclean", clean ?
			    "checksums not checked" : "checksums checked",
			    res.dropped_state, res.dropped_bad,
			    res.dropped_crc, (clock_now() - t0) * 1000);
		else {
			log_warnx("cache.path %s: %s: starting with an empty "
			    "cache", path, why);
			(void)munmap(at, len);
			if (make_empty(fd, path, len) == -1)
				return (-1);
			if ((at = map(fd, len)) == NULL) {
				log_error("cache.path %s: mmap: %s", path,
				    strerror(errno));
				return (-1);
			}
			fresh = 1;
		}
	}
	if (fresh && store_init(at, fp) == -1) {
		log_error("cache.path %s: %s", path, strerror(errno));
		(void)munmap(at, len);
		return (-1);
	}
	/* not clean from now on, on the disk too before anything changes */
	store_set_clean(at, 0);
	if (msync(at, len < HEAD_SYNC ? len : HEAD_SYNC, MS_SYNC) == -1)
		log_warnx("cache.path %s: msync: %s", path, strerror(errno));
	*atp = at;
	return (0);
}

int
cachefile_open(struct shm *s, const char *path, const struct store_params *p,
    const struct privs *pv)
{
	struct store_params fp = *p;
	struct stat sb;
	char why[200];
	void *at = NULL;
	size_t len;
	uint32_t side;
	int fd, alone;

	/* holds for two porters: a binary upgrade runs both at once */
	fp.nslots = p->nslots * SIDES;
	if (fp.nslots > 65535 || (len = store_size(&fp)) == 0) {
		log_error("cache.path %s: workers.max is too large for a "
		    "cache file", path);
		return (-1);
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		log_error("cache.path %s: %s%s", path, strerror(errno),
		    errno == ENOENT ? " (its folder must exist)" : "");
		return (-1);
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		log_error("cache.path %s: not a regular file", path);
		goto fail;
	}
	/* the workers never open it (they inherit the mapping), but the
	   file holds what they fetched: theirs, and nobody else's */
	if (fchmod(fd, 0600) == -1 || (pv->active &&
	    fchown(fd, pv->uid, pv->gid) == -1)) {
		log_error("cache.path %s: chmod/chown: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (byte_lock(fd, 0, F_WRLCK, 0) == 0)
		alone = 1;
	else if (errno == EAGAIN || errno == EACCES) {
		alone = 0;
		/* a read lock, once the porter restoring it (if one is)
		   has downgraded its own */
		if (byte_lock(fd, 0, F_RDLCK, 1) == -1) {
			log_error("cache.path %s: lock: %s", path,
			    strerror(errno));
			goto fail;
		}
		/* the other one may have ended meanwhile */
		if (byte_lock(fd, 0, F_WRLCK, 0) == 0)
			alone = 1;
	} else {
		log_error("cache.path %s: lock: %s", path, strerror(errno));
		goto fail;
	}
	for (side = 0; side < SIDES; side++)
		if (byte_lock(fd, 1 + (int)side, F_WRLCK, 0) == 0)
			break;
	if (side == SIDES) {
		log_warnx("cache.path %s: two porters use it already: this "
		    "one caches in memory, empty", path);
		(void)close(fd);
		return (anonymous(s, p));
	}
	if (alone) {
		if (take_over(fd, path, &fp, len, &at) == -1)
			goto fail;
		if (byte_lock(fd, 0, F_RDLCK, 0) == -1) {
			log_error("cache.path %s: lock: %s", path,
			    strerror(errno));
			(void)munmap(at, len);
			goto fail;
		}
	} else {
		/* the other porter's store, as it is: only checked */
		if (fstat(fd, &sb) == -1 || (size_t)sb.st_size != len ||
		    (at = map(fd, len)) == NULL ||
		    store_attach(at, &fp, why, sizeof(why)) == -1) {
			log_warnx("cache.path %s: a running porter uses it "
			    "with another cache size, chunk_size or "
			    "workers.max: this one caches in memory, empty",
			    path);
			if (at != NULL)
				(void)munmap(at, len);
			(void)close(fd);
			return (anonymous(s, p));
		}
		log_info("cache.path %s: shared with the running porter "
		    "(side %u)", path, side);
	}
	shm_set_cache(s, at, len, fd, side * p->nslots);
	/* what an earlier porter on this side left held: released */
	if (!alone) {
		uint32_t i;

		for (i = 0; i < p->nslots; i++)
			store_release_slot(at, shm_cache_slot(s, i));
	}
	if ((s->cache_path = strdup(path)) == NULL) {
		log_error("out of memory");
		return (-1);
	}
	return (0);
fail:
	(void)close(fd);
	return (-1);
}

void
cachefile_close(struct shm *s)
{
	struct store *st;

	if (s->cache == NULL)
		return;
	st = store_at(s->cache);
	/* the last one out: nobody else holds byte 0 */
	if (s->cache_fd >= 0 && st != NULL &&
	    byte_lock(s->cache_fd, 0, F_WRLCK, 0) == 0) {
		if (msync(s->cache, s->cache_len, MS_SYNC) == -1)
			log_warnx("cache.path %s: msync: %s", s->cache_path,
			    strerror(errno));
		else {
			store_set_clean(st, 1);
			if (msync(s->cache, s->cache_len < HEAD_SYNC ?
			    s->cache_len : HEAD_SYNC, MS_SYNC) == -1)
				log_warnx("cache.path %s: msync: %s",
				    s->cache_path, strerror(errno));
			else
				log_info("cache.path %s: synced, marked clean",
				    s->cache_path);
		}
	}
	(void)munmap(s->cache, s->cache_len);
	if (s->cache_fd >= 0)
		(void)close(s->cache_fd);
	free(s->cache_path);
	s->cache = NULL;
	s->cache_fd = -1;
	s->cache_path = NULL;
}
