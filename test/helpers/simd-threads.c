// Run in the cgroup2 lane's guest (test/integration/cgroups/cgroup2-lane.test.ts): do guest threads keep their own
// vector and FP state? Under user-mode-linux the threads of a guest process share one host
// process, and UML (through the lane's ptrace shim) swaps their registers on every switch.
// usage: simd-threads THREADS ROUNDS
// Each round of each thread: loads every vector register (zmm0-31 and k1-k7 with AVX-512F, else
// ymm0-15) with values of its own, makes sched_yield syscalls with busy loops between them (so
// the other threads run, and timer ticks preempt it) and checks that it gets its values back; then
// memcpy/memmove/strlen/memcmp of random sizes and a floating point sum compared bit for bit with
// the main thread's. Prints "simd-threads: avx512|avx2 THREADS x ROUNDS errors N"; exit 0 iff N == 0.
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { YIELDS = 20, SPIN = 20000 };

static int nthreads, rounds, avx512;
static int errors;
static double fp_expected;
static pthread_barrier_t start;

static double fp_work(int n)
{
	double s = 0;
	for (int i = 1; i <= n; i++) s += sqrt((double)i) / (1.0 + i * 1e-3);
	return s;
}

// sched_yield (24) YIELDS times, each after a busy loop; only rax, rcx, r11, r12 change.
#define YIELD_LOOP \
	"mov %[y], %%r12d\n1: mov $24, %%eax\n syscall\n xor %%ecx, %%ecx\n" \
	"2: inc %%ecx\n cmp %[s], %%ecx\n jne 2b\n dec %%r12d\n jnz 1b\n"
#define LZ(n) "vmovdqu64 " #n "*64(%[i]), %%zmm" #n "\n"
#define SZ(n) "vmovdqu64 %%zmm" #n ", " #n "*64(%[o])\n"
#define LY(n) "vmovdqu " #n "*64(%[i]), %%ymm" #n "\n"
#define SY(n) "vmovdqu %%ymm" #n ", " #n "*64(%[o])\n"
#define ALL16(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)
#define HIGH16(M) M(16) M(17) M(18) M(19) M(20) M(21) M(22) M(23) M(24) M(25) M(26) M(27) M(28) M(29) M(30) M(31)
#define XMM16 "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", \
	"xmm12", "xmm13", "xmm14", "xmm15"
#define XMM_HIGH16 "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", \
	"xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31"

// Compiled for AVX-512 on their own (the rest of the program runs on any x86-64), called only
// when the CPU has it.
__attribute__((target("avx512f"), noinline)) static void hold_zmm(uint64_t (*in)[8], uint64_t (*out)[8],
								   uint64_t *kin, uint64_t *kout)
{
	__asm__ volatile(ALL16(LZ) HIGH16(LZ)
				 "kmovq 8(%[ki]), %%k1\n kmovq 16(%[ki]), %%k2\n kmovq 24(%[ki]), %%k3\n"
				 "kmovq 32(%[ki]), %%k4\n kmovq 40(%[ki]), %%k5\n kmovq 48(%[ki]), %%k6\n kmovq 56(%[ki]), %%k7\n"
				 YIELD_LOOP ALL16(SZ) HIGH16(SZ)
				 "kmovq %%k1, 8(%[ko])\n kmovq %%k2, 16(%[ko])\n kmovq %%k3, 24(%[ko])\n"
				 "kmovq %%k4, 32(%[ko])\n kmovq %%k5, 40(%[ko])\n kmovq %%k6, 48(%[ko])\n kmovq %%k7, 56(%[ko])\n"
				 :
				 : [i] "r"(in), [o] "r"(out), [ki] "r"(kin), [ko] "r"(kout), [y] "r"(YIELDS), [s] "r"(SPIN)
				 : "rax", "rcx", "r11", "r12", "memory", "k1", "k2", "k3", "k4", "k5", "k6", "k7", XMM16, XMM_HIGH16);
}

__attribute__((target("avx2"), noinline)) static void hold_ymm(uint64_t (*in)[8], uint64_t (*out)[8])
{
	__asm__ volatile(ALL16(LY) YIELD_LOOP ALL16(SY)
			 :
			 : [i] "r"(in), [o] "r"(out), [y] "r"(YIELDS), [s] "r"(SPIN)
			 : "rax", "rcx", "r11", "r12", "memory", XMM16);
}

static int registers_round(uint64_t seed)
{
	static __thread uint64_t in[32][8] __attribute__((aligned(64))), out[32][8] __attribute__((aligned(64)));
	uint64_t kin[8], kout[8];
	for (int r = 0; r < 32; r++)
		for (int j = 0; j < 8; j++) in[r][j] = seed * 1000003 + r * 8 + j + 1, out[r][j] = 0;
	for (int j = 0; j < 8; j++) kin[j] = (seed * 7919 + j) & 0xffff, kout[j] = 0;
	if (avx512)
		hold_zmm(in, out, kin, kout);
	else
		hold_ymm(in, out);
	int bad = 0, regs = avx512 ? 32 : 16, bytes = avx512 ? 64 : 32;
	for (int r = 0; r < regs; r++) {
		if (memcmp(in[r], out[r], bytes)) {
			if (!bad) fprintf(stderr, "simd-threads: seed %llu: %cmm%d lost its value\n", (unsigned long long)seed, avx512 ? 'z' : 'y', r);
			bad++;
		}
	}
	for (int j = 1; avx512 && j < 8; j++) {
		if (kin[j] != kout[j]) {
			fprintf(stderr, "simd-threads: seed %llu: k%d lost its value\n", (unsigned long long)seed, j);
			bad++;
		}
	}
	return bad;
}

static int libc_round(unsigned *rng)
{
	static __thread char a[70000], b[70000];
	int bad = 0;
	for (int k = 0; k < 50; k++) {
		size_t n = rand_r(rng) % 65536 + 1, off = rand_r(rng) % 64, off2 = rand_r(rng) % 64;
		char c = 'a' + rand_r(rng) % 26;
		memset(a + off, c, n);
		a[off + n] = 0;
		memcpy(b + off2, a + off, n + 1);
		if (strlen(b + off2) != n || memcmp(a + off, b + off2, n) || b[off2 + n / 2] != c) bad++;
		memmove(b + off2 + 1, b + off2, n);
		if (b[off2 + n] != c || b[off2 + 1] != c) bad++;
	}
	if (fp_work(20000) != fp_expected) bad++;
	if (bad) fprintf(stderr, "simd-threads: string or floating point results differ\n");
	return bad;
}

static void *worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	unsigned rng = id * 77 + 1;
	pthread_barrier_wait(&start);
	for (int r = 0; r < rounds; r++) {
		int bad = registers_round(id * 100000 + r) + libc_round(&rng);
		if (bad) __atomic_fetch_add(&errors, bad, __ATOMIC_RELAXED);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (nthreads = atoi(argv[1])) < 1 || nthreads > 256 || (rounds = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: simd-threads THREADS(1-256) ROUNDS\n");
		return 2;
	}
	__builtin_cpu_init();
	avx512 = __builtin_cpu_supports("avx512f");
	if (!avx512 && !__builtin_cpu_supports("avx2")) {
		fprintf(stderr, "simd-threads: this CPU has neither AVX-512F nor AVX2\n");
		return 2;
	}
	fp_expected = fp_work(20000);
	pthread_barrier_init(&start, NULL, nthreads);
	pthread_t t[256];
	for (int i = 0; i < nthreads; i++) pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < nthreads; i++) pthread_join(t[i], NULL);
	printf("simd-threads: %s %d x %d errors %d\n", avx512 ? "avx512" : "avx2", nthreads, rounds, errors);
	return errors != 0;
}
