// SPDX-License-Identifier: GPL-2.0
/*
 * uffd_stale_write: hold a buffered write open inside one iomap iteration.
 *
 * The write's source buffer is anonymous memory in which one page is
 * registered with userfaultfd (MISSING) and left unpopulated.  pwrite()
 * faults on that page from kernel mode (fault_in_iov_iter_readable() in
 * iomap_write_iter(), or copy_folio_from_iter_atomic() elsewhere) after the
 * filesystem has handed the write its extent mapping and while the writer
 * holds i_rwsem.  While it is parked, this program runs the "window"
 * actions named with -a (writeback, page cache drops, stores through a
 * shared mapping: none of them takes i_rwsem), checks that each one had its
 * effect, then resolves the fault so the write continues with a mapping
 * that may now be stale.  This replaces the XFS-only "write_delay_ms" error
 * injection of xfs/559 with a mechanism every filesystem has.
 *
 * A watchdog thread resolves the fault after -t milliseconds whatever
 * happens, so a window action that blocks on a lock the writer holds can
 * never hang the test: the run then fails with exit status 3.
 *
 * Exit status: 0 the writer parked, every action had its effect and the
 * write completed in full; 1 usage error; 2 userfaultfd cannot hold a
 * kernel-mode fault here (the test should _notrun); 3 the window did not
 * happen as asked (no park, an action failed, blocked or had no effect);
 * 4 the write itself failed or was short.
 *
 * Usage: uffd_stale_write -c
 *        uffd_stale_write [-o off] [-l len] [-u park] [-S byte] [-t ms]
 *                         [-a action[,action...]] [-v] file
 * Actions (offsets and lengths accept k/m/g suffixes):
 *   sync:OFF:LEN      sync_file_range(WAIT_BEFORE|WRITE|WAIT_AFTER)
 *   dontneed:OFF:LEN  write back, then posix_fadvise(DONTNEED) until mincore()
 *                     shows no page of the range resident
 *   fdatasync, fsync
 *   mwrite:OFF:LEN:BYTE  store BYTE through a MAP_SHARED mapping (page_mkwrite)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE	1
#define EXIT_NOUFFD	2
#define EXIT_WINDOW	3
#define EXIT_WRITE	4

#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW	_IO(0xAA, 0x00)
#endif

#define MAX_ACTIONS	16
#define DROP_TRIES	50

static long pagesize;
static int verbose;

struct action {
	enum { A_SYNC, A_DONTNEED, A_FDATASYNC, A_FSYNC, A_MWRITE } kind;
	off_t off;
	size_t len;
	int byte;
	const char *text;
};

struct writer {
	int fd;
	char *buf;
	size_t len;
	off_t off;
	ssize_t ret;
	int err;
};

struct watchdog {
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	int done;		/* the main thread resolved the fault itself */
	int fired;		/* the watchdog had to resolve it */
	long timeout_ms;
	int uffd;
	char *page;		/* the held page of the source buffer */
	int fill;
};

static void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "uffd_stale_write: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(status);
}

static unsigned long long parse_size(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		die(EXIT_USAGE, "bad %s \"%s\"", what, s);
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end != '\0' && *end != ':')
		die(EXIT_USAGE, "bad %s \"%s\"", what, s);
	if (v > (1ULL << 40))
		die(EXIT_USAGE, "%s \"%s\" is over 1 TiB", what, s);
	return v;
}

static const char *next_field(const char *s)
{
	const char *c = strchr(s, ':');

	return c ? c + 1 : NULL;
}

static int parse_actions(char *list, struct action *acts)
{
	int n = 0;
	char *save, *tok;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct action *a = &acts[n];
		const char *f1, *f2, *f3 = NULL;

		if (n == MAX_ACTIONS)
			die(EXIT_USAGE, "more than %d actions", MAX_ACTIONS);
		memset(a, 0, sizeof(*a));
		a->text = tok;
		if (!strcmp(tok, "fdatasync")) {
			a->kind = A_FDATASYNC;
		} else if (!strcmp(tok, "fsync")) {
			a->kind = A_FSYNC;
		} else if (!strncmp(tok, "sync:", 5) || !strncmp(tok, "dontneed:", 9) ||
			   !strncmp(tok, "mwrite:", 7)) {
			a->kind = tok[0] == 's' ? A_SYNC : tok[0] == 'd' ? A_DONTNEED : A_MWRITE;
			f1 = next_field(tok);
			f2 = f1 ? next_field(f1) : NULL;
			if (!f2)
				die(EXIT_USAGE, "action \"%s\" needs OFF:LEN", tok);
			a->off = parse_size(f1, "action offset");
			a->len = parse_size(f2, "action length");
			if (a->kind == A_MWRITE) {
				f3 = next_field(f2);
				if (!f3)
					die(EXIT_USAGE, "action \"%s\" needs OFF:LEN:BYTE", tok);
				a->byte = parse_size(f3, "fill byte");
				if (a->byte > 255)
					die(EXIT_USAGE, "fill byte in \"%s\" over 0xff", tok);
			}
			if (a->len == 0)
				die(EXIT_USAGE, "action \"%s\" has length 0", tok);
		} else {
			die(EXIT_USAGE, "unknown action \"%s\"", tok);
		}
		n++;
	}
	return n;
}

/* A userfaultfd that may take faults from kernel mode (no UFFD_USER_MODE_ONLY). */
static int open_uffd(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int uffd, dev;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 && (errno == EPERM || errno == EACCES)) {
		dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
		if (dev >= 0) {
			uffd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
			close(dev);
		}
	}
	if (uffd < 0)
		die(EXIT_NOUFFD, "userfaultfd for kernel-mode faults: %s "
		    "(needs root, CAP_SYS_PTRACE, vm.unprivileged_userfaultfd=1 "
		    "or access to /dev/userfaultfd)", strerror(errno));
	if (ioctl(uffd, UFFDIO_API, &api) < 0)
		die(EXIT_NOUFFD, "UFFDIO_API: %s", strerror(errno));
	return uffd;
}

static void hold_page(int uffd, char *page)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)page, .len = pagesize },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
		die(EXIT_NOUFFD, "UFFDIO_REGISTER: %s", strerror(errno));
}

/* Fill the held page; returns 0, or -1 if it was resolved already. */
static int resolve(int uffd, char *page, int fill)
{
	struct uffdio_copy copy;
	char *src = malloc(pagesize);

	if (!src)
		die(EXIT_WRITE, "out of memory");
	memset(src, fill, pagesize);
	copy.dst = (uintptr_t)page;
	copy.src = (uintptr_t)src;
	copy.len = pagesize;
	copy.mode = 0;
	copy.copy = 0;
	if (ioctl(uffd, UFFDIO_COPY, &copy) < 0) {
		free(src);
		if (errno == EEXIST)
			return -1;
		die(EXIT_WINDOW, "UFFDIO_COPY: %s", strerror(errno));
	}
	free(src);
	return 0;
}

static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += w->timeout_ms / 1000;
	deadline.tv_nsec += (w->timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	while (!w->done) {
		if (pthread_cond_timedwait(&w->done_cond, &w->lock, &deadline) == ETIMEDOUT) {
			if (!w->done && resolve(w->uffd, w->page, w->fill) == 0)
				w->fired = 1;
			break;
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void *writer_main(void *arg)
{
	struct writer *wr = arg;

	wr->ret = pwrite(wr->fd, wr->buf, wr->len, wr->off);
	wr->err = errno;
	return NULL;
}

/* Wait for the writer's fault on the held page. */
static int wait_for_park(int uffd, long timeout_ms, char *page)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;
	int r;

	r = poll(&pfd, 1, timeout_ms);
	if (r <= 0)
		return -1;
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -1;
	if (msg.event != UFFD_EVENT_PAGEFAULT)
		return -1;
	if ((msg.arg.pagefault.address & ~(pagesize - 1)) != (uintptr_t)page)
		return -1;
	return 0;
}

static int resident_pages(int fd, off_t off, size_t len)
{
	off_t start = off & ~(pagesize - 1);
	size_t span = (off + len) - start, i, npages;
	unsigned char *vec;
	void *map;
	int n = 0;

	map = mmap(NULL, span, PROT_READ, MAP_SHARED, fd, start);
	if (map == MAP_FAILED)
		die(EXIT_WINDOW, "mmap for mincore: %s", strerror(errno));
	npages = (span + pagesize - 1) / pagesize;
	vec = calloc(npages, 1);
	if (!vec || mincore(map, span, vec) < 0)
		die(EXIT_WINDOW, "mincore: %s", strerror(errno));
	for (i = 0; i < npages; i++)
		n += vec[i] & 1;
	free(vec);
	munmap(map, span);
	return n;
}

static const unsigned int sync_flags = SYNC_FILE_RANGE_WAIT_BEFORE |
	SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;

/* Runs one window action and checks that it had its effect. */
static void run_action(int fd, const struct action *a)
{
	char *map;
	off_t start;
	size_t span;
	int try;

	switch (a->kind) {
	case A_SYNC:
		if (sync_file_range(fd, a->off, a->len, sync_flags) < 0)
			die(EXIT_WINDOW, "%s: sync_file_range: %s", a->text, strerror(errno));
		break;
	case A_DONTNEED:
		/*
		 * DONTNEED skips folios under writeback or dirty: write the
		 * range back and wait first, then drop it until mincore
		 * agrees it is gone.
		 */
		for (try = 0; try < DROP_TRIES; try++) {
			if (sync_file_range(fd, a->off, a->len, sync_flags) < 0)
				die(EXIT_WINDOW, "%s: sync_file_range: %s", a->text, strerror(errno));
			errno = posix_fadvise(fd, a->off, a->len, POSIX_FADV_DONTNEED);
			if (errno)
				die(EXIT_WINDOW, "%s: posix_fadvise: %s", a->text, strerror(errno));
			if (resident_pages(fd, a->off, a->len) == 0)
				break;
		}
		if (try == DROP_TRIES)
			die(EXIT_WINDOW, "%s: %d page(s) still cached after %d drops",
			    a->text, resident_pages(fd, a->off, a->len), DROP_TRIES);
		break;
	case A_FDATASYNC:
		if (fdatasync(fd) < 0)
			die(EXIT_WINDOW, "fdatasync: %s", strerror(errno));
		break;
	case A_FSYNC:
		if (fsync(fd) < 0)
			die(EXIT_WINDOW, "fsync: %s", strerror(errno));
		break;
	case A_MWRITE:
		start = a->off & ~(pagesize - 1);
		span = (a->off + a->len) - start;
		map = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_SHARED, fd, start);
		if (map == MAP_FAILED)
			die(EXIT_WINDOW, "%s: mmap: %s", a->text, strerror(errno));
		memset(map + (a->off - start), a->byte, a->len);
		munmap(map, span);
		break;
	}
	if (verbose)
		printf("window: %s done\n", a->text);
}

/* -c: can a kernel-mode fault on a userfaultfd page be held here? */
static int check_support(void)
{
	int uffd = open_uffd(), fd;
	char *page, path[] = "/tmp/uffd_stale_write.XXXXXX";
	struct writer wr;
	pthread_t t;

	page = mmap(NULL, pagesize, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		die(EXIT_NOUFFD, "mmap: %s", strerror(errno));
	hold_page(uffd, page);
	fd = mkstemp(path);
	if (fd < 0)
		die(EXIT_NOUFFD, "mkstemp: %s", strerror(errno));
	unlink(path);
	wr = (struct writer){ .fd = fd, .buf = page, .len = pagesize, .off = 0 };
	if (pthread_create(&t, NULL, writer_main, &wr))
		die(EXIT_NOUFFD, "pthread_create failed");
	if (wait_for_park(uffd, 5000, page) < 0) {
		resolve(uffd, page, 0);
		pthread_join(t, NULL);
		die(EXIT_NOUFFD, "a write from a held page did not fault");
	}
	resolve(uffd, page, 0);
	pthread_join(t, NULL);
	if (wr.ret != pagesize)
		die(EXIT_NOUFFD, "write after the fault returned %zd", wr.ret);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: uffd_stale_write -c\n"
		"       uffd_stale_write [-o off] [-l len] [-u park] [-S byte] [-t ms]\n"
		"                        [-a action[,action...]] [-v] file\n"
		"actions: sync:OFF:LEN dontneed:OFF:LEN fdatasync fsync mwrite:OFF:LEN:BYTE\n");
	exit(EXIT_USAGE);
}

int main(int argc, char **argv)
{
	struct action acts[MAX_ACTIONS];
	struct watchdog wd = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.done_cond = PTHREAD_COND_INITIALIZER,
		.timeout_ms = 10000,
	};
	struct writer wr = { .len = 65536 };
	unsigned long long park = ~0ULL;
	int nacts = 0, fill = 0x57, c, i, uffd;
	char *buf, *actlist = NULL;
	pthread_t wt, dt;
	size_t buflen;

	pagesize = sysconf(_SC_PAGESIZE);
	while ((c = getopt(argc, argv, "a:chl:o:S:t:u:v")) != -1) {
		switch (c) {
		case 'a': actlist = optarg; break;
		case 'c': return check_support();
		case 'l': wr.len = parse_size(optarg, "length"); break;
		case 'o': wr.off = parse_size(optarg, "offset"); break;
		case 'S':
			fill = parse_size(optarg, "fill byte");
			if (fill > 255)
				die(EXIT_USAGE, "fill byte over 0xff");
			break;
		case 't':
			wd.timeout_ms = parse_size(optarg, "timeout");
			if (wd.timeout_ms < 1 || wd.timeout_ms > 600000)
				die(EXIT_USAGE, "timeout must be 1..600000 ms");
			break;
		case 'u': park = parse_size(optarg, "park offset"); break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	if (wr.len == 0 || wr.len > (1UL << 31) - pagesize)
		die(EXIT_USAGE, "length must be 1..2GiB minus a page");
	if (actlist)
		nacts = parse_actions(actlist, acts);
	if (park == ~0ULL)
		park = (wr.len / 2) & ~(pagesize - 1);
	if (park % pagesize || park >= wr.len)
		die(EXIT_USAGE, "park offset %llu must be page aligned and inside the write", park);

	wr.fd = open(argv[optind], O_RDWR | O_CREAT, 0644);
	if (wr.fd < 0)
		die(EXIT_USAGE, "open %s: %s", argv[optind], strerror(errno));

	/* The source buffer: every page filled but the held one. */
	buflen = (wr.len + pagesize - 1) & ~(pagesize - 1);
	buf = mmap(NULL, buflen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die(EXIT_WRITE, "mmap source buffer: %s", strerror(errno));
	memset(buf, fill, park);
	memset(buf + park + pagesize, fill, buflen - park - pagesize);
	uffd = open_uffd();
	hold_page(uffd, buf + park);
	wr.buf = buf;
	wd.uffd = uffd;
	wd.page = buf + park;
	wd.fill = fill;

	if (pthread_create(&dt, NULL, watchdog_main, &wd) ||
	    pthread_create(&wt, NULL, writer_main, &wr))
		die(EXIT_WRITE, "pthread_create failed");

	if (wait_for_park(uffd, wd.timeout_ms, buf + park) < 0) {
		pthread_join(wt, NULL);
		pthread_join(dt, NULL);
		die(EXIT_WINDOW, "the writer never faulted on the held page at +%llu", park);
	}
	if (verbose)
		printf("parked: pwrite at %lld, held page at +%llu\n", (long long)wr.off, park);

	for (i = 0; i < nacts; i++)
		run_action(wr.fd, &acts[i]);

	pthread_mutex_lock(&wd.lock);
	if (!wd.fired)
		resolve(uffd, buf + park, fill);
	wd.done = 1;
	pthread_cond_signal(&wd.done_cond);
	pthread_mutex_unlock(&wd.lock);
	pthread_join(dt, NULL);
	pthread_join(wt, NULL);

	if (wd.fired)
		die(EXIT_WINDOW, "the watchdog resolved the fault after %ld ms: a window "
		    "action blocked behind the parked writer", wd.timeout_ms);
	if (wr.ret < 0)
		die(EXIT_WRITE, "pwrite: %s", strerror(wr.err));
	if ((size_t)wr.ret != wr.len)
		die(EXIT_WRITE, "pwrite wrote %zd of %zu bytes", wr.ret, wr.len);
	if (verbose)
		printf("write: %zu bytes\n", wr.len);
	return 0;
}
