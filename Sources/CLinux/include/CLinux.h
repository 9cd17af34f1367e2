#ifndef DEVENV_CLINUX_H
#define DEVENV_CLINUX_H

#include <spawn.h>

/// Linux calls that Swift's Glibc module does not import (they sit behind _GNU_SOURCE).

/// rename(2) that fails with EEXIST instead of replacing an existing destination.
int devenv_rename_noreplace(const char *from, const char *to);

/// copy_file_range(2) from the current offsets: lets the kernel copy (or reflink) file data.
long devenv_copy_file_range(int from, int to, unsigned long length);

/// posix_spawn's POSIX_SPAWN_SETSID flag (the child starts a session of its own).
short devenv_posix_spawn_setsid(void);

/// posix_spawn_file_actions_addchdir_np: the child starts in `directory`.
int devenv_posix_spawn_chdir(posix_spawn_file_actions_t *actions, const char *directory);

/// mallopt(M_MMAP_THRESHOLD, bytes): allocations of at least `bytes` get pages of their own,
/// returned to the system when freed (a fixed threshold also stops glibc raising it as it goes).
int devenv_set_mmap_threshold(int bytes);

#endif

#include "DevenvLazy.h"
