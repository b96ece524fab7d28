#ifndef OCISLIM_CISAL_SHIM_H
#define OCISLIM_CISAL_SHIM_H
// ISA-L's igzip: streaming inflate, several times faster than zlib's (gzip layer input).
#include <isa-l/igzip_lib.h>

// The return codes are macros that Swift imports with inconsistent types; give them one.
static const int OCISLIM_ISAL_DECOMP_OK = ISAL_DECOMP_OK;
static const int OCISLIM_ISAL_END_INPUT = ISAL_END_INPUT;
static const int OCISLIM_ISAL_OUT_OVERFLOW = ISAL_OUT_OVERFLOW;
static const int OCISLIM_ISAL_NEED_DICT = ISAL_NEED_DICT;
static const int OCISLIM_ISAL_INVALID_BLOCK = ISAL_INVALID_BLOCK;
static const int OCISLIM_ISAL_INVALID_SYMBOL = ISAL_INVALID_SYMBOL;
static const int OCISLIM_ISAL_INVALID_LOOKBACK = ISAL_INVALID_LOOKBACK;
static const int OCISLIM_ISAL_INVALID_WRAPPER = ISAL_INVALID_WRAPPER;
static const int OCISLIM_ISAL_UNSUPPORTED_METHOD = ISAL_UNSUPPORTED_METHOD;
static const int OCISLIM_ISAL_INCORRECT_CHECKSUM = ISAL_INCORRECT_CHECKSUM;
static const unsigned OCISLIM_ISAL_GZIP = ISAL_GZIP;
#endif
