#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "master/purge_cli.h"

#define CLI_BUF		8192
#define CLI_TIMEOUT_S	10

/* The status listener, or NULL. */
static const struct cfg_listener *
status_listener(const struct cfg *c)
{
	int i;

	for (i = 0; i < c->nlisteners; i++)
		if (c->listeners[i].mode == CFG_MODE_STATUS)
			return (&c->listeners[i]);
	return (NULL);
}

/* Where to reach it: a wildcard address is reached on loopback. */
static void
reach(const struct cfg_listener *l, struct sockaddr_storage *sa)
{
	*sa = l->addr.sa;
	if (sa->ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

		if (s4->sin_addr.s_addr == htonl(INADDR_ANY))
			s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (sa->ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
			s6->sin6_addr = in6addr_loopback;
	}
}

/* Percent-encode s onto out (cap bytes, NUL-terminated): -1 if too long. */
static int
encode(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = 0;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~/:", ch) != NULL) {
			if (k + 2 > cap)
				return (-1);
			out[k++] = (char)ch;
		} else {
			if (k + 4 > cap)
				return (-1);
			out[k++] = '%';
			out[k++] = hex[ch >> 4];
			out[k++] = hex[ch & 15];
		}
	}
	out[k] = '\0';
	return (0);
}

/*
 * One request (Connection: close) to the status listener; the answer's
 * status, its body NUL-terminated in body[0..cap). -1 with a message.
 */
static int
ask(const struct cfg_listener *l, const char *method, const char *target,
    char *body, size_t cap)
{
	struct sockaddr_storage sa;
	struct timeval tv = { CLI_TIMEOUT_S, 0 };
	char req[CLI_BUF], *buf, *p;
	size_t have = 0;
	ssize_t n;
	int fd, len, status = -1;

	reach(l, &sa);
	len = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: %s\r\n"
	    "Content-Length: 0\r\nAccept: application/json\r\n"
	    "Connection: close\r\n\r\n", method, target, l->addr.text);
	if (len < 0 || (size_t)len >= sizeof(req)) {
		(void)fprintf(stderr, "porter: -s purge: request too long\n");
		return (-1);
	}
	if ((fd = socket(sa.ss_family, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sa, l->addr.salen) == -1) {
		(void)fprintf(stderr, "porter: -s purge: status listener %s: "
		    "%s (is porter running?)\n", l->addr.text,
		    strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return (-1);
	}
	if (write(fd, req, (size_t)len) != len) {
		(void)fprintf(stderr, "porter: -s purge: %s: write: %s\n",
		    l->addr.text, strerror(errno));
		(void)close(fd);
		return (-1);
	}
	if ((buf = malloc(CLI_BUF)) == NULL) {
		(void)close(fd);
		return (-1);
	}
	while (have + 1 < CLI_BUF &&
	    (n = read(fd, buf + have, CLI_BUF - 1 - have)) > 0)
		have += (size_t)n;
	(void)close(fd);
	buf[have] = '\0';
	if (have > 12 && strncmp(buf, "HTTP/1.", 7) == 0)
		status = atoi(buf + 9);
	if ((p = strstr(buf, "\r\n\r\n")) != NULL)
		(void)snprintf(body, cap, "%s", p + 4);
	else
		body[0] = '\0';
	free(buf);
	if (status < 100)
		(void)fprintf(stderr, "porter: -s purge: %s: no answer\n",
		    l->addr.text);
	return (status < 100 ? -1 : status);
}

/* A number after "name": in a JSON body; 0 if absent. */
static uint64_t
num(const char *body, const char *name)
{
	const char *p = strstr(body, name);

	return (p != NULL ? strtoull(p + strlen(name), NULL, 10) : 0);
}

/* Wait for job id: 0 done (its count printed), 1 not. */
static int
wait_job(const struct cfg_listener *l, uint64_t id)
{
	char target[600], body[1024];
	const char *state;
	struct timespec nap = { 0, 100 * 1000 * 1000 };
	int i, st;

	(void)snprintf(target, sizeof(target), "%s%sjobs/%" PRIu64,
	    l->status_path, l->status_path[strlen(l->status_path) - 1] ==
	    '/' ? "" : "/", id);
	for (i = 0; i < PURGE_CLI_WAIT * 10; i++) {
		if ((st = ask(l, "GET", target, body, sizeof(body))) != 200) {
			if (st > 0)
				(void)fprintf(stderr, "porter: -s purge: job "
				    "%" PRIu64 ": %d %s", id, st, body);
			return (1);
		}
		state = strstr(body, "\"state\":\"");
		if (state != NULL && strncmp(state + 9, "done", 4) == 0) {
			(void)printf("porter: purged %" PRIu64 " (job %"
			    PRIu64 ")\n", num(body, "\"purged\":"), id);
			return (0);
		}
		if (state != NULL && strncmp(state + 9, "dropped", 7) == 0) {
			(void)fprintf(stderr, "porter: -s purge: job %" PRIu64
			    " was dropped (no cache keeper?)\n", id);
			return (1);
		}
		(void)nanosleep(&nap, NULL);
	}
	(void)fprintf(stderr, "porter: -s purge: job %" PRIu64 " not done "
	    "after %d s (is the cache keeper running?)\n", id,
	    PURGE_CLI_WAIT);
	return (1);
}

int
purge_cli(const struct cfg *c, const char *what)
{
	const struct cfg_listener *l = status_listener(c);
	const char *name = "url", *arg = what;
	char enc[4096], target[4700], body[1024];
	int soft = 0, st;

	if (l == NULL) {
		(void)fprintf(stderr, "porter: -s purge needs the status "
		    "listener (status = { listen = \"127.0.0.1:PORT\"; }) in "
		    "%s\n", c->file);
		return (1);
	}
	if (strncmp(arg, "soft:", 5) == 0) {
		soft = 1;
		arg += 5;
	}
	if (strncmp(arg, "prefix:", 7) == 0) {
		name = "prefix";
		arg += 7;
	} else if (strncmp(arg, "tag:", 4) == 0) {
		name = "tag";
		arg += 4;
	} else if (strncmp(arg, "http://", 7) != 0 &&
	    strncmp(arg, "https://", 8) != 0) {
		(void)fprintf(stderr, "porter: -s purge: \"%s\" is neither a "
		    "URL (http://host/path) nor prefix:PATH nor tag:NAME\n",
		    what);
		return (1);
	}
	if (*arg == '\0' || encode(arg, enc, sizeof(enc)) == -1) {
		(void)fprintf(stderr, "porter: -s purge: \"%s\": empty or too "
		    "long\n", what);
		return (1);
	}
	(void)snprintf(target, sizeof(target), "%s%spurge?%s=%s%s",
	    l->status_path, l->status_path[strlen(l->status_path) - 1] ==
	    '/' ? "" : "/", name, enc, soft ? "&soft=1" : "");
	switch ((st = ask(l, "POST", target, body, sizeof(body)))) {
	case -1:
		return (1);
	case 200:
		(void)printf("porter: purged %" PRIu64 "%s\n",
		    num(body, "\"purged\":"), soft ? " (soft)" : "");
		return (0);
	case 404:
		(void)printf("porter: nothing cached under %s\n", arg);
		return (1);
	case 202:
		return (wait_job(l, num(body, "\"job\":")));
	default:
		(void)fprintf(stderr, "porter: -s purge: %d %s", st, body);
		return (1);
	}
}
