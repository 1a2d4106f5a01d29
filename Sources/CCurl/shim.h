#ifndef TOKENVAULT_CCURL_SHIM_H
#define TOKENVAULT_CCURL_SHIM_H
#include <curl/curl.h>
#include <dlfcn.h>

/* libcurl is loaded with dlopen on the first request, not linked: with the forty-odd libraries it
   pulls in (TLS, Kerberos, LDAP, SSH…) it costs more to load at start-up than the whole
   `tokenvault token` command, which on its usual path (a valid token) sends no request.
   The functions TokenVault calls, with the prototypes of <curl/curl.h>. */
typedef struct {
    __typeof__(curl_global_init) *global_init;
    __typeof__(curl_easy_init) *easy_init;
    __typeof__(curl_easy_cleanup) *easy_cleanup;
    __typeof__(curl_easy_perform) *easy_perform;
    __typeof__(curl_easy_setopt) *easy_setopt;
    __typeof__(curl_easy_getinfo) *easy_getinfo;
    __typeof__(curl_easy_strerror) *easy_strerror;
    __typeof__(curl_slist_append) *slist_append;
    __typeof__(curl_slist_free_all) *slist_free_all;
} tokenvault_curl_api;

/* Loads `soname` and fills `api`; 0 on success, -1 with dlerror() set otherwise. The library
   stays loaded for the life of the process. */
static inline int tokenvault_curl_load(const char *soname, tokenvault_curl_api *api) {
    void *library = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) return -1;
#define TOKENVAULT_CURL_LOOKUP(field, symbol) \
    if ((*(void **)&api->field = dlsym(library, symbol)) == NULL) return -1;
    TOKENVAULT_CURL_LOOKUP(global_init, "curl_global_init")
    TOKENVAULT_CURL_LOOKUP(easy_init, "curl_easy_init")
    TOKENVAULT_CURL_LOOKUP(easy_cleanup, "curl_easy_cleanup")
    TOKENVAULT_CURL_LOOKUP(easy_perform, "curl_easy_perform")
    TOKENVAULT_CURL_LOOKUP(easy_setopt, "curl_easy_setopt")
    TOKENVAULT_CURL_LOOKUP(easy_getinfo, "curl_easy_getinfo")
    TOKENVAULT_CURL_LOOKUP(easy_strerror, "curl_easy_strerror")
    TOKENVAULT_CURL_LOOKUP(slist_append, "curl_slist_append")
    TOKENVAULT_CURL_LOOKUP(slist_free_all, "curl_slist_free_all")
#undef TOKENVAULT_CURL_LOOKUP
    return 0;
}

/* curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call.
   One typed shim per argument type the refresh engine passes. */

typedef size_t (*tokenvault_curl_data_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode tokenvault_curl_setopt_long(const tokenvault_curl_api *api, CURL *handle, CURLoption option, long value) {
    return api->easy_setopt(handle, option, value);
}

static inline CURLcode tokenvault_curl_setopt_off(const tokenvault_curl_api *api, CURL *handle, CURLoption option, curl_off_t value) {
    return api->easy_setopt(handle, option, value);
}

static inline CURLcode tokenvault_curl_setopt_string(const tokenvault_curl_api *api, CURL *handle, CURLoption option, const char *value) {
    return api->easy_setopt(handle, option, value);
}

static inline CURLcode tokenvault_curl_setopt_pointer(const tokenvault_curl_api *api, CURL *handle, CURLoption option, void *value) {
    return api->easy_setopt(handle, option, value);
}

static inline CURLcode tokenvault_curl_setopt_slist(const tokenvault_curl_api *api, CURL *handle, CURLoption option, struct curl_slist *value) {
    return api->easy_setopt(handle, option, value);
}

static inline CURLcode tokenvault_curl_setopt_callback(const tokenvault_curl_api *api, CURL *handle, CURLoption option,
                                                       tokenvault_curl_data_callback value) {
    return api->easy_setopt(handle, option, value);
}

static inline CURLcode tokenvault_curl_getinfo_long(const tokenvault_curl_api *api, CURL *handle, CURLINFO info, long *value) {
    return api->easy_getinfo(handle, info, value);
}

#endif
