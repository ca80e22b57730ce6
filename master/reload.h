/* HUP: loading the configuration again, without dropping a connection. */
#ifndef PORTER_MASTER_RELOAD_H
#define PORTER_MASTER_RELOAD_H

struct master;

/*
 * Load m->cfg_path; if it is valid and fits the shared segment made at
 * start, make it the running configuration (m->cfg, m->lfds, m->privs):
 * listening sockets whose address is unchanged are kept, health rows
 * carry over by "pool/address", and the logs it names are opened.
 * 0 when it runs now (the caller starts a new generation), -1 when it was
 * refused and the old one goes on (logged).
 */
int	reload_config(struct master *m);

#endif
