#ifndef DEVENV_LAZY_H
#define DEVENV_LAZY_H

/// Loading C libraries on first use instead of at startup. libcurl, libgit2 and libarchive (and
/// what they pull in: TLS, Kerberos, LDAP, ICU, ...) cost about 10 ms to load and initialize;
/// most commands never call them, and `devenv` starts on every prompt. The shims define the
/// libraries' functions themselves, each forwarding to the real one, found with dlopen/dlsym the
/// first time it is called.

/// The address of `symbol` in the first of the NULL-terminated `libraries` that loads; exits with
/// a message naming the library when none does.
void *devenv_lazy_symbol(const char *const *libraries, const char *symbol);

/// Defines `name` to forward to the library's own `name` (resolved once; threads that call it
/// first at the same time each resolve it, to the same address).
#define DEVENV_LAZY(libraries, ret, name, params, args)                                          \
    ret name params {                                                                            \
        static ret(*real) params;                                                                \
        ret(*resolved) params = __atomic_load_n(&real, __ATOMIC_ACQUIRE);                        \
        if (!resolved) {                                                                         \
            resolved = (ret(*) params)devenv_lazy_symbol(libraries, #name);                      \
            __atomic_store_n(&real, resolved, __ATOMIC_RELEASE);                                 \
        }                                                                                        \
        return resolved args;                                                                    \
    }

#endif
