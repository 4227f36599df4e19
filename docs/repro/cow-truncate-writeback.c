// cow-truncate-writeback: XFS writeback of a reflinked file racing a
// truncate and an extending write behind it (docs/design.md, "COW mappings
// are revalidated").
//
// Each iteration: f gets a 1 MiB COW extent size hint, DIR/f is written in
// 4 KiB pwrites (small folios: many writeback_iter batches), fsynced,
// cloned to DIR/g (FICLONE) and written again (0x57): a dirty range over
// shared blocks, so writeback converts one COW staging extent and caches
// its mapping. Thread A runs sync_file_range(SYNC_FILE_RANGE_WRITE) over
// the file; thread B, after a random spin, truncates f to CUT and writes
// 8 KiB of 0x41 at CUT. Then fsync, POSIX_FADV_DONTNEED, and the bytes at
// CUT must read 0x41 and those below CUT 0x57. A writeback pass that keeps
// trusting its cached COW mapping writes the new folio to a staging block
// the truncate freed, and the write is lost (reads 0x00).
//
// Usage: cow-truncate-writeback DIR ITERATIONS FILE_KIB CUT_KIB MAX_SPIN
// (e.g. DIR on a scratch XFS: 300 2048 640 4000000). Exit 0: nothing lost;
// 1: a lost write (printed); 3: setup failed (no reflink, no hint).
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define WLEN 8192

static long file_size, cut, spin;
static int fd;
static pthread_barrier_t start;

static void *writeback(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&start);
	if (sync_file_range(fd, 0, file_size, SYNC_FILE_RANGE_WRITE))
		perror("sync_file_range");
	return NULL;
}

static void *truncate_and_write(void *arg)
{
	char buf[WLEN];

	(void)arg;
	memset(buf, 0x41, sizeof(buf));
	pthread_barrier_wait(&start);
	for (volatile long i = 0; i < spin; i++)
		;
	if (ftruncate(fd, cut))
		perror("ftruncate");
	if (pwrite(fd, buf, WLEN, cut) != WLEN)
		perror("pwrite");
	return NULL;
}

static void fill(int fd, int byte)
{
	char page[4096];

	memset(page, byte, sizeof(page));
	for (long off = 0; off < file_size; off += sizeof(page))
		if (pwrite(fd, page, sizeof(page), off) != sizeof(page))
			perror("pwrite");
}

static int lost(int iteration)
{
	char buf[WLEN];

	if (pread(fd, buf, WLEN, cut) != WLEN)
		perror("pread");
	for (int i = 0; i < WLEN; i++)
		if (buf[i] != 0x41) {
			printf("iteration %d spin %ld: byte %ld is 0x%02x, not 0x41\n",
			       iteration, spin, cut + i, (unsigned char)buf[i]);
			return 1;
		}
	for (long off = 0; off < cut; off += 4096) {
		if (pread(fd, buf, 4096, off) != 4096)
			perror("pread");
		if (buf[0] != 0x57 || buf[4095] != 0x57) {
			printf("iteration %d: byte %ld is 0x%02x, not 0x57\n",
			       iteration, off, (unsigned char)buf[0]);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	char f[4096], g[4096];
	long max_spin;
	int iterations, bad = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: %s DIR ITERATIONS FILE_KIB CUT_KIB MAX_SPIN\n", argv[0]);
		return 2;
	}
	iterations = atoi(argv[2]);
	file_size = atol(argv[3]) * 1024;
	cut = atol(argv[4]) * 1024;
	max_spin = atol(argv[5]);
	if (iterations < 1 || file_size < 8192 || cut <= 0 || cut + WLEN > file_size || max_spin < 0) {
		fprintf(stderr, "%s: bad arguments\n", argv[0]);
		return 2;
	}
	snprintf(f, sizeof(f), "%s/f", argv[1]);
	snprintf(g, sizeof(g), "%s/g", argv[1]);
	srand(1);
	for (int it = 0; it < iterations; it++) {
		struct fsxattr fa;
		pthread_t a, b;
		int gfd;

		unlink(f);
		unlink(g);
		fd = open(f, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || ioctl(fd, FS_IOC_FSGETXATTR, &fa)) {
			perror(f);
			return 3;
		}
		fa.fsx_xflags |= FS_XFLAG_COWEXTSIZE;
		fa.fsx_cowextsize = 1 << 20;
		if (ioctl(fd, FS_IOC_FSSETXATTR, &fa)) {
			perror("FS_IOC_FSSETXATTR (cowextsize)");
			return 3;
		}
		fill(fd, 0x59);
		fsync(fd);
		gfd = open(g, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (gfd < 0 || ioctl(gfd, FICLONE, fd)) {
			perror("FICLONE");
			return 3;
		}
		close(gfd);
		fill(fd, 0x57);
		spin = max_spin ? rand() % max_spin : 0;
		pthread_barrier_init(&start, NULL, 2);
		pthread_create(&a, NULL, writeback, NULL);
		pthread_create(&b, NULL, truncate_and_write, NULL);
		pthread_join(a, NULL);
		pthread_join(b, NULL);
		pthread_barrier_destroy(&start);
		fsync(fd);
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		bad += lost(it);
		close(fd);
	}
	printf("lost writes: %d of %d iterations\n", bad, iterations);
	return bad ? 1 : 0;
}
