/*
 * fault shim — an LD_PRELOAD library that makes system calls misbehave the way real disks and kernels can, so
 * scripts/fault-tests.sh can check that ocislim notices. Built by that script (cc -shared); chosen by environment:
 *
 *   OCISLIM_FAULT=short-writes   write(2) writes at most 1,000 bytes per call (a pipe, a signal, a full quota
 *                                give short writes; every byte must still land, in order)
 *   OCISLIM_FAULT=fsync-eio      fsync(2) and fdatasync(2) of a regular file fail with EIO (a dying disk: the
 *                                data may never reach it, so nothing may be published)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fault_is(const char *name) {
    const char *fault = getenv("OCISLIM_FAULT");
    return fault != NULL && strcmp(fault, name) == 0;
}

ssize_t write(int fd, const void *buffer, size_t count) {
    static ssize_t (*real_write)(int, const void *, size_t);
    if (real_write == NULL) real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (fd > 2 && count > 1000 && fault_is("short-writes")) count = 1000;
    return real_write(fd, buffer, count);
}

static int is_regular(int fd) {
    struct stat status;
    return fstat(fd, &status) == 0 && S_ISREG(status.st_mode);
}

int fsync(int fd) {
    static int (*real_fsync)(int);
    if (real_fsync == NULL) real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (fault_is("fsync-eio") && is_regular(fd)) {
        errno = EIO;
        return -1;
    }
    return real_fsync(fd);
}

int fdatasync(int fd) {
    static int (*real_fdatasync)(int);
    if (real_fdatasync == NULL) real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (fault_is("fsync-eio") && is_regular(fd)) {
        errno = EIO;
        return -1;
    }
    return real_fdatasync(fd);
}
