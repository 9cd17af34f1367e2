// libzstd, loaded on first use (see DevenvLazy.h): NARs are decompressed with it directly.
#include "CZstd.h"
#include "DevenvLazy.h"

static const char *const libzstd[] = {"libzstd.so.1", "libzstd.so", 0};

DEVENV_LAZY(libzstd, ZSTD_DCtx *, ZSTD_createDCtx, (void), ())
DEVENV_LAZY(libzstd, size_t, ZSTD_freeDCtx, (ZSTD_DCtx *c), (c))
DEVENV_LAZY(libzstd, size_t, ZSTD_sizeof_DCtx, (const ZSTD_DCtx *c), (c))
DEVENV_LAZY(libzstd, size_t, ZSTD_DCtx_reset, (ZSTD_DCtx *c, ZSTD_ResetDirective r), (c, r))
DEVENV_LAZY(libzstd, size_t, ZSTD_decompressStream, (ZSTD_DStream *c, ZSTD_outBuffer *o, ZSTD_inBuffer *i), (c, o, i))
DEVENV_LAZY(libzstd, unsigned, ZSTD_isError, (size_t code), (code))
DEVENV_LAZY(libzstd, const char *, ZSTD_getErrorName, (size_t code), (code))
DEVENV_LAZY(libzstd, unsigned long long, ZSTD_getFrameContentSize, (const void *s, size_t n), (s, n))
DEVENV_LAZY(libzstd, size_t, ZSTD_findFrameCompressedSize, (const void *s, size_t n), (s, n))
DEVENV_LAZY(libzstd, size_t, ZSTD_decompressDCtx, (ZSTD_DCtx *c, void *d, size_t dn, const void *s, size_t n),
            (c, d, dn, s, n))
DEVENV_LAZY(libzstd, ZSTD_CCtx *, ZSTD_createCCtx, (void), ())
DEVENV_LAZY(libzstd, size_t, ZSTD_freeCCtx, (ZSTD_CCtx *c), (c))
DEVENV_LAZY(libzstd, size_t, ZSTD_compressBound, (size_t n), (n))
DEVENV_LAZY(libzstd, size_t, ZSTD_compressCCtx, (ZSTD_CCtx *c, void *d, size_t dn, const void *s, size_t n, int level),
            (c, d, dn, s, n, level))
