/*
 * USR2, binary upgrade nginx's way: the old master execs the new binary
 * with its listening sockets, and the new one adopts them (upgrade.c
 * tells the story).
 */
#ifndef PORTER_MASTER_UPGRADE_H
#define PORTER_MASTER_UPGRADE_H

struct master;

/*
 * The old master, on USR2: rename the pid file (if any) to FILE.oldbin,
 * fork and exec m->exe with m->argv; logged and undone if that fails.
 */
void	upgrade_start(struct master *m);
/* Whether this master was started by an old one's USR2. */
int	upgrade_inherited(void);
/*
 * The new master, at start (upgrade_inherited): make m->lfds for m->cfg
 * from the listener fds the old one passed down, closing those it has no
 * listener for; fatal if that fails.
 */
void	upgrade_adopt(struct master *m);
/* The old master exits after a good upgrade: remove FILE.oldbin. */
void	upgrade_release_pidfile(struct master *m);
/*
 * The new master (m->upgrade_pid) exited with wait status st: the upgrade
 * failed; take the pid file back.
 */
void	upgrade_failed(struct master *m, int st);

#endif
