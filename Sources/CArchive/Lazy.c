// libarchive, loaded on first use (see DevenvLazy.h).
#include "CArchive.h"
#include "DevenvLazy.h"

static const char *const libarchive[] = {"libarchive.so.13", "libarchive.so", 0};

DEVENV_LAZY(libarchive, struct archive *, archive_read_new, (void), ())
DEVENV_LAZY(libarchive, int, archive_read_support_filter_all, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_read_support_filter_xz, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_read_support_filter_bzip2, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_read_support_filter_gzip, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_read_support_format_tar, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_read_support_format_gnutar, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_read_support_format_zip, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_read_support_format_ar, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_read_support_format_raw, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_filter_code, (struct archive *a, int n), (a, n))
DEVENV_LAZY(libarchive, int, archive_read_open_filename, (struct archive *a, const char *f, size_t b), (a, f, b))
DEVENV_LAZY(
    libarchive, int, archive_read_open,
    (struct archive *a, void *c, archive_open_callback *o, archive_read_callback *r, archive_close_callback *x),
    (a, c, o, r, x))
DEVENV_LAZY(libarchive, const char *, archive_error_string, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_read_free, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_read_next_header, (struct archive *a, struct archive_entry **e), (a, e))
DEVENV_LAZY(libarchive, int, archive_read_data_block,
    (struct archive *a, const void **b, size_t *s, la_int64_t *o), (a, b, s, o))
DEVENV_LAZY(libarchive, const char *, archive_entry_pathname, (struct archive_entry *e), (e))
DEVENV_LAZY(libarchive, const char *, archive_entry_pathname_utf8, (struct archive_entry *e), (e))
DEVENV_LAZY(libarchive, const char *, archive_entry_hardlink, (struct archive_entry *e), (e))
DEVENV_LAZY(libarchive, const char *, archive_entry_symlink, (struct archive_entry *e), (e))
DEVENV_LAZY(libarchive, const char *, archive_entry_symlink_utf8, (struct archive_entry *e), (e))
DEVENV_LAZY(libarchive, __LA_MODE_T, archive_entry_filetype, (struct archive_entry *e), (e))
DEVENV_LAZY(libarchive, __LA_MODE_T, archive_entry_perm, (struct archive_entry *e), (e))
DEVENV_LAZY(libarchive, la_int64_t, archive_entry_size, (struct archive_entry *e), (e))
DEVENV_LAZY(libarchive, int, archive_entry_size_is_set, (struct archive_entry *e), (e))
DEVENV_LAZY(libarchive, struct archive *, archive_write_new, (void), ())
DEVENV_LAZY(libarchive, int, archive_write_add_filter_xz, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_write_add_filter_zstd, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_write_set_format_raw, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_write_set_filter_option,
    (struct archive *a, const char *m, const char *o, const char *v), (a, m, o, v))
DEVENV_LAZY(libarchive, int, archive_write_open_filename, (struct archive *a, const char *f), (a, f))
DEVENV_LAZY(libarchive, int, archive_write_open_fd, (struct archive *a, int fd), (a, fd))
DEVENV_LAZY(libarchive, int, archive_write_set_bytes_in_last_block, (struct archive *a, int n), (a, n))
DEVENV_LAZY(libarchive, int, archive_write_header, (struct archive *a, struct archive_entry *e), (a, e))
DEVENV_LAZY(libarchive, la_ssize_t, archive_write_data, (struct archive *a, const void *b, size_t s), (a, b, s))
DEVENV_LAZY(libarchive, int, archive_write_close, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_write_free, (struct archive *a), (a))
DEVENV_LAZY(libarchive, struct archive_entry *, archive_entry_new, (void), ())
DEVENV_LAZY(libarchive, void, archive_entry_free, (struct archive_entry *e), (e))
DEVENV_LAZY(libarchive, void, archive_entry_set_filetype, (struct archive_entry *e, unsigned int t), (e, t))
DEVENV_LAZY(libarchive, int, archive_write_add_filter_gzip, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_write_set_format_pax_restricted, (struct archive *a), (a))
DEVENV_LAZY(libarchive, int, archive_write_open,
    (struct archive *a, void *c, archive_open_callback *o, archive_write_callback *w, archive_close_callback *f),
    (a, c, o, w, f))
DEVENV_LAZY(libarchive, struct archive_entry *, archive_entry_clear, (struct archive_entry *e), (e))
DEVENV_LAZY(libarchive, void, archive_entry_set_pathname, (struct archive_entry *e, const char *p), (e, p))
DEVENV_LAZY(libarchive, void, archive_entry_set_symlink, (struct archive_entry *e, const char *p), (e, p))
DEVENV_LAZY(libarchive, void, archive_entry_set_hardlink, (struct archive_entry *e, const char *p), (e, p))
DEVENV_LAZY(libarchive, void, archive_entry_set_size, (struct archive_entry *e, la_int64_t s), (e, s))
DEVENV_LAZY(libarchive, void, archive_entry_set_perm, (struct archive_entry *e, __LA_MODE_T m), (e, m))
DEVENV_LAZY(libarchive, void, archive_entry_set_mtime, (struct archive_entry *e, time_t t, long n), (e, t, n))
DEVENV_LAZY(libarchive, void, archive_entry_set_uid, (struct archive_entry *e, la_int64_t u), (e, u))
DEVENV_LAZY(libarchive, void, archive_entry_set_gid, (struct archive_entry *e, la_int64_t g), (e, g))
