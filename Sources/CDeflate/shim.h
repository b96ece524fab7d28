#ifndef OCISLIM_CDEFLATE_SHIM_H
#define OCISLIM_CDEFLATE_SHIM_H
// libdeflate: whole-buffer DEFLATE/gzip compression, faster than zlib at a smaller size (gzip layer output).
#include <libdeflate.h>
#endif
