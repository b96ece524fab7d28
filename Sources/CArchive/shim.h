#ifndef OCISLIM_CARCHIVE_SHIM_H
#define OCISLIM_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#endif
