#ifndef TOKENVAULT_CFILE_SHIM_H
#define TOKENVAULT_CFILE_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>

/* The file calls Glibc's Swift module leaves out because they need _GNU_SOURCE. Called from
   FileDescriptor+Sync.swift only. */

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
