// SPDX-License-Identifier: GPL-2.0
/*
 * short_copy_stale: a buffered write whose copy from user memory stops
 * part-way through a new block must not expose the folio's old contents.
 *
 * The file is a hole of SIZE bytes (ftruncate).  Each of N writes starts
 * 0x10 bytes into a block at an odd page index (so the page cache gives it
 * a single-page folio) and copies from a buffer whose second page is
 * PROT_NONE, 0x20 bytes before that page: the copy stops after 0x20 bytes,
 * in the middle of the block.  The bytes of the block that were neither
 * written nor part of the hole before must read back as zeroes.  Before the
 * writes, -m MiB of anonymous memory are filled with 0xab and freed, and
 * (with -j) a junk file's page cache is filled with 0xab and dropped, so
 * that the new folios are likely to be recycled pages that held 0xab.
 *
 * Write mode (default) truncates FILE, writes, fsyncs and checks the file
 * through the page cache.  Check mode (-c) only checks FILE (for instance
 * after a cycle mount); it expects what a write mode run with the same N
 * and SIZE leaves when each write copied 0x20 bytes.  Output on success: a
 * single line "N writes, 0 stale bytes".
 *
 * Exit status: 0 no stale byte; 1 usage; 2 setup or I/O error; 3 a write
 * returned something other than the 0x20 bytes it could copy; 4 stale
 * bytes found (the first few are printed).
 *
 * Usage: short_copy_stale [-c] [-n N] [-s SIZE] [-m MiB] [-j JUNKFILE] FILE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define STRIDE		(64 * 1024)	/* one write per 64 KiB of file */
#define WRITE_PAGE	1		/* page index of the write in a stride */
#define WRITE_OFF	0x10		/* its offset in that page */
#define COPY_LEN	0x20		/* bytes readable before the fault */
#define WRITE_LEN	0x2000		/* bytes asked for */
#define DATA		0x22		/* the bytes written */
#define JUNK		0xab		/* what freed memory holds */

static long pagesize;

static long long number(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || *end || v < 0 || v > (1LL << 40)) {
		fprintf(stderr, "short_copy_stale: bad number \"%s\"\n", s);
		exit(1);
	}
	return v;
}

static off_t write_pos(int i)
{
	return (off_t)i * STRIDE + WRITE_PAGE * pagesize + WRITE_OFF;
}

/* Leave JUNK in as much recently freed memory as we can. */
static int fill_and_free(long long mib, const char *junkfile)
{
	size_t len = (size_t)mib << 20;
	char *p;

	if (junkfile) {
		char buf[65536];
		size_t done;
		int fd = open(junkfile, O_RDWR | O_CREAT | O_TRUNC, 0600);

		if (fd < 0) {
			perror(junkfile);
			return -1;
		}
		memset(buf, JUNK, sizeof(buf));
		for (done = 0; done < len; done += sizeof(buf))
			if (write(fd, buf, sizeof(buf)) != sizeof(buf)) {
				perror("write junk");
				return -1;
			}
		if (fsync(fd) < 0 ||
		    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0) {
			perror("drop junk");
			return -1;
		}
		close(fd);
		unlink(junkfile);
	}
	if (len == 0)
		return 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap junk");
		return -1;
	}
	memset(p, JUNK, len);
	munmap(p, len);
	return 0;
}

/* Every byte must be DATA inside a write's COPY_LEN bytes and 0 elsewhere. */
static int check(int fd, int n, off_t size)
{
	static unsigned char buf[STRIDE];
	long long stale = 0;
	int shown = 0;
	off_t pos;

	for (pos = 0; pos < size; pos += STRIDE) {
		ssize_t len = size - pos < STRIDE ? size - pos : STRIDE;
		ssize_t j;

		if (pread(fd, buf, len, pos) != len) {
			perror("pread");
			return 2;
		}
		for (j = 0; j < len; j++) {
			off_t at = pos + j, first = write_pos(at / STRIDE);
			unsigned char want = 0;

			if (at / STRIDE < n && at >= first &&
			    at < first + COPY_LEN)
				want = DATA;
			if (buf[j] == want)
				continue;
			if (shown++ < 4)
				printf("offset 0x%llx: 0x%02x, expected 0x%02x\n",
				       (long long)(pos + j), buf[j], want);
			stale++;
		}
	}
	printf("%d writes, %lld stale bytes\n", n, stale);
	return stale ? 4 : 0;
}

int main(int argc, char **argv)
{
	const char *junkfile = NULL;
	long long mib = 64;
	int checkonly = 0, n = 16, fd, i, c;
	off_t size = 0;
	char *src;

	pagesize = sysconf(_SC_PAGESIZE);
	while ((c = getopt(argc, argv, "cn:s:m:j:")) != -1) {
		switch (c) {
		case 'c': checkonly = 1; break;
		case 'n': n = number(optarg); break;
		case 's': size = number(optarg); break;
		case 'm': mib = number(optarg); break;
		case 'j': junkfile = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || n < 1 || n > 4096 || mib > 65536)
		goto usage;
	if (size == 0)
		size = (off_t)n * STRIDE;
	if (size < write_pos(n - 1) + WRITE_LEN) {
		fprintf(stderr, "short_copy_stale: SIZE too small for N\n");
		return 1;
	}

	fd = open(argv[optind], checkonly ? O_RDONLY :
		  O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(argv[optind]);
		return 2;
	}
	if (checkonly)
		return check(fd, n, size);

	if (ftruncate(fd, size) < 0) {
		perror("ftruncate");
		return 2;
	}
	src = mmap(NULL, 2 * pagesize, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	memset(src, DATA, pagesize);
	if (mprotect(src + pagesize, pagesize, PROT_NONE) < 0) {
		perror("mprotect");
		return 2;
	}
	if (fill_and_free(mib, junkfile) < 0)
		return 2;
	for (i = 0; i < n; i++) {
		ssize_t ret = pwrite(fd, src + pagesize - COPY_LEN, WRITE_LEN,
				     write_pos(i));

		if (ret != COPY_LEN) {
			printf("write %d at 0x%llx returned %zd (%s), expected %d\n",
			       i, (long long)write_pos(i), ret,
			       ret < 0 ? strerror(errno) : "short", COPY_LEN);
			return 3;
		}
	}
	if (fsync(fd) < 0) {
		perror("fsync");
		return 2;
	}
	return check(fd, n, size);
usage:
	fprintf(stderr, "usage: short_copy_stale [-c] [-n N] [-s SIZE] [-m MiB] [-j JUNKFILE] FILE\n");
	return 1;
}
