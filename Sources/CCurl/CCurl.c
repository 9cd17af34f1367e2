// libcurl, loaded on first use (see DevenvLazy.h), with typed wrappers for its variadic calls.
#include "CCurl.h"
#include "DevenvLazy.h"

static const char *const libcurl[] = {"libcurl.so.4", "libcurl.so", 0};

DEVENV_LAZY(libcurl, CURLcode, curl_global_init, (long flags), (flags))
DEVENV_LAZY(libcurl, CURL *, curl_easy_init, (void), ())
DEVENV_LAZY(libcurl, void, curl_easy_cleanup, (CURL *h), (h))
DEVENV_LAZY(libcurl, void, curl_easy_reset, (CURL *h), (h))
DEVENV_LAZY(libcurl, CURLcode, curl_easy_perform, (CURL *h), (h))
DEVENV_LAZY(libcurl, CURLcode, curl_easy_pause, (CURL *h, int bits), (h, bits))
DEVENV_LAZY(libcurl, const char *, curl_easy_strerror, (CURLcode c), (c))
DEVENV_LAZY(libcurl, struct curl_slist *, curl_slist_append, (struct curl_slist *l, const char *s), (l, s))
DEVENV_LAZY(libcurl, void, curl_slist_free_all, (struct curl_slist *l), (l))
DEVENV_LAZY(libcurl, CURLM *, curl_multi_init, (void), ())
DEVENV_LAZY(libcurl, CURLMcode, curl_multi_cleanup, (CURLM *m), (m))
DEVENV_LAZY(libcurl, CURLMcode, curl_multi_add_handle, (CURLM *m, CURL *h), (m, h))
DEVENV_LAZY(libcurl, CURLMcode, curl_multi_remove_handle, (CURLM *m, CURL *h), (m, h))
DEVENV_LAZY(libcurl, CURLMcode, curl_multi_perform, (CURLM *m, int *running), (m, running))
DEVENV_LAZY(
    libcurl, CURLMcode, curl_multi_poll, (CURLM *m, struct curl_waitfd *fds, unsigned int n, int timeout, int *ready),
    (m, fds, n, timeout, ready))
DEVENV_LAZY(libcurl, CURLMsg *, curl_multi_info_read, (CURLM *m, int *left), (m, left))
DEVENV_LAZY(libcurl, CURLMcode, curl_multi_wakeup, (CURLM *m), (m))

struct curl_slist *devenv_curl_append_header(struct curl_slist *list, const char *header) {
    return curl_slist_append(list, header);
}

void devenv_curl_free_headers(struct curl_slist *list) { curl_slist_free_all(list); }

typedef CURLcode (*setopt_function)(CURL *, CURLoption, ...);
typedef CURLcode (*getinfo_function)(CURL *, CURLINFO, ...);

static setopt_function setopt(void) {
    static setopt_function real;
    if (!real) real = (setopt_function)devenv_lazy_symbol(libcurl, "curl_easy_setopt");
    return real;
}

CURLcode devenv_curl_set_long(CURL *handle, CURLoption option, long value) {
    return setopt()(handle, option, value);
}

CURLcode devenv_curl_set_pointer(CURL *handle, CURLoption option, const void *value) {
    return setopt()(handle, option, value);
}

CURLcode devenv_curl_set_size(CURL *handle, CURLoption option, curl_off_t value) {
    return setopt()(handle, option, value);
}

CURLcode devenv_curl_set_write_function(CURL *handle, size_t (*function)(char *, size_t, size_t, void *)) {
    return setopt()(handle, CURLOPT_WRITEFUNCTION, function);
}

CURLcode devenv_curl_set_header_function(CURL *handle, size_t (*function)(char *, size_t, size_t, void *)) {
    return setopt()(handle, CURLOPT_HEADERFUNCTION, function);
}

CURLcode devenv_curl_set_progress_function(
    CURL *handle, int (*function)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t)) {
    return setopt()(handle, CURLOPT_XFERINFOFUNCTION, function);
}

CURLcode devenv_curl_get_long(CURL *handle, CURLINFO info, long *value) {
    static getinfo_function real;
    if (!real) real = (getinfo_function)devenv_lazy_symbol(libcurl, "curl_easy_getinfo");
    return real(handle, info, value);
}
