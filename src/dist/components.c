/* Clusters across processes, as label propagation with hooking and pointer jumping:
 *
 *   jump   every document whose parent is not a root asks for its grandparent, until no
 *          parent changes anywhere (each round halves the depth of the trees)
 *   hook   each edge asks for the roots of its two ends; where they differ, the larger
 *          root is hooked under the smallest root it meets, and the edge is kept between
 *          the two roots; edges inside one tree are dropped
 *
 * until no edge joins two trees. A root only ever hooks under a smaller one, so the
 * smallest document of a cluster stays its root: the label the union-find of a single
 * process gives. Each process holds the parents of its own documents and the edges it
 * found; nothing is gathered in one place. */
#include "dist/dist.h"

#include <stdlib.h>
#include <string.h>

static void jump(dpl__dist *d, uint32_t *parent)
{
    uint32_t *want = malloc(((size_t)d->n + 1) * sizeof *want);
    if (!want)
        dpl__dist_abort(d, "out of memory");
    for (;;) {
        size_t n = 0;
        for (uint32_t l = 0; l < d->n; l++)
            if (parent[l] != d->base + l)
                want[n++] = parent[l];
        dpl__buf vals = {0};
        dpl__dist_fetch_u32(d, parent, want, &n, &vals);
        uint64_t changed = 0;
        for (uint32_t l = 0; l < d->n; l++) {
            if (parent[l] == d->base + l)
                continue;
            uint32_t grand = dpl__dist_u32_at(want, n, &vals, parent[l]);
            changed += grand != parent[l];
            parent[l] = grand;
        }
        dpl__buf_free(&vals);
        if (dpl__dist_sum(d, changed) == 0)
            break;
    }
    free(want);
}

typedef struct hook {
    uint32_t root, under;
} hook;

/* One hooking round; returns how many hooks were sent, summed over all processes. */
static uint64_t hook_round(dpl__dist *d, uint32_t *parent)
{
    dpl__pair_list *e = &d->edges;
    uint32_t *want = malloc((2 * e->n + 1) * sizeof *want);
    hook *hooks = malloc((e->n + 1) * sizeof *hooks);
    uint32_t *dest = malloc((e->n + 1) * sizeof *dest);
    if (!want || !hooks || !dest)
        dpl__dist_abort(d, "out of memory");
    size_t n = 0, n_hooks = 0, kept = 0;
    for (size_t i = 0; i < e->n; i++) {
        want[n++] = (uint32_t)(e->items[i] >> 32);
        want[n++] = (uint32_t)e->items[i];
    }
    dpl__buf roots = {0};
    dpl__dist_fetch_u32(d, parent, want, &n, &roots);
    for (size_t i = 0; i < e->n; i++) {
        uint32_t ra = dpl__dist_u32_at(want, n, &roots, (uint32_t)(e->items[i] >> 32));
        uint32_t rb = dpl__dist_u32_at(want, n, &roots, (uint32_t)e->items[i]);
        if (ra == rb)
            continue;
        uint32_t lo = ra < rb ? ra : rb, hi = ra < rb ? rb : ra;
        e->items[kept++] = ((uint64_t)lo << 32) | hi;
        hooks[n_hooks] = (hook){hi, lo};
        dest[n_hooks++] = dpl__dist_owner(d, hi);
    }
    e->n = kept;
    if (dpl__pairs_sort_unique(e) != DPL_OK)
        dpl__dist_abort(d, "out of memory");
    dpl__buf got = {0};
    size_t n_got;
    dpl__dist_route(d, hooks, n_hooks, sizeof *hooks, dest, &got, &n_got);
    const hook *h = (const hook *)(const void *)got.data;
    for (size_t i = 0; i < n_got; i++) { /* a root takes the smallest root it meets */
        uint32_t l = h[i].root - d->base;
        if (h[i].under < parent[l])
            parent[l] = h[i].under;
    }
    dpl__buf_free(&got);
    dpl__buf_free(&roots);
    free(want);
    free(hooks);
    free(dest);
    return dpl__dist_sum(d, n_hooks);
}

typedef struct candidate {
    uint32_t root, g;
    uint64_t len;
} candidate;

/* --keep longest: the longest raw record of each cluster (the smallest number among
 * equals), decided by the owner of the cluster's root. */
static void keep_longest(dpl__dist *d, const uint32_t *root)
{
    const dpl_job *job = d->job;
    uint32_t *best = malloc(((size_t)d->n + 1) * sizeof *best);
    candidate *c = malloc(((size_t)d->n + 1) * sizeof *c);
    uint32_t *dest = malloc(((size_t)d->n + 1) * sizeof *dest);
    if (!best || !c || !dest)
        dpl__dist_abort(d, "out of memory");
    size_t n = 0;
    for (uint32_t l = 0; l < d->n; l++) {
        best[l] = d->base + l;
        if (root[l] == d->base + l || job->docs[l].status == DPL__STATUS_ERROR)
            continue;
        c[n] = (candidate){root[l], d->base + l, job->docs[l].raw_len};
        dest[n++] = dpl__dist_owner(d, root[l]);
    }
    dpl__buf got = {0};
    size_t n_got;
    dpl__dist_route(d, c, n, sizeof *c, dest, &got, &n_got);
    const candidate *g = (const candidate *)(const void *)got.data;
    uint64_t *best_len = malloc(((size_t)d->n + 1) * sizeof *best_len);
    if (!best_len)
        dpl__dist_abort(d, "out of memory");
    for (uint32_t l = 0; l < d->n; l++)
        best_len[l] = job->docs[l].raw_len;
    for (size_t i = 0; i < n_got; i++) {
        uint32_t l = g[i].root - d->base;
        if (g[i].len > best_len[l] || (g[i].len == best_len[l] && g[i].g < best[l])) {
            best_len[l] = g[i].len;
            best[l] = g[i].g;
        }
    }
    free(best_len);
    dpl__buf_free(&got);
    size_t nw = 0;
    uint32_t *want = dest; /* reused: the roots of this process's members */
    for (uint32_t l = 0; l < d->n; l++)
        if (root[l] != d->base + l)
            want[nw++] = root[l];
    dpl__buf vals = {0};
    dpl__dist_fetch_u32(d, best, want, &nw, &vals);
    for (uint32_t l = 0; l < d->n; l++)
        d->rep[l] = root[l] == d->base + l ? best[l]
                                           : dpl__dist_u32_at(want, nw, &vals, root[l]);
    dpl__buf_free(&vals);
    free(best);
    free(c);
    free(dest);
}

int dpl__dist_components(dpl__dist *d)
{
    uint32_t *parent = malloc(((size_t)d->n + 1) * sizeof *parent);
    if (!parent || !(d->rep = malloc(((size_t)d->n + 1) * sizeof *d->rep)))
        dpl__dist_abort(d, "out of memory");
    for (uint32_t l = 0; l < d->n; l++)
        parent[l] = d->base + l;
    if (dpl__pairs_sort_unique(&d->edges) != DPL_OK)
        dpl__dist_abort(d, "out of memory");
    for (;;) {
        jump(d, parent);
        d->stats.rounds++;
        if (hook_round(d, parent) == 0)
            break;
    }
    if (d->job->opts.keep == DPL_KEEP_LONGEST)
        keep_longest(d, parent);
    else
        memcpy(d->rep, parent, (size_t)d->n * sizeof *parent);
    d->root = parent; /* for dist/against.c */
    for (uint32_t l = 0; l < d->n; l++) {
        doc *dd = &d->job->docs[l];
        if (dd->status != DPL__STATUS_ERROR)
            dd->status = d->rep[l] == d->base + l ? DPL__STATUS_KEPT : DPL__STATUS_DUPLICATE;
    }
    return dpl__dist_agree(d, DPL_OK);
}
