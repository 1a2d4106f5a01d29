#ifndef TOKENVAULT_CFILE_SHIM_H
#define TOKENVAULT_CFILE_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

/* <sys/xattr.h> is not included: through <sys/types.h> it defines fd_set under _GNU_SOURCE,
   which clang's modules then find differs from the fd_set of the other C modules (CSodium,
   swift-system's CSystem) when a package imports them all. fgetxattr's prototype from it: */
extern ssize_t fgetxattr(int descriptor, const char *name, void *value, size_t size);

/* The file calls Glibc's Swift module leaves out because they need _GNU_SOURCE or a header it
   does not include. Called from FileDescriptor+Sync.swift and FileDescriptor+AccessControl.swift
   only. */

/* fgetxattr(2) of the file's POSIX access ACL ("system.posix_acl_access"): its size in bytes, or
   -1 with errno (ENODATA: no ACL beyond the mode bits). */
static inline ssize_t tokenvault_read_access_acl(int descriptor, void *buffer, size_t size) {
    return fgetxattr(descriptor, "system.posix_acl_access", buffer, size);
}

/* sync_file_range(2) with SYNC_FILE_RANGE_WRITE: starts writeback of the range's dirty pages
   without waiting. 0 on success, -1 with errno otherwise. */
static inline int tokenvault_start_writeback(int descriptor, int64_t offset, int64_t count) {
#ifdef __linux__
    return sync_file_range(descriptor, offset, count, SYNC_FILE_RANGE_WRITE);
#else
    (void)descriptor; (void)offset; (void)count;
    return 0;
#endif
}
#endif
