/* The collective building blocks of a distributed job: agreement on failures, routing
 * records to their owners (MPI_Alltoallv), and fetching what other processes hold about
 * documents. Every process calls each of them the same number of times, in the same
 * order, whatever it has to send: a process with nothing to send sends nothing. */
#include "dist/dist.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void dpl__dist_abort(dpl__dist *d, const char *what)
{
    fprintf(stderr, "doppel: process %d of %d: %s; stopping every process\n", d->rank,
            d->size, what);
    MPI_Abort(d->comm, 2);
    abort(); /* MPI_Abort does not return */
}

uint32_t dpl__dist_owner(const dpl__dist *d, uint32_t g)
{
    int lo = 0, hi = d->size - 1; /* the last rank whose base is <= g */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (d->bases[mid] <= g)
            lo = mid;
        else
            hi = mid - 1;
    }
    return (uint32_t)lo;
}

int dpl__dist_agree(dpl__dist *d, int rc)
{
    if (rc == DPL_OK && d->failed)
        rc = d->failed;
    if (rc == DPL_OK && d->job->stop)
        rc = DPL_EINTERRUPTED;
    int mine[2] = {rc != DPL_OK && rc != DPL_EINTERRUPTED ? d->rank : d->size,
                   rc == DPL_EINTERRUPTED}, all[2];
    int first_failed = 0, interrupted = 0;
    MPI_Allreduce(&mine[0], &all[0], 1, MPI_INT, MPI_MIN, d->comm);
    MPI_Allreduce(&mine[1], &all[1], 1, MPI_INT, MPI_MAX, d->comm);
    first_failed = all[0];
    interrupted = all[1];
    if (first_failed < d->size) {
        MPI_Bcast(&rc, 1, MPI_INT, first_failed, d->comm);
        MPI_Bcast(d->job->errmsg, (int)sizeof d->job->errmsg, MPI_CHAR, first_failed, d->comm);
        return rc;
    }
    if (interrupted) {
        d->job->stop = 1;
        return DPL_EINTERRUPTED;
    }
    return DPL_OK;
}

uint64_t dpl__dist_sum(dpl__dist *d, uint64_t v)
{
    uint64_t all;
    MPI_Allreduce(&v, &all, 1, MPI_UINT64_T, MPI_SUM, d->comm);
    return all;
}

uint64_t dpl__dist_max(dpl__dist *d, uint64_t v)
{
    uint64_t all;
    MPI_Allreduce(&v, &all, 1, MPI_UINT64_T, MPI_MAX, d->comm);
    return all;
}

size_t dpl__u32_position(const uint32_t *v, size_t n, uint32_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int *ints(dpl__dist *d, size_t per_rank)
{
    int *p = calloc((size_t)d->size * per_rank, sizeof *p);
    if (!p)
        dpl__dist_abort(d, "out of memory");
    return p;
}

size_t dpl__dist_round_bytes(int processes)
{
    const char *env = getenv("DOPPEL_MPI_ROUND_BYTES");
    char *end;
    unsigned long long v = env ? strtoull(env, &end, 10) : 0;
    if (env && *end == '\0' && v > 0 && v <= ((size_t)1 << 30))
        return (size_t)v;
    size_t per_pair = ((size_t)1 << 30) / (size_t)processes;
    return per_pair < ((size_t)1 << 20) ? (size_t)1 << 20 : per_pair;
}

/* One round: from each pair's bytes, the part [r * piece, (r + 1) * piece). Sent in
 * place when this process's whole exchange fits MPI's ints (one round, the usual case),
 * else copied into contiguous buffers whose offsets do. */
static void exchange_round(dpl__dist *d, const char *send, const size_t *sdisp,
                           const size_t *scounts, char *recv, const size_t *rdisp,
                           const size_t *rcounts, size_t r, size_t piece)
{
    int *sc = ints(d, 4), *sd = sc + d->size, *rc = sd + d->size, *rd = rc + d->size;
    size_t s_total = 0, r_total = 0;
    for (int k = 0; k < d->size; k++) {
        size_t from = r * piece;
        size_t s_n = scounts[k] > from ? scounts[k] - from : 0;
        size_t r_n = rcounts[k] > from ? rcounts[k] - from : 0;
        sc[k] = (int)(s_n < piece ? s_n : piece);
        rc[k] = (int)(r_n < piece ? r_n : piece);
        sd[k] = (int)s_total;
        rd[k] = (int)r_total;
        s_total += (size_t)sc[k];
        r_total += (size_t)rc[k];
    }
    int in_place = r == 0 && sdisp[d->size - 1] + scounts[d->size - 1] == s_total &&
                   rdisp[d->size - 1] + rcounts[d->size - 1] == r_total && s_total <= INT_MAX &&
                   r_total <= INT_MAX;
    if (in_place) {
        MPI_Alltoallv(send, sc, sd, MPI_BYTE, recv, rc, rd, MPI_BYTE, d->comm);
        free(sc);
        return;
    }
    char *s_buf = malloc(s_total + 1), *r_buf = malloc(r_total + 1);
    if (!s_buf || !r_buf)
        dpl__dist_abort(d, "out of memory");
    for (int k = 0; k < d->size; k++)
        memcpy(s_buf + sd[k], send + sdisp[k] + r * piece, (size_t)sc[k]);
    MPI_Alltoallv(s_buf, sc, sd, MPI_BYTE, r_buf, rc, rd, MPI_BYTE, d->comm);
    for (int k = 0; k < d->size; k++)
        memcpy(recv + rdisp[k] + r * piece, r_buf + rd[k], (size_t)rc[k]);
    free(s_buf);
    free(r_buf);
    free(sc);
}

/* Bytes to every rank (scounts[r] of them, packed by rank in `send`); *recv gets what
 * every rank sent here, rcounts[r] from rank r, packed by rank. */
static void alltoallv_bytes(dpl__dist *d, const char *send, const size_t *scounts,
                            dpl__buf *recv, size_t *rcounts)
{
    uint64_t *counts = calloc((size_t)d->size * 2, sizeof *counts);
    size_t *disp = calloc((size_t)d->size * 2, sizeof *disp);
    if (!counts || !disp)
        dpl__dist_abort(d, "out of memory");
    uint64_t *got = counts + d->size, largest = 0;
    size_t *sdisp = disp, *rdisp = disp + d->size, off = 0, total = 0;
    for (int r = 0; r < d->size; r++) {
        counts[r] = scounts[r];
        sdisp[r] = off;
        off += scounts[r];
        d->stats.bytes_routed += scounts[r];
        if (r != d->rank)
            d->stats.bytes_exchanged += scounts[r];
        if (scounts[r] > largest)
            largest = scounts[r];
    }
    MPI_Alltoall(counts, 1, MPI_UINT64_T, got, 1, MPI_UINT64_T, d->comm);
    for (int r = 0; r < d->size; r++) {
        rcounts[r] = (size_t)got[r];
        rdisp[r] = total;
        total += (size_t)got[r];
    }
    dpl__buf_clear(recv);
    if (dpl__buf_reserve(recv, total + 1) != DPL_OK)
        dpl__dist_abort(d, "out of memory");
    size_t piece = d->round_bytes;
    uint64_t rounds = (dpl__dist_max(d, largest) + piece - 1) / piece;
    for (uint64_t r = 0; r < rounds; r++)
        exchange_round(d, send, sdisp, scounts, recv->data, rdisp, rcounts, (size_t)r, piece);
    recv->len = total;
    free(counts);
    free(disp);
}

/* The records of `recs` regrouped by destination rank (stable); counts in bytes. */
static char *pack_by_rank(dpl__dist *d, const void *recs, size_t n, size_t rec_size,
                          const uint32_t *dest, size_t *counts)
{
    size_t *at = calloc((size_t)d->size + 1, sizeof *at);
    char *packed = malloc(n * rec_size + 1);
    if (!at || !packed)
        dpl__dist_abort(d, "out of memory");
    memset(counts, 0, (size_t)d->size * sizeof *counts);
    for (size_t i = 0; i < n; i++)
        counts[dest[i]] += rec_size;
    for (int r = 0; r < d->size; r++)
        at[r + 1] = at[r] + counts[r];
    for (size_t i = 0; i < n; i++) {
        memcpy(packed + at[dest[i]], (const char *)recs + i * rec_size, rec_size);
        at[dest[i]] += rec_size;
    }
    free(at);
    return packed;
}

void dpl__dist_route(dpl__dist *d, const void *recs, size_t n, size_t rec_size,
                    const uint32_t *dest, dpl__buf *out, size_t *n_out)
{
    size_t *scounts = calloc((size_t)d->size * 2, sizeof *scounts);
    if (!scounts)
        dpl__dist_abort(d, "out of memory");
    char *packed = pack_by_rank(d, recs, n, rec_size, dest, scounts);
    alltoallv_bytes(d, packed, scounts, out, scounts + d->size);
    free(packed);
    free(scounts);
    *n_out = out->len / rec_size;
}

/* Requests are answered in the order they arrive, which is the order they were packed:
 * by rank, then by position. */
void dpl__dist_fetch(dpl__dist *d, const uint32_t *want, size_t n, dpl__dist_serve serve,
                    void *user, dpl__buf *data, uint64_t *offs)
{
    uint32_t *dest = malloc((n + 1) * sizeof *dest);
    size_t *counts = calloc((size_t)d->size * 4, sizeof *counts);
    if (!dest || !counts)
        dpl__dist_abort(d, "out of memory");
    size_t *req_counts = counts, *got_counts = counts + d->size;
    size_t *ans_counts = counts + 2 * (size_t)d->size, *back_counts = counts + 3 * (size_t)d->size;
    for (size_t i = 0; i < n; i++)
        dest[i] = dpl__dist_owner(d, want[i]);
    char *packed = pack_by_rank(d, want, n, sizeof *want, dest, req_counts);
    dpl__buf reqs = {0}, answers = {0}, lens = {0}, back = {0};
    alltoallv_bytes(d, packed, req_counts, &reqs, got_counts);
    free(packed);
    /* serve each request; one 8-byte length per request, then the bytes */
    size_t n_req = reqs.len / sizeof(uint32_t);
    uint64_t *len_of = malloc((n_req + 1) * sizeof *len_of);
    if (!len_of)
        dpl__dist_abort(d, "out of memory");
    for (size_t i = 0; i < n_req; i++) {
        uint32_t g;
        memcpy(&g, reqs.data + i * sizeof g, sizeof g);
        size_t before = answers.len;
        int rc = g >= d->base && g - d->base < d->n ? serve(d, user, g - d->base, &answers)
                                                    : DPL_EINVAL;
        if (rc != DPL_OK && !d->failed)
            d->failed = rc;
        if (rc != DPL_OK)
            answers.len = before;
        len_of[i] = answers.len - before;
    }
    size_t r_at = 0, *len_counts = calloc((size_t)d->size, sizeof *len_counts);
    if (!len_counts)
        dpl__dist_abort(d, "out of memory");
    for (int r = 0; r < d->size; r++) {
        size_t k = got_counts[r] / sizeof(uint32_t);
        len_counts[r] = k * sizeof(uint64_t);
        ans_counts[r] = 0;
        for (size_t i = 0; i < k; i++)
            ans_counts[r] += len_of[r_at + i];
        r_at += k;
    }
    size_t *len_back = calloc((size_t)d->size, sizeof *len_back);
    if (!len_back)
        dpl__dist_abort(d, "out of memory");
    alltoallv_bytes(d, (const char *)len_of, len_counts, &lens, len_back);
    alltoallv_bytes(d, answers.data ? answers.data : "", ans_counts, &back, back_counts);
    /* unpack: the answers come back by rank, each rank's in request order */
    size_t *next = calloc((size_t)d->size + 1, sizeof *next);      /* request index */
    uint64_t *byte_at = calloc((size_t)d->size + 1, sizeof *byte_at);
    if (!next || !byte_at)
        dpl__dist_abort(d, "out of memory");
    for (int r = 0; r < d->size; r++) {
        next[r + 1] = next[r] + len_back[r] / sizeof(uint64_t);
        byte_at[r + 1] = byte_at[r] + back_counts[r];
    }
    const uint64_t *lv = (const uint64_t *)(const void *)lens.data;
    dpl__buf_clear(data);
    for (size_t i = 0; i < n; i++) {
        uint32_t r = dest[i];
        uint64_t len = lv[next[r]++];
        offs[i] = data->len;
        if (dpl__buf_append(data, back.data + byte_at[r], len) != DPL_OK)
            dpl__dist_abort(d, "out of memory");
        byte_at[r] += len;
    }
    offs[n] = data->len;
    free(next);
    free(byte_at);
    free(len_back);
    free(len_counts);
    free(len_of);
    free(dest);
    free(counts);
    dpl__buf_free(&reqs);
    dpl__buf_free(&answers);
    dpl__buf_free(&lens);
    dpl__buf_free(&back);
}

static int serve_u32(dpl__dist *d, void *user, uint32_t l, dpl__buf *out)
{
    (void)d;
    return dpl__buf_append(out, (const uint32_t *)user + l, sizeof(uint32_t));
}

void dpl__dist_fetch_u32(dpl__dist *d, uint32_t *table, uint32_t *want, size_t *n,
                         dpl__buf *vals)
{
    *n = dpl_set_normalize(want, *n);
    uint64_t *offs = malloc((*n + 1) * sizeof *offs);
    if (!offs)
        dpl__dist_abort(d, "out of memory");
    dpl__dist_fetch(d, want, *n, serve_u32, table, vals, offs);
    free(offs);
}

uint32_t dpl__dist_u32_at(const uint32_t *want, size_t n, const dpl__buf *vals, uint32_t g)
{
    uint32_t v;
    memcpy(&v, vals->data + dpl__u32_position(want, n, g) * sizeof v, sizeof v);
    return v;
}
