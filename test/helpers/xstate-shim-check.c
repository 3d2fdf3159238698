// Drives the cgroup2 lane's ptrace shim (scripts/cgroup2-vm/xstate-shim.c, LD_PRELOADed by the
// test) the way user-mode-linux does, on this host, without a guest: one traced process runs two
// "guest threads" whose registers the tracer keeps in two short buffers (832 bytes: legacy area,
// XSAVE header, YMM), switching between them with PTRACE_GETREGSET/SETREGSET(NT_X86_XSTATE).
// The traced process loads zmm1 and zmm16 (zmm1's upper half and zmm16 lie beyond 832 bytes),
// stops, and checks what it finds after each switch:
//   stop 1 (holds A): GET into buffer A, SET buffer B, a copy of A never seen before (a new
//                     thread): zmm1 = A's low 256 bits, upper half and zmm16 in their initial state
//   stop 2 (holds B): GET B, SET A: zmm1 and zmm16 = A entirely (the shim's copy for buffer A)
//   stop 3:           GET A, SET B: zmm1 and zmm16 = B entirely
// Prints "xstate size N" (the host's whole XSAVE size), then "ok", or what went wrong; exit 0 only
// on "ok". Without the shim on a host whose size is not 832, the first SET fails (EFAULT).
// Needs AVX-512F (the test skips elsewhere).
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

enum { SHORT = 832 };

struct vec { uint64_t q[8]; } __attribute__((aligned(64)));

// Loads zmm1/zmm16 from *in, stops (SIGSTOP to itself), stores them to out[0], out[1]: one asm
// statement, so that no compiled code (a vzeroupper) runs between the load and the store.
__attribute__((target("avx512f"), noinline)) static void stop_between(const struct vec *in, struct vec *out)
{
	long nr = 62; // kill
	__asm__ volatile("vmovdqu64 (%[i]), %%zmm1\n\t"
			 "vmovdqu64 (%[i]), %%zmm16\n\t"
			 "syscall\n\t"
			 "vmovdqu64 %%zmm1, (%[o])\n\t"
			 "vmovdqu64 %%zmm16, 64(%[o])"
			 : "+a"(nr)
			 : "D"((long)getpid()), "S"((long)SIGSTOP), [i] "r"(in), [o] "r"(out)
			 : "rcx", "r11", "memory", "xmm1", "xmm16");
}

static struct vec pattern(uint64_t seed)
{
	struct vec v;
	for (int i = 0; i < 8; i++) v.q[i] = seed * 0x0101010101010101ull + i + 1;
	return v;
}

static int expect(const char *what, const struct vec *got, const struct vec *want_lo, const struct vec *want_hi)
{
	struct vec want = *want_lo;
	for (int i = 4; i < 8; i++) want.q[i] = want_hi ? want_hi->q[i] : 0;
	if (!memcmp(got, &want, sizeof want)) return 0;
	fprintf(stderr, "%s: got %016llx..%016llx, want %016llx..%016llx\n", what, (unsigned long long)got->q[0],
		(unsigned long long)got->q[7], (unsigned long long)want.q[0], (unsigned long long)want.q[7]);
	return 1;
}

static int tracee(void)
{
	struct vec a = pattern(0xa), b = pattern(0xb), zero = { { 0 } }, r[2];
	int bad = 0;
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0) return 100;
	raise(SIGSTOP); // attach point
	stop_between(&a, r);
	bad += expect("after a new buffer: zmm1", &r[0], &a, NULL);
	bad += expect("after a new buffer: zmm16", &r[1], &zero, NULL);
	stop_between(&b, r);
	bad += expect("back to buffer A: zmm1", &r[0], &a, &a);
	bad += expect("back to buffer A: zmm16", &r[1], &a, &a);
	stop_between(&a, r); // what it loads here does not matter: the switch replaces it
	bad += expect("back to buffer B: zmm1", &r[0], &b, &b);
	bad += expect("back to buffer B: zmm16", &r[1], &b, &b);
	return bad ? 1 : 0;
}

static int regset(int req, pid_t pid, void *buf, size_t len, size_t *got)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	long r = ptrace(req, pid, (void *)NT_X86_XSTATE, &iov);
	if (got) *got = iov.iov_len;
	return r < 0 ? -errno : 0;
}

static int wait_stop(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP) {
		fprintf(stderr, "tracee did not stop (status %#x)\n", st);
		return -1;
	}
	return 0;
}

int main(void)
{
	static unsigned char big[1 << 16], buf_a[SHORT], buf_b[SHORT];
	pid_t pid = fork();
	if (pid < 0) return 2;
	if (pid == 0) _exit(tracee());
	if (wait_stop(pid) < 0) return 2;
	size_t full = 0, got = 0;
	int e = regset(PTRACE_GETREGSET, pid, big, sizeof big, &full);
	if (e) {
		fprintf(stderr, "GETREGSET: %s\n", strerror(-e));
		return 2;
	}
	printf("xstate size %zu\n", full);
	fflush(stdout);
	ptrace(PTRACE_CONT, pid, 0, 0);

	// stop 1
	if (wait_stop(pid) < 0) return 2;
	if ((e = regset(PTRACE_GETREGSET, pid, buf_a, SHORT, &got)) || got != SHORT) {
		fprintf(stderr, "GET A: %s, %zu bytes\n", strerror(-e), got);
		return 2;
	}
	memcpy(buf_b, buf_a, SHORT);
	if ((e = regset(PTRACE_SETREGSET, pid, buf_b, SHORT, NULL))) {
		fprintf(stderr, "SET of %d bytes: %s\n", SHORT, strerror(-e));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return 3;
	}
	ptrace(PTRACE_CONT, pid, 0, 0);
	// stop 2
	if (wait_stop(pid) < 0) return 2;
	if (regset(PTRACE_GETREGSET, pid, buf_b, SHORT, NULL) || regset(PTRACE_SETREGSET, pid, buf_a, SHORT, NULL)) return 2;
	ptrace(PTRACE_CONT, pid, 0, 0);
	// stop 3
	if (wait_stop(pid) < 0) return 2;
	if (regset(PTRACE_GETREGSET, pid, buf_a, SHORT, NULL) || regset(PTRACE_SETREGSET, pid, buf_b, SHORT, NULL)) return 2;
	ptrace(PTRACE_CONT, pid, 0, 0);

	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "tracee found wrong registers (status %#x)\n", st);
		return 1;
	}
	printf("ok\n");
	return 0;
}
