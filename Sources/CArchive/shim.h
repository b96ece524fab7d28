#ifndef OCISLIM_CARCHIVE_SHIM_H
#define OCISLIM_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

// archive_set_error is variadic, which Swift cannot call; callers pass an already formatted message.
static inline void ocislim_archive_set_error(struct archive *archive, int code, const char *message) {
    archive_set_error(archive, code, "%s", message);
}

// The AE_IF* file types are cast macros, which Swift does not import.
static const unsigned int OCISLIM_AE_IFREG = AE_IFREG;
static const unsigned int OCISLIM_AE_IFDIR = AE_IFDIR;
static const unsigned int OCISLIM_AE_IFLNK = AE_IFLNK;
static const unsigned int OCISLIM_AE_IFCHR = AE_IFCHR;
static const unsigned int OCISLIM_AE_IFBLK = AE_IFBLK;
static const unsigned int OCISLIM_AE_IFIFO = AE_IFIFO;
static const unsigned int OCISLIM_AE_IFSOCK = AE_IFSOCK;
#endif
