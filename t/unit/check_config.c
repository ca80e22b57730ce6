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

#include <sys/stat.h>
#include <sys/un.h>

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
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
/* A listener opened on line 2, more of it from line 3 on. */
#define LHEAD	POOL "listeners = ( { listen = \"127.0.0.1:1\"; " \
		"mode = \"reverse\";\n"
#define LTAIL	" routes = ( { pool = \"app\"; } ); } );\n"
/* A pool opened on line 1, more of it from line 2 on; then LISTEN. */
#define PHEAD	"pools = ( { name = \"app\"; servers = ( " \
		"{ address = \"127.0.0.1:9001\"; } );\n"
#define PTAIL	" } );\n" LISTEN
/* A forward listener on loopback opened on line 1, more from line 2 on. */
#define FHEAD	"listeners = ( { listen = \"127.0.0.1:3128\"; " \
		"mode = \"forward\";\n"
#define FTAIL	" } );\n"
/* Its one route opened on line 3, more of it from line 4 on. */
#define RHEAD	LHEAD " routes = ( { path = \"/\";\n"
#define RTAIL	" } ); } );\n"
#define RPOOL	" pool = \"app\";"
/* A status group on loopback opened on line 3, more of it from line 4 on. */
#define SHEAD	BASE "status = { listen = \"127.0.0.1:8081\";\n"

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
	    "            max_requests = 1000; yield = false; nice = 3; };\n"
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
	    ");\n"
	    "waiter = { max_conns = 100; park_after = 0; };\n";
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
	ck_assert_int_eq(c->workers.yield, 0);
	ck_assert_int_eq(c->workers.nice, 3);
	ck_assert_int_eq(c->workers.nice_set, 1);

	ck_assert_double_eq(c->timeouts.client_header, 1.5);
	ck_assert_double_eq(c->timeouts.client_body, 2.0);
	ck_assert_double_eq(c->timeouts.keepalive, 3.0);
	ck_assert_double_eq(c->timeouts.connect, 0.25);
	ck_assert_double_eq(c->timeouts.upstream, 120.0);
	ck_assert_double_eq(c->timeouts.tunnel_idle, 86400.0);
	ck_assert_uint_eq(c->waiter.max_conns, 100);
	ck_assert_double_eq(c->waiter.park_after, 0.0);

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
	/* a name, for the master to resolve: the loader looks nothing up */
	ck_assert_int_eq(c->pools[1].servers[0].addr.named, 1);
	ck_assert_int_eq(c->pools[1].servers[0].addr.salen, 0);
	ck_assert_int_eq(c->pools[0].first, 0);
	ck_assert_int_eq(c->pools[1].first, c->pools[0].nservers);
	ck_assert_int_eq(cfg_server_index(&c->pools[1], 0), 2);

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
	ck_assert_int_eq(c->access_to, -1);
	ck_assert_int_eq(c->listeners[0].access_to, -1);
	ck_assert_int_eq(c->listeners[0].routes[0].access_to, -1);
	ck_assert_str_eq(c->log_formats[c->access_format].name, "porter");
	ck_assert_int_eq(c->request_id, 1);
	ck_assert_int_eq(c->error_to.to, LOG_TO_STDERR);
	ck_assert_int_eq(c->log_level, CFG_LOG_INFO);
	ck_assert_ptr_null(c->user);
	ck_assert_ptr_null(c->group);
	ck_assert_int_eq(c->workers.start, 4);
	ck_assert_int_eq(c->workers.min_spare, 2);
	ck_assert_int_eq(c->workers.max_spare, 8);
	ck_assert_int_eq(c->workers.max, 64);
	ck_assert_int_eq(c->workers.max_requests, 0);
	ck_assert_int_eq(c->workers.yield, 1);
	ck_assert_int_eq(c->workers.nice_set, 0);
	ck_assert_double_eq(c->timeouts.client_header, 10.0);
	ck_assert_double_eq(c->timeouts.client_body, 30.0);
	ck_assert_double_eq(c->timeouts.keepalive, 5.0);
	ck_assert_double_eq(c->timeouts.connect, 3.0);
	ck_assert_double_eq(c->timeouts.upstream, 60.0);
	ck_assert_double_eq(c->timeouts.tunnel_idle, 300.0);
	ck_assert_uint_eq(c->limits.max_header_size, 16384);
	ck_assert_uint_eq(c->limits.max_uri_size, 8192);
	ck_assert_uint_eq(c->limits.max_body_size, 0);
	ck_assert_uint_eq(c->limits.max_conns_per_client, 0);
	ck_assert_double_eq(c->limits.rate, 0);
	ck_assert_uint_eq(c->limits.burst, 1);
	ck_assert_int_eq(c->limits.nexempt, 0);
	ck_assert_uint_eq(c->limits.max_tunnels, 32);
	ck_assert_uint_eq(c->limits.min_rate, 500);
	/* min_rate on: client sockets' send timeout ticks every second */
	ck_assert_double_eq(cfg_accept_sndtimeo(c), CFG_PACE_TICK);
	ck_assert_int_eq(c->upstream_keepalive, 16);
	ck_assert_uint_eq(c->waiter.max_conns, 16384);
	ck_assert_double_eq(c->waiter.park_after, 0.02);
	ck_assert_int_eq(c->underscores_in_headers, 0);
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

/* Request fields with "_" in their name: dropped unless this says true. */
START_TEST(underscores_in_headers)
{
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN];

	c = load(&t, "underscores_in_headers = true;\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->underscores_in_headers, 1);
	cfg_free(c);
	tf_remove(&t);
	c = load(&t, "underscores_in_headers = false;\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->underscores_in_headers, 0);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

/* Every balancing algorithm, hash keys and backup servers. */
START_TEST(balancing)
{
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN];

	c = load(&t,
	    "pools = ( { name = \"app\"; balance = \"least_conn\"; servers = ( "
	    "{ address = \"127.0.0.1:9001\"; }, { address = \"127.0.0.1:9002\"; "
	    "backup = true; } ); },\n"
	    "{ name = \"h\"; balance = \"hash\"; hash_key = \"cookie:sid\"; "
	    "servers = ( { address = \"127.0.0.1:9003\"; } ); },\n"
	    "{ name = \"r\"; balance = \"random2\"; "
	    "servers = ( { address = \"127.0.0.1:9004\"; } ); },\n"
	    "{ name = \"u\"; balance = \"hash\"; "
	    "servers = ( { address = \"127.0.0.1:9005\"; } ); } );\n" LISTEN,
	    err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->pools[0].balance, CFG_BAL_LEAST_CONN);
	ck_assert_int_eq(c->pools[0].servers[0].backup, 0);
	ck_assert_int_eq(c->pools[0].servers[1].backup, 1);
	ck_assert_int_eq(c->pools[1].balance, CFG_BAL_HASH);
	ck_assert_int_eq(c->pools[1].hash_key, CFG_HASH_COOKIE);
	ck_assert_str_eq(c->pools[1].hash_name, "sid");
	ck_assert_int_eq(c->pools[2].balance, CFG_BAL_RANDOM2);
	ck_assert_int_eq(c->pools[3].hash_key, CFG_HASH_URI);
	ck_assert_ptr_null(c->pools[3].hash_name);
	ck_assert_int_eq(cfg_nservers(c), 5);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

/* The per-client limits: every setting, and the defaults that follow. */
START_TEST(client_limits)
{
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN];

	c = load(&t, "workers = { max = 10; };\n"
	    "limits = { max_conns_per_client = 20; rate = 2.5; burst = 7;\n"
	    "  exempt = [ \"10.0.0.0/8\", \"::1\" ]; max_tunnels = 10;\n"
	    "  min_rate = \"1K\"; };\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->limits.max_conns_per_client, 20);
	ck_assert_double_eq(c->limits.rate, 2.5);
	ck_assert_uint_eq(c->limits.burst, 7);
	ck_assert_int_eq(c->limits.nexempt, 2);
	ck_assert_int_eq(c->limits.exempt[0].family, AF_INET);
	ck_assert_int_eq(c->limits.exempt[0].bits, 8);
	ck_assert_int_eq(c->limits.exempt[1].family, AF_INET6);
	ck_assert_int_eq(c->limits.exempt[1].bits, 128);
	ck_assert_uint_eq(c->limits.max_tunnels, 10);
	ck_assert_uint_eq(c->limits.min_rate, 1024);
	cfg_free(c);
	tf_remove(&t);

	/* burst: ceil(rate), at least 1; max_tunnels: half of max, up */
	c = load(&t, "workers = { max = 7; };\n"
	    "limits = { rate = 2.5; min_rate = 0; };\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->limits.burst, 3);
	ck_assert_uint_eq(c->limits.max_tunnels, 4);
	/* min_rate off: the send timeout is client_body, as it was */
	ck_assert_double_eq(cfg_accept_sndtimeo(c), 30.0);
	cfg_free(c);
	tf_remove(&t);
	c = load(&t, "workers = { count = 1; };\n"
	    "limits = { rate = 0.25; max_tunnels = 0; };\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->limits.burst, 1);
	ck_assert_uint_eq(c->limits.max_tunnels, 0);
	cfg_free(c);
	tf_remove(&t);
	c = load(&t, "limits = { rate = 4; };\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_double_eq(c->limits.rate, 4.0);
	ck_assert_uint_eq(c->limits.burst, 4);
	cfg_free(c);
	tf_remove(&t);
	/* a client_body shorter than the tick is the send timeout */
	c = load(&t, "timeouts = { client_body = 0.5; };\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_double_eq(cfg_accept_sndtimeo(c), 0.5);
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
	ck_assert_uint_eq(c->limits.max_tunnels, 32);
	ck_assert_uint_eq(c->limits.min_rate, 500);
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
	ck_assert_int_eq(c->workers.yield, 1);
	cfg_free(c);
	tf_remove(&t);

	/* yield and nice are not about the pool's size: they go with count */
	c = load(&t, "workers = { yield = false; count = 6; nice = -20; };\n"
	    BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->workers.max, 6);
	ck_assert_int_eq(c->workers.yield, 0);
	ck_assert_int_eq(c->workers.nice, -20);
	ck_assert_int_eq(c->workers.nice_set, 1);
	cfg_free(c);
	tf_remove(&t);

	/* the other end of the range, and a group without nice */
	c = load(&t, "workers = { nice = 19; };\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->workers.nice, 19);
	ck_assert_int_eq(c->workers.nice_set, 1);
	cfg_free(c);
	tf_remove(&t);
	c = load(&t, "workers = { max = 9; };\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->workers.nice_set, 0);
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

/* A file in the test's folder, sub/folders made as needed. */
static void
tf_file(const struct tf *t, const char *name, const char *text)
{
	char	 path[PATH_MAX + 64], *slash;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	for (slash = strchr(path + strlen(t->dir) + 1, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		ck_assert_msg(mkdir(path, 0700) == 0 || errno == EEXIST,
		    "mkdir %s: %s", path, strerror(errno));
		*slash = '/';
	}
	tf_put(path, text);
}

/* Undo tf_file(name): the file, then its folders if empty. */
static void
tf_unfile(const struct tf *t, const char *name)
{
	char	 path[PATH_MAX + 64], *slash;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	unlink(path);
	while ((slash = strrchr(path, '/')) != NULL &&
	    slash > path + strlen(t->dir)) {
		*slash = '\0';
		rmdir(path);
	}
}

static int
ere_matches(const regex_t *re, const char *s)
{
	return (regexec(re, s, 0, NULL, 0) == 0);
}

START_TEST(filters_full)
{
	static const char text[] =
	    POOL						/* 1 */
	    "error_pages = ( { status = 404; file = \"errors/404.html\"; },\n"
	    "  { status = 503; file = \"503.html\"; } );\n"
	    "listeners = ( { listen = \"127.0.0.1:8080\"; mode = \"reverse\";\n"
	    "  allow = [ \"127.0.0.0/8\", \"10.1.2.3/8\", \"::1\",\n" /* 5 */
	    "            \"2001:db8:ffff::/33\" ];\n"
	    "  deny = [ \"127.0.0.2\" ];\n"
	    "  methods = [ \"GET\", \"HEAD\", \"PURGE\", \"M-SEARCH\" ];\n"
	    "  deny_paths = [ \"^/admin\", \"\\\\.php$\" ];\n"
	    "  require_headers = ( { name = \"X-Api-Key\"; },\n"	/* 10 */
	    "    { name = \"X-Env\"; value = \"^prod$\"; } );\n"
	    "  deny_headers = ( { name = \"User-Agent\"; value = \"BadBot\"; } );\n"
	    "  error_pages = ( { status = 403; file = \"errors/403.html\"; } );\n"
	    "  routes = (\n"
	    "    { path = \"/old/\"; return = { status = 301; location = \"/new/\";\n"
	    "      body = \"Moved.\"; }; },\n"
	    "    { path = \"/gone\"; return = { status = 410; }; },\n"
	    "    { path = \"/api/\"; pool = \"app\"; max_body_size = \"1M\";\n"
	    "      normalize = true; allow_encoded_slash = true;\n"
	    "      methods = [ \"POST\" ]; deny = [ \"10.0.0.0/8\" ];\n" /* 20 */
	    "      deny_paths = [ \"/private/\" ];\n"
	    "      require_headers = ( { name = \"Authorization\";\n"
	    "        value = \"^Bearer \"; } );\n"
	    "      set_request_headers = ( { name = \"X-From\"; value = \"porter\"; },\n"
	    "        { name = \"X-Empty\"; value = \"\"; } );\n"	/* 25 */
	    "      remove_request_headers = [ \"Cookie\" ];\n"
	    "      set_response_headers = ( { name = \"Cache-Control\";\n"
	    "        value = \"no-store\"; }, { name = \"Host\"; value = \"h\"; } );\n"
	    "      remove_response_headers = [ \"Server\", \"X-Powered-By\" ]; },\n"
	    "    { path = \"/\"; pool = \"app\"; normalize = false; } ); } );\n";
	static const uint8_t lo[16] = { 127 }, ten[16] = { 10 },
	    v6one[16] = { [15] = 1 }, v6net[16] = { 0x20, 0x01, 0x0d, 0xb8,
	    0x80 }, two[16] = { 127, 0, 0, 2 };
	const struct cfg_listener	*l;
	const struct cfg_filter		*f;
	const struct cfg_route		*rt;
	struct tf			 t;
	struct cfg			*c;
	char				 err[CFG_ERRLEN], want[PATH_MAX + 64];

	tf_write(&t, text);
	tf_file(&t, "errors/404.html", "<h1>Not here</h1>\n");
	tf_file(&t, "errors/403.html", "<h1>No</h1>\n");
	tf_file(&t, "503.html", "");
	c = cfg_load(t.path, err, sizeof(err));
	tf_unfile(&t, "errors/404.html");
	tf_unfile(&t, "errors/403.html");
	tf_unfile(&t, "503.html");
	ck_assert_msg(c != NULL, "%s", err);

	/* global error pages: absolute, loaded */
	ck_assert_int_eq(c->nerror_pages, 2);
	ck_assert_int_eq(c->error_pages[0].status, 404);
	snprintf(want, sizeof(want), "%s/errors/404.html", t.dir);
	ck_assert_str_eq(c->error_pages[0].file, want);
	ck_assert_uint_eq(c->error_pages[0].len, 18);
	ck_assert_str_eq(c->error_pages[0].body, "<h1>Not here</h1>\n");
	ck_assert_int_eq(c->error_pages[1].status, 503);
	ck_assert_uint_eq(c->error_pages[1].len, 0);
	ck_assert_ptr_nonnull(c->error_pages[1].body);

	l = &c->listeners[0];
	ck_assert_int_eq(l->nerror_pages, 1);
	ck_assert_int_eq(l->error_pages[0].status, 403);
	ck_assert_uint_eq(l->error_pages[0].len, 12);
	ck_assert_mem_eq(l->error_pages[0].body, "<h1>No</h1>\n", 12);

	/* listener filter: address ranges, host bits cleared */
	f = &l->filter;
	ck_assert_int_eq(f->nallow, 4);
	ck_assert_int_eq(f->allow[0].family, AF_INET);
	ck_assert_int_eq(f->allow[0].bits, 8);
	ck_assert_mem_eq(f->allow[0].addr, lo, 4);
	ck_assert_int_eq(f->allow[1].family, AF_INET);
	ck_assert_int_eq(f->allow[1].bits, 8);
	ck_assert_mem_eq(f->allow[1].addr, ten, 4);
	ck_assert_int_eq(f->allow[2].family, AF_INET6);
	ck_assert_int_eq(f->allow[2].bits, 128);
	ck_assert_mem_eq(f->allow[2].addr, v6one, 16);
	ck_assert_int_eq(f->allow[3].family, AF_INET6);
	ck_assert_int_eq(f->allow[3].bits, 33);
	ck_assert_mem_eq(f->allow[3].addr, v6net, 16);
	ck_assert_int_eq(f->ndeny, 1);
	ck_assert_int_eq(f->deny[0].bits, 32);
	ck_assert_mem_eq(f->deny[0].addr, two, 4);

	ck_assert_int_eq(f->nmethods, 4);
	ck_assert_str_eq(f->methods[0], "GET");
	ck_assert_str_eq(f->methods[1], "HEAD");
	ck_assert_str_eq(f->methods[2], "PURGE");
	ck_assert_str_eq(f->methods[3], "M-SEARCH");

	ck_assert_int_eq(f->ndeny_paths, 2);
	ck_assert_str_eq(f->deny_paths_src[0], "^/admin");
	ck_assert_str_eq(f->deny_paths_src[1], "\\.php$");
	ck_assert(ere_matches(&f->deny_paths[0], "/admin/users"));
	ck_assert(!ere_matches(&f->deny_paths[0], "/x/admin"));
	ck_assert(ere_matches(&f->deny_paths[1], "/index.php"));
	ck_assert(!ere_matches(&f->deny_paths[1], "/php.html"));
	ck_assert(!ere_matches(&f->deny_paths[1], "/indexphp"));

	ck_assert_int_eq(f->nrequire_headers, 2);
	ck_assert_str_eq(f->require_headers[0].name, "X-Api-Key");
	ck_assert_ptr_null(f->require_headers[0].pattern);
	ck_assert_int_eq(f->require_headers[0].line, 10);
	ck_assert_str_eq(f->require_headers[1].name, "X-Env");
	ck_assert_str_eq(f->require_headers[1].pattern, "^prod$");
	ck_assert_int_eq(f->require_headers[1].line, 11);
	ck_assert(ere_matches(&f->require_headers[1].re, "prod"));
	ck_assert(!ere_matches(&f->require_headers[1].re, "preprod"));
	ck_assert_int_eq(f->ndeny_headers, 1);
	ck_assert_str_eq(f->deny_headers[0].name, "User-Agent");
	ck_assert(ere_matches(&f->deny_headers[0].re, "Mozilla BadBot/1.0"));
	ck_assert(!ere_matches(&f->deny_headers[0].re, "curl/8.0"));

	ck_assert_int_eq(l->nroutes, 4);

	/* a redirect */
	rt = &l->routes[0];
	ck_assert_int_eq(rt->pool, -1);
	ck_assert_int_eq(rt->ret.status, 301);
	ck_assert_str_eq(rt->ret.location, "/new/");
	ck_assert_str_eq(rt->ret.body, "Moved.");
	ck_assert_int_eq(rt->filter.nallow + rt->filter.nmethods +
	    rt->filter.ndeny_paths, 0);

	/* an answer without location or body */
	rt = &l->routes[1];
	ck_assert_int_eq(rt->pool, -1);
	ck_assert_int_eq(rt->ret.status, 410);
	ck_assert_ptr_null(rt->ret.location);
	ck_assert_ptr_null(rt->ret.body);

	/* a proxied route with every setting */
	rt = &l->routes[2];
	ck_assert_int_eq(rt->pool, 0);
	ck_assert_int_eq(rt->ret.status, 0);
	ck_assert_uint_eq(rt->max_body_size, 1U << 20);
	ck_assert_int_eq(rt->normalize, 1);
	ck_assert_int_eq(rt->allow_encoded_slash, 1);
	ck_assert_int_eq(rt->filter.nmethods, 1);
	ck_assert_str_eq(rt->filter.methods[0], "POST");
	ck_assert_int_eq(rt->filter.ndeny, 1);
	ck_assert_mem_eq(rt->filter.deny[0].addr, ten, 4);
	ck_assert_int_eq(rt->filter.ndeny_paths, 1);
	ck_assert(ere_matches(&rt->filter.deny_paths[0], "/api/private/x"));
	ck_assert_int_eq(rt->filter.nrequire_headers, 1);
	ck_assert(ere_matches(&rt->filter.require_headers[0].re, "Bearer abc"));
	ck_assert(!ere_matches(&rt->filter.require_headers[0].re, "Basic abc"));
	ck_assert_int_eq(rt->nset_request_headers, 2);
	ck_assert_str_eq(rt->set_request_headers[0].name, "X-From");
	ck_assert_str_eq(rt->set_request_headers[0].value, "porter");
	ck_assert_str_eq(rt->set_request_headers[1].name, "X-Empty");
	ck_assert_str_eq(rt->set_request_headers[1].value, "");
	ck_assert_int_eq(rt->nremove_request_headers, 1);
	ck_assert_str_eq(rt->remove_request_headers[0], "Cookie");
	ck_assert_int_eq(rt->nset_response_headers, 2);
	ck_assert_str_eq(rt->set_response_headers[0].name, "Cache-Control");
	ck_assert_str_eq(rt->set_response_headers[0].value, "no-store");
	ck_assert_str_eq(rt->set_response_headers[1].name, "Host");
	ck_assert_int_eq(rt->nremove_response_headers, 2);
	ck_assert_str_eq(rt->remove_response_headers[0], "Server");
	ck_assert_str_eq(rt->remove_response_headers[1], "X-Powered-By");

	/* defaults */
	rt = &l->routes[3];
	ck_assert_int_eq(rt->pool, 0);
	ck_assert_int_eq(rt->ret.status, 0);
	ck_assert_uint_eq(rt->max_body_size, 0);
	ck_assert_int_eq(rt->normalize, 0);
	ck_assert_int_eq(rt->allow_encoded_slash, 0);
	ck_assert_int_eq(rt->filter.nallow + rt->filter.ndeny +
	    rt->filter.nmethods + rt->filter.ndeny_paths +
	    rt->filter.nrequire_headers + rt->filter.ndeny_headers, 0);
	ck_assert_int_eq(rt->nset_request_headers + rt->nset_response_headers +
	    rt->nremove_request_headers + rt->nremove_response_headers, 0);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

/* Without any of the new settings, everything is empty. */
START_TEST(filters_default_empty)
{
	const struct cfg_filter	*f;
	struct tf		 t;
	struct cfg		*c;
	char			 err[CFG_ERRLEN];

	c = load(&t, BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->nerror_pages, 0);
	ck_assert_ptr_null(c->error_pages);
	ck_assert_int_eq(c->listeners[0].nerror_pages, 0);
	f = &c->listeners[0].filter;
	ck_assert_int_eq(f->nallow + f->ndeny + f->nmethods +
	    f->ndeny_paths + f->nrequire_headers + f->ndeny_headers, 0);
	ck_assert_ptr_null(f->allow);
	ck_assert_ptr_null(f->deny_paths);
	ck_assert_int_eq(c->listeners[0].routes[0].ret.status, 0);
	cfg_free(c);
	tf_remove(&t);

	/* Empty arrays and lists are no rules. */
	c = load(&t, POOL "listeners = ( { listen = \"127.0.0.1:1\"; "
	    "mode = \"reverse\"; allow = []; deny = (); methods = [];\n"
	    "deny_paths = []; require_headers = (); deny_headers = [];\n"
	    "error_pages = (); routes = ( { pool = \"app\"; "
	    "set_request_headers = (); remove_response_headers = []; } ); "
	    "} );\nerror_pages = [];\n", err);
	ck_assert_msg(c != NULL, "%s", err);
	f = &c->listeners[0].filter;
	ck_assert_int_eq(f->nallow + f->ndeny + f->nmethods +
	    f->ndeny_paths + f->nrequire_headers + f->ndeny_headers, 0);
	ck_assert_int_eq(c->nerror_pages + c->listeners[0].nerror_pages, 0);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

/* Pages are read at load time: missing, unreadable, too big. */
START_TEST(error_page_files)
{
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN], want[2 * PATH_MAX + 256], *big, *text;
	size_t		 tlen = sizeof(RHEAD RTAIL) + 65537 + 64;

	/* A missing file is named in full, at the line of "file". */
	c = load(&t, POOL "error_pages = ( { status = 500;\n"
	    "  file = \"errors/500.html\"; } );\n" LISTEN, err);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s:3: error_pages[0].file: cannot read "
	    "\"%s/errors/500.html\": %s", t.path, t.dir, strerror(ENOENT));
	ck_assert_str_eq(err, want);
	tf_remove(&t);

	/* Same for a listener's page, and an absolute path stays. */
	c = load(&t, POOL "listeners = ( { listen = \"127.0.0.1:1\"; "
	    "mode = \"reverse\";\n error_pages = ( { status = 502;\n"
	    " file = \"/nonexistent/porter/502.html\"; } );\n"
	    " routes = ( { pool = \"app\"; } ); } );\n", err);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s:4: listeners[0].error_pages[0].file: "
	    "cannot read \"/nonexistent/porter/502.html\"", t.path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	tf_remove(&t);

	/* 64K is the most; the body keeps its bytes, NUL-terminated. */
	big = malloc(65537 + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 65537);
	big[65536] = '\0';
	tf_write(&t, "error_pages = ( { status = 413; file = \"big.html\"; } );\n"
	    BASE);
	tf_file(&t, "big.html", big);
	c = cfg_load(t.path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->error_pages[0].len, 65536);
	ck_assert_uint_eq(strlen(c->error_pages[0].body), 65536);
	cfg_free(c);
	big[65536] = 'x';
	big[65537] = '\0';
	tf_file(&t, "big.html", big);
	c = cfg_load(t.path, err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "big.html\" is larger than 64K") != NULL,
	    "%s", err);
	tf_unfile(&t, "big.html");
	tf_remove(&t);

	/* A return body has the same bound. */
	text = malloc(tlen);
	ck_assert_ptr_nonnull(text);
	snprintf(text, tlen, RHEAD " return = { status = 200; body = \"%s\"; };"
	    RTAIL, big);
	c = load(&t, text, err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "listeners[0].routes[0].return.body is "
	    "longer than 64K") != NULL, "%s", err);
	tf_remove(&t);
	big[65536] = '\0';
	snprintf(text, tlen, RHEAD " return = { status = 200; body = \"%s\"; };"
	    RTAIL, big);
	c = load(&t, text, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(strlen(c->listeners[0].routes[0].ret.body), 65536);
	cfg_free(c);
	tf_remove(&t);
	free(text);
	free(big);
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

/* Health, passive checks and the rest, as cfg.h documents them. */
static void
check_pool_defaults(const struct cfg_pool *p)
{
	ck_assert_ptr_null(p->health.path);
	ck_assert_str_eq(p->health.method, "GET");
	ck_assert_ptr_null(p->health.host);
	ck_assert_int_eq(p->health.status_min, 200);
	ck_assert_int_eq(p->health.status_max, 399);
	ck_assert_ptr_null(p->health.body);
	ck_assert_double_eq(p->health.interval, 2.0);
	ck_assert_double_eq(p->health.timeout, 1.0);
	ck_assert_int_eq(p->health.rise, 2);
	ck_assert_int_eq(p->health.fall, 3);
	ck_assert_int_eq(p->max_fails, 1);
	ck_assert_double_eq(p->fail_timeout, 10.0);
	ck_assert_int_eq(p->nfail_status, 0);
	ck_assert_ptr_null(p->fail_status);
	ck_assert_int_eq(p->retries, 1);
	ck_assert_int_eq(p->nretry_methods, 0);
	ck_assert_ptr_null(p->retry_methods);
	ck_assert_int_eq(p->initial, CFG_INITIAL_UP);
	ck_assert_double_eq(p->slow_start, 0.0);
	ck_assert_double_eq(p->queue_timeout, 10.0);
	ck_assert_double_eq(p->resolve, 0.0);
}

/* A forward listener's settings left out (a reverse one has them too). */
static void
check_forward_defaults(const struct cfg_forward *f)
{
	ck_assert_int_eq(f->nconnect_ports, 1);
	ck_assert_int_eq(f->connect_ports[0], 443);
	ck_assert_int_eq(f->forwarded_for, 1);
	ck_assert_int_eq(f->anonymous, 0);
	ck_assert_int_eq(f->nanonymous_strip, 0);
	ck_assert_int_eq(f->nblock_hosts, 0);
	ck_assert_ptr_null(f->block_hosts);
	ck_assert_int_eq(f->nallow_hosts, 0);
	ck_assert_int_eq(f->nblock_urls, 0);
	ck_assert_ptr_null(f->block_urls);
	ck_assert_ptr_null(f->block_file);
	ck_assert_int_eq(f->deny_private, 1);
	ck_assert_ptr_null(f->auth_file);
	ck_assert_int_eq(f->nusers, 0);
	ck_assert_ptr_null(f->auth_realm);
	ck_assert_int_eq(f->has_parent, 0);
	ck_assert_int_eq(f->nparent_hosts, 0);
}

START_TEST(gzip_settings)
{
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN];

	/* no group: off everywhere, the defaults ready for gzip = true */
	c = load(&t, BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->gzip.on, 0);
	ck_assert_int_eq(c->gzip.level, 6);
	ck_assert_uint_eq(c->gzip.min_length, 256);
	ck_assert_int_ge(c->gzip.ntypes, 5);
	ck_assert_str_eq(c->gzip.types[0], "text/html");
	ck_assert_int_eq(c->listeners[0].routes[0].gzip, 0);
	cfg_free(c);
	tf_remove(&t);

	/* the group: on for every route, unless a listener or route says */
	c = load(&t, POOL "listeners = ( { listen = \"127.0.0.1:8080\"; "
	    "mode = \"reverse\"; routes = ( { path = \"/a/\"; pool = "
	    "\"app\"; }, { path = \"/b/\"; pool = \"app\"; gzip = false; "
	    "} ); }, { listen = \"127.0.0.1:8081\"; mode = \"reverse\"; "
	    "gzip = false; routes = ( { path = \"/a/\"; pool = \"app\"; }, "
	    "{ path = \"/b/\"; pool = \"app\"; gzip = true; } ); } );\n"
	    "gzip = { level = 1; min_length = 0; types = [ \"Text/HTML\", "
	    "\"image/*\", \"*\" ]; };\n", err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->gzip.on, 1);
	ck_assert_int_eq(c->gzip.level, 1);
	ck_assert_uint_eq(c->gzip.min_length, 0);
	ck_assert_int_eq(c->gzip.ntypes, 3);
	ck_assert_str_eq(c->gzip.types[0], "text/html");
	ck_assert_str_eq(c->gzip.types[1], "image/*");
	ck_assert_int_eq(c->listeners[0].routes[0].gzip, 1);
	ck_assert_int_eq(c->listeners[0].routes[1].gzip, 0);
	ck_assert_int_eq(c->listeners[1].routes[0].gzip, 0);
	ck_assert_int_eq(c->listeners[1].routes[1].gzip, 1);
	cfg_free(c);
	tf_remove(&t);

	/* no group, one route turns it on with the defaults */
	c = load(&t, POOL "listeners = ( { listen = \"127.0.0.1:8080\"; "
	    "mode = \"reverse\"; routes = ( { pool = \"app\"; gzip = true; "
	    "} ); } );\n", err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->gzip.on, 0);
	ck_assert_int_eq(c->listeners[0].routes[0].gzip, 1);
	ck_assert_int_eq(c->gzip.level, 6);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

START_TEST(cache_settings)
{
	struct tf	 t;
	struct cfg	*c;
	const struct cfg_route_cache *rc;
	char		 err[CFG_ERRLEN];

	/* no route caches: nothing reserved, whatever the group says */
	c = load(&t, BASE "cache = { size = \"16M\"; };\n", err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->cache.size, 0);
	ck_assert_int_eq(c->listeners[0].routes[0].cache.on, 0);
	cfg_free(c);
	tf_remove(&t);

	/* a caching route without a group: the defaults */
	c = load(&t, POOL "listeners = ( { listen = \"127.0.0.1:8080\"; "
	    "mode = \"reverse\"; routes = ( { pool = \"app\"; cache = true; "
	    "default_ttl = 30; } ); } );\n", err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->cache.size, 64ULL << 20);
	ck_assert_uint_eq(c->cache.max_object, 8U << 20);
	ck_assert_uint_eq(c->cache.chunk_size, 2048);
	ck_assert_uint_eq(c->cache.max_variants, 8);
	ck_assert_uint_eq(c->cache.max_waiters, 256);
	ck_assert(c->cache.collapse_timeout == 5.0);
	rc = &c->listeners[0].routes[0].cache;
	ck_assert_int_eq(rc->on, 1);
	ck_assert(rc->default_ttl == 30.0);
	ck_assert_uint_eq(rc->min_uses, 1);
	ck_assert(rc->grace == 0.0);
	ck_assert_str_eq(rc->id, "127.0.0.1:8080|*|/|app");
	cfg_free(c);
	tf_remove(&t);

	/* everything written */
	c = load(&t, POOL "listeners = ( { listen = \"127.0.0.1:8080\"; "
	    "mode = \"reverse\"; routes = ( { host = \"a.example\"; path = "
	    "\"/s/\"; pool = \"app\"; cache = true; cache_default_ttl = 10; "
	    "cache_max_ttl = 3600; cache_min_uses = 2; cache_grace = 30; "
	    "cache_set_cookie = true; cache_cdn_control = true; cache_ignore_query = [ "
	    "\"utm_source\", \"fbclid\" ]; cache_key_headers = [ "
	    "\"X-Tenant\" ]; cache_ignore_vary = [ \"User-Agent\" ]; }, "
	    "{ path = \"/q/\"; pool = \"app\"; cache = "
	    "true; cache_ignore_query = true; } ); } );\n"
	    "cache = { size = \"8M\"; max_object = \"1M\"; chunk_size = "
	    "\"1K\"; max_variants = 2; max_waiters = 10; collapse_timeout = "
	    "0.5; };\n", err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->cache.size, 8U << 20);
	ck_assert_uint_eq(c->cache.max_object, 1U << 20);
	ck_assert_uint_eq(c->cache.chunk_size, 1024);
	ck_assert_uint_eq(c->cache.max_variants, 2);
	ck_assert_uint_eq(c->cache.max_waiters, 10);
	ck_assert(c->cache.collapse_timeout == 0.5);
	rc = &c->listeners[0].routes[0].cache;
	ck_assert(rc->default_ttl == 10.0 && rc->max_ttl == 3600.0);
	ck_assert(rc->grace == 30.0);
	ck_assert_uint_eq(rc->min_uses, 2);
	ck_assert_int_eq(rc->set_cookie, 1);
	ck_assert_int_eq(rc->cdn_control, 1);
	ck_assert_int_eq(rc->ignore_query, 0);
	ck_assert_int_eq(rc->nignore_params, 2);
	ck_assert_str_eq(rc->ignore_params[1], "fbclid");
	ck_assert_int_eq(rc->nkey_headers, 1);
	ck_assert_str_eq(rc->key_headers[0], "x-tenant");
	ck_assert_int_eq(rc->nignore_vary, 1);
	ck_assert_str_eq(rc->ignore_vary[0], "user-agent");
	ck_assert_str_eq(rc->id, "127.0.0.1:8080|a.example|/s/|app");
	ck_assert_int_eq(c->listeners[0].routes[1].cache.ignore_query, 1);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

START_TEST(new_defaults)
{
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN];

	c = load(&t, BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	check_pool_defaults(&c->pools[0]);
	ck_assert_int_eq(c->pools[0].servers[0].max_conns, 0);
	check_forward_defaults(&c->listeners[0].fwd);
	cfg_free(c);
	tf_remove(&t);

	/* An empty health group, or one without path: no checks. */
	c = load(&t, "pools = ( { name = \"app\"; health = {}; servers = ( "
	    "{ address = \"127.0.0.1:9001\"; } ); },\n"
	    "{ name = \"b\"; health = { rise = 5; }; servers = ( "
	    "{ address = \"127.0.0.1:9002\"; } ); } );\n" LISTEN, err);
	ck_assert_msg(c != NULL, "%s", err);
	check_pool_defaults(&c->pools[0]);
	ck_assert_ptr_null(c->pools[1].health.path);
	ck_assert_int_eq(c->pools[1].health.rise, 5);
	cfg_free(c);
	tf_remove(&t);

	/* A minimal forward listener: no pools, no routes. */
	c = load(&t, "listeners = ( { listen = \"127.0.0.1:3128\"; "
	    "mode = \"forward\"; } );\n", err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->npools, 0);
	ck_assert_int_eq(c->listeners[0].mode, CFG_MODE_FORWARD);
	ck_assert_int_eq(c->listeners[0].nroutes, 0);
	ck_assert_ptr_null(c->listeners[0].routes);
	ck_assert_int_eq(c->listeners[0].filter.nallow, 0);
	ck_assert_int_eq(c->listeners[0].backlog, 511);
	check_forward_defaults(&c->listeners[0].fwd);
	cfg_free(c);
	tf_remove(&t);

	/* Anonymous: no X-Forwarded-For unless said otherwise. */
	c = load(&t, "listeners = ( { listen = \"127.0.0.1:3128\"; "
	    "mode = \"forward\"; anonymous = true; },\n"
	    "{ listen = \"127.0.0.1:3129\"; mode = \"forward\"; "
	    "anonymous = true; forwarded_for = false; },\n"
	    "{ listen = \"127.0.0.1:3130\"; mode = \"forward\"; "
	    "forwarded_for = false; } );\n", err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->listeners[0].fwd.anonymous, 1);
	ck_assert_int_eq(c->listeners[0].fwd.forwarded_for, 0);
	ck_assert_int_eq(c->listeners[1].fwd.anonymous, 1);
	ck_assert_int_eq(c->listeners[1].fwd.forwarded_for, 0);
	ck_assert_int_eq(c->listeners[2].fwd.anonymous, 0);
	ck_assert_int_eq(c->listeners[2].fwd.forwarded_for, 0);
	cfg_free(c);
	tf_remove(&t);

	/* connect_ports = [] refuses CONNECT everywhere. */
	c = load(&t, "listeners = ( { listen = \"127.0.0.1:3128\"; "
	    "mode = \"forward\"; connect_ports = []; } );\n", err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->listeners[0].fwd.nconnect_ports, 0);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

/* proxy_protocol on a listener of each mode; send_proxy of each version. */
START_TEST(proxy_protocol)
{
	static const char text[] =
	    "pools = ( { name = \"app\"; servers = (\n"
	    "  { address = \"127.0.0.1:9001\"; send_proxy = \"v1\"; },\n"
	    "  { address = \"127.0.0.1:9002\"; send_proxy = \"v2\"; },\n"
	    "  { address = \"127.0.0.1:9003\"; } ); } );\n"
	    "listeners = ( { listen = \"127.0.0.1:8080\"; mode = \"reverse\";\n"
	    "  proxy_protocol = true;\n"
	    "  proxy_protocol_from = [ \"127.0.0.1\", \"10.0.0.0/8\", \"::1\" ];\n"
	    "  routes = ( { pool = \"app\"; } ); },\n"
	    "  { listen = \"127.0.0.1:3128\"; mode = \"forward\";\n"
	    "  proxy_protocol = true; proxy_protocol_from = [ \"127.0.0.2\" ]; },\n"
	    "  { listen = \"127.0.0.1:8081\"; mode = \"reverse\";\n"
	    "  proxy_protocol = false; routes = ( { pool = \"app\"; } ); } );\n";
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN];

	c = load(&t, text, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->pools[0].servers[0].send_proxy, 1);
	ck_assert_int_eq(c->pools[0].servers[1].send_proxy, 2);
	ck_assert_int_eq(c->pools[0].servers[2].send_proxy, 0);
	ck_assert_int_eq(c->listeners[0].proxy_protocol, 1);
	ck_assert_int_eq(c->listeners[0].nproxy_from, 3);
	ck_assert_int_eq(c->listeners[1].proxy_protocol, 1);
	ck_assert_int_eq(c->listeners[1].nproxy_from, 1);
	ck_assert_int_eq(c->listeners[2].proxy_protocol, 0);
	ck_assert_int_eq(c->listeners[2].nproxy_from, 0);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

/* purge_allow: set (addresses and ranges), empty (on, nobody), absent. */
START_TEST(purge_allow)
{
	static const char text[] =
	    POOL
	    "listeners = (\n"
	    " { listen = \"127.0.0.1:8080\"; mode = \"reverse\";\n"
	    "   purge_allow = [ \"127.0.0.1\", \"10.0.0.0/8\", \"::1\" ];\n"
	    "   routes = ( { pool = \"app\"; } ); },\n"
	    " { listen = \"127.0.0.1:8081\"; mode = \"reverse\";\n"
	    "   purge_allow = [ ];\n"
	    "   routes = ( { pool = \"app\"; } ); },\n"
	    " { listen = \"127.0.0.1:8082\"; mode = \"reverse\";\n"
	    "   routes = ( { pool = \"app\"; } ); } );\n";
	const struct cfg_listener *l;
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN];

	c = load(&t, text, err);
	ck_assert_msg(c != NULL, "%s", err);
	l = &c->listeners[0];
	ck_assert_int_eq(l->purge, 1);
	ck_assert_int_eq(l->npurge_allow, 3);
	ck_assert_int_eq(l->purge_allow[0].family, AF_INET);
	ck_assert_int_eq(l->purge_allow[0].bits, 32);
	ck_assert_int_eq(l->purge_allow[1].bits, 8);
	ck_assert_int_eq(l->purge_allow[2].family, AF_INET6);
	ck_assert_int_eq(c->listeners[1].purge, 1);
	ck_assert_int_eq(c->listeners[1].npurge_allow, 0);
	ck_assert_int_eq(c->listeners[2].purge, 0);
	ck_assert_int_eq(c->listeners[2].npurge_allow, 0);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

/* Logs: destinations, formats, overrides, sharing, request ids. */
START_TEST(logs)
{
	static const char text[] =
	    "error_log = \"syslog:server=unix:log.sock,facility=daemon,"
	    "tag=px\";\n"
	    "access_log = \"a.log\";\n"
	    "access_log_format = \"json\";\n"
	    POOL
	    "listeners = (\n"
	    " { listen = \"127.0.0.1:8080\"; mode = \"reverse\";\n"
	    "   request_id_from = [ \"10.0.0.0/8\", \"::1\" ];\n"
	    "   routes = ( { pool = \"app\"; },\n"
	    "     { path = \"/c\"; pool = \"app\"; access_log = \"off\"; },\n"
	    "     { path = \"/s\"; pool = \"app\"; access_log_format = "
	    "\"combined\";\n"
	    "       access_log = \"syslog:server=127.0.0.1,severity=notice\"; },\n"
	    "     { path = \"/t\"; pool = \"app\"; access_log = \"a.log\";\n"
	    "       access_log_format = \"$$ ${status}x $remote_addr\"; } ); },\n"
	    " { listen = \"127.0.0.1:8081\"; mode = \"reverse\";\n"
	    "   access_log = \"/nonexistent/b.log\"; access_log_format = "
	    "\"porter\";\n"
	    "   routes = ( { pool = \"app\"; },\n"
	    "     { path = \"/j\"; pool = \"app\"; access_log_format = \"json\"; }"
	    " ); },\n"
	    " { listen = \"127.0.0.1:3128\"; mode = \"forward\"; access_log = "
	    "\"off\"; },\n"
	    " { listen = \"127.0.0.1:8082\"; mode = \"reverse\";\n"
	    "   access_log = \"syslog:server=[::1]:1514,tag=edge\";\n"
	    "   routes = ( { pool = \"app\"; } ); } );\n"
	    "status = { listen = \"127.0.0.1:8090\"; };\n";
	const struct sockaddr_un	*un;
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;
	const struct cfg_listener	*l;
	const struct cfg_log_format	*f;
	const struct log_dest		*d;
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN], want[PATH_MAX + 32];

	c = load(&t, text, err);
	ck_assert_msg(c != NULL, "%s", err);
	/* the error log to the local syslog, as written */
	ck_assert_str_eq(c->error_log,
	    "syslog:server=unix:log.sock,facility=daemon,tag=px");
	ck_assert_int_eq(c->error_to.to, LOG_TO_SYSLOG);
	ck_assert_int_eq(c->error_to.facility, 3);
	ck_assert_int_eq(c->error_to.severity, -1);
	ck_assert_str_eq(c->error_to.tag, "px");
	un = (const void *)&c->error_to.sa;
	ck_assert_int_eq(un->sun_family, AF_UNIX);
	snprintf(want, sizeof(want), "%s/log.sock", t.dir);
	ck_assert_str_eq(un->sun_path, want);
	/* the global access log: a file beside the config, in JSON */
	snprintf(want, sizeof(want), "%s/a.log", t.dir);
	ck_assert_str_eq(c->access_log, want);
	ck_assert_int_ge(c->access_to, 0);
	ck_assert_int_eq(c->logs[c->access_to].to, LOG_TO_FILE);
	ck_assert_str_eq(c->logs[c->access_to].path, want);
	f = &c->log_formats[c->access_format];
	ck_assert_str_eq(f->name, "json");
	ck_assert_int_eq(f->json, 1);
	ck_assert_int_eq(c->request_id, 1);
	/* listener 0 and its first route inherit it */
	l = &c->listeners[0];
	ck_assert_int_eq(l->access_to, c->access_to);
	ck_assert_int_eq(l->access_format, c->access_format);
	ck_assert_int_eq(l->nrequest_id_from, 2);
	ck_assert_int_eq(l->routes[0].access_to, c->access_to);
	ck_assert_int_eq(l->routes[0].access_format, c->access_format);
	ck_assert_int_eq(l->routes[1].access_to, -1);
	/* a route to a UDP syslog server, in Apache's format */
	d = &c->logs[l->routes[2].access_to];
	ck_assert_int_eq(d->to, LOG_TO_SYSLOG);
	s4 = (const void *)&d->sa;
	ck_assert_int_eq(s4->sin_family, AF_INET);
	ck_assert_int_eq(ntohs(s4->sin_port), 514);
	ck_assert_int_eq(d->facility, 23);
	ck_assert_int_eq(d->severity, 5);
	ck_assert_str_eq(d->tag, "porter");
	f = &c->log_formats[l->routes[2].access_format];
	ck_assert_str_eq(f->name, "combined");
	ck_assert_int_eq(f->json, 0);
	/* the same file is one destination; a template's ops */
	ck_assert_int_eq(l->routes[3].access_to, c->access_to);
	f = &c->log_formats[l->routes[3].access_format];
	ck_assert_int_eq(f->json, 0);
	ck_assert_int_eq(f->nops, 4);
	ck_assert_int_eq(f->ops[0].field, CFG_LF_TEXT);
	ck_assert_int_eq(f->ops[0].len, 2);
	ck_assert(memcmp(f->text + f->ops[0].off, "$ ", 2) == 0);
	ck_assert_int_eq(f->ops[1].field, CFG_LF_STATUS);
	ck_assert_int_eq(f->ops[2].field, CFG_LF_TEXT);
	ck_assert(memcmp(f->text + f->ops[2].off, "x ", 2) == 0);
	ck_assert_int_eq(f->ops[3].field, CFG_LF_REMOTE_ADDR);
	/* listener 1: its own file (not opened by the config) and format */
	l = &c->listeners[1];
	ck_assert_str_eq(c->logs[l->access_to].path, "/nonexistent/b.log");
	ck_assert_str_eq(c->log_formats[l->access_format].name, "porter");
	ck_assert_int_eq(l->routes[0].access_to, l->access_to);
	ck_assert_int_eq(l->routes[1].access_to, l->access_to);
	ck_assert_int_eq(l->routes[1].access_format, c->access_format);
	ck_assert_int_eq(l->nrequest_id_from, 0);
	ck_assert_int_eq(c->listeners[2].access_to, -1);
	/* UDP over IPv6, its own tag */
	d = &c->logs[c->listeners[3].access_to];
	s6 = (const void *)&d->sa;
	ck_assert_int_eq(s6->sin6_family, AF_INET6);
	ck_assert_int_eq(ntohs(s6->sin6_port), 1514);
	ck_assert_str_eq(d->tag, "edge");
	ck_assert_int_eq(d->severity, 6);
	/* the status page's requests go to the global log */
	l = &c->listeners[4];
	ck_assert_int_eq(l->mode, CFG_MODE_STATUS);
	ck_assert_int_eq(l->access_to, c->access_to);
	ck_assert_int_eq(c->nlogs, 4);
	/* porter (always there), json, combined, the template */
	ck_assert_int_eq(c->nlog_formats, 4);
	cfg_free(c);
	tf_remove(&t);

	/* off everywhere, ids off; the default format is porter's line */
	c = load(&t, "request_id = false;\naccess_log = \"stderr\";\n" BASE,
	    err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->request_id, 0);
	ck_assert_str_eq(c->access_log, "stderr");
	ck_assert_int_eq(c->logs[c->access_to].to, LOG_TO_STDERR);
	ck_assert_str_eq(c->log_formats[c->access_format].name, "porter");
	ck_assert_int_eq(c->error_to.to, LOG_TO_STDERR);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

/* Every pool setting, written. */
START_TEST(pool_health_full)
{
	static const char text[] =
	    "pools = (\n"
	    "  { name = \"app\"; servers = (\n"
	    "      { address = \"127.0.0.1:9001\"; max_conns = 100; },\n"
	    "      { address = \"127.0.0.1:9002\"; max_conns = 0; } );\n"
	    "    health = { path = \"/health?full=1\"; method = \"HEAD\";\n"
	    "      host = \"app.example:8080\"; status = \"200-299\";\n"
	    "      body = \"\\\"ok\\\"\"; interval = 5; timeout = 0.5;\n"
	    "      rise = 1; fall = 100; };\n"
	    "    max_fails = 0; fail_timeout = 30; fail_status = [ 502, 503 ];\n"
	    "    retries = 0; retry_methods = [ \"POST\", \"PATCH\", \"M-SEARCH\" ];\n"
	    "    initial = \"down\"; slow_start = 60.5; queue_timeout = 0;\n"
	    "    resolve = 30; },\n"
	    "  { name = \"b\"; servers = ( { address = \"127.0.0.1:9003\";\n"
	    "      max_conns = 100000; } );\n"
	    "    health = { path = \"/\"; status = 204; interval = 3600;\n"
	    "      timeout = 60; }; max_fails = 1000; retries = 10;\n"
	    "    initial = \"up\"; fail_status = [];\n"
	    "    retry_methods = []; },\n"
	    "  { name = \"c\"; servers = ( { address = \"127.0.0.1:9004\"; } );\n"
	    "    health = { path = \"/\"; status = \"418\"; }; }\n"
	    ");\n" LISTEN;
	const struct cfg_pool	*p;
	struct tf		 t;
	struct cfg		*c;
	char			 err[CFG_ERRLEN];

	c = load(&t, text, err);
	ck_assert_msg(c != NULL, "%s", err);
	p = &c->pools[0];
	ck_assert_int_eq(p->servers[0].max_conns, 100);
	ck_assert_int_eq(p->servers[1].max_conns, 0);
	ck_assert_str_eq(p->health.path, "/health?full=1");
	ck_assert_str_eq(p->health.method, "HEAD");
	ck_assert_str_eq(p->health.host, "app.example:8080");
	ck_assert_int_eq(p->health.status_min, 200);
	ck_assert_int_eq(p->health.status_max, 299);
	ck_assert_str_eq(p->health.body, "\"ok\"");
	ck_assert_double_eq(p->health.interval, 5.0);
	ck_assert_double_eq(p->health.timeout, 0.5);
	ck_assert_int_eq(p->health.rise, 1);
	ck_assert_int_eq(p->health.fall, 100);
	ck_assert_int_eq(p->max_fails, 0);
	ck_assert_double_eq(p->fail_timeout, 30.0);
	ck_assert_int_eq(p->nfail_status, 2);
	ck_assert_int_eq(p->fail_status[0], 502);
	ck_assert_int_eq(p->fail_status[1], 503);
	ck_assert_int_eq(p->retries, 0);
	ck_assert_int_eq(p->nretry_methods, 3);
	ck_assert_str_eq(p->retry_methods[0], "POST");
	ck_assert_str_eq(p->retry_methods[1], "PATCH");
	ck_assert_str_eq(p->retry_methods[2], "M-SEARCH");
	ck_assert_int_eq(p->initial, CFG_INITIAL_DOWN);
	ck_assert_double_eq(p->slow_start, 60.5);
	ck_assert_double_eq(p->queue_timeout, 0.0);
	ck_assert_double_eq(p->resolve, 30.0);

	p = &c->pools[1];
	ck_assert_int_eq(p->servers[0].max_conns, 100000);
	ck_assert_str_eq(p->health.path, "/");
	ck_assert_str_eq(p->health.method, "GET");
	ck_assert_ptr_null(p->health.host);
	ck_assert_ptr_null(p->health.body);
	ck_assert_int_eq(p->health.status_min, 204);
	ck_assert_int_eq(p->health.status_max, 204);
	ck_assert_double_eq(p->health.interval, 3600.0);
	ck_assert_double_eq(p->health.timeout, 60.0);
	ck_assert_int_eq(p->health.rise, 2);
	ck_assert_int_eq(p->health.fall, 3);
	ck_assert_int_eq(p->max_fails, 1000);
	ck_assert_int_eq(p->retries, 10);
	ck_assert_int_eq(p->initial, CFG_INITIAL_UP);
	ck_assert_int_eq(p->nfail_status, 0);
	ck_assert_int_eq(p->nretry_methods, 0);

	p = &c->pools[2];
	ck_assert_int_eq(p->health.status_min, 418);
	ck_assert_int_eq(p->health.status_max, 418);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

static const char hash6[] = "$6$rounds=5000$saltsalt$"
    "mGmFe0e4JHLq0bXy5SCyq0JmbT3xVkcmV1j9c6eY1wN4dZ8k5bCfOQ2N3c7yR0zq3P0"
    "yv.rM9kYt0b7qJv/zx1";
static const char hash2b[] = "$2b$12$"
    "R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW";

/* Every forward setting, written; block_file and auth_file beside it. */
START_TEST(forward_full)
{
	static const char text[] =
	    "listeners = (\n"
	    "  { listen = \"*:3128\"; mode = \"forward\"; backlog = 64;\n"
	    "    allow = [ \"10.0.0.0/8\", \"::1\" ]; deny = [ \"10.9.0.0/16\" ];\n"
	    "    connect_ports = [ 443, 563, 8443 ];\n"
	    "    forwarded_for = false; anonymous = true;\n" /* 5 */
	    "    anonymous_strip = [ \"X-Client-Id\", \"From\" ];\n"
	    "    block_hosts = [ \"Ads.Example\", \".tracker.example\",\n"
	    "                    \"192.0.2.7\", \"[2001:DB8::1]\" ];\n"
	    "    allow_hosts = [ \".example\", \"example.org\" ];\n"
	    "    block_urls = [ \"\\\\.exe$\", \"^http://[^/]*/ads/\" ];\n" /* 10 */
	    "    block_file = \"lists/block.txt\";\n"
	    "    deny_private = false;\n"
	    "    auth_file = \"users\"; auth_realm = \"Example proxy\";\n"
	    "    parent = \"localhost:3129\";\n"
	    "    parent_hosts = [ \".Corp.Example\", \"intranet\" ];\n" /* 15 */
	    "    error_pages = ( { status = 403; file = \"users\"; } ); }\n"
	    ");\n";
	char				 users[1024];
	const struct cfg_listener	*l;
	const struct cfg_forward	*f;
	struct tf			 t;
	struct cfg			*c;
	char				 err[CFG_ERRLEN], want[PATH_MAX + 64];

	snprintf(users, sizeof(users), "# porter users\n"
	    "alice:%s\n"
	    "\n"
	    "  bob:%s  \r\n", hash6, hash2b);
	tf_write(&t, text);
	tf_file(&t, "lists/block.txt", "# blocked\n"
	    "Doubleclick.Example\n"
	    "~ [?&]utm_\n");
	tf_file(&t, "users", users);
	c = cfg_load(t.path, err, sizeof(err));
	tf_unfile(&t, "lists/block.txt");
	tf_unfile(&t, "users");
	ck_assert_msg(c != NULL, "%s", err);

	l = &c->listeners[0];
	ck_assert_int_eq(l->mode, CFG_MODE_FORWARD);
	ck_assert_int_eq(l->backlog, 64);
	ck_assert_int_eq(l->nroutes, 0);
	ck_assert_int_eq(l->filter.nallow, 2);
	ck_assert_int_eq(l->filter.allow[0].bits, 8);
	ck_assert_int_eq(l->filter.allow[1].family, AF_INET6);
	ck_assert_int_eq(l->filter.ndeny, 1);
	ck_assert_int_eq(l->filter.deny[0].bits, 16);
	ck_assert_int_eq(l->nerror_pages, 1);
	ck_assert_int_eq(l->error_pages[0].status, 403);

	f = &l->fwd;
	ck_assert_int_eq(f->nconnect_ports, 3);
	ck_assert_int_eq(f->connect_ports[0], 443);
	ck_assert_int_eq(f->connect_ports[1], 563);
	ck_assert_int_eq(f->connect_ports[2], 8443);
	ck_assert_int_eq(f->forwarded_for, 0);
	ck_assert_int_eq(f->anonymous, 1);
	ck_assert_int_eq(f->nanonymous_strip, 2);
	ck_assert_str_eq(f->anonymous_strip[0], "X-Client-Id");
	ck_assert_str_eq(f->anonymous_strip[1], "From");

	/* the config's hosts first, lower case, then the file's */
	ck_assert_int_eq(f->nblock_hosts, 5);
	ck_assert_str_eq(f->block_hosts[0], "ads.example");
	ck_assert_str_eq(f->block_hosts[1], ".tracker.example");
	ck_assert_str_eq(f->block_hosts[2], "192.0.2.7");
	ck_assert_str_eq(f->block_hosts[3], "[2001:db8::1]");
	ck_assert_str_eq(f->block_hosts[4], "doubleclick.example");
	ck_assert_int_eq(f->nallow_hosts, 2);
	ck_assert_str_eq(f->allow_hosts[0], ".example");
	ck_assert_str_eq(f->allow_hosts[1], "example.org");

	/* the same for URL patterns; case does not matter to them */
	ck_assert_int_eq(f->nblock_urls, 3);
	ck_assert_str_eq(f->block_urls_src[0], "\\.exe$");
	ck_assert_str_eq(f->block_urls_src[1], "^http://[^/]*/ads/");
	ck_assert_str_eq(f->block_urls_src[2], "[?&]utm_");
	ck_assert(ere_matches(&f->block_urls[0], "http://x.example/a.EXE"));
	ck_assert(!ere_matches(&f->block_urls[0], "http://x.example/exe"));
	ck_assert(ere_matches(&f->block_urls[1], "HTTP://X.example/ads/1"));
	ck_assert(!ere_matches(&f->block_urls[1], "http://x.example/a/ads/"));
	ck_assert(ere_matches(&f->block_urls[2], "http://a/?x=1&UTM_source=y"));
	snprintf(want, sizeof(want), "%s/lists/block.txt", t.dir);
	ck_assert_str_eq(f->block_file, want);

	ck_assert_int_eq(f->deny_private, 0);
	snprintf(want, sizeof(want), "%s/users", t.dir);
	ck_assert_str_eq(f->auth_file, want);
	ck_assert_int_eq(f->nusers, 2);
	ck_assert_str_eq(f->users[0].name, "alice");
	ck_assert_str_eq(f->users[0].hash, hash6);
	ck_assert_str_eq(f->users[1].name, "bob");
	ck_assert_str_eq(f->users[1].hash, hash2b);
	ck_assert_str_eq(f->auth_realm, "Example proxy");

	ck_assert_int_eq(f->has_parent, 1);
	ck_assert_str_eq(f->parent.text, "localhost:3129");
	ck_assert_int_eq(f->parent.named, 1);
	ck_assert_str_eq(f->parent.host, "localhost");
	ck_assert_int_eq(f->parent.port, 3129);
	ck_assert_int_eq(f->nparent_hosts, 2);
	ck_assert_str_eq(f->parent_hosts[0], ".corp.example");
	ck_assert_str_eq(f->parent_hosts[1], "intranet");
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

/* A forward listener whose config names block.txt, with its own lines. */
#define BLOCKCONF "listeners = ( { listen = \"127.0.0.1:3128\"; " \
		"mode = \"forward\";\n block_file = \"block.txt\"; } );\n"

static struct cfg *
load_with(struct tf *t, const char *conf, const char *name,
    const char *text, char *err)
{
	struct cfg	*c;

	tf_write(t, conf);
	tf_file(t, name, text);
	c = cfg_load(t->path, err, CFG_ERRLEN);
	tf_unfile(t, name);
	tf_remove(t);
	return (c);
}

/* err is "dir/name:line: " then msg. */
static void
expect_file_err(const struct tf *t, const char *err, const char *name,
    int line, const char *msg)
{
	char	 want[PATH_MAX + 64];

	snprintf(want, sizeof(want), "%s/%s:%d: ", t->dir, name, line);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
	    "want prefix \"%s\", got \"%s\"", want, err);
	ck_assert_msg(strstr(err + strlen(want), msg) != NULL,
	    "want \"%s\", got \"%s\"", msg, err);
}

START_TEST(block_file)
{
	const struct cfg_forward	*f;
	struct tf			 t;
	struct cfg			*c;
	char				 err[CFG_ERRLEN];
	char				 want[2 * PATH_MAX + 256];

	/* Comments, blanks, CRLF, hosts and "~" lines, in file order. */
	c = load_with(&t, BLOCKCONF, "block.txt",
	    "# hosts\r\n"
	    "\r\n"
	    "   \t\n"
	    "ADS.example   \n"
	    "\t.Tracker.example\r\n"
	    "  # indented comment\n"
	    "~\t/banner[0-9]+\\.gif$   \n"
	    "~^https?://[^/]+/track\n"
	    "10.1.2.3\n"
	    "[::1]\n"
	    "last.example", err);
	ck_assert_msg(c != NULL, "%s", err);
	f = &c->listeners[0].fwd;
	ck_assert_int_eq(f->nblock_hosts, 5);
	ck_assert_str_eq(f->block_hosts[0], "ads.example");
	ck_assert_str_eq(f->block_hosts[1], ".tracker.example");
	ck_assert_str_eq(f->block_hosts[2], "10.1.2.3");
	ck_assert_str_eq(f->block_hosts[3], "[::1]");
	ck_assert_str_eq(f->block_hosts[4], "last.example");
	ck_assert_int_eq(f->nblock_urls, 2);
	ck_assert_str_eq(f->block_urls_src[0], "/banner[0-9]+\\.gif$");
	ck_assert_str_eq(f->block_urls_src[1], "^https?://[^/]+/track");
	ck_assert(ere_matches(&f->block_urls[0], "http://a/x/BANNER12.GIF"));
	ck_assert(!ere_matches(&f->block_urls[0], "http://a/banner.gif"));
	ck_assert(ere_matches(&f->block_urls[1], "https://a.example/track?x"));
	snprintf(want, sizeof(want), "%s/block.txt", t.dir);
	ck_assert_str_eq(f->block_file, want);
	cfg_free(c);

	/* Only comments: nothing blocked, and that is fine. */
	c = load_with(&t, BLOCKCONF, "block.txt", "# nothing yet\n", err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->listeners[0].fwd.nblock_hosts, 0);
	ck_assert_int_eq(c->listeners[0].fwd.nblock_urls, 0);
	cfg_free(c);

	/* A bad line names the block file and its line. */
	c = load_with(&t, BLOCKCONF, "block.txt",
	    "# x\ngood.example\n\n*.bad.example\n", err);
	ck_assert_ptr_null(c);
	expect_file_err(&t, err, "block.txt", 4, "\"*.bad.example\" is "
	    "neither a host pattern (a name, \".name\" for it and every name "
	    "below it, an IPv4 address or \"[v6]\") nor \"~ REGEX\"");

	c = load_with(&t, BLOCKCONF, "block.txt",
	    "a.example\n~ ok\n~ (unclosed\nb.example\n", err);
	ck_assert_ptr_null(c);
	expect_file_err(&t, err, "block.txt", 3, "bad regular expression "
	    "\"(unclosed\": ");

	c = load_with(&t, BLOCKCONF, "block.txt", "a.example\n~   \n", err);
	ck_assert_ptr_null(c);
	expect_file_err(&t, err, "block.txt", 2,
	    "\"~\" without a regular expression");

	c = load_with(&t, BLOCKCONF, "block.txt", "a b\n", err);
	ck_assert_ptr_null(c);
	expect_file_err(&t, err, "block.txt", 1, "\"a b\" is neither");

	/* A missing file is blamed on the setting. */
	tf_write(&t, BLOCKCONF);
	c = cfg_load(t.path, err, sizeof(err));
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s:2: listeners[0].block_file: cannot "
	    "read \"%s/block.txt\": %s", t.path, t.dir, strerror(ENOENT));
	ck_assert_str_eq(err, want);
	tf_remove(&t);

	/* So is a NUL byte: not a text file. */
	tf_write(&t, BLOCKCONF);
	snprintf(want, sizeof(want), "%s/block.txt", t.dir);
	{
		FILE	*fp = fopen(want, "w");

		ck_assert_ptr_nonnull(fp);
		ck_assert_int_eq(fwrite("a.example\n\0b\n", 1, 13, fp), 13);
		ck_assert_int_eq(fclose(fp), 0);
	}
	c = cfg_load(t.path, err, sizeof(err));
	unlink(want);
	tf_remove(&t);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, ":2: listeners[0].block_file: \"") != NULL &&
	    strstr(err, "block.txt\" is not a text file") != NULL, "%s", err);
}
END_TEST

#define AUTHCONF "listeners = ( { listen = \"127.0.0.1:3128\"; " \
		"mode = \"forward\";\n auth_file = \"htpasswd\"; } );\n"

START_TEST(auth_file)
{
	const struct cfg_forward	*f;
	struct tf			 t;
	struct cfg			*c;
	char				 err[CFG_ERRLEN], text[1024];
	char				 want[2 * PATH_MAX + 256];

	/* SHA-512 and bcrypt (all three $2?$), sha256, yescrypt. */
	snprintf(text, sizeof(text), "# users\n"
	    "alice:%s\n"
	    "bob:%s\r\n"
	    "\n"
	    "carol:$2y$10$abcdefghijklmnopqrstuu5Yq6fGmVw8y0lKkz1p2o3i4u5y6t7r\n"
	    "dave:$2a$10$abcdefghijklmnopqrstuu5Yq6fGmVw8y0lKkz1p2o3i4u5y6t7r\n"
	    "erin:$5$salt$Zm9vYmFyYmF6cXV4eHl6enl4d3Z1dHNycXBvbm1s\n"
	    "frank:$y$j9T$salt$Zm9vYmFyYmF6cXV4eHl6enl4d3Z1dHNy\n"
	    "Jo Smith:%s\n", hash6, hash2b, hash6);
	c = load_with(&t, AUTHCONF, "htpasswd", text, err);
	ck_assert_msg(c != NULL, "%s", err);
	f = &c->listeners[0].fwd;
	ck_assert_int_eq(f->nusers, 7);
	ck_assert_str_eq(f->users[0].name, "alice");
	ck_assert_str_eq(f->users[0].hash, hash6);
	ck_assert_str_eq(f->users[1].name, "bob");
	ck_assert_str_eq(f->users[1].hash, hash2b);
	ck_assert_str_eq(f->users[2].name, "carol");
	ck_assert_str_eq(f->users[5].name, "frank");
	ck_assert_str_eq(f->users[6].name, "Jo Smith");
	ck_assert_str_eq(f->auth_realm, "porter");
	snprintf(want, sizeof(want), "%s/htpasswd", t.dir);
	ck_assert_str_eq(f->auth_file, want);
	cfg_free(c);

	/* apr1 (Apache MD5), plain text, old DES: refused, with the fix. */
	c = load_with(&t, AUTHCONF, "htpasswd", "# x\n"
	    "alice:$apr1$saltsalt$abcdefghijklmnopqrstuv\n", err);
	ck_assert_ptr_null(c);
	expect_file_err(&t, err, "htpasswd", 2, "unsupported hash; use "
	    "SHA-512 ($6$) or bcrypt ($2b$), e.g. openssl passwd -6");
	snprintf(text, sizeof(text), "alice:%s\nbob:secret\n", hash6);
	c = load_with(&t, AUTHCONF, "htpasswd", text, err);
	ck_assert_ptr_null(c);
	expect_file_err(&t, err, "htpasswd", 2, "unsupported hash; use "
	    "SHA-512 ($6$)");
	c = load_with(&t, AUTHCONF, "htpasswd", "bob:$6$\n", err);
	ck_assert_ptr_null(c);
	expect_file_err(&t, err, "htpasswd", 1, "unsupported hash");
	c = load_with(&t, AUTHCONF, "htpasswd", "bob:{SHA}abc=\n", err);
	ck_assert_ptr_null(c);
	expect_file_err(&t, err, "htpasswd", 1, "unsupported hash");

	/* A user twice. */
	snprintf(text, sizeof(text), "alice:%s\nbob:%s\n\nalice:%s\n", hash6,
	    hash2b, hash2b);
	c = load_with(&t, AUTHCONF, "htpasswd", text, err);
	ck_assert_ptr_null(c);
	expect_file_err(&t, err, "htpasswd", 4, "duplicate user \"alice\"");

	/* Not "user:hash". */
	c = load_with(&t, AUTHCONF, "htpasswd", "alice\n", err);
	ck_assert_ptr_null(c);
	expect_file_err(&t, err, "htpasswd", 1, "expected \"user:hash\"");
	snprintf(text, sizeof(text), ":%s\n", hash6);
	c = load_with(&t, AUTHCONF, "htpasswd", text, err);
	ck_assert_ptr_null(c);
	expect_file_err(&t, err, "htpasswd", 1, "expected \"user:hash\"");
	snprintf(text, sizeof(text), "alice:%s:extra\n", hash6);
	c = load_with(&t, AUTHCONF, "htpasswd", text, err);
	ck_assert_ptr_null(c);
	expect_file_err(&t, err, "htpasswd", 1,
	    "bad character in the hash of user \"alice\"");

	/* No users at all: blamed on the setting. */
	c = load_with(&t, AUTHCONF, "htpasswd", "# nobody yet\n\n", err);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s:2: listeners[0].auth_file: no users "
	    "in \"%s/htpasswd\"", t.path, t.dir);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	c = load_with(&t, AUTHCONF, "htpasswd", "", err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "listeners[0].auth_file: no users") != NULL,
	    "%s", err);

	/* auth_realm: written, and refused with a quote or a control. */
	snprintf(text, sizeof(text), "alice:%s\n", hash6);
	c = load_with(&t, "listeners = ( { listen = \"127.0.0.1:3128\"; "
	    "mode = \"forward\";\n auth_file = \"htpasswd\"; "
	    "auth_realm = \"Staff only\"; } );\n", "htpasswd", text, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(c->listeners[0].fwd.auth_realm, "Staff only");
	cfg_free(c);
	c = load_with(&t, "listeners = ( { listen = \"127.0.0.1:3128\"; "
	    "mode = \"forward\";\n auth_file = \"htpasswd\";\n "
	    "auth_realm = \"a\\\"b\"; } );\n", "htpasswd", text, err);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s:3: listeners[0].auth_realm: quotes, "
	    "backslashes and control characters are not allowed", t.path);
	ck_assert_str_eq(err, want);
	c = load_with(&t, "listeners = ( { listen = \"127.0.0.1:3128\"; "
	    "mode = \"forward\";\n auth_file = \"htpasswd\";\n "
	    "auth_realm = \"a\\nb\"; } );\n", "htpasswd", text, err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, ":3: listeners[0].auth_realm: quotes") !=
	    NULL, "%s", err);
}
END_TEST

/* Forward listeners that are not open proxies load. */
START_TEST(open_proxy_guard)
{
	static const char *const ok[] = {
		"listeners = ( { listen = \"127.0.0.1:3128\"; "
		"mode = \"forward\"; } );\n",
		"listeners = ( { listen = \"127.5.6.7:3128\"; "
		"mode = \"forward\"; } );\n",
		"listeners = ( { listen = \"[::1]:3128\"; "
		"mode = \"forward\"; } );\n",
		"listeners = ( { listen = \"0.0.0.0:3128\"; "
		"mode = \"forward\"; allow = [ \"192.168.0.0/16\" ]; } );\n",
		"listeners = ( { listen = \"*:3128\"; "
		"mode = \"forward\"; allow = [ \"0.0.0.0/0\" ]; } );\n",
		"listeners = ( { listen = \"[::]:3128\"; "
		"mode = \"forward\"; allow = [ \"::1\" ]; } );\n",
		/* a reverse listener is no proxy for anyone */
		POOL "listeners = ( { listen = \"*:8080\"; "
		"mode = \"reverse\"; routes = ( { pool = \"app\"; } ); } );\n",
	};
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN];
	size_t		 i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		c = load(&t, ok[i], err);
		ck_assert_msg(c != NULL, "case %zu: %s", i, err);
		cfg_free(c);
		tf_remove(&t);
	}

	/* 0.0.0.0 without allow: refused, at the listen line. */
	c = load(&t, "listeners = ( { mode = \"forward\";\n"
	    " listen = \"0.0.0.0:3128\"; } );\n", err);
	ck_assert_ptr_null(c);
	tf_remove(&t);
	ck_assert_msg(strstr(err, ":2: listeners[0]: a forward listener on "
	    "0.0.0.0:3128 needs an allow list (it would be an open proxy)") !=
	    NULL, "%s", err);
}
END_TEST

/*
 * status = { ... }: one more listener, in status mode, after the others;
 * loopback clients only unless allow says otherwise.
 */
START_TEST(status_listener)
{
	static const char *const ok_off_loopback[] = {
		"status = { listen = \"0.0.0.0:8081\"; "
		"allow = [ \"10.0.0.0/8\" ]; };\n",
		"status = { listen = \"*:8081\"; allow = [ \"0.0.0.0/0\" ]; };\n",
		"status = { listen = \"[::]:8081\"; allow = [ \"::1\" ]; };\n",
	};
	const struct cfg_listener *l;
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN], buf[128], text[512];
	size_t		 i;

	/* defaults: the path, and allow loopback; before listeners is fine */
	c = load(&t, "status = { listen = \"127.0.0.1:8081\"; };\n" BASE, err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->nlisteners, 2);
	ck_assert_int_eq(c->listeners[0].mode, CFG_MODE_REVERSE);
	ck_assert_ptr_null(c->listeners[0].status_path);
	l = &c->listeners[1];
	ck_assert_int_eq(l->mode, CFG_MODE_STATUS);
	ck_assert_int_eq(l->line, 1);
	ck_assert_int_eq(l->backlog, 511);
	ck_assert_str_eq(addr_str(&l->addr, buf, sizeof(buf)),
	    "127.0.0.1:8081");
	ck_assert_str_eq(l->status_path, "/porter-status");
	ck_assert_int_eq(l->nroutes, 0);
	ck_assert_int_eq(l->filter.ndeny, 0);
	ck_assert_int_eq(l->filter.nallow, 2);
	ck_assert_int_eq(l->filter.allow[0].family, AF_INET);
	ck_assert_int_eq(l->filter.allow[0].bits, 8);
	ck_assert_int_eq(l->filter.allow[0].addr[0], 127);
	ck_assert_int_eq(l->filter.allow[1].family, AF_INET6);
	ck_assert_int_eq(l->filter.allow[1].bits, 128);
	ck_assert_int_eq(l->filter.allow[1].addr[15], 1);
	cfg_free(c);
	tf_remove(&t);

	/* everything written; an empty allow on loopback is the default */
	c = load(&t, BASE "status = { listen = \"[::1]:9999\"; "
	    "path = \"/_/status\";\n allow = [ \"192.168.0.0/16\" ]; "
	    "deny = [ \"192.168.1.1\" ]; };\n", err);
	ck_assert_msg(c != NULL, "%s", err);
	l = &c->listeners[1];
	ck_assert_int_eq(l->mode, CFG_MODE_STATUS);
	ck_assert_str_eq(addr_str(&l->addr, buf, sizeof(buf)), "[::1]:9999");
	ck_assert_str_eq(l->status_path, "/_/status");
	ck_assert_int_eq(l->filter.nallow, 1);
	ck_assert_int_eq(l->filter.allow[0].bits, 16);
	ck_assert_int_eq(l->filter.ndeny, 1);
	cfg_free(c);
	tf_remove(&t);
	c = load(&t, BASE "status = { listen = \"127.0.0.2:1\"; allow = []; "
	    "path = \"/\"; };\n", err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->listeners[1].filter.nallow, 2);
	ck_assert_str_eq(c->listeners[1].status_path, "/");
	cfg_free(c);
	tf_remove(&t);

	/* off loopback: fine with an allow list */
	for (i = 0; i < sizeof(ok_off_loopback) / sizeof(ok_off_loopback[0]);
	    i++) {
		snprintf(text, sizeof(text), "%s%s", BASE, ok_off_loopback[i]);
		c = load(&t, text, err);
		ck_assert_msg(c != NULL, "case %zu: %s", i, err);
		ck_assert_int_eq(c->listeners[1].filter.nallow, 1);
		cfg_free(c);
		tf_remove(&t);
	}
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
	{ "waiter = { park = 1; };\n" BASE, 1,
	  "unknown setting \"waiter.park\"" },
	{ "waiter = { max_conns = -1; };\n" BASE, 1,
	  "waiter.max_conns must be" },
	{ "waiter = { max_conns = 2000000; };\n" BASE, 1,
	  "waiter.max_conns must be" },
	{ "waiter = {\n park_after = 11; };\n" BASE, 2,
	  "waiter.park_after must be >= 0 and <= 10 seconds" },
	{ "waiter = { park_after = \"1\"; };\n" BASE, 1,
	  "waiter.park_after must be a number" },
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
	/* the status page */
	{ BASE "status = 1;\n", 3, "status must be a group" },
	{ BASE "status = {\n path = \"/s\"; };\n", 3,
	  "status.listen is required" },
	{ SHEAD " mode = \"status\"; };\n",
	  4, "unknown setting \"status.mode\"" },
	{ BASE "status = { listen = \"localhost:8081\"; };\n", 3,
	  "status.listen: bad address \"localhost:8081\": \"localhost\" is "
	  "not a numeric IP address" },
	{ BASE "status = { listen = \"127.0.0.1:8080\"; };\n", 3,
	  "status.listen \"127.0.0.1:8080\" duplicates listeners[0] (line 2)" },
	{ BASE "status = { listen = \"0.0.0.0:8081\"; };\n", 3,
	  "status.listen: status on 0.0.0.0:8081 needs an allow list" },
	{ BASE "status = { listen = \"*:8081\"; allow = [];\n };\n", 3,
	  "status.listen: status on *:8081 needs an allow list" },
	{ BASE "status = { listen = \"[::]:8081\";\n deny = [ \"::1\" ]; };\n",
	  3, "status.listen: status on [::]:8081 needs an allow list" },
	{ SHEAD " path = \"status\"; };\n",
	  4, "status.path must start with \"/\", not \"status\"" },
	{ SHEAD " path = \"\"; };\n",
	  4, "status.path must not be empty" },
	{ SHEAD " path = \"/s?x\"; };\n",
	  4, "status.path: spaces, \"?\", \"#\" and control characters" },
	{ SHEAD " path = \"/a b\"; };\n",
	  4, "status.path: spaces" },
	{ SHEAD " path = \"/metrics\"; };\n",
	  4, "status.path: \"/metrics\" is where the status listener serves "
	  "Prometheus metrics" },
	{ SHEAD " allow = [ \"10.0.0.0/33\" ]; };\n",
	  4, "status.allow[0]: bad address range \"10.0.0.0/33\"" },
	{ SHEAD " deny = \"10.0.0.1\"; };\n",
	  4, "status.deny must be an array of strings" },
	/* the cache group; cache.path's folder must exist */
	{ BASE "cache = { path = \"/nonexistent-porter-dir/cache\"; };\n", 3,
	  "cache.path /nonexistent-porter-dir/cache: the folder "
	  "/nonexistent-porter-dir: does not exist (porter makes the file, not "
	  "its folder)" },
	{ BASE "cache = { path = \"/tmp\"; };\n", 3,
	  "cache.path /tmp is not a regular file" },
	{ BASE "cache = { path = \"\"; };\n", 3, "cache.path must not be empty" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\";\n"
	  "cache = true; routes = ( { pool = \"app\"; } ); } );\n", 3,
	  "listeners[0].cache: a reverse listener caches per route: put cache "
	  "in its routes" },
	{ "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"forward\";\n"
	  "cache_default_ttl = 5; } );\n", 2,
	  "listeners[0].cache_default_ttl needs cache = true in the route" },
	{ BASE "cache = { size = \"512K\"; };\n", 3,
	  "cache.size must be between 1M and 64G, not 524288 bytes" },
	{ BASE "cache = { chunk_size = 3000; };\n", 3,
	  "cache.chunk_size must be a power of two from 512 to 64K, not 3000" },
	{ BASE "cache = { size = \"4M\"; max_object = \"2M\"; };\n", 3,
	  "cache.max_object must be between chunk_size (2048) and a quarter "
	  "of cache.size (1048576), not 2097152" },
	{ BASE "cache = { max_variants = 0; };\n", 3,
	  "cache.max_variants must be between 1 and 64, not 0" },
	{ BASE "cache = { collapse_timeout = -1; };\n", 3,
	  "cache.collapse_timeout must be > 0 and <= 3600 seconds, not -1" },
	{ BASE "cache = { max_objects = 5; };\n", 3,
	  "unknown setting \"cache.max_objects\"" },
	/* per-client limits */
	{ "limits = {\n max_conns_per_client = -1; };\n" BASE, 2,
	  "limits.max_conns_per_client must be between 0 and 1000000, not -1" },
	{ "limits = {\n max_conns_per_client = \"5\"; };\n" BASE, 2,
	  "limits.max_conns_per_client must be an integer" },
	{ "limits = {\n rate = -1.5; };\n" BASE, 2,
	  "limits.rate must be 0 (off) or between 0.001 and 1000000 requests "
	  "per second, not -1.5" },
	{ "limits = {\n rate = 2000000; };\n" BASE, 2,
	  "limits.rate must be 0 (off) or between" },
	{ "limits = {\n rate = \"10/s\"; };\n" BASE, 2,
	  "limits.rate must be a number (requests per second)" },
	{ "limits = { rate = 5;\n burst = 0; };\n" BASE, 2,
	  "limits.burst must be between 1 and 1000000, not 0" },
	{ "limits = {\n burst = 4; };\n" BASE, 2,
	  "limits.burst needs limits.rate > 0" },
	{ "limits = { rate = 0;\n burst = 4; };\n" BASE, 2,
	  "limits.burst needs limits.rate > 0" },
	{ "limits = {\n exempt = [ \"10.0.0.0/33\" ]; };\n" BASE, 2,
	  "limits.exempt[0]: bad address range \"10.0.0.0/33\"" },
	{ "limits = {\n exempt = \"10.0.0.1\"; };\n" BASE, 2,
	  "limits.exempt must be an array of strings" },
	{ "workers = { max = 4; };\nlimits = {\n max_tunnels = 5; };\n"
	  BASE, 3, "limits.max_tunnels (5) must be <= workers.max (4)" },
	{ "limits = {\n max_tunnels = -1; };\n" BASE, 2,
	  "limits.max_tunnels must be between 0 and 4096, not -1" },
	{ "limits = {\n min_rate = -5; };\n" BASE, 2,
	  "limits.min_rate must not be negative" },
	{ "limits = {\n min_rate = \"2G\"; };\n" BASE, 2,
	  "limits.min_rate must be <= 1G (bytes per second), not 2147483648" },
	{ "limits = {\n min_rate = 1.5; };\n" BASE, 2,
	  "limits.min_rate must be a size" },
	{ "limits = {\n max_tunnel = 5; };\n" BASE, 2,
	  "unknown setting \"limits.max_tunnel\" (did you mean "
	  "\"limits.max_tunnels\"?)" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\";\n default_ttl = 60; } ); } );\n",
	  3, "listeners[0].routes[0].default_ttl needs cache = true in the "
	  "route" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { cache = true;\n return = { status = 204; }; } ); } );\n",
	  2, "listeners[0].routes[0]: cache = true needs a pool" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; cache = true;\n cache_default_ttl = 60;"
	  " default_ttl = 5; } ); } );\n",
	  3, "listeners[0].routes[0]: default_ttl is another name for "
	  "cache_default_ttl: set one" },
	/* gzip: the group, and a listener's or route's switch */
	{ BASE "gzip = { level = 6;\n levle = 1; };\n", 4,
	  "unknown setting \"gzip.levle\"" },
	{ BASE "gzip = { level = 0; };\n", 3, "gzip.level must be" },
	{ BASE "gzip = { level = 10; };\n", 3, "gzip.level must be" },
	{ BASE "gzip = { level = \"6\"; };\n", 3, "gzip.level" },
	{ BASE "gzip = { min_length = -1; };\n", 3, "gzip.min_length must be" },
	{ BASE "gzip = {\n types = [ \"text/html\", \"text\" ]; };\n", 4,
	  "gzip.types[1]: \"text\" is not a media type" },
	{ BASE "gzip = { types = [ \"text/ html\" ]; };\n", 3,
	  "gzip.types[0]" },
	{ BASE "gzip = { types = [ \"*/html\" ]; };\n", 3, "gzip.types[0]" },
	{ BASE "gzip = { types = [ ]; };\n", 3, "gzip.types is empty" },
	{ BASE "gzip = { types = \"text/html\"; };\n", 3,
	  "gzip.types must be an array of strings" },
	{ BASE "gzip = true;\n", 3, "gzip must be a group" },
	{ RHEAD RPOOL " gzip = \"yes\";" RTAIL, 4,
	  "listeners[0].routes[0].gzip must be true or false" },
	{ LHEAD " gzip = 1;\n" LTAIL, 3, "listeners[0].gzip must be true or "
	  "false" },
	{ FHEAD " gzip = true;\n" FTAIL, 2, "listeners[0].gzip: only for "
	  "mode = \"reverse\"" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; cache = true;\n cache_default_ttl = 60;"
	  " cache_max_ttl = 5; } ); } );\n",
	  3, "listeners[0].routes[0]: cache_max_ttl (5) is below "
	  "cache_default_ttl (60)" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; cache = true;\n cache_ignore_query = "
	  "5; } ); } );\n",
	  3, "listeners[0].routes[0].cache_ignore_query must be true, false or "
	  "a list of query parameter names" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; cache = true;\n cache_min_uses = 0; } );"
	  " } );\n",
	  3, "listeners[0].routes[0].cache_min_uses must be between 1 and 255" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; cache = true;\n cache_grace = -1; } );"
	  " } );\n",
	  3, "listeners[0].routes[0].cache_grace must be >= 0 and <= 31536000 "
	  "seconds, not -1" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\";\n cache_grace = 10; } );"
	  " } );\n",
	  3, "listeners[0].routes[0].cache_grace needs cache = true in the "
	  "route" },
	{ POOL "listeners = ( { listen = \"127.0.0.1:1\"; mode = \"reverse\"; "
	  "routes = ( { pool = \"app\"; cache = true;\n cache_grace = \"x\"; } );"
	  " } );\n",
	  3, "listeners[0].routes[0].cache_grace must be a number (seconds)" },
	{ "pools = ( { name = \"app\";\n hash_key = \"uri\"; servers = ( "
	  "{ address = \"127.0.0.1:9001\"; } ); } );\n" LISTEN,
	  2, "pools[0].hash_key needs balance = \"hash\"" },
	{ "pools = ( { name = \"app\"; balance = \"hash\";\n"
	  " hash_key = \"header:\"; servers = ( "
	  "{ address = \"127.0.0.1:9001\"; } ); } );\n" LISTEN,
	  2, "pools[0].hash_key: \"header:\" is none of uri" },
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
	{ "underscores_in_headers = 1;\n" BASE, 1,
	  "underscores_in_headers must be true or false" },
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
	{ "workers = { yield = false; count = 4;\n max = 8; };\n" BASE, 2,
	  "workers.count cannot be combined with workers.max" },
	{ "workers = {\n yield = 1; };\n" BASE, 2,
	  "workers.yield must be true or false" },
	{ "workers = {\n nice = -21; };\n" BASE, 2,
	  "workers.nice must be between -20 and 19, not -21" },
	{ "workers = { count = 2;\n nice = 20; };\n" BASE, 2,
	  "workers.nice must be between -20 and 19, not 20" },
	{ "workers = { nice = \"high\"; };\n" BASE, 1,
	  "workers.nice must be an integer" },
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
	/* filters: addresses */
	{ LHEAD " allow = [ \"127.0.0.0/8\",\n \"10.0.0.0/33\" ];\n" LTAIL, 4,
	  "listeners[0].allow[1]: bad address range \"10.0.0.0/33\"" },
	{ RHEAD RPOOL "\n deny = [ \"not-an-ip\" ];" RTAIL, 5,
	  "listeners[0].routes[0].deny[0]: bad address range \"not-an-ip\"" },
	{ RHEAD RPOOL "\n allow = [ \"::1/129\" ];" RTAIL, 5,
	  "listeners[0].routes[0].allow[0]: bad address range \"::1/129\"" },
	{ LHEAD " allow = \"127.0.0.1\";\n" LTAIL, 3,
	  "listeners[0].allow must be an array of strings" },
	{ LHEAD " deny = [ 1 ];\n" LTAIL, 3,
	  "listeners[0].deny[0] must be a string" },
	/* filters: methods */
	{ RHEAD RPOOL "\n methods = [ \"GET\", \"GE T\" ];" RTAIL, 5,
	  "listeners[0].routes[0].methods[1]: \"GE T\" is not a method name" },
	{ LHEAD " methods = [ \"GET\", \"HEAD\",\n \"GET\" ];\n" LTAIL, 4,
	  "listeners[0].methods[2]: duplicate method \"GET\" (already "
	  "listeners[0].methods[0])" },
	{ LHEAD " methods = [ \"\" ];\n" LTAIL, 3,
	  "listeners[0].methods[0] must not be empty" },
	{ LHEAD " methods = [ \"G(ET\" ];\n" LTAIL, 3, "is not a method name" },
	/* filters: regular expressions */
	{ RHEAD RPOOL "\n deny_paths = [ \"^/ok\", \"(unclosed\" ];" RTAIL, 5,
	  "listeners[0].routes[0].deny_paths[1]: bad regular expression "
	  "\"(unclosed\": " },
	{ LHEAD " require_headers = ( { name = \"X-Env\";\n value = \"[a-\"; } );\n"
	  LTAIL, 4, "listeners[0].require_headers[0].value: bad regular "
	  "expression \"[a-\": " },
	{ RHEAD RPOOL "\n deny_headers = ( { name = \"UA\"; value = \"a{2,1}\"; } );"
	  RTAIL, 5, "listeners[0].routes[0].deny_headers[0].value: bad regular "
	  "expression" },
	{ LHEAD " require_headers = ( { name = \"X Api\"; } );\n" LTAIL, 3,
	  "listeners[0].require_headers[0].name: \"X Api\" is not a header "
	  "field name" },
	{ LHEAD " deny_headers = (\n { value = \"x\"; } );\n" LTAIL, 4,
	  "listeners[0].deny_headers[0].name is required" },
	{ LHEAD " deny_headers = ( { name = \"UA\"; value = \"\"; } );\n" LTAIL,
	  3, "listeners[0].deny_headers[0].value must not be empty" },
	{ LHEAD " deny_headers = ( { name = \"UA\";\n valeu = \"x\"; } );\n"
	  LTAIL, 4, "unknown setting \"listeners[0].deny_headers[0].valeu\" "
	  "(did you mean \"listeners[0].deny_headers[0].value\"?)" },
	{ LHEAD " require_headers = [ \"X-Api-Key\" ];\n" LTAIL, 3,
	  "listeners[0].require_headers must be a list of groups" },
	/* route: return */
	{ RHEAD " return = {\n location = \"/x\"; };" RTAIL, 4,
	  "listeners[0].routes[0].return.status is required" },
	{ RHEAD " return = { status = 301;\n body = \"x\"; };" RTAIL, 4,
	  "listeners[0].routes[0].return.location is required with status 301" },
	{ RHEAD " return = { status = 308; };" RTAIL, 4,
	  "return.location is required with status 308" },
	{ RHEAD " return = {\n status = 199; };" RTAIL, 5,
	  "listeners[0].routes[0].return.status must be between 200 and 599, "
	  "not 199" },
	{ RHEAD RPOOL "\n return = { status = 200; };" RTAIL, 5,
	  "listeners[0].routes[0]: pool and return cannot be combined" },
	{ RHEAD " host = \"*\";" RTAIL, 3,
	  "listeners[0].routes[0].pool is required (or return = " },
	{ RHEAD " return = 301;" RTAIL, 4,
	  "listeners[0].routes[0].return must be a group" },
	{ RHEAD " return = { status = 204;\n body = \"x\"; };" RTAIL, 5,
	  "listeners[0].routes[0].return.body: a 204 response has no body" },
	{ RHEAD " return = { status = 302;\n location = \"/a b\"; };" RTAIL, 5,
	  "return.location: spaces and control characters are not allowed" },
	{ RHEAD " return = { status = 200;\n type = \"text/plain\"; };" RTAIL, 5,
	  "unknown setting \"listeners[0].routes[0].return.type\"" },
	/* route: other settings */
	{ RHEAD RPOOL "\n max_body_size = \"12X\";" RTAIL, 5,
	  "listeners[0].routes[0].max_body_size: bad size \"12X\"" },
	{ RHEAD RPOOL "\n normalize = 1;" RTAIL, 5,
	  "listeners[0].routes[0].normalize must be true or false" },
	{ RHEAD RPOOL "\n allow_encoded_slash = \"yes\";" RTAIL, 5,
	  "listeners[0].routes[0].allow_encoded_slash must be true or false" },
	{ LHEAD " normalize = true;\n" LTAIL, 3,
	  "unknown setting \"listeners[0].normalize\"" },
	/* route: header edits */
	{ RHEAD RPOOL "\n set_request_headers = ( { name = \"Content-Length\"; "
	  "value = \"0\"; } );" RTAIL, 5,
	  "listeners[0].routes[0].set_request_headers[0].name: "
	  "\"Content-Length\" cannot be set: porter manages it (message "
	  "framing)" },
	{ RHEAD RPOOL "\n set_response_headers = ( { name = \"connection\"; "
	  "value = \"close\"; } );" RTAIL, 5,
	  "\"connection\" cannot be set: porter manages it (connection "
	  "handling)" },
	{ RHEAD RPOOL "\n remove_request_headers = [ \"Cookie\", \"host\" ];"
	  RTAIL, 5, "listeners[0].routes[0].remove_request_headers[1]: "
	  "\"host\" cannot be removed: porter manages it (routing)" },
	{ RHEAD RPOOL "\n remove_response_headers = [ \"Transfer-Encoding\" ];"
	  RTAIL, 5, "\"Transfer-Encoding\" cannot be removed" },
	{ RHEAD RPOOL "\n set_request_headers = ( { name = \"X-A\";\n"
	  " value = \"a\\r\\nX-B: b\"; } );" RTAIL, 6,
	  "listeners[0].routes[0].set_request_headers[0].value: control "
	  "characters" },
	{ RHEAD RPOOL "\n set_request_headers = ( { name = \"X-A\";\n"
	  " value = \" a\"; } );" RTAIL, 6, "surrounding spaces" },
	{ RHEAD RPOOL "\n set_response_headers = (\n { name = \"X-A\"; } );"
	  RTAIL, 6, "listeners[0].routes[0].set_response_headers[0].value is "
	  "required" },
	{ RHEAD RPOOL "\n set_response_headers = ( { name = \"X:A\"; "
	  "value = \"1\"; } );" RTAIL, 5, "\"X:A\" is not a header field name" },
	{ RHEAD RPOOL "\n set_response_headers = ( { name = \"X-A\"; value = \"1\"; "
	  "},\n { name = \"x-a\"; value = \"2\"; } );" RTAIL, 6,
	  "set_response_headers[1].name: \"x-a\" is already set by "
	  "listeners[0].routes[0].set_response_headers[0]" },
	{ RHEAD RPOOL "\n set_response_headers = ( { name = \"X-A\"; value = \"1\"; "
	  "} );\n remove_response_headers = [ \"X-B\", \"X-A\" ];" RTAIL, 6,
	  "remove_response_headers[1]: \"X-A\" is also set by "
	  "listeners[0].routes[0].set_response_headers[0]" },
	{ RHEAD RPOOL "\n remove_request_headers = [ \"Cookie\", \"cookie\" ];"
	  RTAIL, 5, "remove_request_headers[1]: \"cookie\" duplicates "
	  "listeners[0].routes[0].remove_request_headers[0]" },
	{ RHEAD RPOOL "\n remove_request_headers = [ \"a b\" ];" RTAIL, 5,
	  "remove_request_headers[0]: \"a b\" is not a header field name" },
	/* error pages */
	{ "error_pages = ( { status = 200;\n file = \"x.html\"; } );\n" BASE, 1,
	  "error_pages[0].status: porter never answers 200 by itself (valid: "
	  "400, 403, 404, 405, 408, 413, 414, 429, 431, 500, 501, 502, 503, "
	  "504, 505)" },
	{ LHEAD " error_pages = ( { status = 302; file = \"x.html\"; } );\n"
	  LTAIL, 3, "listeners[0].error_pages[0].status: porter never answers "
	  "302" },
	{ "error_pages = ( { status = 404; file = \"porter.conf\"; },\n"
	  " { status = 404; file = \"porter.conf\"; } );\n" BASE, 2,
	  "error_pages[1].status: duplicate status 404 (already in "
	  "error_pages[0])" },
	{ "error_pages = ( { status = 403;\n file = \"errors/403.html\"; } );\n"
	  BASE, 2, "error_pages[0].file: cannot read \"" },
	{ "error_pages = ( { status = 403;\n file = \".\"; } );\n" BASE, 2,
	  "error_pages[0].file: " },
	{ "error_pages = (\n { file = \"porter.conf\"; } );\n" BASE, 2,
	  "error_pages[0].status is required" },
	{ "error_pages = ( { status = 403; } );\n" BASE, 1,
	  "error_pages[0].file is required" },
	{ "error_pages = ( { status = 403; page = \"x\"; } );\n" BASE, 1,
	  "unknown setting \"error_pages[0].page\"" },
	{ "error_pages = { status = 403; };\n" BASE, 1,
	  "error_pages must be a list of groups" },
	/* pools: active health checks */
	{ PHEAD " health = { path = \"health\"; };" PTAIL, 2,
	  "pools[0].health.path must start with \"/\" and have no spaces or "
	  "control characters, not \"health\"" },
	{ PHEAD " health = {\n path = \"/a b\"; };" PTAIL, 3,
	  "pools[0].health.path must start with \"/\" and have no spaces" },
	{ PHEAD " health = { path = \"/\\t\"; };" PTAIL, 2,
	  "pools[0].health.path must start" },
	{ PHEAD " health = { path = \"\"; };" PTAIL, 2,
	  "pools[0].health.path must not be empty" },
	{ PHEAD " health = \"/health\";" PTAIL, 2,
	  "pools[0].health must be a group: health = { path = \"/health\"; };" },
	{ PHEAD " health = { pth = \"/\"; };" PTAIL, 2,
	  "unknown setting \"pools[0].health.pth\" (did you mean "
	  "\"pools[0].health.path\"?)" },
	{ PHEAD " health = { path = \"/\";\n method = \"get\"; };" PTAIL, 3,
	  "pools[0].health.method: \"get\" is not an upper-case method name" },
	{ PHEAD " health = { method = \"G ET\"; };" PTAIL, 2,
	  "pools[0].health.method: \"G ET\" is not an upper-case method" },
	{ PHEAD " health = { method = 1; };" PTAIL, 2,
	  "pools[0].health.method must be a string" },
	{ PHEAD " health = { host = \"a b\"; };" PTAIL, 2,
	  "pools[0].health.host: \"a b\" is not a host name or address" },
	{ PHEAD " health = { status = 600; };" PTAIL, 2,
	  "pools[0].health.status must be between 100 and 599, not 600" },
	{ PHEAD " health = { status = 99; };" PTAIL, 2,
	  "pools[0].health.status must be between 100 and 599, not 99" },
	{ PHEAD " health = { status = \"399-200\"; };" PTAIL, 2,
	  "pools[0].health.status: \"399-200\" must be a range A-B with "
	  "100 <= A <= B <= 599" },
	{ PHEAD " health = { status = \"99-200\"; };" PTAIL, 2,
	  "must be a range A-B with 100 <= A <= B <= 599" },
	{ PHEAD " health = { status = \"200-600\"; };" PTAIL, 2,
	  "must be a range A-B with 100 <= A <= B <= 599" },
	{ PHEAD " health = { status = \"2xx\"; };" PTAIL, 2,
	  "pools[0].health.status: \"2xx\" is not a status range such as "
	  "\"200-399\"" },
	{ PHEAD " health = { status = \"200-\"; };" PTAIL, 2,
	  "is not a status range" },
	{ PHEAD " health = { status = \" 200\"; };" PTAIL, 2,
	  "is not a status range" },
	{ PHEAD " health = { status = 200.0; };" PTAIL, 2,
	  "pools[0].health.status must be a status (200) or a range of them "
	  "(\"200-399\")" },
	{ PHEAD " health = { body = \"\"; };" PTAIL, 2,
	  "pools[0].health.body must not be empty" },
	{ PHEAD " health = { interval = 0; };" PTAIL, 2,
	  "pools[0].health.interval must be > 0 and <= 3600 seconds, not 0" },
	{ PHEAD " health = { interval = 3600.5; };" PTAIL, 2,
	  "pools[0].health.interval must be > 0 and <= 3600 seconds, not "
	  "3600.5" },
	{ PHEAD " health = { timeout = 61; };" PTAIL, 2,
	  "pools[0].health.timeout must be > 0 and <= 60 seconds, not 61" },
	{ PHEAD " health = { timeout = \"1\"; };" PTAIL, 2,
	  "pools[0].health.timeout must be a number (seconds)" },
	{ PHEAD " health = { rise = 0; };" PTAIL, 2,
	  "pools[0].health.rise must be between 1 and 100, not 0" },
	{ PHEAD " health = { fall = 101; };" PTAIL, 2,
	  "pools[0].health.fall must be between 1 and 100, not 101" },
	{ PHEAD " health = { rise = true; };" PTAIL, 2,
	  "pools[0].health.rise must be an integer" },
	/* pools: passive checks, retries and the rest */
	{ PHEAD " max_fails = -1;" PTAIL, 2,
	  "pools[0].max_fails must be between 0 and 1000, not -1" },
	{ PHEAD " max_fails = 1001;" PTAIL, 2,
	  "pools[0].max_fails must be between 0 and 1000, not 1001" },
	{ PHEAD " max_fail = 1;" PTAIL, 2, "unknown setting \"pools[0].max_fail\" "
	  "(did you mean \"pools[0].max_fails\"?)" },
	{ PHEAD " fail_timeout = 0;" PTAIL, 2,
	  "pools[0].fail_timeout must be > 0 and <= 86400 seconds, not 0" },
	{ PHEAD " fail_timeout = \"10s\";" PTAIL, 2,
	  "pools[0].fail_timeout must be a number (seconds)" },
	{ PHEAD " fail_status = [ 404 ];" PTAIL, 2,
	  "pools[0].fail_status[0] must be between 500 and 599, not 404" },
	{ PHEAD " fail_status = [ 502,\n 600 ];" PTAIL, 3,
	  "pools[0].fail_status[1] must be between 500 and 599, not 600" },
	{ PHEAD " fail_status = [ 502, 503, 502 ];" PTAIL, 2,
	  "pools[0].fail_status[2]: duplicate 502 (already "
	  "pools[0].fail_status[0])" },
	{ PHEAD " fail_status = 502;" PTAIL, 2,
	  "pools[0].fail_status must be an array of integers: fail_status = "
	  "[ 502, ... ];" },
	{ PHEAD " fail_status = ( 502, \"503\" );" PTAIL, 2,
	  "pools[0].fail_status[1] must be an integer" },
	{ PHEAD " retries = 11;" PTAIL, 2,
	  "pools[0].retries must be between 0 and 10, not 11" },
	{ PHEAD " retries = 1.0;" PTAIL, 2, "pools[0].retries must be an integer" },
	{ PHEAD " retry_methods = [ \"post\" ];" PTAIL, 2,
	  "pools[0].retry_methods[0]: \"post\" is not an upper-case method "
	  "name such as \"POST\"" },
	{ PHEAD " retry_methods = [ \"POST\", \"PATCH\", \"POST\" ];" PTAIL, 2,
	  "pools[0].retry_methods[2]: duplicate method \"POST\" (already "
	  "pools[0].retry_methods[0])" },
	{ PHEAD " retry_methods = \"POST\";" PTAIL, 2,
	  "pools[0].retry_methods must be an array of strings" },
	{ PHEAD " retry_methods = [ \"\" ];" PTAIL, 2,
	  "pools[0].retry_methods[0] must not be empty" },
	{ PHEAD " initial = \"maybe\";" PTAIL, 2,
	  "pools[0].initial must be \"up\" or \"down\", not \"maybe\"" },
	{ PHEAD " initial = false;" PTAIL, 2, "pools[0].initial must be a string" },
	{ PHEAD " slow_start = -1;" PTAIL, 2,
	  "pools[0].slow_start must be >= 0 and <= 86400 seconds, not -1" },
	{ PHEAD " resolve = 0.5;" PTAIL, 2,
	  "pools[0].resolve must be 0 (off) or >= 1 second, not 0.5" },
	{ PHEAD " resolve = -1;" PTAIL, 2,
	  "pools[0].resolve must be >= 0 and <= 86400 seconds, not -1" },
	{ PHEAD " resolve = \"30s\";" PTAIL, 2,
	  "pools[0].resolve must be a number (seconds)" },
	{ PHEAD " queue_timeout = -0.5;" PTAIL, 2,
	  "pools[0].queue_timeout must be >= 0 and <= 86400 seconds, not -0.5" },
	{ PHEAD " queue_timeout = 86401;" PTAIL, 2,
	  "pools[0].queue_timeout must be >= 0 and <= 86400 seconds" },
	{ "pools = ( { name = \"app\"; servers = ( "
	  "{ address = \"127.0.0.1:9001\";\n max_conns = 100001; } ); } );\n"
	  LISTEN, 2, "pools[0].servers[0].max_conns must be between 0 and "
	  "100000, not 100001" },
	{ "pools = ( { name = \"app\"; servers = ( "
	  "{ address = \"127.0.0.1:9001\";\n max_conns = -1; } ); } );\n"
	  LISTEN, 2, "pools[0].servers[0].max_conns must be between 0" },
	/* listeners: settings of the other mode */
	{ FHEAD " routes = ( { pool = \"app\"; } );" FTAIL, 2,
	  "listeners[0].routes: a forward listener has no routes" },
	{ FHEAD " methods = [ \"GET\" ];" FTAIL, 2,
	  "listeners[0].methods: only for mode = \"reverse\"" },
	{ FHEAD " deny_paths = [ \"^/a\" ];" FTAIL, 2,
	  "listeners[0].deny_paths: only for mode = \"reverse\"" },
	{ FHEAD " require_headers = ( { name = \"X\"; } );" FTAIL, 2,
	  "listeners[0].require_headers: only for mode = \"reverse\"" },
	{ FHEAD " deny_headers = ( { name = \"X\"; } );" FTAIL, 2,
	  "listeners[0].deny_headers: only for mode = \"reverse\"" },
	{ LHEAD " connect_ports = [ 443 ];\n" LTAIL, 3,
	  "listeners[0].connect_ports: only for mode = \"forward\"" },
	{ LHEAD " forwarded_for = true;\n" LTAIL, 3,
	  "listeners[0].forwarded_for: only for mode = \"forward\"" },
	{ LHEAD " anonymous = false;\n" LTAIL, 3,
	  "listeners[0].anonymous: only for mode = \"forward\"" },
	{ LHEAD " anonymous_strip = [ \"X\" ];\n" LTAIL, 3,
	  "listeners[0].anonymous_strip: only for mode = \"forward\"" },
	{ LHEAD " block_hosts = [ \"a\" ];\n" LTAIL, 3,
	  "listeners[0].block_hosts: only for mode = \"forward\"" },
	{ LHEAD " allow_hosts = [ \"a\" ];\n" LTAIL, 3,
	  "listeners[0].allow_hosts: only for mode = \"forward\"" },
	{ LHEAD " block_urls = [ \"a\" ];\n" LTAIL, 3,
	  "listeners[0].block_urls: only for mode = \"forward\"" },
	{ LHEAD " block_file = \"b.txt\";\n" LTAIL, 3,
	  "listeners[0].block_file: only for mode = \"forward\"" },
	{ LHEAD " deny_private = true;\n" LTAIL, 3,
	  "listeners[0].deny_private: only for mode = \"forward\"" },
	{ LHEAD " auth_file = \"users\";\n" LTAIL, 3,
	  "listeners[0].auth_file: only for mode = \"forward\"" },
	{ LHEAD " auth_realm = \"x\";\n" LTAIL, 3,
	  "listeners[0].auth_realm: only for mode = \"forward\"" },
	{ LHEAD " parent = \"127.0.0.1:3129\";\n" LTAIL, 3,
	  "listeners[0].parent: only for mode = \"forward\"" },
	{ LHEAD " parent_hosts = [ \"a\" ];\n" LTAIL, 3,
	  "listeners[0].parent_hosts: only for mode = \"forward\"" },
	{ FHEAD " conect_ports = [ 443 ];" FTAIL, 2,
	  "unknown setting \"listeners[0].conect_ports\" (did you mean "
	  "\"listeners[0].connect_ports\"?)" },
	/* forward listeners: the open-proxy guard */
	{ "listeners = ( { mode = \"forward\";\n listen = \"*:3128\"; } );\n",
	  2, "listeners[0]: a forward listener on *:3128 needs an allow list "
	  "(it would be an open proxy)" },
	{ "listeners = ( { listen = \"0.0.0.0:3128\"; mode = \"forward\";\n"
	  " deny = [ \"10.0.0.0/8\" ]; } );\n", 1,
	  "listeners[0]: a forward listener on 0.0.0.0:3128 needs an allow "
	  "list" },
	{ "listeners = ( { listen = \"[::]:3128\"; mode = \"forward\";\n"
	  " allow = []; } );\n", 1,
	  "listeners[0]: a forward listener on [::]:3128 needs an allow list" },
	{ FHEAD " },\n { listen = \"192.0.2.1:3128\"; mode = \"forward\";"
	  FTAIL, 3, "listeners[1]: a forward listener on 192.0.2.1:3128 needs "
	  "an allow list" },
	{ "listeners = ( { listen = \"*:3128\"; mode = \"forward\";\n"
	  " allow = [ \"10.0.0.0/33\" ]; } );\n", 2,
	  "listeners[0].allow[0]: bad address range \"10.0.0.0/33\"" },
	/* forward listeners: settings */
	{ FHEAD " connect_ports = [ 0 ];" FTAIL, 2,
	  "listeners[0].connect_ports[0] must be between 1 and 65535, not 0" },
	{ FHEAD " connect_ports = [ 443, 70000 ];" FTAIL, 2,
	  "listeners[0].connect_ports[1] must be between 1 and 65535, not "
	  "70000" },
	{ FHEAD " connect_ports = [ 443, 563, 443 ];" FTAIL, 2,
	  "listeners[0].connect_ports[2]: duplicate 443 (already "
	  "listeners[0].connect_ports[0])" },
	{ FHEAD " connect_ports = 443;" FTAIL, 2,
	  "listeners[0].connect_ports must be an array of integers: "
	  "connect_ports = [ 443, ... ];" },
	{ FHEAD " connect_ports = [ \"443\" ];" FTAIL, 2,
	  "listeners[0].connect_ports[0] must be an integer" },
	{ FHEAD " forwarded_for = 1;" FTAIL, 2,
	  "listeners[0].forwarded_for must be true or false" },
	{ FHEAD " anonymous = \"yes\";" FTAIL, 2,
	  "listeners[0].anonymous must be true or false" },
	{ FHEAD " anonymous = true;\n forwarded_for = true;" FTAIL, 3,
	  "listeners[0].forwarded_for = true contradicts anonymous = true" },
	{ FHEAD " anonymous_strip = [ \"X-A\", \"X B\" ];" FTAIL, 2,
	  "listeners[0].anonymous_strip[1]: \"X B\" is not a header field "
	  "name" },
	{ FHEAD " anonymous_strip = [ \"host\" ];" FTAIL, 2,
	  "listeners[0].anonymous_strip[0]: \"host\" cannot be removed: "
	  "porter manages it (routing)" },
	{ FHEAD " anonymous_strip = [ \"X-A\", \"x-a\" ];" FTAIL, 2,
	  "listeners[0].anonymous_strip[1]: \"x-a\" duplicates "
	  "listeners[0].anonymous_strip[0]" },
	{ FHEAD " block_hosts = [ \"ok.example\",\n \"*.example.com\" ];"
	  FTAIL, 3, "listeners[0].block_hosts[1]: bad host pattern "
	  "\"*.example.com\" (a name, \".name\" for it and every name below "
	  "it, an IPv4 address or \"[v6]\")" },
	{ FHEAD " block_hosts = [ \"a..b\" ];" FTAIL, 2,
	  "listeners[0].block_hosts[0]: bad host pattern \"a..b\"" },
	{ FHEAD " block_hosts = [ \"example.com:80\" ];" FTAIL, 2,
	  "bad host pattern \"example.com:80\"" },
	{ FHEAD " block_hosts = [ \"::1\" ];" FTAIL, 2,
	  "bad host pattern \"::1\"" },
	{ FHEAD " block_hosts = [ \"[::g]\" ];" FTAIL, 2,
	  "bad host pattern \"[::g]\"" },
	{ FHEAD " block_hosts = [ \".\" ];" FTAIL, 2,
	  "bad host pattern \".\"" },
	{ FHEAD " block_hosts = [ \"-a.example\" ];" FTAIL, 2,
	  "bad host pattern \"-a.example\"" },
	{ FHEAD " block_hosts = [ \"a.example.\" ];" FTAIL, 2,
	  "bad host pattern \"a.example.\"" },
	{ FHEAD " block_hosts = [ \"\" ];" FTAIL, 2,
	  "listeners[0].block_hosts[0] must not be empty" },
	{ FHEAD " block_hosts = \"a.example\";" FTAIL, 2,
	  "listeners[0].block_hosts must be an array of strings" },
	{ FHEAD " allow_hosts = [ \"a b\" ];" FTAIL, 2,
	  "listeners[0].allow_hosts[0]: bad host pattern \"a b\"" },
	{ FHEAD " block_urls = [ \"ok\",\n \"(x\" ];" FTAIL, 3,
	  "listeners[0].block_urls[1]: bad regular expression \"(x\": " },
	{ FHEAD " block_file = \"nope.txt\";" FTAIL, 2,
	  "listeners[0].block_file: cannot read \"" },
	{ FHEAD " block_file = \".\";" FTAIL, 2,
	  "listeners[0].block_file: \"" },
	{ FHEAD " block_file = 1;" FTAIL, 2,
	  "listeners[0].block_file must be a string" },
	{ FHEAD " deny_private = 0;" FTAIL, 2,
	  "listeners[0].deny_private must be true or false" },
	{ FHEAD " auth_file = \"nope\";" FTAIL, 2,
	  "listeners[0].auth_file: cannot read \"" },
	{ FHEAD " auth_realm = \"proxy\";" FTAIL, 2,
	  "listeners[0].auth_realm needs auth_file" },
	{ FHEAD " parent = \"nohost\";" FTAIL, 2,
	  "listeners[0].parent: bad address \"nohost\": missing port" },
	{ FHEAD " parent = \"*:3128\";" FTAIL, 2,
	  "listeners[0].parent: a parent needs a host, not \"*:3128\"" },
	{ FHEAD " parent = \"127.0.0.1:0\";" FTAIL, 2,
	  "listeners[0].parent: bad address \"127.0.0.1:0\": port must be" },
	{ FHEAD " parent_hosts = [ \".corp.example\" ];" FTAIL, 2,
	  "listeners[0].parent_hosts needs parent" },
	{ FHEAD " parent = \"127.0.0.1:3129\";\n parent_hosts = [ \"a/b\" ];"
	  FTAIL, 3, "listeners[0].parent_hosts[0]: bad host pattern \"a/b\"" },
	/* the PROXY protocol, in and out */
	{ LHEAD " proxy_protocol = true;" LTAIL, 3,
	  "listeners[0].proxy_protocol needs proxy_protocol_from" },
	{ LHEAD " proxy_protocol_from = [ \"127.0.0.1\" ];" LTAIL, 3,
	  "listeners[0].proxy_protocol_from has no effect without "
	  "proxy_protocol = true" },
	{ LHEAD " proxy_protocol = true;\n proxy_protocol_from = [ \"10.0.0/8\" ];"
	  LTAIL, 4, "listeners[0].proxy_protocol_from" },
	{ LHEAD " proxy_protocol = \"yes\";" LTAIL, 3,
	  "listeners[0].proxy_protocol must be" },
	{ "pools = ( { name = \"app\"; servers = (\n { address = \"127.0.0.1:9001\";"
	  " send_proxy = \"v3\"; } ); } );\n" LISTEN, 2,
	  "pools[0].servers[0].send_proxy must be \"v1\" or \"v2\", not \"v3\"" },
	{ "pools = ( { name = \"app\"; servers = (\n { address = \"127.0.0.1:9001\";"
	  " send_proxy = 2; } ); } );\n" LISTEN, 2,
	  "pools[0].servers[0].send_proxy must be a string" },
	/* logs: formats */
	{ BASE "access_log_format = \"apache\";\n", 3,
	  "access_log_format: \"apache\" is neither porter, combined, json "
	  "nor a template with $fields" },
	{ BASE "access_log_format = \"$remote_addr $remote_adr\";\n", 3,
	  "access_log_format: unknown field \"$remote_adr\"; the fields are "
	  "$remote_addr, $remote_user," },
	{ BASE "access_log_format = \"$status $_clf_bytes\";\n", 3,
	  "access_log_format: unknown field \"$_clf_bytes\"" },
	{ BASE "access_log_format = \"${status\";\n", 3,
	  "access_log_format: \"${\" without its \"}\"" },
	{ BASE "access_log_format = \"cost: 5$ $status\";\n", 3,
	  "access_log_format: a \"$\" without a field name (write $$ for a "
	  "dollar sign)" },
	{ BASE "access_log_format = \"$status\\t$request\";\n", 3,
	  "access_log_format: a control character in the template" },
	{ BASE "access_log_format = 1;\n", 3,
	  "access_log_format must be a string" },
	{ BASE "access_log_format = \"\";\n", 3,
	  "access_log_format must not be empty" },
	{ LHEAD " access_log_format = \"$nope\";" LTAIL, 3,
	  "listeners[0].access_log_format: unknown field \"$nope\"" },
	{ RHEAD RPOOL " access_log_format = \"jsonl\";" RTAIL, 4,
	  "listeners[0].routes[0].access_log_format: \"jsonl\" is neither" },
	{ RHEAD RPOOL " access_log = \"\";" RTAIL, 4,
	  "listeners[0].routes[0].access_log must not be empty" },
	{ FHEAD " access_log = 5;" FTAIL, 2,
	  "listeners[0].access_log must be a string" },
	/* logs: syslog destinations */
	{ BASE "access_log = \"syslog:server=unix:\";\n", 3,
	  "access_log: server=unix: needs a socket path" },
	{ BASE "access_log = \"syslog:server=unix:/"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "\";\n", 3, "access_log: syslog socket path longer than 107 bytes" },
	{ BASE "access_log = \"syslog:server=10.0.0.1:x\";\n", 3,
	  "access_log: syslog server \"10.0.0.1:x\":" },
	{ BASE "access_log = \"syslog:server=log.example:514\";\n", 3,
	  "access_log: syslog server \"log.example:514\":" },
	{ BASE "access_log = \"syslog:server=10.0.0.1:0\";\n", 3,
	  "access_log: syslog server \"10.0.0.1:0\": " },
	{ BASE "access_log = \"syslog:facility=local8\";\n", 3,
	  "access_log: unknown syslog facility \"local8\"" },
	{ BASE "access_log = \"syslog:severity=loud\";\n", 3,
	  "access_log: unknown syslog severity \"loud\"" },
	{ BASE "access_log = \"syslog:tag=por-ter\";\n", 3,
	  "access_log: syslog tag \"por-ter\": letters, digits and _ only" },
	{ BASE "access_log = \"syslog:tag="
	  "abcdefghijklmnopqrstuvwxyz0123456\";\n", 3,
	  "access_log: syslog tag longer than 32 characters" },
	{ BASE "access_log = \"syslog:host=x\";\n", 3,
	  "access_log: unknown syslog parameter \"host\" (server, facility, "
	  "severity, tag)" },
	{ BASE "access_log = \"syslog:tag=a,tag=b\";\n", 3,
	  "access_log: syslog parameter \"tag\" given twice" },
	{ BASE "access_log = \"syslog:facility\";\n", 3,
	  "access_log: syslog parameter \"facility\" is not KEY=VALUE" },
	{ BASE "access_log = \"syslog:tag=a,\";\n", 3,
	  "access_log: a comma at the end of \"syslog:tag=a,\"" },
	{ BASE "access_log = \"syslog:tag=a,,facility=user\";\n", 3,
	  "access_log: syslog parameter \"\" is not KEY=VALUE" },
	{ BASE "error_log = \"syslog:severity=info\";\n", 3,
	  "error_log: severity= is for access_log; error_log lines go with "
	  "their own level" },
	{ BASE "error_log = \"syslog:server=unix:\";\n", 3,
	  "error_log: server=unix: needs a socket path" },
	{ LHEAD " access_log = \"syslog:facility=x\";" LTAIL, 3,
	  "listeners[0].access_log: unknown syslog facility \"x\"" },
	/* request ids */
	{ BASE "request_id = \"yes\";\n", 3,
	  "request_id must be true or false" },
	{ "request_id = false;\n" LHEAD
	  " request_id_from = [ \"127.0.0.1\" ];" LTAIL, 4,
	  "listeners[0].request_id_from has no effect with request_id = false" },
	{ LHEAD " request_id_from = [ \"10.0.0.300\" ];" LTAIL, 3,
	  "listeners[0].request_id_from[0]: bad address range \"10.0.0.300\"" },
	{ LHEAD " request_id_from = \"127.0.0.1\";" LTAIL, 3,
	  "listeners[0].request_id_from must be an array of strings" },
	{ RHEAD RPOOL " request_id_from = [ \"::1\" ];" RTAIL, 4,
	  "unknown setting \"listeners[0].routes[0].request_id_from\"" },
	{ SHEAD " access_log = \"off\"; };\n", 4,
	  "unknown setting \"status.access_log\"" },
	/* purge (issue 14) */
	{ LHEAD " purge_allow = [ \"10.0.0.300\" ];" LTAIL, 3,
	  "listeners[0].purge_allow[0]: bad address range \"10.0.0.300\"" },
	{ LHEAD " purge_allow = [ \"10.0.0.0/33\" ];" LTAIL, 3,
	  "listeners[0].purge_allow[0]: bad address range \"10.0.0.0/33\"" },
	{ LHEAD " purge_allow = \"127.0.0.1\";" LTAIL, 3,
	  "listeners[0].purge_allow must be an array of strings" },
	{ FHEAD " purge_allow = [ \"127.0.0.1\" ];" FTAIL, 2,
	  "listeners[0].purge_allow: only for mode = \"reverse\"" },
	{ RHEAD RPOOL " purge_allow = [ \"::1\" ];" RTAIL, 4,
	  "unknown setting \"listeners[0].routes[0].purge_allow\"" },
	{ SHEAD " purge_allow = [ \"::1\" ]; };\n", 4,
	  "unknown setting \"status.purge_allow\"" },
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
/* cache.path relative to the config's folder; a forward listener's cache. */
START_TEST(cache_path_and_forward)
{
	struct tf	 t;
	struct cfg	*c;
	char		 err[CFG_ERRLEN], want[PATH_MAX + 64];
	const struct cfg_route *fr;

	c = load(&t, "listeners = ( { listen = \"127.0.0.1:3128\"; "
	    "mode = \"forward\"; cache = true; cache_default_ttl = 60; "
	    "cache_ignore_query = [ \"utm_source\" ]; },\n"
	    "{ listen = \"127.0.0.1:3129\"; mode = \"forward\"; } );\n"
	    "cache = { size = \"8M\"; path = \"porter.cache\"; };\n", err);
	ck_assert_msg(c != NULL, "%s", err);
	snprintf(want, sizeof(want), "%s/porter.cache", t.dir);
	ck_assert_str_eq(c->cache.path, want);
	/* a forward listener's cache is enough to reserve the cache */
	ck_assert_uint_eq(c->cache.size, 8U << 20);
	fr = &c->listeners[0].fwd.cache_route;
	ck_assert_int_eq(fr->cache.on, 1);
	ck_assert(fr->cache.default_ttl == 60.0);
	ck_assert_int_eq(fr->cache.nignore_params, 1);
	ck_assert_int_eq(fr->pool, -1);
	ck_assert_int_eq(fr->nset_request_headers, 0);
	ck_assert_str_eq(fr->cache.id, "127.0.0.1:3128|*|/|-");
	ck_assert_int_eq(c->listeners[1].fwd.cache_route.cache.on, 0);
	cfg_free(c);
	tf_remove(&t);

	/* without cache.path: the segment */
	c = load(&t, BASE "cache = { size = \"8M\"; };\n", err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_ptr_null(c->cache.path);
	cfg_free(c);
	tf_remove(&t);
}
END_TEST

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
	/* a name is kept as a name: the master resolves it, not the loader */
	ck_assert_int_eq(cfg_parse_addr("localhost:80", 0, &a, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(a.sa.ss_family, 0);
	ck_assert_str_eq(a.text, "localhost:80");
	ck_assert_str_eq(a.host, "localhost");
	ck_assert_int_eq(a.port, 80);
	ck_assert_int_eq(a.named, 1);
	ck_assert_int_eq(cfg_parse_addr("no-such-host.porter-test.invalid:81",
	    0, &a, err, sizeof(err)), 0);
	ck_assert_int_eq(a.named, 1);
	ck_assert_int_eq(cfg_parse_addr("bad_name!:80", 0, &a, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "bad address \"bad_name!:80\": \"bad_name!\" is "
	    "not a host name or an IP address");
	ck_assert_int_eq(cfg_parse_addr("127.0.0.1:82", 0, &a, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(a.named, 0);
	ck_assert_int_eq(a.sa.ss_family, AF_INET);
	ck_assert_int_eq(cfg_parse_addr("[::1]:83", 0, &a, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(a.named, 0);
	ck_assert_str_eq(a.host, "::1");
	ck_assert_int_eq(cfg_parse_addr("*:84", 0, &a, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(a.named, 0);

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

/* A parsed range as "addr/bits". */
static const char *
cidr_text(const struct cfg_cidr *c)
{
	static char out[INET6_ADDRSTRLEN + 8];
	char a[INET6_ADDRSTRLEN];

	ck_assert_ptr_nonnull(inet_ntop(c->family, c->addr, a, sizeof(a)));
	snprintf(out, sizeof(out), "%s/%d", a, c->bits);
	return (out);
}

/* Parse text into the canonical "addr/bits" text, or "!" on refusal. */
static const char *
cidr_canon(const char *text)
{
	struct cfg_cidr c;

	memset(&c, 0xa5, sizeof(c));
	if (cfg_parse_cidr(text, &c) == -1)
		return ("!");
	ck_assert(c.family == AF_INET || c.family == AF_INET6);
	return (cidr_text(&c));
}

START_TEST(parse_cidr_v4)
{
	ck_assert_str_eq(cidr_canon("1.2.3.4"), "1.2.3.4/32");
	ck_assert_str_eq(cidr_canon("10.0.0.0/8"), "10.0.0.0/8");
	ck_assert_str_eq(cidr_canon("0.0.0.0/0"), "0.0.0.0/0");
	ck_assert_str_eq(cidr_canon("255.255.255.255/32"),
	    "255.255.255.255/32");
	ck_assert_str_eq(cidr_canon("1.2.3.4/32"), "1.2.3.4/32");
}
END_TEST

START_TEST(parse_cidr_v6)
{
	ck_assert_str_eq(cidr_canon("::1"), "::1/128");
	ck_assert_str_eq(cidr_canon("::"), "::/128");
	ck_assert_str_eq(cidr_canon("::/0"), "::/0");
	ck_assert_str_eq(cidr_canon("2001:db8::/32"), "2001:db8::/32");
	ck_assert_str_eq(cidr_canon("2001:DB8::1/128"), "2001:db8::1/128");
	ck_assert_str_eq(cidr_canon("fe80::1:2:3:4/64"), "fe80::/64");
	ck_assert_str_eq(cidr_canon("::ffff:10.1.2.3/104"),
	    "::ffff:10.0.0.0/104");
	ck_assert_str_eq(cidr_canon("1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8/128");
}
END_TEST

START_TEST(parse_cidr_host_bits)
{
	ck_assert_str_eq(cidr_canon("192.168.1.1/24"), "192.168.1.0/24");
	ck_assert_str_eq(cidr_canon("192.168.1.255/23"), "192.168.0.0/23");
	ck_assert_str_eq(cidr_canon("10.255.255.255/9"), "10.128.0.0/9");
	ck_assert_str_eq(cidr_canon("10.255.255.255/1"), "0.0.0.0/1");
	ck_assert_str_eq(cidr_canon("200.255.255.255/1"), "128.0.0.0/1");
	ck_assert_str_eq(cidr_canon("1.2.3.4/0"), "0.0.0.0/0");
	ck_assert_str_eq(cidr_canon("1.2.3.4/31"), "1.2.3.4/31");
	ck_assert_str_eq(cidr_canon("1.2.3.5/31"), "1.2.3.4/31");
	ck_assert_str_eq(cidr_canon("2001:db8:ffff::1/33"),
	    "2001:db8:8000::/33");
	ck_assert_str_eq(cidr_canon("ffff::1/0"), "::/0");
	ck_assert_str_eq(cidr_canon("::ffff/127"), "::fffe/127");
}
END_TEST

START_TEST(parse_cidr_bad)
{
	static const char *bad[] = {
		"", "1.2.3.4/33", "300.1.1.1", "::1/129", "1.2.3", "a.b.c.d",
		"1.2.3.4/", "/8", "1.2.3.4/-1", "1.2.3.4/+8", "1.2.3.4/ 8",
		"1.2.3.4/8 ", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/8/8",
		"1.2.3.4/0x8", "1.2.3.4/1000000000000000000000", "1.2.3.4.5",
		"01.2.3.4", "1.2.3.4x", "0x0a.0.0.1", "10.1", "10",
		"1.2.3.4/8a", "::1/", "[::1]", "[::1]/128", "fe80::1%eth0",
		"1:2:3:4:5:6:7:8:9", ":::", "1::2::3", "::g", "*", "all",
		"1.2.3.4/33333333333333333333333333333333333333333333",
		"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255.1",
		"0000:0000:0000:0000:0000:0000:0000:0000:0000",
	};
	struct cfg_cidr c, keep;
	size_t i;

	memset(&c, 0x5a, sizeof(c));
	keep = c;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(cfg_parse_cidr(bad[i], &c) == -1,
		    "\"%s\" accepted", bad[i]);
		ck_assert_msg(memcmp(&c, &keep, sizeof(c)) == 0,
		    "\"%s\" touched out", bad[i]);
	}
	ck_assert_int_eq(cfg_parse_cidr(NULL, &c), -1);
}
END_TEST


START_TEST(bundled_config)
{
	const char	*srcdir = getenv("srcdir");
	const struct cfg_listener *l;
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
	ck_assert_int_eq(c->nlisteners, 3);
	/* a forward proxy for loopback clients, with the safe defaults */
	l = &c->listeners[0];
	ck_assert_int_eq(l->mode, CFG_MODE_FORWARD);
	ck_assert_str_eq(addr_str(&l->addr, buf, sizeof(buf)),
	    "127.0.0.1:3128");
	ck_assert_int_eq(l->filter.nallow, 2);
	ck_assert_int_eq(l->fwd.nconnect_ports, 1);
	ck_assert_int_eq(l->fwd.connect_ports[0], 443);
	/*
	 * deny_private is off so that the demo backends on 127.0.0.1 answer
	 * through it. That is safe only while allow lets in loopback
	 * clients alone, who reach those services without a proxy anyway.
	 */
	ck_assert_int_eq(l->fwd.deny_private, 0);
	/* loopback clients only: nothing else is let in */
	ck_assert_str_eq(cidr_text(&l->filter.allow[0]), "127.0.0.0/8");
	ck_assert_str_eq(cidr_text(&l->filter.allow[1]), "::1/128");
	ck_assert_int_eq(l->fwd.nusers, 0);
	l = &c->listeners[1];	/* the reverse proxy */
	ck_assert_str_eq(addr_str(&l->addr, buf, sizeof(buf)),
	    "127.0.0.1:8080");
	ck_assert_int_eq(l->mode, CFG_MODE_REVERSE);
	ck_assert_int_eq(l->nroutes, 1);
	ck_assert_str_eq(l->routes[0].host, "*");
	ck_assert_str_eq(l->routes[0].path, "/");
	ck_assert_int_eq(c->npools, 1);
	ck_assert_str_eq(c->pools[l->routes[0].pool].name,
	    "app");
	ck_assert_int_eq(c->pools[0].nservers, 2);
	ck_assert_str_eq(addr_str(&c->pools[0].servers[0].addr, buf,
	    sizeof(buf)), "127.0.0.1:9001");
	ck_assert_str_eq(addr_str(&c->pools[0].servers[1].addr, buf,
	    sizeof(buf)), "127.0.0.1:9002");
	check_pool_defaults(&c->pools[0]);
	check_forward_defaults(&l->fwd);
	/* the status page, for loopback clients */
	l = &c->listeners[2];
	ck_assert_int_eq(l->mode, CFG_MODE_STATUS);
	ck_assert_str_eq(addr_str(&l->addr, buf, sizeof(buf)),
	    "127.0.0.1:8081");
	ck_assert_str_eq(l->status_path, "/porter-status");
	ck_assert_int_eq(l->filter.nallow, 2);
	ck_assert_int_eq(l->filter.ndeny, 0);
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
	tcase_add_test(tc, underscores_in_headers);
	tcase_add_test(tc, balancing);
	tcase_add_test(tc, client_limits);
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
	tcase_add_test(tc, filters_full);
	tcase_add_test(tc, filters_default_empty);
	tcase_add_test(tc, error_page_files);
	tcase_add_test(tc, new_defaults);
	tcase_add_test(tc, cache_settings);
	tcase_add_test(tc, gzip_settings);
	tcase_add_test(tc, cache_path_and_forward);
	tcase_add_test(tc, pool_health_full);
	tcase_add_test(tc, forward_full);
	tcase_add_test(tc, block_file);
	tcase_add_test(tc, auth_file);
	tcase_add_test(tc, open_proxy_guard);
	tcase_add_test(tc, status_listener);
	tcase_add_test(tc, logs);
	tcase_add_test(tc, purge_allow);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, bad_config, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, parse_size, 0,
	    (int)(sizeof(size_cases) / sizeof(size_cases[0])));
	tcase_add_test(tc, parse_addr);
	tcase_add_test(tc, parse_cidr_v4);
	tcase_add_test(tc, parse_cidr_v6);
	tcase_add_test(tc, proxy_protocol);
	tcase_add_test(tc, parse_cidr_host_bits);
	tcase_add_test(tc, parse_cidr_bad);
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
