/*
 * cache.path: the cache's store in a file mapped MAP_SHARED, so a stop
 * and start, a reboot or a binary upgrade keeps what it holds.
 */
#ifndef PORTER_MASTER_CACHEFILE_H
#define PORTER_MASTER_CACHEFILE_H

#include "master/privs.h"

struct shm;
struct store_params;

/*
 * The master, before the first fork, after shm_create (with cache_apart):
 * maps path as the cache for a porter whose store parameters are p, and
 * hands it to s (shm_set_cache). Alone on the file it takes it over: a
 * file of another size or layout, or none, starts empty (logged), else
 * its objects are restored (store_restore, with the crc check after an
 * unclean stop). Beside another live porter on it (a binary upgrade) it
 * shares it. When the file cannot be shared (two porters on it already,
 * other parameters) the cache is anonymous memory for this run, logged.
 * The file is mode 0600, owned by the worker user pv names. 0, or -1
 * after logging why (porter cannot start: the folder is missing, no
 * space, no permission).
 */
int	cachefile_open(struct shm *s, const char *path,
	    const struct store_params *p, const struct privs *pv);

/*
 * The master, at a stop, once no child is left: if no other porter uses
 * the file, its bytes are synced and it is marked clean (the next start
 * skips the crc check); then it is unmapped and closed. Nothing for an
 * anonymous cache but the unmap.
 */
void	cachefile_close(struct shm *s);

#endif
