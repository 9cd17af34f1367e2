// libgit2, loaded on first use (see DevenvLazy.h).
#include "CGit2.h"
#include "DevenvLazy.h"

static const char *const libgit2[] = {"libgit2.so.1.5", "libgit2.so", 0};

DEVENV_LAZY(libgit2, int, git_libgit2_init, (void), ())
DEVENV_LAZY(libgit2, const git_error *, git_error_last, (void), ())
DEVENV_LAZY(libgit2, int, git_repository_open_bare, (git_repository **r, const char *p), (r, p))
DEVENV_LAZY(libgit2, int, git_repository_init, (git_repository **r, const char *p, unsigned b), (r, p, b))
DEVENV_LAZY(libgit2, void, git_repository_free, (git_repository *r), (r))
DEVENV_LAZY(libgit2, int, git_remote_create_anonymous, (git_remote **o, git_repository *r, const char *u), (o, r, u))
DEVENV_LAZY(libgit2, void, git_remote_free, (git_remote *r), (r))
DEVENV_LAZY(libgit2, int, git_remote_connect,
    (git_remote *r, git_direction d, const git_remote_callbacks *c, const git_proxy_options *p,
        const git_strarray *h),
    (r, d, c, p, h))
DEVENV_LAZY(libgit2, int, git_remote_disconnect, (git_remote *r), (r))
DEVENV_LAZY(libgit2, int, git_remote_ls, (const git_remote_head ***o, size_t *s, git_remote *r), (o, s, r))
DEVENV_LAZY(libgit2, int, git_fetch_options_init, (git_fetch_options *o, unsigned int v), (o, v))
DEVENV_LAZY(libgit2, int, git_remote_fetch,
    (git_remote *r, const git_strarray *s, const git_fetch_options *o, const char *m), (r, s, o, m))
DEVENV_LAZY(libgit2, int, git_oid_fromstr, (git_oid *o, const char *s), (o, s))
DEVENV_LAZY(libgit2, char *, git_oid_tostr, (char *o, size_t n, const git_oid *i), (o, n, i))
DEVENV_LAZY(libgit2, int, git_object_lookup, (git_object **o, git_repository *r, const git_oid *i, git_object_t t),
    (o, r, i, t))
DEVENV_LAZY(libgit2, int, git_object_peel, (git_object **p, const git_object *o, git_object_t t), (p, o, t))
DEVENV_LAZY(libgit2, void, git_object_free, (git_object *o), (o))
DEVENV_LAZY(libgit2, int, git_commit_tree, (git_tree **t, const git_commit *c), (t, c))
DEVENV_LAZY(libgit2, const git_oid *, git_commit_id, (const git_commit *c), (c))
DEVENV_LAZY(libgit2, git_time_t, git_commit_time, (const git_commit *c), (c))
DEVENV_LAZY(libgit2, int, git_tree_lookup, (git_tree **o, git_repository *r, const git_oid *i), (o, r, i))
DEVENV_LAZY(libgit2, void, git_tree_free, (git_tree *t), (t))
DEVENV_LAZY(libgit2, size_t, git_tree_entrycount, (const git_tree *t), (t))
DEVENV_LAZY(libgit2, const git_tree_entry *, git_tree_entry_byindex, (const git_tree *t, size_t i), (t, i))
DEVENV_LAZY(libgit2, const char *, git_tree_entry_name, (const git_tree_entry *e), (e))
DEVENV_LAZY(libgit2, const git_oid *, git_tree_entry_id, (const git_tree_entry *e), (e))
DEVENV_LAZY(libgit2, git_filemode_t, git_tree_entry_filemode, (const git_tree_entry *e), (e))
DEVENV_LAZY(libgit2, int, git_blob_lookup, (git_blob **b, git_repository *r, const git_oid *i), (b, r, i))
DEVENV_LAZY(libgit2, void, git_blob_free, (git_blob *b), (b))
DEVENV_LAZY(libgit2, const void *, git_blob_rawcontent, (const git_blob *b), (b))
DEVENV_LAZY(libgit2, git_object_size_t, git_blob_rawsize, (const git_blob *b), (b))
DEVENV_LAZY(libgit2, int, git_revwalk_new, (git_revwalk **w, git_repository *r), (w, r))
DEVENV_LAZY(libgit2, void, git_revwalk_free, (git_revwalk *w), (w))
DEVENV_LAZY(libgit2, int, git_revwalk_push, (git_revwalk *w, const git_oid *i), (w, i))
DEVENV_LAZY(libgit2, int, git_revwalk_next, (git_oid *o, git_revwalk *w), (o, w))
