/*
 * Logs in the configuration: error_log and access_log destinations
 * (stderr, a file, or "syslog:server=...,facility=...,tag=..."), the
 * access_log_format compiled once into a list of ops (never interpreted
 * per request), per-listener and per-route access logs, and the request
 * id settings. Each destination and each format in use is kept once in
 * the cfg; listeners and routes name them by index.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_parse.h"

#define LOG_TEMPLATE_MAX	1024	/* characters of a template */
#define LOG_SYSLOG_PORT		514

/* The fields a template may name, in the order porter.conf(5) lists them. */
static const struct {
	const char	*name;
	int		 field;
} fields[] = {
	{ "remote_addr", CFG_LF_REMOTE_ADDR },
	{ "remote_user", CFG_LF_REMOTE_USER },
	{ "time_local", CFG_LF_TIME_LOCAL },
	{ "time_iso8601", CFG_LF_TIME_ISO8601 },
	{ "request", CFG_LF_REQUEST },
	{ "status", CFG_LF_STATUS },
	{ "body_bytes_sent", CFG_LF_BODY_BYTES_SENT },
	{ "bytes_sent", CFG_LF_BYTES_SENT },
	{ "bytes_received", CFG_LF_BYTES_RECEIVED },
	{ "http_referer", CFG_LF_HTTP_REFERER },
	{ "http_user_agent", CFG_LF_HTTP_USER_AGENT },
	{ "request_time", CFG_LF_REQUEST_TIME },
	{ "upstream_addr", CFG_LF_UPSTREAM_ADDR },
	{ "upstream_status", CFG_LF_UPSTREAM_STATUS },
	{ "upstream_connect_time", CFG_LF_UPSTREAM_CONNECT_TIME },
	{ "upstream_header_time", CFG_LF_UPSTREAM_HEADER_TIME },
	{ "cache_status", CFG_LF_CACHE_STATUS },
	{ "request_id", CFG_LF_REQUEST_ID },
	{ "rule", CFG_LF_RULE },
	{ "listener", CFG_LF_LISTENER },
	{ "worker", CFG_LF_WORKER },
	{ "detail", CFG_LF_DETAIL },
	/* the built-in formats' own: a template cannot name these */
	{ "_clf_bytes", CFG_LF_CLF_BYTES },
	{ "_porter_time", CFG_LF_PORTER_TIME },
	{ "_porter_request", CFG_LF_PORTER_REQUEST },
	{ "_porter_detail", CFG_LF_PORTER_DETAIL },
	{ NULL, 0 }
};

/*
 * The built-in formats, in the template syntax. "porter" is the line
 * porter has always written; "combined" is Apache's Combined Log Format
 * (%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i").
 */
static const char porter_format[] = "$_porter_time $remote_addr "
    "\"$_porter_request\" $status $bytes_sent $upstream_addr $request_time"
    "$_porter_detail";
static const char combined_format[] = "$remote_addr - $remote_user "
    "[$time_local] \"$request\" $status $_clf_bytes \"$http_referer\" "
    "\"$http_user_agent\"";
/* one JSON object: each key is its field's name, time_iso8601 is "time" */
static const char json_format[] = "{\"time\":$time_iso8601,"
    "\"remote_addr\":$remote_addr,\"remote_user\":$remote_user,"
    "\"request\":$request,\"status\":$status,"
    "\"body_bytes_sent\":$body_bytes_sent,\"bytes_sent\":$bytes_sent,"
    "\"bytes_received\":$bytes_received,\"request_time\":$request_time,"
    "\"http_referer\":$http_referer,\"http_user_agent\":$http_user_agent,"
    "\"upstream_addr\":$upstream_addr,\"upstream_status\":$upstream_status,"
    "\"upstream_connect_time\":$upstream_connect_time,"
    "\"upstream_header_time\":$upstream_header_time,"
    "\"cache_status\":$cache_status,\"request_id\":$request_id,"
    "\"rule\":$rule,\"listener\":$listener,\"worker\":$worker,"
    "\"detail\":$detail}";

static const struct {
	const char	*name;
	const char	*src;
	int		 json;
} builtin[] = {
	{ "porter", porter_format, 0 },
	{ "combined", combined_format, 0 },
	{ "json", json_format, 1 },
	{ NULL, NULL, 0 }
};

static const struct {
	const char	*name;
	int		 code;
} facilities[] = {
	{ "kern", 0 }, { "user", 1 }, { "mail", 2 }, { "daemon", 3 },
	{ "auth", 4 }, { "syslog", 5 }, { "lpr", 6 }, { "news", 7 },
	{ "uucp", 8 }, { "cron", 9 }, { "authpriv", 10 }, { "ftp", 11 },
	{ "local0", 16 }, { "local1", 17 }, { "local2", 18 },
	{ "local3", 19 }, { "local4", 20 }, { "local5", 21 },
	{ "local6", 22 }, { "local7", 23 }, { NULL, 0 }
}, severities[] = {
	{ "emerg", 0 }, { "alert", 1 }, { "crit", 2 }, { "error", 3 },
	{ "err", 3 }, { "warn", 4 }, { "warning", 4 }, { "notice", 5 },
	{ "info", 6 }, { "debug", 7 }, { NULL, 0 }
};

static int
name_code(const char *v, size_t n, int syslog_facility)
{
	int i;

	for (i = 0; syslog_facility ? facilities[i].name != NULL :
	    severities[i].name != NULL; i++) {
		const char *s = syslog_facility ? facilities[i].name :
		    severities[i].name;

		if (strlen(s) == n && memcmp(s, v, n) == 0)
			return (syslog_facility ? facilities[i].code :
			    severities[i].code);
	}
	return (-1);
}

/* server=unix:/dev/log, server=192.0.2.1[:514] or server=[2001:db8::1][:514] */
static int
syslog_server(struct ctx *x, const config_setting_t *at, const char *path,
    const char *v, size_t n, struct log_dest *d)
{
	struct sockaddr_un	*un = (struct sockaddr_un *)(void *)&d->sa;
	struct cfg_addr		 a;
	char			 text[300], aerr[CFG_ERRLEN], *file;
	size_t			 k;

	if (n >= sizeof(text) - 5)
		return (cfg_bad(x, at, "%s: syslog server too long", path));
	memcpy(text, v, n);
	text[n] = '\0';
	memset(&d->sa, 0, sizeof(d->sa));
	if (strncmp(text, "unix:", 5) == 0) {
		if (text[5] == '\0')
			return (cfg_bad(x, at, "%s: server=unix: needs a "
			    "socket path", path));
		if ((file = cfg_in_dir(x, at, text + 5)) == NULL)
			return (-1);
		k = strlen(file);
		if (k >= sizeof(un->sun_path)) {
			free(file);
			return (cfg_bad(x, at, "%s: syslog socket path longer "
			    "than %zu bytes", path, sizeof(un->sun_path) - 1));
		}
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, file, k + 1);
		d->salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    k + 1);
		free(file);
		return (0);
	}
	/* no port: syslog's */
	if (strchr(text, ':') == NULL || (text[0] == '[' && text[n - 1] == ']'))
		(void)snprintf(text + n, sizeof(text) - n, ":%d",
		    LOG_SYSLOG_PORT);
	if (cfg_parse_addr(text, 1, &a, aerr, sizeof(aerr)) == -1)
		return (cfg_bad(x, at, "%s: syslog server \"%.*s\": %s "
		    "(unix:PATH, or a numeric IP[:PORT] for UDP)", path, (int)n,
		    v, aerr));
	d->sa = a.sa;
	d->salen = a.salen;
	return (0);
}

/*
 * "syslog:server=unix:/dev/log,facility=local7,tag=porter,severity=info"
 * (nginx's syntax; every parameter optional, these are the defaults).
 * severity only for access logs: error_log lines carry their level.
 */
static int
parse_syslog(struct ctx *x, const config_setting_t *at, const char *path,
    const char *spec, int access, struct log_dest *d)
{
	const char	*p = spec + 6, *key, *val, *end;
	size_t		 kl, vl;
	int		 seen = 0, bit, i;

	d->to = LOG_TO_SYSLOG;
	d->facility = 23;
	d->severity = access ? 6 : -1;
	(void)snprintf(d->tag, sizeof(d->tag), "porter");
	if (syslog_server(x, at, path, "unix:/dev/log", 13, d) == -1)
		return (-1);
	if (*p == ':')	/* else "syslog" alone: parse_dest checked */
		p++;
	while (*p != '\0') {
		key = p;
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		val = memchr(key, '=', (size_t)(end - key));
		if (val == NULL || val == key || val + 1 == end)
			return (cfg_bad(x, at, "%s: syslog parameter \"%.*s\" "
			    "is not KEY=VALUE", path, (int)(end - key), key));
		kl = (size_t)(val - key);
		val++;
		vl = (size_t)(end - val);
		/* a comma is followed by another parameter */
		p = *end == ',' && end[1] != '\0' ? end + 1 : end;
		if (*end == ',' && end[1] == '\0')
			return (cfg_bad(x, at, "%s: a comma at the end of "
			    "\"%s\"", path, spec));
		if (kl == 6 && memcmp(key, "server", 6) == 0) {
			bit = 1;
			if (syslog_server(x, at, path, val, vl, d) == -1)
				return (-1);
		} else if (kl == 8 && memcmp(key, "facility", 8) == 0) {
			bit = 2;
			if ((d->facility = name_code(val, vl, 1)) == -1)
				return (cfg_bad(x, at, "%s: unknown syslog "
				    "facility \"%.*s\" (kern, user, mail, "
				    "daemon, auth, syslog, lpr, news, uucp, "
				    "cron, authpriv, ftp, local0 .. local7)",
				    path, (int)vl, val));
		} else if (kl == 8 && memcmp(key, "severity", 8) == 0) {
			bit = 4;
			if (!access)
				return (cfg_bad(x, at, "%s: severity= is for "
				    "access_log; error_log lines go with "
				    "their own level", path));
			if ((d->severity = name_code(val, vl, 0)) == -1)
				return (cfg_bad(x, at, "%s: unknown syslog "
				    "severity \"%.*s\" (emerg, alert, crit, "
				    "error, warn, notice, info, debug)", path,
				    (int)vl, val));
		} else if (kl == 3 && memcmp(key, "tag", 3) == 0) {
			bit = 8;
			if (vl > LOG_TAG_MAX)
				return (cfg_bad(x, at, "%s: syslog tag longer "
				    "than %d characters", path, LOG_TAG_MAX));
			for (i = 0; i < (int)vl; i++)
				if (!((val[i] >= 'a' && val[i] <= 'z') ||
				    (val[i] >= 'A' && val[i] <= 'Z') ||
				    (val[i] >= '0' && val[i] <= '9') ||
				    val[i] == '_'))
					return (cfg_bad(x, at, "%s: syslog tag "
					    "\"%.*s\": letters, digits and _ "
					    "only", path, (int)vl, val));
			memcpy(d->tag, val, vl);
			d->tag[vl] = '\0';
		} else
			return (cfg_bad(x, at, "%s: unknown syslog parameter "
			    "\"%.*s\" (server, facility, %stag)", path,
			    (int)kl, key, access ? "severity, " : ""));
		if (seen & bit)
			return (cfg_bad(x, at, "%s: syslog parameter \"%.*s\" "
			    "given twice", path, (int)kl, key));
		seen |= bit;
	}
	return (0);
}

/* "stderr", "syslog:...", or a path (relative to the config's folder). */
static int
parse_dest(struct ctx *x, const config_setting_t *at, const char *path,
    const char *v, int access, struct log_dest *d)
{
	memset(d, 0, sizeof(*d));
	d->severity = -1;
	if (strcmp(v, "stderr") == 0) {
		d->to = LOG_TO_STDERR;
		return (0);
	}
	if (strncmp(v, "syslog", 6) == 0 && (v[6] == '\0' || v[6] == ':'))
		return (parse_syslog(x, at, path, v, access, d));
	d->to = LOG_TO_FILE;
	if ((d->path = cfg_in_dir(x, at, v)) == NULL)
		return (-1);
	return (0);
}

static int
dest_same(const struct log_dest *a, const struct log_dest *b)
{
	if (a->to != b->to)
		return (0);
	switch (a->to) {
	case LOG_TO_FILE:
		return (strcmp(a->path, b->path) == 0);
	case LOG_TO_SYSLOG:
		return (a->salen == b->salen && memcmp(&a->sa, &b->sa,
		    a->salen) == 0 && a->facility == b->facility &&
		    a->severity == b->severity && strcmp(a->tag, b->tag) == 0);
	default:
		return (1);
	}
}

/* The index of d in cfg.logs, added if new (d's path is taken). */
static int
dest_index(struct ctx *x, const config_setting_t *at, struct log_dest *d)
{
	struct cfg	*c = x->cfg;
	struct log_dest	*l;
	int		 i;

	for (i = 0; i < c->nlogs; i++)
		if (dest_same(&c->logs[i], d)) {
			free(d->path);
			d->path = NULL;
			return (i);
		}
	if ((l = realloc(c->logs, (size_t)(c->nlogs + 1) *
	    sizeof(*l))) == NULL) {
		free(d->path);
		d->path = NULL;
		return (cfg_bad(x, at, "out of memory"));
	}
	c->logs = l;
	c->logs[c->nlogs] = *d;
	d->path = NULL;
	return (c->nlogs++);
}

static int
field_named(const char *p, size_t n, int internal)
{
	int i;

	for (i = 0; fields[i].name != NULL; i++)
		if (strlen(fields[i].name) == n &&
		    memcmp(fields[i].name, p, n) == 0 &&
		    (internal || fields[i].name[0] != '_'))
			return (fields[i].field);
	return (-1);
}

static int
add_op(struct cfg_log_format *f, int field, uint32_t off, uint32_t len)
{
	struct cfg_log_op *o;

	if ((o = realloc(f->ops, (size_t)(f->nops + 1) * sizeof(*o))) ==
	    NULL)
		return (-1);
	f->ops = o;
	o[f->nops].field = (uint16_t)field;
	o[f->nops].off = off;
	o[f->nops].len = (uint16_t)len;
	f->nops++;
	return (0);
}

/*
 * A template into ops: "$name" or "${name}" is a field, "$$" a dollar
 * sign, the rest literal text. internal: the built-in formats' own
 * fields may be named. 0, or -1 with why set.
 */
static int
compile(struct cfg_log_format *f, const char *src, int internal, char *why,
    size_t whylen)
{
	size_t		 n = strlen(src), i = 0, k, tl = 0;
	uint32_t	 start;
	int		 fd, j, brace;

	if ((f->text = malloc(n + 1)) == NULL) {
		(void)snprintf(why, whylen, "out of memory");
		return (-1);
	}
	while (i < n) {
		start = (uint32_t)tl;
		while (i < n && (src[i] != '$' || (i + 1 < n &&
		    src[i + 1] == '$'))) {
			if ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) {
				(void)snprintf(why, whylen, "a control "
				    "character in the template (lines are "
				    "one line each)");
				return (-1);
			}
			f->text[tl++] = src[i];
			i += src[i] == '$' ? 2 : 1;
		}
		if (tl > start && add_op(f, CFG_LF_TEXT, start,
		    (uint32_t)tl - start) == -1)
			goto oom;
		if (i >= n)
			break;
		i++;	/* '$' */
		brace = i < n && src[i] == '{';
		if (brace) {
			for (k = i + 1; k < n && src[k] != '}'; k++)
				;
			if (k == n) {
				(void)snprintf(why, whylen, "\"${\" without "
				    "its \"}\"");
				return (-1);
			}
			fd = field_named(src + i + 1, k - i - 1, internal);
			j = (int)(k - i - 1);
			i++;
		} else {
			for (k = i; k < n && ((src[k] >= 'a' && src[k] <= 'z') ||
			    (src[k] >= '0' && src[k] <= '9') || src[k] == '_');
			    k++)
				;
			if (k == i) {
				(void)snprintf(why, whylen, "a \"$\" without a "
				    "field name (write $$ for a dollar sign)");
				return (-1);
			}
			fd = field_named(src + i, k - i, internal);
			j = (int)(k - i);
		}
		if (fd == -1) {
			size_t m = 0;

			m = (size_t)snprintf(why, whylen, "unknown field "
			    "\"$%.*s\"; the fields are", j, src + i);
			for (j = 0; fields[j].name != NULL && m < whylen; j++)
				if (fields[j].name[0] != '_')
					m += (size_t)snprintf(why + m,
					    whylen - m, "%s $%s", j ? "," : "",
					    fields[j].name);
			return (-1);
		}
		if (add_op(f, fd, 0, 0) == -1)
			goto oom;
		i = brace ? k + 1 : k;
	}
	return (0);
oom:
	(void)snprintf(why, whylen, "out of memory");
	return (-1);
}

static void
free_format(struct cfg_log_format *f)
{
	free(f->name);
	free(f->ops);
	free(f->text);
}

/* The index in cfg.log_formats of the format written v, added if new. */
static int
format_index(struct ctx *x, const config_setting_t *at, const char *path,
    const char *v)
{
	struct cfg		*c = x->cfg;
	struct cfg_log_format	 f, *l;
	const char		*src = v;
	char			 why[CFG_ERRLEN - CFG_PATHLEN - 32] = "";
	int			 i, internal = 0;

	for (i = 0; i < c->nlog_formats; i++)
		if (strcmp(c->log_formats[i].name, v) == 0)
			return (i);
	memset(&f, 0, sizeof(f));
	for (i = 0; builtin[i].name != NULL; i++)
		if (strcmp(builtin[i].name, v) == 0) {
			src = builtin[i].src;
			f.json = builtin[i].json;
			internal = 1;
		}
	if (!internal && strchr(v, '$') == NULL)
		return (cfg_bad(x, at, "%s: \"%s\" is neither porter, "
		    "combined, json nor a template with $fields", path, v));
	if (strlen(v) > LOG_TEMPLATE_MAX)
		return (cfg_bad(x, at, "%s: a template longer than %d "
		    "characters", path, LOG_TEMPLATE_MAX));
	if (compile(&f, src, internal, why, sizeof(why)) == -1 ||
	    (f.name = strdup(v)) == NULL) {
		free_format(&f);
		return (cfg_bad(x, at, "%s: %s", path, why[0] == '\0' ?
		    "out of memory" : why));
	}
	if ((l = realloc(c->log_formats, (size_t)(c->nlog_formats + 1) *
	    sizeof(*l))) == NULL) {
		free_format(&f);
		return (cfg_bad(x, at, "out of memory"));
	}
	c->log_formats = l;
	c->log_formats[c->nlog_formats] = f;
	return (c->nlog_formats++);
}

/*
 * access_log and access_log_format in group g (where: its path), each
 * given or inherited (to, fmt: the enclosing level's).
 */
int
cfg_parse_log_here(struct ctx *x, const config_setting_t *g,
    const char *where, int to, int fmt, int *out_to, int *out_fmt)
{
	struct log_dest	 d;
	const char	*v;
	char		 path[CFG_PATHLEN];
	int		 r;

	*out_to = to;
	*out_fmt = fmt;
	cfg_mkpath(path, where, "access_log");
	if ((r = cfg_get_string(x, g, where, "access_log", &v)) == -1)
		return (-1);
	if (r == 1 && strcmp(v, "off") == 0)
		*out_to = -1;
	else if (r == 1) {
		if (parse_dest(x, cfg_member(g, "access_log"), path, v, 1,
		    &d) == -1)
			return (-1);
		if ((*out_to = dest_index(x, cfg_member(g, "access_log"),
		    &d)) == -1)
			return (-1);
	}
	cfg_mkpath(path, where, "access_log_format");
	if ((r = cfg_get_string(x, g, where, "access_log_format", &v)) == -1)
		return (-1);
	if (r == 1 && (*out_fmt = format_index(x, cfg_member(g,
	    "access_log_format"), path, v)) == -1)
		return (-1);
	return (0);
}

int
cfg_parse_log_top(struct ctx *x, const config_setting_t *root)
{
	struct cfg	*c = x->cfg;
	const char	*v;
	int		 fmt;

	v = "stderr";
	if (cfg_get_string(x, root, "", "error_log", &v) == -1 ||
	    parse_dest(x, cfg_member(root, "error_log"), "error_log", v, 0,
	    &c->error_to) == -1)
		return (-1);
	if (c->error_to.to == LOG_TO_FILE)
		c->error_log = strdup(c->error_to.path);
	else
		c->error_log = strdup(v);
	if (c->error_log == NULL)
		return (cfg_bad(x, root, "out of memory"));

	c->request_id = 1;
	if (cfg_get_bool(x, root, "", "request_id", &c->request_id) == -1)
		return (-1);

	if ((fmt = format_index(x, NULL, "access_log_format", "porter")) == -1 ||
	    cfg_parse_log_here(x, root, "", -1, fmt, &c->access_to,
	    &c->access_format) == -1)
		return (-1);
	if (c->access_to >= 0) {
		const struct log_dest *d = &c->logs[c->access_to];

		v = config_setting_get_string(cfg_member(root, "access_log"));
		c->access_log = strdup(d->to == LOG_TO_FILE ? d->path : v);
		if (c->access_log == NULL)
			return (cfg_bad(x, root, "out of memory"));
	}
	return (0);
}

int
cfg_parse_request_id_from(struct ctx *x, const config_setting_t *g,
    const char *where, struct cfg_listener *l)
{
	if (cfg_parse_cidrs(x, g, where, "request_id_from",
	    &l->request_id_from, &l->nrequest_id_from) == -1)
		return (-1);
	if (!x->cfg->request_id && cfg_member(g, "request_id_from") != NULL)
		return (cfg_bad(x, cfg_member(g, "request_id_from"),
		    "%s.request_id_from has no effect with request_id = false",
		    where));
	return (0);
}

void
cfg_free_logs(struct cfg *c)
{
	int i;

	for (i = 0; i < c->nlogs && c->logs != NULL; i++)
		free(c->logs[i].path);
	free(c->logs);
	for (i = 0; i < c->nlog_formats && c->log_formats != NULL; i++)
		free_format(&c->log_formats[i]);
	free(c->log_formats);
	free(c->error_to.path);
}
