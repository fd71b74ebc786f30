/* The progress line: records, megabytes, throughput, and a bar when the total size is
 * known in advance (plain files; folders and pipes are counted as they go). Redrawn at
 * most five times a second so that it costs nothing. */
#include "progress.h"

#include <stdio.h>
#include <time.h>

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_init(progress *p, int enabled)
{
    p->enabled = enabled;
    p->start = seconds_now();
    p->last_draw = 0;
}

void progress_update(void *user, uint64_t records, uint64_t bytes_done, uint64_t bytes_total)
{
    progress *p = user;
    if (!p->enabled)
        return;
    double t = seconds_now();
    if (t - p->last_draw < 0.2)
        return;
    p->last_draw = t;
    double mb = (double)bytes_done / 1e6;
    double rate = t > p->start ? mb / (t - p->start) : 0;
    fprintf(stderr, "\r\033[K%llu records  %.1f MB  %.1f MB/s", (unsigned long long)records, mb,
            rate);
    if (bytes_total) {
        int width = 30;
        double frac = (double)bytes_done / (double)bytes_total;
        if (frac > 1)
            frac = 1;
        int filled = (int)(frac * width);
        fputs("  [", stderr);
        for (int i = 0; i < width; i++)
            fputc(i < filled ? '=' : (i == filled ? '>' : ' '), stderr);
        fprintf(stderr, "] %3.0f%%", frac * 100);
    }
    fflush(stderr);
}

void progress_clear(progress *p)
{
    if (p->enabled && p->last_draw > 0) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}
