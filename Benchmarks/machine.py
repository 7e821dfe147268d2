"""The machine line printed beside every benchmark figure (shared by the Benchmarks/ scripts)."""
import os
import platform


def cpu_name():
    """CPU model, widest vector ISA and logical CPU count, e.g. 'AMD EPYC (AVX-512, 2 vCPU)'."""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
        name = next(l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name"))
        flags = next(l.split(":", 1)[1].split() for l in info.splitlines() if l.startswith("flags"))
        isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
        return f"{name} ({isa}, {os.cpu_count()} vCPU)"
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"
