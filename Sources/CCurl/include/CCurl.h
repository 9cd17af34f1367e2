#ifndef DEVENV_CCURL_H
#define DEVENV_CCURL_H

#include <curl/curl.h>

/// curl_easy_setopt is variadic, which Swift cannot call: one typed wrapper per kind of value.
CURLcode devenv_curl_set_long(CURL *handle, CURLoption option, long value);
CURLcode devenv_curl_set_pointer(CURL *handle, CURLoption option, const void *value);
CURLcode devenv_curl_set_write_function(CURL *handle, size_t (*function)(char *, size_t, size_t, void *));
CURLcode devenv_curl_set_header_function(CURL *handle, size_t (*function)(char *, size_t, size_t, void *));
CURLcode devenv_curl_set_progress_function(
    CURL *handle, int (*function)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t));
CURLcode devenv_curl_set_size(CURL *handle, CURLoption option, curl_off_t value);
/// Request headers ("Name: value") as libcurl keeps them; freed with devenv_curl_free_headers.
struct curl_slist *devenv_curl_append_header(struct curl_slist *list, const char *header);
void devenv_curl_free_headers(struct curl_slist *list);
/// curl_easy_getinfo is variadic too.
CURLcode devenv_curl_get_long(CURL *handle, CURLINFO info, long *value);

#endif
