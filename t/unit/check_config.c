/*
 * cfg_load(): every field of a valid file, defaults, path resolution, and
 * for each class of mistake the "file:line: " prefix and the message.
 * Config texts go to a fresh temp folder per test and are removed after.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/cfg.h"

/* One valid pool and listener, one line each. */
#define POOL	"pools = ( { name = \"app\"; servers = ( " \
		"{ address = \"127.0.0.1:9001\"; } ); } );\n"
#define LISTEN	"listeners = ( { listen = \"127.0.0.1:8080\"; " \
		"mode = \"reverse\"; routes = ( { pool = \"app\"; } ); } );\n"
#define BASE	POOL LISTEN

struct tf {
	char	dir[PATH_MAX];		/* realpath of the temp folder */
	char	path[PATH_MAX + 32];	/* dir/porter.conf */
	char	extra[PATH_MAX + 32];	/* a second file, if any */
};

static void
tf_put(const char *path, const char *text)
{
	FILE	*fp = fopen(path, "w");

	ck_assert_msg(fp != NULL, "fopen %s: %s", path, strerror(errno));
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
}

static void
tf_write(struct tf *t, const char *text)
{
	const char	*tmp = getenv("TMPDIR");
	char		 tmpl[PATH_MAX];

	memset(t, 0, sizeof(*t));
	snprintf(tmpl, sizeof(tmpl), "%s/check_config.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	ck_assert_msg(mkdtemp(tmpl) != NULL, "mkdtemp: %s", strerror(errno));
	ck_assert_ptr_nonnull(realpath(tmpl, t->dir));
	snprintf(t->path, sizeof(t->path), "%s/porter.conf", t->dir);
	tf_put(t->path, text);
}

static void
tf_remove(struct tf *t)
{
	unlink(t->path);
	if (t->extra[0] != '\0')
		unlink(t->extra);
	rmdir(t->dir);
}

static struct cfg *
load(struct tf *t, const char *text, char *err)
{
	tf_write(t, text);
	return (cfg_load(t->path, err, CFG_ERRLEN));
}

static const char *
addr_str(const struct cfg_addr *a, char *buf, size_t len)
{
	const struct sockaddr_in	*s4 = (const void *)&a->sa;
	const struct sockaddr_in6	*s6 = (const void *)&a->sa;
	char				 ip[INET6_ADDRSTRLEN];

	if (a->sa.ss_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (a->sa.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else
		snprintf(buf, len, "family %d", a->sa.ss_family);
	return (buf);
}

START_TEST(full_config)
{
	static const char text[] =
	    "pid_file = \"/run/porter.pid\";\n"
	    "error_log = \"/var/log/porter/error.log\";\n"
	    "access_log = \"/var/log/porter/access.log\";\n"
	    "log_level = \"debug\";\n"
	    "user = \"www\";\n"
	    "group = \"wwwgrp\";\n"
	    "workers = { start = 3; min_spare = 1; max_spare = 5; max = 10;\n"
	    "            max_requests = 1000; };\n"
	    "timeouts = { client_header = 1.5; client_body = 2; keepalive = 3;\n"
	    "  connect = 0.25; upstream = 120; tunnel_idle = 86400; };\n"
	    "limits = { max_header_size = \"32K\"; max_uri_size = 4096;\n"
	    "  max_body_size = \"1G\"; max_conns_per_client = 0; };\n"
	    "upstream_keepalive = 0;\n"
	    "pools = (\n"
	    "  { name = \"app\"; balance = \"round_robin\";\n"
	    "    servers = ( { address = \"127.0.0.1:9001\"; weight = 3; },\n"
	    "                { address = \"[::1]:9002\"; backup = false; } ); },\n"
	    "  { name = \"static\";\n"
	    "    servers = ( { address = \"localhost:9003\"; } ); }\n"
	    ");\n"
	    "listeners = (\n"
	    "  { listen = \"*:8080\"; mode = \"reverse\"; backlog = 100;\n"
	    "    routes = ( { host = \"WWW.Example.COM\"; path = \"/s/\";\n"
	    "                 pool = \"static\"; },\n"
	    "               { host = \"*.example.com\"; pool = \"app\"; },\n"
	    "               { pool = \"app\"; } ); },\n"
	    "  { listen = \"[::]:8081\"; mode = \"reverse\";\n"
	    "    routes = ( { path = \"/api\"; pool = \"app\"; } ); }\n"
	    ");\n";
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN], buf[128];

	c = load(&t, text, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(c->file, t.path);
	ck_assert_str_eq(c->dir, t.dir);
	ck_assert_str_eq(c->pid_file, "/run/porter.pid");
	ck_assert_str_eq(c->error_log, "/var/log/porter/error.log");
	ck_assert_str_eq(c->access_log, "/var/log/porter/access.log");
	ck_assert_int_eq(c->log_level, CFG_LOG_DEBUG);
	ck_assert_str_eq(c->user, "www");
	ck_assert_str_eq(c->group, "wwwgrp");

	ck_assert_int_eq(c->workers.start, 3);
	ck_assert_int_eq(c->workers.min_spare, 1);
	ck_assert_int_eq(c->workers.max_spare, 5);
	ck_assert_int_eq(c->workers.max, 10);
	ck_assert_int_eq(c->workers.max_requests, 1000);

	ck_assert_double_eq(c->timeouts.client_header, 1.5);
	ck_assert_double_eq(c->timeouts.client_body, 2.0);
	ck_assert_double_eq(c->timeouts.keepalive, 3.0);
	ck_assert_double_eq(c->timeouts.connect, 0.25);
	ck_assert_double_eq(c->timeouts.upstream, 120.0);
	ck_assert_double_eq(c->timeouts.tunnel_idle, 86400.0);

	ck_assert_uint_eq(c->limits.max_header_size, 32768);
	ck_assert_uint_eq(c->limits.max_uri_size, 4096);
	ck_assert_uint_eq(c->limits.max_body_size, 1ULL << 30);
	ck_assert_int_eq(c->upstream_keepalive, 0);

	ck_assert_int_eq(c->npools, 2);
	ck_assert_str_eq(c->pools[0].name, "app");
	ck_assert_int_eq(c->pools[0].balance, CFG_BAL_ROUND_ROBIN);
	ck_assert_int_eq(c->pools[0].line, 15);
	ck_assert_int_eq(c->pools[0].nservers, 2);
	ck_assert_str_eq(addr_str(&c->pools[0].servers[0].addr, buf,
	    sizeof(buf)), "127.0.0.1:9001");
	ck_assert_str_eq(c->pools[0].servers[0].addr.text, "127.0.0.1:9001");
	ck_assert_int_eq(c->pools[0].servers[0].addr.salen,
	    sizeof(struct sockaddr_in));
	ck_assert_int_eq(c->pools[0].servers[0].weight, 3);
	ck_assert_int_eq(c->pools[0].servers[0].line, 16);
	ck_assert_str_eq(addr_str(&c->pools[0].servers[1].addr, buf,
	    sizeof(buf)), "[::1]:9002");
	ck_assert_int_eq(c->pools[0].servers[1].addr.salen,
	    sizeof(struct sockaddr_in6));
	ck_assert_int_eq(c->pools[0].servers[1].weight, 1);
	ck_assert_str_eq(c->pools[1].name, "static");
	ck_assert_int_eq(c->pools[1].nservers, 1);
	ck_assert_str_eq(c->pools[1].servers[0].addr.text, "localhost:9003");
	ck_assert_int_ne(c->pools[1].servers[0].addr.salen, 0);

	ck_assert_int_eq(c->nlisteners, 2);
	ck_assert_str_eq(addr_str(&c->listeners[0].addr, buf, sizeof(buf)),
	    "0.0.0.0:8080");
	ck_assert_str_eq(c->listeners[0].addr.text, "*:8080");
	ck_assert_int_eq(c->listeners[0].mode, CFG_MODE_REVERSE);
	ck_assert_int_eq(c->listeners[0].backlog, 100);
	ck_assert_int_eq(c->listeners[0].line, 22);
	ck_assert_int_eq(c->listeners[0].nroutes, 3);
	ck_assert_str_eq(c->listeners[0].routes[0].host, "www.example.com");
	ck_assert_str_eq(c->listeners[0].routes[0].path, "/s/");
	ck_assert_uint_eq(c->listeners[0].routes[0].path_len, 3);
	ck_assert_int_eq(c->listeners[0].routes[0].pool, 1);
	ck_assert_int_eq(c->listeners[0].routes[0].line, 23);
	ck_assert_str_eq(c->listeners[0].routes[1].host, "*.example.com");
	ck_assert_str_eq(c->listeners[0].routes[1].path, "/");
	ck_assert_int_eq(c->listeners[0].routes[1].pool, 0);
	ck_assert_str_eq(c->listeners[0].routes[2].host, "*");
	ck_assert_str_eq(c->listeners[0].routes[2].path, "/");
	ck_assert_uint_eq(c->listeners[0].routes[2].path_len, 1);
	ck_assert_str_eq(addr_str(&c->listeners[1].addr, buf, sizeof(buf)),
	    "[::]:8081");
	ck_assert_int_eq(c->listeners[1].backlog, 511);
	ck_assert_int_eq(c->listeners[1].nroutes, 1);
	ck_assert_str_eq(c->listeners[1].routes[0].path, "/api");
	ck_assert_str_eq(c->listeners[1].routes[0].host, "*");
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

START_TEST(defaults)
{
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN];

	c = load(&t, BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_ptr_null(c->pid_file);
	ck_assert_str_eq(c->error_log, "stderr");
	ck_assert_ptr_null(c->access_log);
	ck_assert_int_eq(c->log_level, CFG_LOG_INFO);
	ck_assert_ptr_null(c->user);
	ck_assert_ptr_null(c->group);
	ck_assert_int_eq(c->workers.start, 4);
	ck_assert_int_eq(c->workers.min_spare, 2);
	ck_assert_int_eq(c->workers.max_spare, 8);
	ck_assert_int_eq(c->workers.max, 64);
	ck_assert_int_eq(c->workers.max_requests, 0);
	ck_assert_double_eq(c->timeouts.client_header, 10.0);
	ck_assert_double_eq(c->timeouts.client_body, 30.0);
	ck_assert_double_eq(c->timeouts.keepalive, 5.0);
	ck_assert_double_eq(c->timeouts.connect, 3.0);
	ck_assert_double_eq(c->timeouts.upstream, 60.0);
	ck_assert_double_eq(c->timeouts.tunnel_idle, 300.0);
	ck_assert_uint_eq(c->limits.max_header_size, 16384);
	ck_assert_uint_eq(c->limits.max_uri_size, 8192);
	ck_assert_uint_eq(c->limits.max_body_size, 0);
	ck_assert_int_eq(c->upstream_keepalive, 16);
	ck_assert_int_eq(c->npools, 1);
	ck_assert_int_eq(c->pools[0].balance, CFG_BAL_ROUND_ROBIN);
	ck_assert_int_eq(c->pools[0].servers[0].weight, 1);
	ck_assert_int_eq(c->nlisteners, 1);
	ck_assert_int_eq(c->listeners[0].backlog, 511);
	ck_assert_str_eq(c->listeners[0].routes[0].host, "*");
	ck_assert_str_eq(c->listeners[0].routes[0].path, "/");
	ck_assert_int_eq(c->listeners[0].routes[0].pool, 0);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

/* Empty groups are fine and leave the defaults. */
START_TEST(empty_groups)
{
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN];

	c = load(&t, "workers = {}; timeouts = {}; limits = {};\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->workers.max, 64);
	ck_assert_double_eq(c->timeouts.connect, 3.0);
	ck_assert_uint_eq(c->limits.max_uri_size, 8192);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

START_TEST(relative_paths)
{
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN], want[PATH_MAX + 32];

	c = load(&t, "pid_file = \"porter.pid\";\n"
	    "error_log = \"logs/error.log\";\n"
	    "access_log = \"stderr\";\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	snprintf(want, sizeof(want), "%s/porter.pid", t.dir);
	ck_assert_str_eq(c->pid_file, want);
	snprintf(want, sizeof(want), "%s/logs/error.log", t.dir);
	ck_assert_str_eq(c->error_log, want);
	ck_assert_str_eq(c->access_log, "stderr");
	cfg_free(c);
	tf_remove(&t);

	c = load(&t, "error_log = \"stderr\";\n"
	    "access_log = \"a.log\";\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_ptr_null(c->pid_file);
	ck_assert_str_eq(c->error_log, "stderr");
	snprintf(want, sizeof(want), "%s/a.log", t.dir);
	ck_assert_str_eq(c->access_log, want);
	cfg_free(c);
	tf_remove(&t);

	c = load(&t, "access_log = \"off\";\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_ptr_null(c->access_log);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

/* Loaded through a relative path, from another working directory. */
START_TEST(relative_config_path)
{
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN], want[PATH_MAX + 32], cwd[PATH_MAX];

	tf_write(&t, "pid_file = \"p.pid\";\n" BASE);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(t.dir), 0);
	c = cfg_load("porter.conf", err, sizeof(err));
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(c->file, "porter.conf");
	ck_assert_str_eq(c->dir, t.dir);
	snprintf(want, sizeof(want), "%s/p.pid", t.dir);
	ck_assert_str_eq(c->pid_file, want);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

START_TEST(count_shorthand)
{
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN];

	c = load(&t, "workers = { count = 6; };\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->workers.start, 6);
	ck_assert_int_eq(c->workers.min_spare, 6);
	ck_assert_int_eq(c->workers.max_spare, 6);
	ck_assert_int_eq(c->workers.max, 6);
	ck_assert_int_eq(c->workers.max_requests, 0);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

/* Defaults left out bend to fit values written. */
START_TEST(worker_defaults_fit)
{
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN];

	c = load(&t, "workers = { max = 1; };\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->workers.start, 1);
	ck_assert_int_eq(c->workers.min_spare, 1);
	ck_assert_int_eq(c->workers.max_spare, 1);
	ck_assert_int_eq(c->workers.max, 1);
	cfg_free(c);
	tf_remove(&t);

	c = load(&t, "workers = { min_spare = 20; };\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->workers.min_spare, 20);
	ck_assert_int_eq(c->workers.max_spare, 20);
	ck_assert_int_eq(c->workers.max, 64);
	cfg_free(c);
	tf_remove(&t);

	c = load(&t, "workers = { max_spare = 0; min_spare = 0; };\n" BASE,
	    err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->workers.min_spare, 0);
	ck_assert_int_eq(c->workers.max_spare, 0);
	cfg_free(c);
	tf_remove(&t);

	c = load(&t, "limits = { max_header_size = 2048; };\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->limits.max_header_size, 2048);
	ck_assert_uint_eq(c->limits.max_uri_size, 2048);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

START_TEST(big_integers)
{
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN];

	c = load(&t, "limits = { max_body_size = 5000000000L; };\n"
	    "workers = { max_requests = 0x7fffffff; };\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->limits.max_body_size, 5000000000ULL);
	ck_assert_int_eq(c->workers.max_requests, 2147483647);
	cfg_free(c);
	tf_remove(&t);

	/* Same names on one line are each read right. */
	c = load(&t, "pools = ( { name = \"app\"; servers = ( "
	    "{ address = \"127.0.0.1:1\"; weight = 1; }, "
	    "{ address = \"127.0.0.1:2\"; weight = 2; } ); } );\n" LISTEN,
	    err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->pools[0].servers[0].weight, 1);
	ck_assert_int_eq(c->pools[0].servers[1].weight, 2);
	cfg_free(c);
	tf_remove(&t);

	c = load(&t, "limits = { max_body_size = \"5G\"; };\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->limits.max_body_size, 5ULL << 30);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

START_TEST(include_relative)
{
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN], want[PATH_MAX + 64];

	tf_write(&t, "@include \"pools.inc\"\n" LISTEN);
	snprintf(t.extra, sizeof(t.extra), "%s/pools.inc", t.dir);
	tf_put(t.extra, POOL);
	c = cfg_load(t.path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->npools, 1);
	cfg_free(c);

	/* A mistake inside the included file names that file. */
	tf_put(t.extra, "\n" "pools = ( { name = \"app\"; servers = ( "
	    "{ address = \"127.0.0.1:9001\"; wieght = 2; } ); } );\n");
	c = cfg_load(t.path, err, sizeof(err));
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s:2: ", t.extra);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	ck_assert_msg(strstr(err, "unknown setting \"pools[0].servers[0]"
	    ".wieght\" (did you mean \"pools[0].servers[0].weight\"?)")
	    != NULL, "%s", err);

	/* Wrapped integers are caught there too. */
	tf_put(t.extra, POOL "limits = { max_body_size = 5000000000; };\n");
	c = cfg_load(t.path, err, sizeof(err));
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s:2: ", t.extra);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	ck_assert_msg(strstr(err, "number too large") != NULL, "%s", err);

	/* So does a syntax error there. */
	tf_put(t.extra, "\n\npools = ( { name = ; } );\n");
	c = cfg_load(t.path, err, sizeof(err));
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s:3: ", t.extra);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	ck_assert_msg(strstr(err, "syntax error") != NULL, "%s", err);
	tf_remove(&t);
}
END_TEST

START_TEST(missing_file)
{
	struct tf	 t;
	char		 err[CFG_ERRLEN], path[PATH_MAX + 32];

	tf_write(&t, BASE);
	snprintf(path, sizeof(path), "%s/nope.conf", t.dir);
	ck_assert_ptr_null(cfg_load(path, err, sizeof(err)));
	ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "%s", err);
	ck_assert_msg(strstr(err, strerror(ENOENT)) != NULL, "%s", err);
	snprintf(path, sizeof(path), "%s/no/such/dir/p.conf", t.dir);
	ck_assert_ptr_null(cfg_load(path, err, sizeof(err)));
	ck_assert_msg(strstr(err, strerror(ENOENT)) != NULL, "%s", err);
	/* A caller without room for the message still gets NULL. */
	ck_assert_ptr_null(cfg_load(path, NULL, 0));
	tf_remove(&t);
	tf_write(&t, "workers = { max = 0; };\n" BASE);
	ck_assert_ptr_null(cfg_load(t.path, NULL, 0));
	tf_remove(&t);
}
END_TEST

/* Each error class: the text, the line to blame, part of the message. */
static const struct bad_case {
	const char	*text;
	int		 line;	/* 0: "file: " with no line */
	const char	*want;
} bad_cases[] = {
	/* syntax, as libconfig reports it */
	{ "log_level = \"info\";\nworkers = { start = ; };\n" BASE,
	  2, "syntax error" },
	{ "workers = { start = 1;\n start = 2; };\n" BASE,
	  2, "duplicate setting" },
	/* unknown settings, in every kind of group */
	{ BASE "wrokers = { start = 1; };\n", 3,
	  "unknown setting \"wrokers\" (did you mean \"workers\"?)" },
	{ BASE "frobnicate = 1;\n", 3, "unknown setting \"frobnicate\"" },
	{ "workers = { strat = 1; };\n" BASE, 1,
	  "unknown setting \"workers.strat\"" },
	{ "timeouts = { conect = 1; };\n" BASE, 1,
	  "unknown setting \"timeouts.conect\"" },
	{ "limits = { max_headers = 1; };\n" BASE, 1,
	  "unknown setting \"limits.max_headers\"" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\";\n"
	  " routes = ( { pool = \"app\"; } ); port = 80; } );\n", 3,
	  "unknown setting \"listeners[0].port\"" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\";\n"
	  " routes = ( { pool = \"app\";\n prefix = \"/\"; } ); } );\n", 4,
	  "unknown setting \"listeners[0].routes[0].prefix\"" },
	{ "pools = ( { name = \"app\"; servers = ( "
	  "{ address = \"127.0.0.1:9001\"; } );\n method = 1; } );\n" LISTEN,
	  2, "unknown setting \"pools[0].method\"" },
	{ "pools = ( { name = \"app\"; servers = ( {\n"
	  " address = \"127.0.0.1:9001\"; port = 1; } ); } );\n" LISTEN,
	  2, "unknown setting \"pools[0].servers[0].port\"" },
	/* contract settings that a later issue implements */
	{ BASE "cache = { size = \"64M\"; };\n", 3,
	  "cache is not supported yet" },
	{ BASE "status = { listen = \"127.0.0.1:8081\"; };\n", 3,
	  "status is not supported yet" },
	{ "limits = { max_conns_per_client = 5; };\n" BASE, 1,
	  "limits.max_conns_per_client is not supported yet" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\";\n"
	  " allow = [ \"127.0.0.0/8\" ];\n routes = ( { pool = \"app\"; } ); "
	  "} );\n", 3, "listeners[0].allow is not supported yet" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } );\n deny = [ \"10.0.0.0/8\" ]; } );\n",
	  3, "listeners[0].deny is not supported yet" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } );\n connect_ports = [ 443 ]; } );\n",
	  3, "listeners[0].connect_ports is not supported yet" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } );\n anonymous = false; } );\n",
	  3, "listeners[0].anonymous is not supported yet" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } );\n block_hosts = [ \"a\" ]; } );\n",
	  3, "listeners[0].block_hosts is not supported yet" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } );\n deny_private = true; } );\n",
	  3, "listeners[0].deny_private is not supported yet" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\";\n cache = true; } ); } );\n",
	  3, "listeners[0].routes[0].cache is not supported yet" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\";\n default_ttl = 60; } ); } );\n",
	  3, "listeners[0].routes[0].default_ttl is not supported yet" },
	{ "pools = ( { name = \"app\";\n balance = \"least_conn\";\n"
	  " servers = ( { address = \"127.0.0.1:9001\"; } ); } );\n" LISTEN,
	  2, "pools[0].balance \"least_conn\" is not supported yet" },
	{ "pools = ( { name = \"app\"; balance = \"hash\"; servers = ( "
	  "{ address = \"127.0.0.1:9001\"; } ); } );\n" LISTEN,
	  1, "\"hash\" is not supported yet" },
	{ "pools = ( { name = \"app\"; balance = \"random2\"; servers = ( "
	  "{ address = \"127.0.0.1:9001\"; } ); } );\n" LISTEN,
	  1, "\"random2\" is not supported yet" },
	{ "pools = ( { name = \"app\"; servers = ( "
	  "{ address = \"127.0.0.1:9001\"; } );\n health = { path = \"/\"; }; "
	  "} );\n" LISTEN, 2, "pools[0].health is not supported yet" },
	{ "pools = ( { name = \"app\"; servers = ( "
	  "{ address = \"127.0.0.1:9001\"; } );\n max_fails = 1; } );\n" LISTEN,
	  2, "pools[0].max_fails is not supported yet" },
	{ "pools = ( { name = \"app\"; servers = ( "
	  "{ address = \"127.0.0.1:9001\"; } );\n fail_timeout = 1.0; } );\n"
	  LISTEN, 2, "pools[0].fail_timeout is not supported yet" },
	{ "pools = ( { name = \"app\"; servers = ( "
	  "{ address = \"127.0.0.1:9001\"; } );\n retries = 1; } );\n" LISTEN,
	  2, "pools[0].retries is not supported yet" },
	{ "pools = ( { name = \"app\"; servers = ( "
	  "{ address = \"127.0.0.1:9001\";\n backup = true; } ); } );\n" LISTEN,
	  2, "pools[0].servers[0].backup is not supported yet" },
	{ "pools = ( { name = \"app\"; servers = ( "
	  "{ address = \"127.0.0.1:9001\";\n max_conns = 5; } ); } );\n" LISTEN,
	  2, "pools[0].servers[0].max_conns is not supported yet" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:3128\";\n"
	  " mode = \"forward\"; } );\n", 3,
	  "listeners[0].mode: forward mode is not supported yet" },
	/* wrong types */
	{ "workers = { start = \"4\"; };\n" BASE, 1,
	  "workers.start must be an integer" },
	{ "workers = { max_requests = 1.5; };\n" BASE, 1,
	  "workers.max_requests must be an integer" },
	{ "timeouts = { connect = \"3\"; };\n" BASE, 1,
	  "timeouts.connect must be a number" },
	{ "pid_file = 5;\n" BASE, 1, "pid_file must be a string" },
	{ "pid_file = \"\";\n" BASE, 1, "pid_file must not be empty" },
	{ "user = [ \"a\" ];\n" BASE, 1, "user must be a string" },
	{ "workers = 4;\n" BASE, 1, "workers must be a group" },
	{ "limits = { max_body_size = 1.5; };\n" BASE, 1,
	  "limits.max_body_size must be a size" },
	{ "upstream_keepalive = true;\n" BASE, 1,
	  "upstream_keepalive must be an integer" },
	{ POOL "listeners = { listen = \"127.0.0.1:1\"; };\n", 2,
	  "listeners must be a list of groups" },
	{ POOL "listeners = ( \"127.0.0.1:1\" );\n", 2,
	  "listeners[0] must be a group" },
	{ "pools = ( { name = \"app\"; servers = ( "
	  "{ address = \"127.0.0.1:9001\";\n backup = 1; } ); } );\n" LISTEN,
	  2, "pools[0].servers[0].backup must be true or false" },
	{ "pools = ( { name = \"app\";\n servers = \"127.0.0.1:9001\"; } );\n"
	  LISTEN, 2, "pools[0].servers must be a list of groups" },
	/* missing required settings */
	{ POOL, 0, "listeners: at least one listener is required" },
	{ POOL "listeners = ();\n", 2,
	  "listeners: at least one listener is required" },
	{ POOL "listeners = (\n { mode = \"reverse\"; routes = ( "
	  "{ pool = \"app\"; } ); } );\n", 3, "listeners[0].listen is required" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; routes = ( "
	  "{ pool = \"app\"; } ); } );\n", 2, "listeners[0].mode is required" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\";\n"
	  " mode = \"reverse\"; } );\n", 2,
	  "listeners[0].routes: a reverse listener needs at least one route" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\";\n"
	  " routes = (); } );\n", 3,
	  "listeners[0].routes: a reverse listener needs at least one route" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\";\n"
	  " routes = ( {\n path = \"/\"; } ); } );\n", 3,
	  "listeners[0].routes[0].pool is required" },
	{ "pools = ( { servers = ( { address = \"127.0.0.1:9001\"; } ); } );\n"
	  LISTEN, 1, "pools[0].name is required" },
	{ "pools = (\n { name = \"app\"; } );\n" LISTEN, 2,
	  "pools[0].servers: at least one server is required" },
	{ "pools = ( { name = \"app\";\n servers = (); } );\n" LISTEN, 2,
	  "pools[0].servers: at least one server is required" },
	{ "pools = ( { name = \"app\"; servers = (\n"
	  " { weight = 2; } ); } );\n" LISTEN, 2,
	  "pools[0].servers[0].address is required" },
	/* bad addresses */
	{ POOL "listeners = ( { listen = \"127.0.0.1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } ); } );\n", 2,
	  "listeners[0].listen: bad address \"127.0.0.1\": missing port" },
	{ POOL "listeners = ( { listen = \"localhost:8080\"; "
	  "mode = \"reverse\"; routes = ( { pool = \"app\"; } ); } );\n", 2,
	  "\"localhost\" is not a numeric IP address" },
	{ POOL "listeners = ( { listen = \"::1:8080\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } ); } );\n", 2,
	  "IPv6 addresses need brackets" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:0\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } ); } );\n", 2,
	  "port must be 1-65535" },
	{ POOL "listeners = ( { listen = \"*:70000\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } ); } );\n", 2,
	  "port must be 1-65535" },
	{ POOL "listeners = ( { listen = \"[::1:80\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } ); } );\n", 2, "missing \"]\"" },
	{ POOL "listeners = ( { listen = \"[::1]\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } ); } );\n", 2, "missing port" },
	{ POOL "listeners = ( { listen = \":80\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } ); } );\n", 2, "missing host" },
	{ POOL "listeners = ( { listen = \"[1.2.3.4]:80\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } ); } );\n", 2,
	  "is not an IPv6 address" },
	{ "pools = ( { name = \"app\"; servers = ( {\n"
	  " address = \"127.0.0.1:\"; } ); } );\n" LISTEN, 2,
	  "pools[0].servers[0].address: bad address \"127.0.0.1:\": "
	  "missing port" },
	/* duplicates and references */
	{ "pools = (\n"
	  " { name = \"app\"; servers = ( { address = \"127.0.0.1:1\"; } ); },\n"
	  " { name = \"app\"; servers = ( { address = \"127.0.0.1:2\"; } ); }\n"
	  ");\n" LISTEN, 3,
	  "pools[1].name: duplicate pool \"app\" (first defined at line 2)" },
	{ POOL "listeners = (\n"
	  " { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } ); },\n"
	  " { listen = \"127.0.0.1:2\"; mode = \"reverse\";\n"
	  "   routes = ( { host = \"*\";\n pool = \"ap\"; } ); } );\n", 6,
	  "listeners[1].routes[0]: unknown pool \"ap\"" },
	{ LISTEN, 1, "unknown pool \"app\" (no pools are defined)" },
	{ POOL "listeners = (\n"
	  " { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } ); },\n"
	  " { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } ); } );\n", 4,
	  "listeners[1].listen \"127.0.0.1:1\" duplicates listeners[0] "
	  "(line 3)" },
	{ POOL "listeners = (\n"
	  " { listen = \"[::1]:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } ); },\n"
	  " { listen = \"[0::1]:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; } ); } );\n", 4, "duplicates" },
	{ "pools = ( { name = \"app\"; servers = (\n"
	  " { address = \"127.0.0.1:1\"; },\n"
	  " { address = \"127.0.0.1:1\"; } ); } );\n" LISTEN, 3,
	  "pools[0].servers[1].address \"127.0.0.1:1\" duplicates "
	  "pools[0].servers[0] (line 2)" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = (\n { path = \"/a\"; pool = \"app\"; },\n"
	  " { path = \"/a\"; host = \"*\"; pool = \"app\"; } ); } );\n", 4,
	  "same host and path as listeners[0].routes[0] (line 3)" },
	/* workers */
	{ "workers = { min_spare = 5;\n max_spare = 2; };\n" BASE, 2,
	  "workers.max_spare (2) must be >= workers.min_spare (5)" },
	{ "workers = { max = 10;\n max_spare = 12; };\n" BASE, 2,
	  "workers.max_spare (12) must be <= workers.max (10)" },
	{ "workers = { max = 10;\n start = 11; };\n" BASE, 2,
	  "workers.start (11) must be <= workers.max (10)" },
	{ "workers = {\n max = 10; min_spare = 11; };\n" BASE, 2,
	  "workers.max_spare (10) must be >= workers.min_spare (11)" },
	{ "workers = { start = 0; };\n" BASE, 1,
	  "workers.start must be between 1 and 4096, not 0" },
	{ "workers = { max = 0; };\n" BASE, 1,
	  "workers.max must be between 1 and 4096, not 0" },
	{ "workers = { max = 4097; };\n" BASE, 1,
	  "workers.max must be between 1 and 4096, not 4097" },
	{ "workers = { min_spare = -1; };\n" BASE, 1,
	  "workers.min_spare must be between 0 and 4096, not -1" },
	{ "workers = { max_requests = -1; };\n" BASE, 1,
	  "workers.max_requests must be >= 0, not -1" },
	{ "workers = { count = 4;\n max = 8; };\n" BASE, 2,
	  "workers.count cannot be combined with workers.max" },
	{ "workers = { max_requests = 5;\n count = 4; };\n" BASE, 1,
	  "workers.count cannot be combined with workers.max_requests" },
	{ "workers = { count = 0; };\n" BASE, 1,
	  "workers.count must be between 1 and 4096, not 0" },
	{ "workers = { count = 5000000000; };\n" BASE, 1,
	  "workers.count: number too large" },
	/* timeouts */
	{ "timeouts = { keepalive = 0; };\n" BASE, 1,
	  "timeouts.keepalive must be > 0 and <= 86400 seconds, not 0" },
	{ "timeouts = { upstream = -1.5; };\n" BASE, 1,
	  "timeouts.upstream must be > 0" },
	{ "timeouts = { tunnel_idle = 86401; };\n" BASE, 1,
	  "timeouts.tunnel_idle must be > 0 and <= 86400 seconds" },
	/* limits and sizes */
	{ "limits = { max_header_size = 1000; };\n" BASE, 1,
	  "limits.max_header_size must be between 1024 and 1048576" },
	{ "limits = { max_header_size = \"2M\"; };\n" BASE, 1,
	  "limits.max_header_size must be between 1024 and 1048576 (1M), "
	  "not 2097152" },
	{ "limits = { max_uri_size = 100; };\n" BASE, 1,
	  "limits.max_uri_size must be between 256" },
	{ "limits = { max_header_size = \"4K\";\n max_uri_size = 8192; };\n"
	  BASE, 2, "limits.max_uri_size must be between 256 and "
	  "limits.max_header_size (4096), not 8192" },
	{ "limits = { max_body_size = \"12X\"; };\n" BASE, 1,
	  "limits.max_body_size: bad size \"12X\"" },
	{ "limits = { max_body_size = \"-1\"; };\n" BASE, 1,
	  "limits.max_body_size: bad size \"-1\"" },
	{ "limits = { max_body_size = -5; };\n" BASE, 1,
	  "limits.max_body_size must not be negative" },
	{ "limits = { max_body_size = 5000000000; };\n" BASE, 1,
	  "limits.max_body_size: number too large" },
	{ "limits = { max_body_size = 0xfffffffff; };\n" BASE, 1,
	  "limits.max_body_size: number too large" },
	{ "limits = { max_body_size = \"99999999999G\"; };\n" BASE, 1,
	  "bad size" },
	/* other values */
	{ "upstream_keepalive = 2000;\n" BASE, 1,
	  "upstream_keepalive must be between 0 and 1024, not 2000" },
	{ "log_level = \"verbose\";\n" BASE, 1,
	  "log_level must be one of error, warn, info, debug" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\";\n"
	  " mode = \"sideways\"; routes = ( { pool = \"app\"; } ); } );\n", 3,
	  "listeners[0].mode must be \"reverse\" or \"forward\"" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\";\n"
	  " backlog = 0; routes = ( { pool = \"app\"; } ); } );\n", 3,
	  "listeners[0].backlog must be between 1 and 65535, not 0" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\";\n path = \"api\"; } ); } );\n", 3,
	  "listeners[0].routes[0].path must start with \"/\"" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\";\n path = \"/a b\"; } ); } );\n", 3,
	  "bad character" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\";\n host = \"bad host!\"; } ); } );\n", 3,
	  "listeners[0].routes[0].host: bad host \"bad host!\"" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\";\n host = \"a..b\"; } ); } );\n", 3,
	  "bad host" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\";\n host = \"*.\"; } ); } );\n", 3,
	  "bad host" },
	{ "pools = ( { name = \"app\";\n balance = \"fastest\";\n"
	  " servers = ( { address = \"127.0.0.1:9001\"; } ); } );\n" LISTEN,
	  2, "pools[0].balance: unknown value \"fastest\" (valid: round_robin" },
	{ "pools = ( { name = \"app\"; servers = ( "
	  "{ address = \"127.0.0.1:9001\";\n weight = 0; } ); } );\n" LISTEN,
	  2, "pools[0].servers[0].weight must be between 1 and 1000, not 0" },
	{ "pools = ( { name = \"app\"; servers = ( "
	  "{ address = \"127.0.0.1:9001\";\n weight = 1001; } ); } );\n" LISTEN,
	  2, "weight must be between 1 and 1000, not 1001" },
};

START_TEST(bad_config)
{
	const struct bad_case	*bc = &bad_cases[_i];
	struct tf		 t;
	struct cfg		*c;
	char			 err[CFG_ERRLEN], want[PATH_MAX + 64];

	c = load(&t, bc->text, err);
	if (c != NULL) {
		cfg_free(c);
		tf_remove(&t);
		ck_abort_msg("case %d loaded; wanted \"%s\"", _i, bc->want);
	}
	tf_remove(&t);
	if (bc->line > 0)
		snprintf(want, sizeof(want), "%s:%d: ", t.path, bc->line);
	else
		snprintf(want, sizeof(want), "%s: ", t.path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
	    "case %d: want prefix \"%s\", got \"%s\"", _i, want, err);
	ck_assert_msg(strstr(err + strlen(want), bc->want) != NULL,
	    "case %d: want \"%s\", got \"%s\"", _i, bc->want, err);
}
END_TEST

/* Accepted values of settings that are otherwise "not supported yet". */
START_TEST(later_settings_neutral_values)
{
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN];

	c = load(&t, "limits = { max_conns_per_client = 0; };\n"
	    "pools = ( { name = \"app\"; servers = ( "
	    "{ address = \"127.0.0.1:9001\"; backup = false; } ); } );\n"
	    LISTEN, err);
	ck_assert_msg(c != NULL, "%s", err);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

static const struct size_case {
	const char	*text;
	int		 ok;
	uint64_t	 v;
} size_cases[] = {
	{ "0", 1, 0 },
	{ "123", 1, 123 },
	{ "16K", 1, 16384 },
	{ "16k", 1, 16384 },
	{ "64M", 1, 64ULL << 20 },
	{ "64m", 1, 64ULL << 20 },
	{ "1G", 1, 1ULL << 30 },
	{ "3g", 1, 3ULL << 30 },
	{ "18446744073709551615", 1, UINT64_MAX },
	{ "17179869183G", 1, 17179869183ULL << 30 },
	{ "18446744073709551616", 0, 0 },
	{ "17179869184G", 0, 0 },
	{ "", 0, 0 },
	{ "K", 0, 0 },
	{ "-1", 0, 0 },
	{ "+1", 0, 0 },
	{ " 1", 0, 0 },
	{ "1 K", 0, 0 },
	{ "1.5M", 0, 0 },
	{ "1KB", 0, 0 },
	{ "1T", 0, 0 },
	{ "12X", 0, 0 },
	{ "0x10", 0, 0 },
};

START_TEST(parse_size)
{
	const struct size_case	*sc = &size_cases[_i];
	uint64_t		 v = 42;

	if (sc->ok) {
		ck_assert_msg(cfg_parse_size(sc->text, &v) == 0, "\"%s\"",
		    sc->text);
		ck_assert_msg(v == sc->v, "\"%s\" -> %llu", sc->text,
		    (unsigned long long)v);
	} else {
		ck_assert_msg(cfg_parse_size(sc->text, &v) == -1,
		    "\"%s\" accepted", sc->text);
		ck_assert_uint_eq(v, 42);
	}
}
END_TEST

START_TEST(parse_addr)
{
	struct cfg_addr	 a;
	char		 err[CFG_ERRLEN], buf[128];

	ck_assert_int_eq(cfg_parse_addr("127.0.0.1:8080", 1, &a, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(addr_str(&a, buf, sizeof(buf)), "127.0.0.1:8080");
	ck_assert_str_eq(a.text, "127.0.0.1:8080");
	ck_assert_int_eq(a.salen, sizeof(struct sockaddr_in));

	ck_assert_int_eq(cfg_parse_addr("[::1]:8080", 1, &a, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(addr_str(&a, buf, sizeof(buf)), "[::1]:8080");
	ck_assert_int_eq(a.salen, sizeof(struct sockaddr_in6));

	ck_assert_int_eq(cfg_parse_addr("*:65535", 1, &a, err, sizeof(err)),
	    0);
	ck_assert_str_eq(addr_str(&a, buf, sizeof(buf)), "0.0.0.0:65535");

	ck_assert_int_eq(cfg_parse_addr("[::]:1", 1, &a, err, sizeof(err)), 0);
	ck_assert_str_eq(addr_str(&a, buf, sizeof(buf)), "[::]:1");

	/* Names only where resolving is allowed. */
	ck_assert_int_eq(cfg_parse_addr("localhost:80", 1, &a, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "bad address \"localhost:80\": \"localhost\" "
	    "is not a numeric IP address (needed here, e.g. 127.0.0.1, [::1] "
	    "or *)");
	ck_assert_int_eq(cfg_parse_addr("localhost:80", 0, &a, err,
	    sizeof(err)), 0);
	ck_assert(a.sa.ss_family == AF_INET || a.sa.ss_family == AF_INET6);
	ck_assert_str_eq(a.text, "localhost:80");

	ck_assert_int_eq(cfg_parse_addr("x", 0, &a, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad address \"x\": missing port");
	ck_assert_int_eq(cfg_parse_addr("1.2.3.4:", 0, &a, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "bad address \"1.2.3.4:\": missing port");
	ck_assert_int_eq(cfg_parse_addr("1.2.3.4:8o", 0, &a, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "bad address \"1.2.3.4:8o\": port must be "
	    "1-65535");
	ck_assert_int_eq(cfg_parse_addr("1.2.3.4:-1", 0, &a, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(cfg_parse_addr("1.2.3.4:000080", 0, &a, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(cfg_parse_addr("[::1]x:80", 0, &a, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(cfg_parse_addr("[]:80", 0, &a, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(cfg_parse_addr("[*]:80", 0, &a, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(cfg_parse_addr("1.2.3.4.5:80", 1, &a, err,
	    sizeof(err)), -1);
}
END_TEST

START_TEST(bundled_config)
{
	const char	*srcdir = getenv("srcdir");
	struct cfg	*c;
	char		 path[PATH_MAX], err[CFG_ERRLEN], buf[128];
	size_t		 n;

	snprintf(path, sizeof(path), "%s/config/porter.conf",
	    srcdir != NULL && srcdir[0] != '\0' ? srcdir : ".");
	c = cfg_load(path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_ptr_nonnull(c->pid_file);
	n = strlen(c->pid_file);
	ck_assert_msg(n > 18 && c->pid_file[0] == '/' &&
	    strcmp(c->pid_file + n - 18, "/config/porter.pid") == 0,
	    "pid_file %s", c->pid_file);
	ck_assert_str_eq(c->error_log, "stderr");
	ck_assert(c->access_log == NULL ||
	    strcmp(c->access_log, "stderr") == 0);
	ck_assert_ptr_null(c->user);
	ck_assert_ptr_null(c->group);
	ck_assert_int_eq(c->workers.start, 4);
	ck_assert_int_eq(c->nlisteners, 1);
	ck_assert_str_eq(addr_str(&c->listeners[0].addr, buf, sizeof(buf)),
	    "127.0.0.1:8080");
	ck_assert_int_eq(c->listeners[0].mode, CFG_MODE_REVERSE);
	ck_assert_int_eq(c->listeners[0].nroutes, 1);
	ck_assert_str_eq(c->listeners[0].routes[0].host, "*");
	ck_assert_str_eq(c->listeners[0].routes[0].path, "/");
	ck_assert_int_eq(c->npools, 1);
	ck_assert_str_eq(c->pools[c->listeners[0].routes[0].pool].name,
	    "app");
	ck_assert_int_eq(c->pools[0].nservers, 2);
	ck_assert_str_eq(addr_str(&c->pools[0].servers[0].addr, buf,
	    sizeof(buf)), "127.0.0.1:9001");
	ck_assert_str_eq(addr_str(&c->pools[0].servers[1].addr, buf,
	    sizeof(buf)), "127.0.0.1:9002");
	cfg_free(c);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc;

	tc = tcase_create("load");
	tcase_add_test(tc, full_config);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, empty_groups);
	tcase_add_test(tc, relative_paths);
	tcase_add_test(tc, relative_config_path);
	tcase_add_test(tc, count_shorthand);
	tcase_add_test(tc, worker_defaults_fit);
	tcase_add_test(tc, big_integers);
	tcase_add_test(tc, include_relative);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, later_settings_neutral_values);
	tcase_add_test(tc, bundled_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, bad_config, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, parse_size, 0,
	    (int)(sizeof(size_cases) / sizeof(size_cases[0])));
	tcase_add_test(tc, parse_addr);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(config_suite());
	int	 failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
