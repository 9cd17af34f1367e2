#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "DevenvLazy.h"

void *devenv_lazy_symbol(const char *const *libraries, const char *symbol) {
    for (const char *const *library = libraries; *library; library++) {
        void *handle = dlopen(*library, RTLD_NOW | RTLD_GLOBAL);
        if (!handle) continue;
        void *address = dlsym(handle, symbol);
        if (address) return address;
        fprintf(stderr, "devenv: %s has no %s\n", *library, symbol);
        exit(70);
    }
    fprintf(stderr, "devenv: cannot load %s (needed for %s): %s\n", libraries[0], symbol, dlerror());
    exit(70);
}
