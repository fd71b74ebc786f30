/* A progress line on stderr for long runs; drawn only when stderr is a terminal. */
#ifndef DOPPEL_CLI_PROGRESS_H
#define DOPPEL_CLI_PROGRESS_H

#include <stdint.h>

typedef struct progress {
    int enabled;
    double last_draw;
    double start;
} progress;

void progress_init(progress *p, int enabled);
/* dpl_progress_fn-compatible callback; `user` is a progress*. */
void progress_update(void *user, uint64_t records, uint64_t bytes_done, uint64_t bytes_total);
void progress_clear(progress *p);

#endif
