// The header's functions are static inline; SwiftPM needs one source file for a C target.
#include "vigil_runtime.h"
