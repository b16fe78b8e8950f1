/*
 * known.h -- expected failures (library bugs found by these tests, not
 * yet fixed).
 *
 * The list lives in known_bugs.txt beside this file, one entry a line:
 *
 *     <test>:<case-id>[:<config>,<config>...]    free text after a space or tab
 *
 * The configurations (CONFIG=...) restrict an entry; `*` or nothing means
 * all.  The runner passes the file in REL_KNOWN_BUGS.  A
 * listed case that fails is XFAIL (counted as passed, printed loudly); a
 * listed case that passes is XPASS and counts as a failure, so the entry
 * is removed as soon as the bug is fixed.  REL_STRICT=1 ignores the list.
 */
#ifndef KNOWN_H
#define KNOWN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int known_lookup(const char *test, const char *id)
{
    const char *path = getenv("REL_KNOWN_BUGS");
    const char *config = getenv("CONFIG");
    const char *strict = getenv("REL_STRICT");
    char line[512], want[256];
    FILE *f;
    int hit = 0;

    if ((strict && *strict == '1') || !path || !*path) {
        return 0;
    }
    f = fopen(path, "r");
    if (!f) {
        return 0;
    }
    snprintf(want, sizeof(want), "%s:%s", test, id);
    while (!hit && fgets(line, sizeof(line), f)) {
        char *sp = line + strcspn(line, " \t\n");
        size_t wl = strlen(want);
        *sp = 0;
        if (line[0] == '#' || strncmp(line, want, wl) != 0) {
            continue;
        }
        if (line[wl] == 0 || strcmp(line + wl, ":*") == 0) {
            hit = 1;
        } else if (line[wl] == ':' && config) {
            /* a comma-separated list of configurations */
            char *c = line + wl + 1, *save = NULL, *tok;
            for (tok = strtok_r(c, ",", &save); tok && !hit; tok = strtok_r(NULL, ",", &save)) {
                hit = strcmp(tok, config) == 0;
            }
        }
    }
    fclose(f);
    return hit;
}

#endif /* KNOWN_H */
