/*
 * libFuzzer harness: the config loader on any file. Invariants: it loads
 * or says why (file and line), never crashes, and frees what it made
 * (LeakSanitizer). The file lives in a private temp folder.
 */
#include "config.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/cfg.h"

static char dir[] = "/tmp/porter-fuzz-config.XXXXXX";
static char path[sizeof(dir) + 16];

static void
cleanup(void)
{
	(void)unlink(path);
	(void)rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CFG_ERRLEN];
	struct cfg *c;
	FILE *f;

	if (path[0] == '\0') {
		if (mkdtemp(dir) == NULL)
			abort();
		(void)snprintf(path, sizeof(path), "%s/p.conf", dir);
		(void)atexit(cleanup);
	}
	if ((f = fopen(path, "w")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();
	c = cfg_load(path, err, sizeof(err));
	if (c == NULL)
		assert(strncmp(err, path, strlen(path)) == 0);
	cfg_free(c);
	return (0);
}
