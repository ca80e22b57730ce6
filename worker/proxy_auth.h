/* Proxy authentication: Basic credentials checked with crypt(3). */
#ifndef PORTER_WORKER_PROXY_AUTH_H
#define PORTER_WORKER_PROXY_AUTH_H

#include <stddef.h>

#include "config/cfg.h"

/*
 * Check a Proxy-Authorization value (len bytes: "Basic <base64 of
 * user:password>", scheme in any case, then spaces) against the
 * listener's users. 1: valid, and the user's name is copied to user (cap
 * bytes, cut to fit, NUL-terminated); 0: missing, malformed or wrong.
 * A success is remembered per process (keyed on the credentials and the
 * hash they matched), so a keep-alive client pays crypt once; a failure
 * never is. The password is wiped before returning.
 */
int	pauth_check(const struct cfg_forward *, const char *value, size_t len,
	    char *user, size_t cap);

#endif
