#ifndef FERRY_SYSTEM_H
#define FERRY_SYSTEM_H

// Linux calls that Swift's Glibc module does not import (macros or GNU extensions).

/// Opens an unnamed file in `directory` (O_TMPFILE): it has no name until linked, so a killed
/// process leaves nothing behind. Returns -1 with errno set where the file system lacks it.
int ferry_open_unnamed(const char *directory);

/// Gives the unnamed file `fd` the name `path` (which must not exist). Returns 0 or -1/errno.
int ferry_link_unnamed(int fd, const char *path);

/// Swaps two paths atomically (renameat2 RENAME_EXCHANGE). Returns 0 or -1/errno.
int ferry_exchange(const char *first, const char *second);

#endif
