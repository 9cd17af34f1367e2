#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "DevenvLazy.h"

void *devenv_lazy_symbol(const char *const *libraries, const char *symbol) {
    for (const char *const *library = libraries; *library; library++) {
        // Lazy binding: the libraries' own calls between each other are resolved when first
        // made, not all at once (libcurl and its 31 libraries load in 5 ms instead of 6.5).
        void *handle = dlopen(*library, RTLD_LAZY | RTLD_GLOBAL);
        if (!handle) continue;
        void *address = dlsym(handle, symbol);
        if (address) return address;
        fprintf(stderr, "devenv: %s has no %s\n", *library, symbol);
        exit(70);
    }
    fprintf(stderr, "devenv: cannot load %s (needed for %s): %s\n", libraries[0], symbol, dlerror());
    exit(70);
}
