#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <spawn.h>
#include <sqlite3.h>
#include <unistd.h>

#include "CLinux.h"

int devenv_rename_noreplace(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}

long devenv_copy_file_range(int from, int to, unsigned long length) {
    return copy_file_range(from, NULL, to, NULL, length, 0);
}

short devenv_posix_spawn_setsid(void) { return POSIX_SPAWN_SETSID; }

int devenv_posix_spawn_chdir(posix_spawn_file_actions_t *actions, const char *directory) {
    return posix_spawn_file_actions_addchdir_np(actions, directory);
}

int devenv_set_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }

int devenv_set_trim_threshold(int bytes) { return mallopt(M_TRIM_THRESHOLD, bytes); }

int devenv_sqlite_keep_wal_on_close(void *connection) {
    return sqlite3_db_config((sqlite3 *)connection, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}
