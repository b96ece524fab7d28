#ifndef OCISLIM_CZLIB_SHIM_H
#define OCISLIM_CZLIB_SHIM_H
#include <zlib.h>

// deflateInit2 and inflateInit2 are macros that pass the library version and stream size; Swift cannot call macros.
static inline int ocislim_deflateInit2(z_streamp stream, int level, int method, int windowBits, int memLevel,
                                       int strategy) {
    return deflateInit2(stream, level, method, windowBits, memLevel, strategy);
}

static inline int ocislim_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
#endif
