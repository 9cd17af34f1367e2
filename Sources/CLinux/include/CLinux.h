#ifndef DEVENV_CLINUX_H
#define DEVENV_CLINUX_H

#include <spawn.h>
#include <sys/types.h>

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

/// mallopt(M_TRIM_THRESHOLD, bytes): free memory at the top of a heap is handed back to the system
/// only once it exceeds `bytes`.
int devenv_set_trim_threshold(int bytes);

/// sqlite3_db_config(connection, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1): closing the connection
/// leaves the write-ahead log to the next checkpoint instead of copying it into the database and
/// syncing both (variadic, so Swift cannot call it itself).
int devenv_sqlite_keep_wal_on_close(void *connection);

/// Starts `path` (argv, envp; in `directory` unless NULL; stdin from `input` unless -1, stdout and
/// stderr to `output`) in a process group of its own, under a guard: a child of this process
/// that waits for the service and exits with its status (or 128 + its signal), killing what it
/// left in its group. Should this process end (SIGKILL included) or the guard get SIGTERM, the
/// guard sends `stop_signal` to the group, waits up to `grace_ms`, then SIGKILLs it. Call from
/// the main thread: the guard learns of its parent's end when the forking thread ends. Returns
/// the guard's pid (-1 and errno on failure) and the service's (its group's) in `*service`.
pid_t devenv_spawn_guarded(const char *path, char *const argv[], char *const envp[], const char *directory,
                           int input, int output, int stop_signal, int grace_ms, pid_t *service);

/// pipe2(2) with O_CLOEXEC, and O_NONBLOCK on both ends when `nonblocking`.
int devenv_pipe(int fds[2], int nonblocking);

/// Makes each of `signals` write its number (one byte) to `fd`, so that a poll loop sees it.
int devenv_signals_to_pipe(int fd, const int *signals, int count);

#endif

#include "DevenvLazy.h"
