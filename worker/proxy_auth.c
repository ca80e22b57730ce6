#include "config.h"

#include <sys/random.h>

#include <crypt.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "worker/proxy_auth.h"

#define CRED_MAX	1024	/* decoded "user:password" */
#define CACHE_SIZE	16

/*
 * SHA-256 (FIPS 180-4), only to key the cache: the credentials are not
 * kept, and with a random per-process prefix the digests are no fast
 * unsalted hash of a password either.
 */
struct sha256 {
	uint32_t	h[8];
	uint8_t		blk[64];
	uint64_t	total;
	size_t		n;
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

#define ROR(x, n)	((x) >> (n) | (x) << (32 - (n)))

static void
sha_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], v[8], t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 64; i++)
		w[i] = w[i - 16] + w[i - 7] +
		    (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ w[i - 15] >> 3) +
		    (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ w[i - 2] >> 10);
	memcpy(v, s->h, sizeof(v));
	for (i = 0; i < 64; i++) {
		t1 = v[7] + (ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25)) +
		    ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha_k[i] + w[i];
		t2 = (ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22)) +
		    ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		s->h[i] += v[i];
	explicit_bzero(w, sizeof(w));
	explicit_bzero(v, sizeof(v));
}

static void
sha_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
	};

	memcpy(s->h, iv, sizeof(iv));
	s->total = 0;
	s->n = 0;
}

static void
sha_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t k;

	s->total += len;
	while (len > 0) {
		k = sizeof(s->blk) - s->n;
		if (k > len)
			k = len;
		memcpy(s->blk + s->n, p, k);
		s->n += k;
		p += k;
		len -= k;
		if (s->n == sizeof(s->blk)) {
			sha_block(s, s->blk);
			s->n = 0;
		}
	}
}

static void
sha_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->total * 8;
	uint8_t pad = 0x80, len[8];
	int i;

	sha_update(s, &pad, 1);
	pad = 0;
	while (s->n != 56)
		sha_update(s, &pad, 1);
	for (i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_update(s, len, 8);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
	explicit_bzero(s, sizeof(*s));
}

/* Recently verified credentials: digest of key, user:password, hash. */
struct pauth_entry {
	uint8_t		digest[32];
	int		valid;
	unsigned	used;		/* for eviction: least recent goes */
};

static struct pauth_entry cache[CACHE_SIZE];
static uint8_t cache_key[32];
static int cache_state;			/* 0 unset, 1 ready, -1 off */
static unsigned cache_clock;
/* ~32 KiB: never on a worker's stack */
static struct crypt_data cdata;

/* Equal in time that depends on n only. */
static int
ct_eq(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return (d == 0);
}

static int
cache_ready(void)
{
	size_t got = 0;
	ssize_t r;

	while (cache_state == 0 && got < sizeof(cache_key)) {
		r = getrandom(cache_key + got, sizeof(cache_key) - got, 0);
		if (r < 0) {
			/* no randomness: no cache, crypt every time */
			cache_state = -1;
			break;
		}
		got += (size_t)r;
	}
	if (cache_state == 0)
		cache_state = 1;
	return (cache_state == 1);
}

static void
cache_digest(const char *cred, size_t n, const char *hash, uint8_t out[32])
{
	struct sha256 s;
	uint8_t sep = 0;

	sha_init(&s);
	sha_update(&s, cache_key, sizeof(cache_key));
	sha_update(&s, cred, n);
	sha_update(&s, &sep, 1);
	sha_update(&s, hash, strlen(hash) + 1);
	sha_final(&s, out);
}

/* Every entry compared, so the time does not tell which one matched. */
static int
cache_find(const uint8_t d[32])
{
	int i, hit = -1;

	for (i = 0; i < CACHE_SIZE; i++)
		if (ct_eq(cache[i].digest, d, 32) & cache[i].valid)
			hit = i;
	if (hit >= 0)
		cache[hit].used = ++cache_clock;
	return (hit >= 0);
}

static void
cache_add(const uint8_t d[32])
{
	int i, victim = 0;

	for (i = 0; i < CACHE_SIZE; i++) {
		if (!cache[i].valid) {
			victim = i;
			break;
		}
		if (cache[i].used - cache[victim].used > (unsigned)INT32_MAX)
			victim = i;	/* older, minding wrap-around */
	}
	memcpy(cache[victim].digest, d, 32);
	cache[victim].valid = 1;
	cache[victim].used = ++cache_clock;
}

static int
b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '+')
		return (62);
	if (c == '/')
		return (63);
	return (-1);
}

/* Standard base64, padding optional; -1 on any stray character. */
static ssize_t
b64_decode(const char *s, size_t n, char *out, size_t cap)
{
	uint32_t acc = 0;
	size_t i, o = 0, pad = 0;
	int bits = 0, v;

	while (n > 0 && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (n % 4 == 1 || (pad > 0 && (n + pad) % 4 != 0))
		return (-1);
	for (i = 0; i < n; i++) {
		if ((v = b64_val((unsigned char)s[i])) < 0)
			return (-1);
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return (-1);
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	explicit_bzero(&acc, sizeof(acc));
	return ((ssize_t)o);
}

/* crypt_r(pw, hash) == hash, with the derived state wiped after. */
static int
crypt_ok(const char *pw, const char *hash)
{
	const char *r;
	size_t n;
	int ok;

	if (hash == NULL || hash[0] == '\0' || hash[0] == '*' ||
	    hash[0] == '!')
		return (0);	/* no password, or a locked account */
	r = crypt_r(pw, hash, &cdata);
	n = strlen(hash);
	ok = r != NULL && r[0] != '*' && strlen(r) == n && ct_eq(r, hash, n);
	explicit_bzero(&cdata, sizeof(cdata));
	return (ok);
}

int
pauth_check(const struct cfg_forward *f, const char *value, size_t len,
    char *user, size_t cap)
{
	char cred[CRED_MAX + 1];
	uint8_t d[32];
	const char *tok, *colon;
	size_t i = 0, tl, ulen, nl;
	ssize_t n;
	int u, ok = 0, cached = 0;

	if (cap > 0)
		user[0] = '\0';
	if (value == NULL || f->nusers <= 0)
		return (0);
	while (i < len && (value[i] == ' ' || value[i] == '\t'))
		i++;
	if (len - i < 6 || strncasecmp(value + i, "basic", 5) != 0 ||
	    (value[i + 5] != ' ' && value[i + 5] != '\t'))
		return (0);
	for (i += 5; i < len && (value[i] == ' ' || value[i] == '\t'); i++)
		;
	tok = value + i;
	for (tl = 0; i + tl < len && value[i + tl] != ' ' &&
	    value[i + tl] != '\t'; tl++)
		;
	for (i += tl; i < len; i++)
		if (value[i] != ' ' && value[i] != '\t')
			return (0);		/* a second token */
	if (tl == 0)
		return (0);
	n = b64_decode(tok, tl, cred, CRED_MAX);
	if (n <= 0)
		goto done;
	cred[n] = '\0';
	/* user-id has no ':' (RFC 7617); crypt sees a C string */
	if (memchr(cred, '\0', (size_t)n) != NULL ||
	    (colon = memchr(cred, ':', (size_t)n)) == NULL)
		goto done;
	ulen = (size_t)(colon - cred);
	for (u = 0; u < f->nusers; u++)
		if (f->users[u].name != NULL &&
		    strlen(f->users[u].name) == ulen &&
		    memcmp(f->users[u].name, cred, ulen) == 0 &&
		    f->users[u].hash != NULL)
			break;
	if (u == f->nusers) {
		/* as slow as a wrong password: user names do not show */
		if (f->users[0].hash != NULL)
			(void)crypt_ok(colon + 1, f->users[0].hash);
		goto done;
	}
	if (cache_ready()) {
		cache_digest(cred, (size_t)n, f->users[u].hash, d);
		cached = cache_find(d);
	}
	ok = cached || crypt_ok(colon + 1, f->users[u].hash);
	if (ok && !cached && cache_state == 1)
		cache_add(d);
	if (ok && cap > 0) {
		nl = strlen(f->users[u].name);
		if (nl >= cap)
			nl = cap - 1;
		memcpy(user, f->users[u].name, nl);
		user[nl] = '\0';
	}
done:
	explicit_bzero(cred, sizeof(cred));
	explicit_bzero(d, sizeof(d));
	return (ok);
}
