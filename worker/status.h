/*
 * porter's status page, served on the status listener (the top-level
 * status group): the workers from the scoreboard and the backends from
 * the health table, as text or JSON, and POST actions that drain and
 * undrain a server.
 */
#ifndef PORTER_WORKER_STATUS_H
#define PORTER_WORKER_STATUS_H

#include "worker/client.h"

/*
 * Answer c->req on a status listener; the client already passed its
 * allow and deny. GET or HEAD of status_path (text; ?format=json for
 * JSON, ?format=html or an Accept that prefers it for HTML), POST of status_path/drain?server=POOL/ADDRESS and .../undrain.
 * Returns 0 if the connection may carry another request.
 */
int	status_request(struct conn *);

/* A scoreboard state's name on the page ("idle"), or NULL. */
const char	*status_state_name(int);

/* The configuration file, as an absolute path, into dst[cap]. */
void		 status_config_path(const struct cfg *, char *dst, size_t cap);

#endif
