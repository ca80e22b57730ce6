#include "config.h"

#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/cfg.h"
#include "master/backends.h"
#include "master/drain.h"
#include "master/master.h"
#include "master/pidfile.h"
#include "master/purge_cli.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif
#define DEFAULT_CONFIG	SYSCONFDIR "/porter/porter.conf"

static void
usage(void)
{
	(void)fprintf(stderr,
	    "usage: porter [-c file] [-f] [-t] [-s signal] [-v]\n"
	    "  -c file    configuration file (default %s)\n"
	    "  -f         stay in the foreground\n"
	    "  -t         check the configuration and exit\n"
	    "  -s signal  tell the running master to reload, stop, quit or\n"
	    "             reopen (its logs)\n"
	    "  -s drain POOL/ADDRESS, -s undrain POOL/ADDRESS\n"
	    "             stop (start again) sending new requests to a server\n"
	    "  -s purge URL|prefix:PATH|tag:NAME\n"
	    "             remove from the cache (soft:... marks stale)\n"
	    "  -v         print the version and exit\n", DEFAULT_CONFIG);
	exit(1);
}

int
main(int argc, char *argv[])
{
	const char *path = DEFAULT_CONFIG, *action = NULL, *name = NULL;
	char err[CFG_ERRLEN];
	struct cfg *cfg;
	struct addrlist *addrs;
	int ch, foreground = 0, test = 0;

	while ((ch = getopt(argc, argv, "c:fs:tvh")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 's':
			action = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'v':
			(void)printf("porter %s\n", PACKAGE_VERSION);
			return (0);
		default:
			usage();
		}
	}
	if (action != NULL && (strcmp(action, "drain") == 0 ||
	    strcmp(action, "undrain") == 0 || strcmp(action, "purge") == 0)) {
		if (optind + 1 != argc)
			usage();
		name = argv[optind];
	} else if (optind != argc)
		usage();

	if ((cfg = cfg_load(path, err, sizeof(err))) == NULL) {
		(void)fprintf(stderr, "porter: %s\n", err);
		return (1);
	}
	if (action != NULL) {
		int rc = name == NULL ? pidfile_signal(cfg, action) :
		    strcmp(action, "purge") == 0 ? purge_cli(cfg, name) :
		    drain_request(cfg, action, name);

		cfg_free(cfg);
		return (rc);
	}
	/* a server name that does not resolve is a configuration error */
	if ((addrs = backends_resolve(cfg, err, sizeof(err))) == NULL) {
		(void)fprintf(stderr, "porter: %s\n", err);
		cfg_free(cfg);
		return (1);
	}
	if (test) {
		(void)printf("porter: %s: configuration OK\n", path);
		free(addrs);
		cfg_free(cfg);
		return (0);
	}
	return (master_run(cfg, addrs, path, foreground, argv));
}
