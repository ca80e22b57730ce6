/*
 * Would hits from a file-backed cache (cache.path) gain from sendfile()?
 * A hit's body lies in the store's chunks: chunk_size bytes each, a
 * 16-byte header first, so an object is a run of pieces of chunk_size -
 * 16 bytes, not one range of the file. This sends objects of OBJ bytes
 * from a mapped file over loopback TCP to a reader that discards them,
 * three ways, and prints the rate of each:
 *   writev    what porter does: iovecs into the mapping, 64 a call
 *   sendfile  one sendfile() per piece (TCP_CORK around the object)
 *   sendfile contiguous  one sendfile() per object, as if objects were
 *             one range (an upper bound: not the store's layout)
 * Not run by "make check":
 *
 *   make t/unit/sendfile_bench
 *   t/unit/sendfile_bench FILE [OBJ_KIB] [CHUNK]
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FILE_MB		256
#define TOTAL		(4ULL << 30)	/* bytes sent per way */
#define NIOV		64

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

/* A connected loopback TCP pair; the reader child discards. */
static int
pair(pid_t *child)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int l, c, s;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((l = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    listen(l, 1) == -1 ||
	    getsockname(l, (struct sockaddr *)&a, &al) == -1 ||
	    (c = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    (s = accept(l, NULL, NULL)) == -1)
		die("socket");
	(void)close(l);
	if ((*child = fork()) == -1)
		die("fork");
	if (*child == 0) {
		static char buf[1 << 18];

		(void)close(s);
		while (read(c, buf, sizeof(buf)) > 0)
			;
		_exit(0);
	}
	(void)close(c);
	return (s);
}

static void
way(const char *name, int fd, char *map, size_t flen, size_t obj,
    size_t chunk, int mode)
{
	size_t piece = chunk - 16, nobj = flen / chunk, sent = 0;
	uint64_t seed = 1;
	pid_t child;
	double t0;
	int s = pair(&child), one = 1, zero = 0;

	t0 = now();
	while (sent < TOTAL) {
		/* an object's first chunk, anywhere in the file */
		size_t first = (size_t)((seed = seed * 6364136223846793005ULL +
		    1442695040888963407ULL) >> 33) % (nobj - obj / piece - 2);
		size_t left = obj, k = 0;

		if (mode == 0) {
			struct iovec iov[NIOV];

			while (left > 0) {
				int n = 0;
				ssize_t w;

				while (n < NIOV && left > 0) {
					size_t m = left < piece ? left : piece;

					iov[n].iov_base = map + (first + k) *
					    chunk + 16;
					iov[n].iov_len = m;
					left -= m;
					k++;
					n++;
				}
				/* loopback: a blocking writev writes it all */
				if ((w = writev(s, iov, n)) == -1)
					die("writev");
			}
		} else if (mode == 1) {
			(void)setsockopt(s, IPPROTO_TCP, TCP_CORK, &one,
			    sizeof(one));
			while (left > 0) {
				size_t m = left < piece ? left : piece;
				off_t off = (off_t)((first + k) * chunk + 16);

				while (m > 0) {
					ssize_t w = sendfile(s, fd, &off, m);

					if (w <= 0)
						die("sendfile");
					m -= (size_t)w;
					left -= (size_t)w;
				}
				k++;
			}
			(void)setsockopt(s, IPPROTO_TCP, TCP_CORK, &zero,
			    sizeof(zero));
		} else {
			off_t off = (off_t)(first * chunk);

			while (left > 0) {
				ssize_t w = sendfile(s, fd, &off, left);

				if (w <= 0)
					die("sendfile");
				left -= (size_t)w;
			}
		}
		sent += obj;
	}
	(void)close(s);
	(void)waitpid(child, NULL, 0);
	printf("%-22s %7.0f MiB/s (%zu KiB objects, chunk %zu)\n", name,
	    TOTAL / 1048576.0 / (now() - t0), obj >> 10, chunk);
}

int
main(int argc, char **argv)
{
	size_t flen = (size_t)FILE_MB << 20, i;
	size_t obj = (size_t)(argc > 2 ? atoi(argv[2]) : 64) << 10;
	size_t chunk = argc > 3 ? (size_t)atoi(argv[3]) : 2048;
	char *map;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: sendfile_bench FILE [OBJ_KIB] [CHUNK]\n");
		return (2);
	}
	if ((fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    ftruncate(fd, (off_t)flen) == -1)
		die(argv[1]);
	map = mmap(NULL, flen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	for (i = 0; i < flen; i++)	/* in the page cache, as a hot cache */
		map[i] = (char)(i * 131 + (i >> 12));
	way("writev (porter)", fd, map, flen, obj, chunk, 0);
	way("sendfile per piece", fd, map, flen, obj, chunk, 1);
	way("sendfile contiguous", fd, map, flen, obj, chunk, 2);
	way("writev (porter)", fd, map, flen, obj, chunk, 0);
	(void)munmap(map, flen);
	(void)close(fd);
	(void)unlink(argv[1]);
	return (0);
}
