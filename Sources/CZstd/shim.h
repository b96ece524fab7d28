#ifndef OCISLIM_CZSTD_SHIM_H
#define OCISLIM_CZSTD_SHIM_H
#include <zstd.h>
#endif
