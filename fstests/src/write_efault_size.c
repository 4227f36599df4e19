// SPDX-License-Identifier: GPL-2.0
/*
 * write_efault_size: a buffered write that copies nothing must not change
 * the file size.
 *
 * pwrite() at OFFSET (past EOF) from a buffer whose pages are PROT_NONE
 * cannot copy a byte: it must fail with EFAULT and leave i_size alone.
 * Prints the size before and after, and exits 0 if both hold, 1 on usage
 * errors, 2 if setting up failed, 3 if the write succeeded or failed with
 * another error, 4 if the size changed.
 *
 * Usage: write_efault_size FILE OFFSET LEN
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

static long long number(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || *end || v < 0 || v > (1LL << 40)) {
		fprintf(stderr, "write_efault_size: bad number \"%s\"\n", s);
		exit(1);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct stat before, after;
	long long off, len;
	ssize_t ret;
	void *buf;
	int fd, err;

	if (argc != 4) {
		fprintf(stderr, "usage: write_efault_size FILE OFFSET LEN\n");
		return 1;
	}
	off = number(argv[2]);
	len = number(argv[3]);
	if (len == 0 || len > (1LL << 30)) {
		fprintf(stderr, "write_efault_size: LEN must be 1..1GiB\n");
		return 1;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || fstat(fd, &before) < 0) {
		perror(argv[1]);
		return 2;
	}
	buf = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	ret = pwrite(fd, buf, len, off);
	err = errno;
	if (fstat(fd, &after) < 0) {
		perror("fstat");
		return 2;
	}
	printf("size before %lld, after %lld\n", (long long)before.st_size,
	       (long long)after.st_size);
	if (ret >= 0 || err != EFAULT) {
		printf("pwrite returned %zd (%s), expected EFAULT\n", ret,
		       ret < 0 ? strerror(err) : "no error");
		return 3;
	}
	return after.st_size == before.st_size ? 0 : 4;
}
