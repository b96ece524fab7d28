#ifndef OCISLIM_CZSTD_SHIM_H
#define OCISLIM_CZSTD_SHIM_H
#include <zstd.h>
// ZSTD_getErrorCode tells bad input from library failures; it is declared apart from zstd.h.
#include <zstd_errors.h>
#endif
