// FP32 FMA peak of this machine on 1..N threads: tells whether the vCPUs are separate cores
// (two threads reach twice one thread's rate) or SMT siblings of one core (about 1.3×), which
// decides how Vigil's two-thread figures should be read (see BENCHMARKS.md).
//
//     gcc -O3 -mavx2 -mfma -pthread Benchmarks/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak 2
//
// Each thread runs twelve independent 8-lane FMA chains (enough to cover the FMA latency on
// two FMA pipes) for a fixed count; 5 repetitions per thread count, median and min–max.
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { CHAINS = 12, ITERATIONS = 100000000, REPETITIONS = 5 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *chains(void *result) {
    __m256 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps(i * 0.001f);
    const __m256 b = _mm256_set1_ps(0.9999f), c = _mm256_set1_ps(0.0001f);
    for (long i = 0; i < ITERATIONS; i++) {
        for (int j = 0; j < CHAINS; j++) acc[j] = _mm256_fmadd_ps(acc[j], b, c);
    }
    float sum = 0;  // keeps the chains live
    for (int i = 0; i < CHAINS; i++) sum += acc[i][0];
    *(float *)result = sum;
    return NULL;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int most = argc > 1 ? atoi(argv[1]) : 2;
    if (most < 1 || most > 64) {
        fprintf(stderr, "usage: fma_peak [THREADS 1..64]\n");
        return 2;
    }
    for (int threads = 1; threads <= most; threads++) {
        double rates[REPETITIONS];
        for (int r = 0; r < REPETITIONS; r++) {
            pthread_t ids[64];
            float results[64];
            double start = now();
            for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, chains, &results[t]);
            for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
            double seconds = now() - start;
            rates[r] = 2.0 * 8 * CHAINS * (double)ITERATIONS * threads / seconds / 1e9;
        }
        qsort(rates, REPETITIONS, sizeof rates[0], compare);
        printf("%d thread%s: %.1f GFLOP/s (%.1f–%.1f over %d runs)\n", threads, threads == 1 ? "" : "s",
               rates[REPETITIONS / 2], rates[0], rates[REPETITIONS - 1], REPETITIONS);
    }
    return 0;
}
