#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H

/// Counts heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign)
/// made by any thread of the test process between `allocation_counter_begin` and
/// `allocation_counter_end`, which returns the count. The test binary defines these allocator
/// entry points itself, forwarding to glibc's, so every library's calls come through here.
void allocation_counter_begin(void);
long allocation_counter_end(void);

#endif
