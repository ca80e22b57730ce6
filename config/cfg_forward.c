/*
 * A forward listener's settings (mode = "forward"): CONNECT ports,
 * anonymity, block and allow lists (with block_file), proxy users (with
 * auth_file) and a parent proxy.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_parse.h"

#define HOSTPAT	"(a name, \".name\" for it and every name below it, an " \
		"IPv4 address or \"[v6]\")"

/*
 * Host patterns from a list setting into a new array with extra empty
 * slots at the end (for block_file's). *nout counts every slot, so
 * cfg_free frees them, filled or not. 0 or -1.
 */
static int
get_hosts(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, int extra, char ***out, int *nout)
{
	const config_setting_t	*list, *e;
	const char		*v;
	char			 path[CFG_PATHLEN];
	void			*mem;
	int			 i, n;

	if ((n = cfg_get_array(x, g, where, name, cfg_get_strings, extra,
	    sizeof(**out), &list, &mem)) <= 0)
		return (n);
	*out = mem;
	*nout = n;
	for (i = 0; i < n - extra; i++) {
		e = config_setting_get_elem(list, i);
		v = config_setting_get_string(e);
		cfg_mkpath_i(path, where, name, i);
		if (((*out)[i] = cfg_xstrdup(x, e, v)) == NULL)
			return (-1);
		if (!cfg_host_pattern_ok((*out)[i]))
			return (cfg_bad(x, e, "%s: bad host pattern \"%s\" "
			    HOSTPAT, path, v));
	}
	return (0);
}

/*
 * Lines of a file read at load (block_file, auth_file): blanks around
 * them do not count, and blank lines and "#" comments are skipped.
 */
#define BLANKS	" \t\r"

/* The lines next_line() returns; ntilde of them start with "~". */
static int
count_lines(const char *text, int *ntilde)
{
	const char	*p, *nl;
	int		 n = 0;

	*ntilde = 0;
	for (p = text; *p != '\0'; p = nl != NULL ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		p += strspn(p, BLANKS);
		if (*p == '\n' || *p == '\0' || *p == '#')
			continue;
		n++;
		if (*p == '~')
			(*ntilde)++;
	}
	return (n);
}

/* The next such line, trimmed and NUL-terminated in place; or NULL. */
static char *
next_line(char **pos, unsigned *lineno)
{
	char	*p, *e, *nl;

	while (**pos != '\0') {
		p = *pos;
		++*lineno;
		if ((nl = strchr(p, '\n')) != NULL) {
			*nl = '\0';
			*pos = nl + 1;
		} else
			*pos = p + strlen(p);
		p += strspn(p, BLANKS);
		for (e = p + strlen(p); e > p && strchr(BLANKS, e[-1]) != NULL;
		    e--)
			;
		*e = '\0';
		if (*p != '\0' && *p != '#')
			return (p);
	}
	return (NULL);
}

/*
 * A setting naming such a file (block_file, auth_file): its absolute path
 * to *file, and the file, which must be text, read whole into *text (the
 * caller frees it, error or not). 1 read, 0 absent, -1 error.
 */
static int
get_lines_file(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, size_t max, const char *maxname, char **file,
    char **text)
{
	const config_setting_t	*at = cfg_member(g, name);
	const char		*v;
	char			 path[CFG_PATHLEN];
	size_t			 len;
	int			 r;

	cfg_mkpath(path, where, name);
	if ((r = cfg_get_string(x, g, where, name, &v)) <= 0)
		return (r);
	if ((*file = cfg_in_dir(x, at, v)) == NULL ||
	    cfg_slurp(x, at, path, *file, max, maxname, text, &len) == -1)
		return (-1);
	if (memchr(*text, '\0', len) != NULL)
		return (cfg_bad(x, at, "%s: \"%s\" is not a text file (it has "
		    "a NUL byte)", path, *file));
	return (1);
}

/*
 * block_hosts, block_urls and block_file. The file is read first, to
 * size the arrays once: its hosts go after block_hosts', its "~ ERE"
 * lines after block_urls'.
 */
static int
parse_blocks(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_forward *f)
{
	const config_setting_t	*at = cfg_member(g, "block_file");
	char			 why[256], *text = NULL, *pos, *line;
	unsigned		 lineno = 0;
	int			 r, nf = 0, nurls = 0, h, u, rc = -1;

	if ((r = get_lines_file(x, g, where, "block_file", 64 << 20, "64M",
	    &f->block_file, &text)) == -1)
		goto out;
	if (r == 1)
		nf = count_lines(text, &nurls);
	if (get_hosts(x, g, where, "block_hosts", nf - nurls, &f->block_hosts,
	    &f->nblock_hosts) == -1 ||
	    cfg_get_res(x, g, where, "block_urls", CFG_RE_URL, nurls,
	    &f->block_urls_src, &f->block_urls, &f->nblock_urls) == -1)
		goto out;
	if (text == NULL)
		return (0);

	h = f->nblock_hosts - (nf - nurls);
	u = f->nblock_urls - nurls;
	for (pos = text; (line = next_line(&pos, &lineno)) != NULL;) {
		if (line[0] != '~') {
			if ((f->block_hosts[h] = cfg_xstrdup(x, at,
			    line)) == NULL)
				goto out;
			if (!cfg_host_pattern_ok(f->block_hosts[h++])) {
				cfg_bad_line(x, f->block_file, lineno, "\"%s\" "
				    "is neither a host pattern " HOSTPAT
				    " nor \"~ REGEX\"", line);
				goto out;
			}
			continue;
		}
		line += 1 + strspn(line + 1, BLANKS);
		if (*line == '\0') {
			cfg_bad_line(x, f->block_file, lineno, "\"~\" without "
			    "a regular expression");
			goto out;
		}
		if (cfg_re_error(line, CFG_RE_URL, &f->block_urls[u], why,
		    sizeof(why)) == -1) {
			cfg_bad_line(x, f->block_file, lineno, "bad regular "
			    "expression \"%s\": %s", line, why);
			goto out;
		}
		if ((f->block_urls_src[u++] = strdup(line)) == NULL) {
			regfree(&f->block_urls[u - 1]);
			cfg_bad(x, at, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	free(text);
	return (rc);
}

/* Hash prefixes crypt(3) reads that are safe to store passwords with. */
static const char *const hash_prefixes[] = {
	"$6$", "$5$", "$2b$", "$2y$", "$2a$", "$y$", NULL
};

/* One "user:hash" line of auth_file; u is filled, users[0..i) before. */
static int
parse_user(struct ctx *x, const struct cfg_forward *f, int i, char *line,
    unsigned lineno, struct cfg_user *u)
{
	const unsigned char	*p;
	const char *const	*hp;
	char			*hash;
	int			 j;

	if ((hash = strchr(line, ':')) == NULL || hash == line)
		return (cfg_bad_line(x, f->auth_file, lineno, "expected "
		    "\"user:hash\""));
	*hash++ = '\0';
	for (p = (const unsigned char *)line; *p != '\0'; p++)
		if (*p < ' ' || *p == 0x7f)
			return (cfg_bad_line(x, f->auth_file, lineno, "control "
			    "character in the user name"));
	for (p = (const unsigned char *)hash; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == ':')
			return (cfg_bad_line(x, f->auth_file, lineno, "bad "
			    "character in the hash of user \"%s\"", line));
	for (hp = hash_prefixes; *hp != NULL; hp++)
		if (strncmp(hash, *hp, strlen(*hp)) == 0 &&
		    strlen(hash) > strlen(*hp))
			break;
	if (*hp == NULL)
		return (cfg_bad_line(x, f->auth_file, lineno, "unsupported "
		    "hash; use SHA-512 ($6$) or bcrypt ($2b$), e.g. openssl "
		    "passwd -6"));
	for (j = 0; j < i; j++)
		if (strcmp(f->users[j].name, line) == 0)
			return (cfg_bad_line(x, f->auth_file, lineno,
			    "duplicate user \"%s\"", line));
	if ((u->name = strdup(line)) == NULL ||
	    (u->hash = strdup(hash)) == NULL)
		return (cfg_bad_line(x, f->auth_file, lineno, "out of memory"));
	return (0);
}

/* auth_file (htpasswd-style, crypt(3) hashes) and auth_realm. */
static int
parse_auth(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_forward *f)
{
	const config_setting_t	*at = cfg_member(g, "auth_file");
	const unsigned char	*p;
	const char		*v;
	char			 path[CFG_PATHLEN], *text = NULL, *pos, *line;
	unsigned		 lineno = 0;
	int			 i, r, tilde, rc = -1;

	cfg_mkpath(path, where, "auth_file");
	if ((r = get_lines_file(x, g, where, "auth_file", 16 << 20, "16M",
	    &f->auth_file, &text)) == -1)
		goto out;
	if (r == 1) {
		if ((f->nusers = count_lines(text, &tilde)) == 0) {
			cfg_bad(x, at, "%s: no users in \"%s\" (one "
			    "\"user:hash\" a line)", path, f->auth_file);
			goto out;
		}
		if ((f->users = calloc(f->nusers, sizeof(*f->users))) == NULL) {
			cfg_bad(x, at, "out of memory");
			goto out;
		}
		for (i = 0, pos = text; (line = next_line(&pos,
		    &lineno)) != NULL; i++)
			if (parse_user(x, f, i, line, lineno,
			    &f->users[i]) == -1)
				goto out;
	}

	cfg_mkpath(path, where, "auth_realm");
	v = "porter";
	if ((r = cfg_get_string(x, g, where, "auth_realm", &v)) == -1)
		goto out;
	if (r == 1 && f->auth_file == NULL) {
		cfg_bad(x, cfg_member(g, "auth_realm"), "%s needs auth_file",
		    path);
		goto out;
	}
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p < ' ' || *p == 0x7f || *p == '"' || *p == '\\') {
			cfg_bad(x, cfg_member(g, "auth_realm"), "%s: quotes, "
			    "backslashes and control characters are not "
			    "allowed", path);
			goto out;
		}
	if (f->auth_file != NULL &&
	    (f->auth_realm = cfg_xstrdup(x, g, v)) == NULL)
		goto out;
	rc = 0;
out:
	free(text);
	return (rc);
}

/*
 * A forward listener's settings; a reverse listener gets the defaults
 * (its forward keys were refused already).
 */
int
cfg_parse_forward(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_forward *f)
{
	const char	*v;
	char		 aerr[CFG_ERRLEN];
	int		 r, b;

	f->deny_private = 1;
	if ((r = cfg_get_ints(x, g, where, "connect_ports", 1, 65535, 443,
	    &f->connect_ports, &f->nconnect_ports)) == -1)
		return (-1);
	if (r == 0) {
		if ((f->connect_ports = calloc(1, sizeof(int))) == NULL)
			return (cfg_bad(x, g, "out of memory"));
		f->connect_ports[0] = 443;
		f->nconnect_ports = 1;
	}

	/* An anonymous proxy does not tell the client's address. */
	if (cfg_get_bool(x, g, where, "anonymous", &f->anonymous) == -1 ||
	    (r = cfg_get_bool(x, g, where, "forwarded_for", &b)) == -1)
		return (-1);
	if (r == 1 && b && f->anonymous)
		return (cfg_bad(x, cfg_member(g, "forwarded_for"),
		    "%s.forwarded_for = true contradicts anonymous = true "
		    "(leave it out)", where));
	f->forwarded_for = r == 1 ? b : !f->anonymous;
	if (cfg_parse_hdr_removes(x, g, where, "anonymous_strip", 1, NULL, 0,
	    NULL, &f->anonymous_strip, &f->nanonymous_strip) == -1)
		return (-1);

	if (parse_blocks(x, g, where, f) == -1 ||
	    get_hosts(x, g, where, "allow_hosts", 0, &f->allow_hosts,
	    &f->nallow_hosts) == -1 ||
	    cfg_get_bool(x, g, where, "deny_private", &f->deny_private) == -1 ||
	    parse_auth(x, g, where, f) == -1)
		return (-1);

	if ((r = cfg_get_string(x, g, where, "parent", &v)) == -1)
		return (-1);
	if (r == 1) {
		if (v[0] == '*')
			return (cfg_bad(x, cfg_member(g, "parent"),
			    "%s.parent: a parent needs a host, not \"%s\"",
			    where, v));
		if (cfg_parse_addr(v, 0, &f->parent, aerr, sizeof(aerr)) == -1)
			return (cfg_bad(x, cfg_member(g, "parent"),
			    "%s.parent: %s", where, aerr));
		f->has_parent = 1;
	}
	if (get_hosts(x, g, where, "parent_hosts", 0, &f->parent_hosts,
	    &f->nparent_hosts) == -1)
		return (-1);
	if (f->nparent_hosts > 0 && !f->has_parent)
		return (cfg_bad(x, cfg_member(g, "parent_hosts"),
		    "%s.parent_hosts needs parent", where));
	return (0);
}

void
cfg_free_forward(struct cfg_forward *f)
{
	int	 i;

	free(f->connect_ports);
	cfg_free_route_cache(&f->cache_route.cache);
	cfg_free_strings(f->anonymous_strip, f->nanonymous_strip);
	cfg_free_strings(f->block_hosts, f->nblock_hosts);
	cfg_free_strings(f->allow_hosts, f->nallow_hosts);
	cfg_free_res(f->block_urls_src, f->block_urls, f->nblock_urls);
	free(f->block_file);
	for (i = 0; i < f->nusers && f->users != NULL; i++) {
		free(f->users[i].name);
		free(f->users[i].hash);
	}
	free(f->users);
	free(f->auth_file);
	free(f->auth_realm);
	cfg_free_strings(f->parent_hosts, f->nparent_hosts);
}
