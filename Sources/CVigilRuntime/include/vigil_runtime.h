#ifndef VIGIL_RUNTIME_H
#define VIGIL_RUNTIME_H

/// The x86 PAUSE hint for spin-wait loops: it tells the core the loop is a spin, which saves
/// power and, on SMT cores, leaves the issue slots to the sibling thread doing real work.
/// Swift has no spelling for it.
static inline void vigil_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
