// LD_PRELOAD shim for Debian's user-mode-linux (linux.uml), loaded by supervise.sh into the UML
// process only; build-shim.sh compiles it into the lane's cache. Why (README has the whole story):
// UML moves a guest thread's FPU/vector state with PTRACE_GETREGSET/SETREGSET(NT_X86_XSTATE) and a
// buffer of a size fixed when it was built (Debian's 6.1: 2696 bytes, the XSAVE layout up to
// AVX-512 and PKRU). The host kernel truncates a short GET, but refuses (EFAULT) a SET shorter
// than its whole user XSAVE size, which is larger on a CPU with AMX (11008 bytes here), so the
// guest's first process dies ("ptrace set fp regs failed, errno = 14").
//
// What the shim does with those two requests when UML's buffer is shorter than the host's size
// (everything else, and every request on a host where the sizes agree, goes to libc unchanged):
//   GET  reads the whole state into a shadow kept for UML's buffer address and hands UML the
//        first bytes it asked for. UML keeps each guest thread's registers in that thread's own
//        kernel structures, so a buffer address stands for one guest thread.
//   SET  lays UML's bytes over that thread's shadow and sets the whole size, so the parts UML
//        does not know go back with their own thread on every switch between the threads of a
//        guest process, which share one host process.
// A shadow belongs to the host process it was read from. A SET for an address without a shadow of
// that process (a new guest thread, a forked child, a task whose structure reuses a dead one's
// address) starts from the target's current state with every component beyond UML's bytes marked
// as in its initial state in the XSAVE header, as on a real kernel's fresh thread.
//
// Only UML's tracer thread calls ptrace on the guest's processes (a tracee answers only its tracer
// thread), so the table needs no lock; memory comes from mmap, not malloc, as UML calls ptrace
// from its own kernel context.
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

typedef long (*ptrace_fn)(int, pid_t, void *, void *);

static ptrace_fn real_ptrace;

// The host's whole user XSAVE size, learnt from the first short request (0: not yet known).
static size_t full_size;

// XSAVE standard format: the header follows the 512-byte legacy area; its first word is
// XSTATE_BV, one bit per component that is not in its initial state.
enum { XSAVE_HEADER_OFFSET = 512, PROBE_BYTES = 1 << 16 };

static unsigned char probe_buf[PROBE_BYTES] __attribute__((aligned(64)));

struct shadow {
	void *key;         // UML's buffer (one guest thread), NULL: free slot
	pid_t pid;         // host process the state was last read from or written to
	unsigned char *blob; // full_size bytes
};

static struct shadow *table;
static size_t table_slots; // power of two
static size_t table_used;
static unsigned char **free_blobs; // blobs of dropped shadows, for reuse
static size_t free_count, free_cap;

static void *map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static size_t slot_of(void *key, size_t slots)
{
	uintptr_t h = (uintptr_t)key;
	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ull;
	return (h >> 20) & (slots - 1);
}

static struct shadow *find(void *key)
{
	if (!table) return NULL;
	for (size_t i = slot_of(key, table_slots);; i = (i + 1) & (table_slots - 1)) {
		if (table[i].key == key) return &table[i];
		if (!table[i].key) return NULL;
	}
}

static void drop_blob(unsigned char *blob)
{
	if (free_count == free_cap) {
		size_t cap = free_cap ? free_cap * 2 : 256;
		unsigned char **n = map(cap * sizeof *n);
		if (!n) {
			munmap(blob, full_size);
			return;
		}
		if (free_blobs) {
			memcpy(n, free_blobs, free_count * sizeof *n);
			munmap(free_blobs, free_cap * sizeof *n);
		}
		free_blobs = n;
		free_cap = cap;
	}
	free_blobs[free_count++] = blob;
}

// Rebuilds the table with room to spare, leaving out the shadows of host processes that are gone
// (their guest threads cannot run again), so it grows with the live threads, not with the history.
static int rebuild(void)
{
	size_t slots = table_slots ? table_slots : 256;
	size_t live = 0;
	for (size_t i = 0; i < table_slots; i++)
		if (table[i].key && !(kill(table[i].pid, 0) < 0 && errno == ESRCH)) live++;
	while (live * 2 + 2 > slots) slots *= 2;
	struct shadow *n = map(slots * sizeof *n);
	if (!n) return -1;
	for (size_t i = 0; i < table_slots; i++) {
		struct shadow *s = &table[i];
		if (!s->key) continue;
		if (kill(s->pid, 0) < 0 && errno == ESRCH) {
			drop_blob(s->blob);
			continue;
		}
		size_t j = slot_of(s->key, slots);
		while (n[j].key) j = (j + 1) & (slots - 1);
		n[j] = *s;
	}
	if (table) munmap(table, table_slots * sizeof *table);
	table = n;
	table_slots = slots;
	table_used = live;
	return 0;
}

static struct shadow *find_or_add(void *key)
{
	struct shadow *s = find(key);
	if (s) return s;
	if ((table_used + 1) * 2 > table_slots && rebuild() < 0) return NULL;
	unsigned char *blob = free_count ? free_blobs[--free_count] : map(full_size);
	if (!blob) return NULL;
	size_t i = slot_of(key, table_slots);
	while (table[i].key) i = (i + 1) & (table_slots - 1);
	table[i] = (struct shadow){ .key = key, .pid = 0, .blob = blob };
	table_used++;
	return &table[i];
}

static long get_full(pid_t pid, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	long r = real_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov);
	if (r == 0 && iov.iov_len != full_size) {
		errno = EIO; // the size changed under us: never hand out a partial state
		return -1;
	}
	return r;
}

// The size a whole XSTATE regset has on this host, read once from a stopped tracee.
static int learn_size(pid_t pid)
{
	if (full_size) return 0;
	struct iovec iov = { .iov_base = probe_buf, .iov_len = sizeof probe_buf };
	if (real_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) < 0) return -1;
	full_size = iov.iov_len;
	return 0;
}

// Marks every component that lies wholly beyond the caller's bytes as initial (its XSTATE_BV bit
// cleared): the kernel then loads its initial state instead of whatever the target held.
static void init_beyond(unsigned char *blob, size_t len)
{
	uint64_t bv;
	memcpy(&bv, blob + XSAVE_HEADER_OFFSET, sizeof bv);
	for (unsigned c = 2; c < 64; c++) {
		if (!(bv & (1ull << c))) continue;
		unsigned size, offset, ecx, edx;
		__cpuid_count(0xd, c, size, offset, ecx, edx);
		if (size && offset >= len) bv &= ~(1ull << c);
	}
	memcpy(blob + XSAVE_HEADER_OFFSET, &bv, sizeof bv);
}

static long xstate_get(pid_t pid, struct iovec *iov)
{
	struct shadow *s = find_or_add(iov->iov_base);
	if (!s) {
		errno = ENOMEM;
		return -1;
	}
	if (get_full(pid, s->blob, full_size) < 0) {
		s->pid = 0;
		return -1;
	}
	s->pid = pid;
	memcpy(iov->iov_base, s->blob, iov->iov_len);
	return 0;
}

static long xstate_set(pid_t pid, struct iovec *iov)
{
	struct shadow *s = find_or_add(iov->iov_base);
	if (!s) {
		errno = ENOMEM;
		return -1;
	}
	int fresh = s->pid != pid;
	if (fresh) {
		s->pid = 0;
		if (get_full(pid, s->blob, full_size) < 0) return -1;
	}
	memcpy(s->blob, iov->iov_base, iov->iov_len);
	if (fresh) init_beyond(s->blob, iov->iov_len);
	struct iovec whole = { .iov_base = s->blob, .iov_len = full_size };
	if (real_ptrace(PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE, &whole) < 0) {
		s->pid = 0; // the thread's state is unknown now: start afresh next time
		return -1;
	}
	s->pid = pid;
	return 0;
}

static void resolve(void)
{
	if (!real_ptrace) real_ptrace = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
	if (!real_ptrace) abort();
}

__attribute__((constructor)) static void shim_init(void)
{
	resolve();
	// Only this process: nothing UML might start inherits the preload.
	unsetenv("LD_PRELOAD");
}

long ptrace(enum __ptrace_request request, ...)
{
	va_list ap;
	va_start(ap, request);
	pid_t pid = va_arg(ap, pid_t);
	void *addr = va_arg(ap, void *);
	void *data = va_arg(ap, void *);
	va_end(ap);
	resolve();

	if ((request == PTRACE_GETREGSET || request == PTRACE_SETREGSET) &&
	    (uintptr_t)addr == NT_X86_XSTATE && data) {
		struct iovec *iov = data;
		int saved = errno;
		if (iov->iov_base && learn_size(pid) == 0 && iov->iov_len < full_size) {
			long r = request == PTRACE_GETREGSET ? xstate_get(pid, iov) : xstate_set(pid, iov);
			if (r == 0) errno = saved; // as the real call: errno untouched on success
			return r;
		}
		errno = saved;
	}
	return real_ptrace(request, pid, addr, data);
}
