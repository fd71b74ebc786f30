/* The persistent index: an LMDB environment with five databases.
 *
 *   meta      "settings" -> what dpl__settings_format() wrote; "next" -> the next document
 *             number (u32); "count" -> committed documents (u64); "next_run" (u32)
 *   docs      document number (u32, in adding order, never reused) -> flags (1 byte),
 *             exact fingerprint (16), signature (k x 2, when the document has shingles),
 *             id
 *   ids       XXH3-128 of the id (16 bytes) -> document number
 *   runs      run number (u32) -> a sorted run of bucket entries (runs.h): the LSH
 *             buckets (32 bits of each band key) and exact fingerprints of the documents
 *             one commit added, merged RUN_FANOUT at a time into larger runs
 *   removed   document number -> nothing: removed documents, whose entries the next
 *             merges drop (until then a lookup finds no record for them and skips them)
 *
 * Adds and removes go into one write transaction per handle, made durable by commit;
 * the bucket entries of its adds wait in memory (dpl__pending) and become a run at the
 * commit. Queries read committed data in read-only transactions of their own, so they
 * may run in any thread at any time. Fingerprints are computed with a pool of workers
 * (normalizer, script stage, shingler), one taken per call. */
#include "store/store.h"
#include "store/runs.h"
#include "sketch/sketch.h"
#include "text/text.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#define MAX_ID_BYTES 65535
#define DOC_HAS_SIG 1
#define DOC_HEADER 17 /* flags + exact fingerprint */
/* Address space reserved for the data file; the file itself grows only as needed. 64 GiB
 * hold 100 million documents. Where the address space is short (ulimit -v, valgrind) the
 * map is halved down to MAP_FLOOR, and a commit doubles it when it is half full. */
#define MIN_MAP_SIZE ((size_t)64 << 30)
#define MAP_FLOOR ((size_t)256 << 20)

typedef struct worker {
    dpl_normalizer *norm;
    dpl_script *script;
    dpl_shingler *shingler;
    uint32_t sig[DPL_MAX_NUM_PERM];
    struct worker *next;
} worker;

struct dpl_index {
    MDB_env *env;
    MDB_dbi meta, docs, ids, runs, removed;
    dpl__index_settings set;
    int readonly;
    /* readers hold it shared for the life of their transaction; a commit that grows the
     * map holds it alone, as LMDB wants no transaction open while it does */
    pthread_rwlock_t resize_lock;
    /* the writer */
    pthread_mutex_t write_lock;
    MDB_txn *wtxn;
    pthread_t owner;
    uint32_t next_doc, next_run;
    uint64_t count;
    dpl__pending pending; /* bucket entries of the uncommitted adds */
    /* fingerprinting */
    pthread_mutex_t pool_lock;
    dpl_script *proto;
    dpl__probes *probes; /* MinHash densification's, shared read-only by the workers */
    worker *idle;
};

struct dpl_results {
    dpl_match *items;
    size_t n, cap;
    uint32_t *docs;  /* document number of each match, for ordering */
    size_t *id_off;  /* offsets into ids until the pointers are fixed */
    size_t docs_cap, off_cap;
    dpl__buf ids;
};

/* ------------------------------------------------------------------ errors ----------- */

static int from_lmdb(int rc)
{
    switch (rc) {
    case MDB_SUCCESS: return DPL_OK;
    case MDB_NOTFOUND: return DPL_ENOENT;
    case MDB_INVALID:
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_VERSION_MISMATCH:
    case MDB_INCOMPATIBLE: return DPL_ENOTINDEX;
    case ENOMEM: return DPL_ENOMEM;
    case EACCES:
    case EROFS: return DPL_EACCES;
    case ENOENT: return DPL_ENOENT;
    case MDB_MAP_FULL: return DPL_EINDEXFULL;
    default: return DPL_ELMDB;
    }
}

static int fail(char *msg, size_t cap, int code, const char *path, const char *what, int rc)
{
    if (msg && cap)
        snprintf(msg, cap, "%s: %s: %s", path ? path : "(in-memory index)", what,
                 mdb_strerror(rc));
    return code;
}

/* ------------------------------------------------------------------ results ---------- */

dpl_results *dpl_results_create(void)
{
    return calloc(1, sizeof(dpl_results));
}

void dpl_results_free(dpl_results *res)
{
    if (!res)
        return;
    free(res->items);
    free(res->docs);
    free(res->id_off);
    dpl__buf_free(&res->ids);
    free(res);
}

size_t dpl_results_count(const dpl_results *res)
{
    return res ? res->n : 0;
}

int dpl_results_get(const dpl_results *res, size_t i, dpl_match *out)
{
    if (!res || !out || i >= res->n)
        return DPL_EINVAL;
    *out = res->items[i];
    return DPL_OK;
}

static void results_clear(dpl_results *res)
{
    if (!res)
        return;
    res->n = 0;
    dpl__buf_clear(&res->ids);
}

static int results_push(dpl_results *res, uint32_t doc, dpl_match_kind kind, double score,
                        const char *id, size_t id_len)
{
    if (!res)
        return DPL_OK;
    DPL_TRY(dpl__grow((void **)&res->items, &res->cap, res->n + 1, sizeof *res->items));
    DPL_TRY(dpl__grow((void **)&res->docs, &res->docs_cap, res->n + 1, sizeof *res->docs));
    DPL_TRY(dpl__grow((void **)&res->id_off, &res->off_cap, res->n + 1, sizeof *res->id_off));
    res->id_off[res->n] = res->ids.len;
    DPL_TRY(dpl__buf_append(&res->ids, id, id_len));
    res->items[res->n] = (dpl_match){NULL, id_len, kind, score};
    res->docs[res->n++] = doc;
    return DPL_OK;
}

/* Exact matches first, then by falling score, then in adding order. */
static int before(const dpl_results *r, size_t a, size_t b)
{
    if (r->items[a].kind != r->items[b].kind)
        return r->items[a].kind < r->items[b].kind;
    if (r->items[a].score != r->items[b].score)
        return r->items[a].score > r->items[b].score;
    return r->docs[a] < r->docs[b];
}

static void swap_match(dpl_results *r, size_t a, size_t b)
{
    dpl_match m = r->items[a];
    r->items[a] = r->items[b];
    r->items[b] = m;
    uint32_t d = r->docs[a];
    r->docs[a] = r->docs[b];
    r->docs[b] = d;
    size_t o = r->id_off[a];
    r->id_off[a] = r->id_off[b];
    r->id_off[b] = o;
}

/* Insertion sort (results are few), then the id pointers, now that the buffer is final. */
static void results_finish(dpl_results *r)
{
    if (!r)
        return;
    for (size_t i = 1; i < r->n; i++)
        for (size_t j = i; j > 0 && before(r, j, j - 1); j--)
            swap_match(r, j, j - 1);
    for (size_t i = 0; i < r->n; i++)
        r->items[i].id = r->ids.data + r->id_off[i];
}

/* ------------------------------------------------------------------ workers ---------- */

static void worker_free(worker *w)
{
    if (!w)
        return;
    dpl_normalizer_free(w->norm);
    dpl_script_free(w->script);
    dpl_shingler_free(w->shingler);
    free(w);
}

static int worker_take(dpl_index *ix, worker **out)
{
    pthread_mutex_lock(&ix->pool_lock);
    worker *w = ix->idle;
    if (w) {
        ix->idle = w->next;
        pthread_mutex_unlock(&ix->pool_lock);
        *out = w;
        return DPL_OK;
    }
    int rc = DPL_ENOMEM;
    w = calloc(1, sizeof *w);
    if (w) /* cloned under the lock: the prototype is not to be read by two at once */
        rc = dpl_script_clone(ix->proto, &w->script);
    pthread_mutex_unlock(&ix->pool_lock);
    if (rc == DPL_OK) {
        w->norm = dpl_normalizer_create(ix->set.norm_flags);
        w->shingler = dpl_shingler_create(dpl__unit_after_script(ix->set.unit), ix->set.ngram);
        if (!w->norm || !w->shingler)
            rc = DPL_ENOMEM;
    }
    if (rc != DPL_OK) {
        worker_free(w);
        return rc;
    }
    *out = w;
    return DPL_OK;
}

static void worker_give(dpl_index *ix, worker *w)
{
    pthread_mutex_lock(&ix->pool_lock);
    w->next = ix->idle;
    ix->idle = w;
    pthread_mutex_unlock(&ix->pool_lock);
}

/* The text normalized, fingerprinted and sketched as a dedupe job does it. */
static int fingerprint_with(dpl_index *ix, worker *w, const char *text, size_t len,
                            dpl__index_fp *fp)
{
    if (memchr(text, '\0', len))
        return DPL_ENUL;
    const char *norm;
    size_t norm_len, n;
    DPL_TRY(dpl_normalize(w->norm, text, len, &norm, &norm_len, NULL));
    if (norm_len == 0)
        return DPL_EEMPTY;
    fp->exact = dpl_exact_hash(norm, norm_len);
    const uint64_t *shingles;
    DPL_TRY(dpl__sketch_text(w->script, w->shingler, norm, norm_len,
                             dpl__normalized_ascii(w->norm), ix->set.k, ix->set.seed,
                             ix->probes, w->sig, &shingles, &n));
    fp->has_sig = n > 0;
    if (!fp->has_sig)
        return DPL_OK;
    for (unsigned i = 0; i < ix->set.k; i++)
        fp->sig[i] = (uint16_t)w->sig[i];
    return DPL_OK;
}

static int fingerprint(dpl_index *ix, const char *text, size_t len, dpl__index_fp *fp)
{
    if (!text && len)
        return DPL_EINVAL;
    worker *w;
    DPL_TRY(worker_take(ix, &w));
    int rc = fingerprint_with(ix, w, text ? text : "", len, fp);
    worker_give(ix, w);
    return rc;
}

/* ------------------------------------------------------------------ records ---------- */

typedef struct doc_view {
    uint8_t flags;
    dpl_hash128 exact;
    const uint16_t *sig; /* unaligned in LMDB's page: read through a copy */
    const char *id;
    size_t id_len;
} doc_view;

static int doc_get(MDB_txn *txn, const dpl_index *ix, uint32_t doc, doc_view *v)
{
    MDB_val key = {sizeof doc, &doc}, val;
    int rc = mdb_get(txn, ix->docs, &key, &val);
    if (rc != MDB_SUCCESS)
        return from_lmdb(rc);
    const unsigned char *p = val.mv_data;
    if (val.mv_size < DOC_HEADER)
        return DPL_ENOTINDEX;
    v->flags = p[0];
    memcpy(&v->exact, p + 1, sizeof v->exact);
    size_t sig_bytes = v->flags & DOC_HAS_SIG ? (size_t)ix->set.k * 2 : 0;
    if (val.mv_size < DOC_HEADER + sig_bytes)
        return DPL_ENOTINDEX;
    v->sig = sig_bytes ? (const uint16_t *)(const void *)(p + DOC_HEADER) : NULL;
    v->id = (const char *)p + DOC_HEADER + sig_bytes;
    v->id_len = val.mv_size - DOC_HEADER - sig_bytes;
    return DPL_OK;
}

static MDB_val id_key(const char *id, size_t len, XXH128_hash_t *h)
{
    *h = XXH3_128bits(id, len);
    return (MDB_val){sizeof *h, h};
}

/* The 32-bit bucket keys of a fingerprint: its exact key, then one per band. */
static unsigned bucket_keys(const dpl_index *ix, const dpl__index_fp *fp, uint32_t *keys)
{
    keys[0] = (uint32_t)(fp->exact.hi >> 32);
    if (!fp->has_sig)
        return 1;
    uint64_t band[DPL_MAX_NUM_PERM];
    dpl__index_band_keys(&ix->set, fp->sig, band);
    for (unsigned b = 0; b < ix->set.bands; b++)
        keys[1 + b] = (uint32_t)(band[b] >> 32);
    return 1 + ix->set.bands;
}

/* ------------------------------------------------------------------ lookup ----------- */

typedef dpl__doc_list candidates;

/* The documents sharing the exact key (`exact`) or a band's bucket (`near`), in every
 * committed run and, for the writer, among its uncommitted adds. */
static int gather(MDB_txn *txn, const dpl_index *ix, const uint32_t *keys, unsigned n,
                  const dpl__pending *pending, candidates *exact, candidates *near)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, ix->runs, &cur);
    if (rc != MDB_SUCCESS)
        return from_lmdb(rc);
    MDB_val k, v;
    int err = DPL_OK;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS && err == DPL_OK;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        dpl__run_view run;
        err = dpl__run_parse(v.mv_data, v.mv_size, &run);
        for (unsigned i = 0; i < n && err == DPL_OK; i++)
            err = dpl__run_find(&run, keys[i], i ? near : exact);
    }
    mdb_cursor_close(cur);
    if (err == DPL_OK && rc != MDB_NOTFOUND)
        err = from_lmdb(rc);
    for (unsigned i = 0; i < n && err == DPL_OK; i++)
        err = dpl__pending_find(pending, keys[i], i ? near : exact);
    exact->n = dpl_set_normalize(exact->docs, exact->n);
    near->n = dpl_set_normalize(near->docs, near->n);
    return err;
}

/* Candidates checked against their records: exact ones by the whole fingerprint, near
 * ones by the estimate. */
static int score(MDB_txn *txn, const dpl_index *ix, const dpl__index_fp *fp,
                 const candidates *exact, const candidates *near, dpl_results *res)
{
    candidates confirmed = {0};
    int rc = DPL_OK;
    for (size_t i = 0; i < exact->n && rc == DPL_OK; i++) {
        doc_view v;
        rc = doc_get(txn, ix, exact->docs[i], &v);
        if (rc == DPL_ENOENT) { /* removed: its entries wait for the next merge */
            rc = DPL_OK;
            continue;
        }
        if (rc == DPL_OK && memcmp(&v.exact, &fp->exact, sizeof v.exact) == 0) {
            rc = results_push(res, exact->docs[i], DPL_MATCH_EXACT, 1.0, v.id, v.id_len);
            if (rc == DPL_OK)
                rc = dpl__grow((void **)&confirmed.docs, &confirmed.cap, confirmed.n + 1,
                               sizeof *confirmed.docs);
            if (rc == DPL_OK)
                confirmed.docs[confirmed.n++] = exact->docs[i];
        }
    }
    uint16_t sig[DPL_MAX_NUM_PERM];
    size_t next_exact = 0; /* both lists are sorted */
    for (size_t i = 0; i < near->n && rc == DPL_OK; i++) {
        while (next_exact < confirmed.n && confirmed.docs[next_exact] < near->docs[i])
            next_exact++;
        if (next_exact < confirmed.n && confirmed.docs[next_exact] == near->docs[i])
            continue; /* an exact copy is reported as such */
        doc_view v;
        rc = doc_get(txn, ix, near->docs[i], &v);
        if (rc == DPL_ENOENT) {
            rc = DPL_OK;
            continue;
        }
        if (rc != DPL_OK || !v.sig)
            continue;
        memcpy(sig, v.sig, (size_t)ix->set.k * sizeof *sig);
        double s = dpl__index_estimate(fp->sig, sig, ix->set.k);
        if (s >= ix->set.threshold)
            rc = results_push(res, near->docs[i], DPL_MATCH_NEAR, s, v.id, v.id_len);
    }
    free(confirmed.docs);
    return rc;
}

static int find(MDB_txn *txn, const dpl_index *ix, const dpl__index_fp *fp,
                const uint32_t *keys, unsigned n_keys, const dpl__pending *pending,
                dpl_results *res)
{
    results_clear(res);
    candidates exact = {0}, near = {0};
    int rc = gather(txn, ix, keys, n_keys, pending, &exact, &near);
    if (rc == DPL_OK)
        rc = score(txn, ix, fp, &exact, &near, res);
    free(exact.docs);
    free(near.docs);
    if (rc == DPL_OK)
        results_finish(res);
    else
        results_clear(res);
    return rc;
}

/* ------------------------------------------------------------------ meta ------------- */

static int meta_get(MDB_txn *txn, const dpl_index *ix, const char *name, MDB_val *val)
{
    MDB_val key = {strlen(name), (void *)name};
    return mdb_get(txn, ix->meta, &key, val);
}

static int meta_put(MDB_txn *txn, const dpl_index *ix, const char *name, const void *data,
                    size_t len)
{
    MDB_val key = {strlen(name), (void *)name}, val = {len, (void *)data};
    return mdb_put(txn, ix->meta, &key, &val, 0);
}

/* A counter kept in meta ("next", "count", "next_run"); 0 when absent. */
static void meta_number(MDB_txn *txn, const dpl_index *ix, const char *name, void *out,
                        size_t size)
{
    MDB_val v;
    memset(out, 0, size);
    if (meta_get(txn, ix, name, &v) == MDB_SUCCESS && v.mv_size == size)
        memcpy(out, v.mv_data, size);
}

/* ------------------------------------------------------------------ transactions ----- */

/* A read-only transaction; end it with end_read(). */
/* Another process grew the file past our map: adopt its size, while no transaction of
 * this process is open (the resize lock keeps readers out). */
static void adopt_map(dpl_index *ix)
{
    pthread_rwlock_wrlock(&ix->resize_lock);
    mdb_env_set_mapsize(ix->env, 0);
    pthread_rwlock_unlock(&ix->resize_lock);
}

static int begin_read(dpl_index *ix, MDB_txn **txn)
{
    pthread_rwlock_rdlock(&ix->resize_lock);
    int rc = mdb_txn_begin(ix->env, NULL, MDB_RDONLY, txn);
    if (rc == MDB_MAP_RESIZED) {
        pthread_rwlock_unlock(&ix->resize_lock);
        adopt_map(ix);
        pthread_rwlock_rdlock(&ix->resize_lock);
        rc = mdb_txn_begin(ix->env, NULL, MDB_RDONLY, txn);
    }
    if (rc != MDB_SUCCESS)
        pthread_rwlock_unlock(&ix->resize_lock);
    return from_lmdb(rc);
}

static void end_read(dpl_index *ix, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&ix->resize_lock);
}

/* After a commit: double the map when the data fill half of it, while no transaction of
 * this process is open (the write lock keeps writers out, the resize lock readers). */
static void grow_map(dpl_index *ix)
{
    MDB_envinfo info;
    MDB_stat st;
    if (mdb_env_info(ix->env, &info) != MDB_SUCCESS || mdb_env_stat(ix->env, &st) != MDB_SUCCESS)
        return;
    size_t used = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
    if (used * 2 < info.me_mapsize)
        return;
    pthread_rwlock_wrlock(&ix->resize_lock);
    mdb_env_set_mapsize(ix->env, info.me_mapsize * 2);
    pthread_rwlock_unlock(&ix->resize_lock);
}

/* The handle's write transaction, begun on first use; only its owner thread may use it
 * (LMDB's write lock is a mutex held by that thread until the commit). */
static int writer(dpl_index *ix, MDB_txn **out)
{
    if (ix->readonly)
        return DPL_EREADONLY;
    if (ix->wtxn) {
        if (!pthread_equal(ix->owner, pthread_self()))
            return DPL_ETHREAD;
        *out = ix->wtxn;
        return DPL_OK;
    }
    int rc = mdb_txn_begin(ix->env, NULL, 0, &ix->wtxn);
    if (rc == MDB_MAP_RESIZED) {
        adopt_map(ix);
        rc = mdb_txn_begin(ix->env, NULL, 0, &ix->wtxn);
    }
    if (rc != MDB_SUCCESS) {
        ix->wtxn = NULL;
        return from_lmdb(rc);
    }
    ix->owner = pthread_self();
    meta_number(ix->wtxn, ix, "next", &ix->next_doc, sizeof ix->next_doc);
    meta_number(ix->wtxn, ix, "count", &ix->count, sizeof ix->count);
    meta_number(ix->wtxn, ix, "next_run", &ix->next_run, sizeof ix->next_run);
    *out = ix->wtxn;
    return DPL_OK;
}

/* Everything since the last commit undone: the transaction and the pending entries. */
static void rollback(dpl_index *ix)
{
    mdb_txn_abort(ix->wtxn);
    ix->wtxn = NULL;
    dpl__pending_clear(&ix->pending);
}

/* After a failed write LMDB's transaction cannot go on: everything since the last
 * commit is rolled back, as the API says. */
static int write_failed(dpl_index *ix, int lmdb_rc)
{
    rollback(ix);
    return from_lmdb(lmdb_rc) == DPL_ENOENT ? DPL_ELMDB : from_lmdb(lmdb_rc);
}

/* ------------------------------------------------------------------ add -------------- */

/* The document's bucket entries wait in memory until the commit writes them as a run. */
static int pend_buckets(dpl_index *ix, const uint32_t *keys, unsigned n, uint32_t doc)
{
    for (unsigned i = 0; i < n; i++)
        DPL_TRY(dpl__pending_add(&ix->pending, keys[i], doc));
    return DPL_OK;
}

static int put_doc(MDB_txn *txn, dpl_index *ix, const dpl__index_fp *fp, const char *id,
                   size_t id_len, MDB_val *id_key, uint32_t doc)
{
    size_t sig_bytes = fp->has_sig ? (size_t)ix->set.k * 2 : 0;
    MDB_val key = {sizeof doc, &doc}, val = {DOC_HEADER + sig_bytes + id_len, NULL};
    int rc = mdb_put(txn, ix->docs, &key, &val, MDB_APPEND | MDB_RESERVE);
    if (rc != MDB_SUCCESS)
        return rc;
    unsigned char *p = val.mv_data;
    p[0] = fp->has_sig ? DOC_HAS_SIG : 0;
    memcpy(p + 1, &fp->exact, sizeof fp->exact);
    memcpy(p + DOC_HEADER, fp->sig, sig_bytes);
    memcpy(p + DOC_HEADER + sig_bytes, id, id_len);
    MDB_val iv = {sizeof doc, &doc};
    return mdb_put(txn, ix->ids, id_key, &iv, MDB_NOOVERWRITE);
}

static int has_id(MDB_txn *txn, const dpl_index *ix, MDB_val *id_key, uint32_t *doc)
{
    MDB_val val;
    int rc = mdb_get(txn, ix->ids, id_key, &val);
    if (rc == MDB_SUCCESS && val.mv_size == sizeof *doc && doc)
        memcpy(doc, val.mv_data, sizeof *doc);
    return rc;
}

int dpl_index_add(dpl_index *ix, const char *id, size_t id_len, const char *text, size_t len,
                  dpl_results *dups)
{
    results_clear(dups);
    if (!ix || !id || id_len == 0 || id_len > MAX_ID_BYTES)
        return DPL_EINVAL;
    dpl__index_fp *fp = malloc(sizeof *fp);
    if (!fp)
        return DPL_ENOMEM;
    XXH128_hash_t h;
    MDB_val ik = id_key(id, id_len, &h);
    uint32_t keys[1 + DPL_MAX_NUM_PERM];
    unsigned n_keys = 0;
    pthread_mutex_lock(&ix->write_lock);
    MDB_txn *txn;
    int rc = writer(ix, &txn);
    if (rc == DPL_OK) {
        int got = has_id(txn, ix, &ik, NULL);
        rc = got == MDB_SUCCESS ? DPL_EDUPID : got == MDB_NOTFOUND ? DPL_OK
                                                                   : write_failed(ix, got);
    }
    if (rc == DPL_OK)
        rc = fingerprint(ix, text, len, fp);
    if (rc == DPL_OK) {
        n_keys = bucket_keys(ix, fp, keys);
        rc = find(txn, ix, fp, keys, n_keys, &ix->pending, dups);
    }
    if (rc == DPL_OK && ix->next_doc == UINT32_MAX)
        rc = DPL_ENOMEM; /* four billion documents: the numbering is spent */
    if (rc == DPL_OK) {
        int put = put_doc(txn, ix, fp, id, id_len, &ik, ix->next_doc);
        if (put != MDB_SUCCESS)
            rc = write_failed(ix, put);
        else if ((rc = pend_buckets(ix, keys, n_keys, ix->next_doc)) != DPL_OK)
            rollback(ix); /* out of memory: as documented */
        else
            ix->next_doc++, ix->count++;
    }
    pthread_mutex_unlock(&ix->write_lock);
    free(fp);
    return rc;
}

/* ------------------------------------------------------------------ query ------------ */

int dpl_index_query(dpl_index *ix, const char *text, size_t len, dpl_results *dups)
{
    results_clear(dups);
    if (!ix)
        return DPL_EINVAL;
    dpl__index_fp *fp = malloc(sizeof *fp);
    if (!fp)
        return DPL_ENOMEM;
    int rc = fingerprint(ix, text, len, fp);
    MDB_txn *txn = NULL;
    if (rc == DPL_OK)
        rc = begin_read(ix, &txn);
    if (rc == DPL_OK) {
        uint32_t keys[1 + DPL_MAX_NUM_PERM];
        rc = find(txn, ix, fp, keys, bucket_keys(ix, fp, keys), NULL, dups);
        end_read(ix, txn);
    }
    free(fp);
    return rc;
}

int dpl_index_contains(dpl_index *ix, const char *id, size_t id_len)
{
    if (!ix || (!id && id_len))
        return DPL_EINVAL;
    XXH128_hash_t h;
    MDB_val ik = id_key(id ? id : "", id_len, &h);
    MDB_txn *txn;
    DPL_TRY(begin_read(ix, &txn));
    int rc = has_id(txn, ix, &ik, NULL);
    end_read(ix, txn);
    return rc == MDB_SUCCESS ? 1 : rc == MDB_NOTFOUND ? 0 : from_lmdb(rc);
}

/* ------------------------------------------------------------------ remove ----------- */

/* The record and the id go now; the bucket entries at the next merges (removed). */
static int delete_doc(MDB_txn *txn, const dpl_index *ix, uint32_t doc, MDB_val *id_key)
{
    MDB_val dk = {sizeof doc, &doc}, none = {0, NULL};
    int rc = mdb_del(txn, ix->docs, &dk, NULL);
    if (rc == MDB_NOTFOUND)
        rc = MDB_CORRUPTED; /* an id without its record */
    if (rc == MDB_SUCCESS)
        rc = mdb_put(txn, ix->removed, &dk, &none, 0);
    if (rc == MDB_SUCCESS)
        rc = mdb_del(txn, ix->ids, id_key, NULL);
    return rc;
}

int dpl_index_remove(dpl_index *ix, const char *id, size_t id_len)
{
    if (!ix || !id || id_len == 0 || id_len > MAX_ID_BYTES)
        return DPL_EINVAL;
    XXH128_hash_t h;
    MDB_val ik = id_key(id, id_len, &h);
    pthread_mutex_lock(&ix->write_lock);
    MDB_txn *txn;
    uint32_t doc = 0;
    int rc = writer(ix, &txn);
    if (rc == DPL_OK) {
        int got = has_id(txn, ix, &ik, &doc);
        rc = got == MDB_NOTFOUND ? DPL_ENOENT : got != MDB_SUCCESS ? write_failed(ix, got)
                                                                   : DPL_OK;
    }
    if (rc == DPL_OK) {
        int del = delete_doc(txn, ix, doc, &ik);
        if (del == MDB_SUCCESS)
            ix->count--;
        else
            rc = write_failed(ix, del);
    }
    pthread_mutex_unlock(&ix->write_lock);
    return rc;
}

/* ------------------------------------------------------------------ commit ----------- */

/* One bit per document number, set for the removed ones: what merges drop. */
static int removed_bits(MDB_txn *txn, const dpl_index *ix, uint8_t **out, uint64_t *bits)
{
    *bits = (uint64_t)ix->next_doc;
    uint8_t *map = calloc((size_t)(*bits / 8) + 1, 1);
    if (!map)
        return ENOMEM;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, ix->removed, &cur);
    MDB_val k, v;
    while (rc == MDB_SUCCESS && (rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == MDB_SUCCESS) {
        uint32_t doc;
        if (k.mv_size != sizeof doc)
            continue;
        memcpy(&doc, k.mv_data, sizeof doc);
        if (doc < *bits)
            map[doc >> 3] |= (uint8_t)(1u << (doc & 7));
    }
    if (rc != MDB_NOTFOUND) {
        free(map);
        return rc == MDB_SUCCESS ? MDB_CORRUPTED : rc;
    }
    mdb_cursor_close(cur);
    *out = map;
    return MDB_SUCCESS;
}

typedef struct level_runs {
    uint32_t *ids;
    dpl__run_view *views;
    size_t n, cap_ids, cap_views;
} level_runs;

/* The committed runs of one level. */
static int runs_at(MDB_txn *txn, const dpl_index *ix, unsigned level, level_runs *out)
{
    out->n = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, ix->runs, &cur);
    MDB_val k, v;
    while (rc == MDB_SUCCESS && (rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == MDB_SUCCESS) {
        dpl__run_view run;
        if (k.mv_size != sizeof(uint32_t) || dpl__run_parse(v.mv_data, v.mv_size, &run) != DPL_OK)
            rc = MDB_CORRUPTED;
        else if (run.level == level &&
                 (dpl__grow((void **)&out->ids, &out->cap_ids, out->n + 1, sizeof *out->ids) ||
                  dpl__grow((void **)&out->views, &out->cap_views, out->n + 1,
                            sizeof *out->views)))
            rc = ENOMEM;
        else if (run.level == level) {
            memcpy(&out->ids[out->n], k.mv_data, sizeof(uint32_t));
            out->views[out->n++] = run;
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* The pending entries become a run of level 0; while a level then holds RUN_FANOUT
 * runs, they are merged into one of the next level (removed documents dropped). The
 * inputs are read from the map before they are deleted, and the result is built in
 * memory, so no pointer into a page this transaction frees is ever followed. */
static int flush_pending(dpl_index *ix, MDB_txn *txn)
{
    dpl__pending *p = &ix->pending;
    if (p->n == 0)
        return MDB_SUCCESS;
    dpl__pending_sort(p);
    dpl__run_entry *entries = p->entries, *merged = NULL;
    uint64_t count = p->n;
    uint8_t *removed = NULL;
    uint64_t bits = 0;
    level_runs lv = {0};
    unsigned level = 0;
    int rc = MDB_SUCCESS;
    while (rc == MDB_SUCCESS && (rc = runs_at(txn, ix, level, &lv)) == MDB_SUCCESS &&
           lv.n + 1 >= RUN_FANOUT) {
        if (!removed)
            rc = removed_bits(txn, ix, &removed, &bits);
        dpl__run_entry *next = NULL;
        uint64_t n_next = 0;
        if (rc == MDB_SUCCESS && dpl__run_merge(lv.views, lv.n, entries, count, removed, bits,
                                                &next, &n_next) != DPL_OK)
            rc = ENOMEM;
        for (size_t i = 0; i < lv.n && rc == MDB_SUCCESS; i++) {
            MDB_val k = {sizeof lv.ids[i], &lv.ids[i]};
            rc = mdb_del(txn, ix->runs, &k, NULL);
        }
        if (rc != MDB_SUCCESS) {
            free(next);
            break;
        }
        free(merged);
        merged = entries = next;
        count = n_next;
        level++;
    }
    unsigned char *blob = NULL;
    size_t size = 0;
    if (rc == MDB_SUCCESS && dpl__run_build(entries, count, level, &blob, &size) != DPL_OK)
        rc = ENOMEM;
    if (rc == MDB_SUCCESS) {
        uint32_t id = ix->next_run++;
        MDB_val k = {sizeof id, &id}, v = {size, blob};
        rc = mdb_put(txn, ix->runs, &k, &v, MDB_APPEND);
    }
    free(blob);
    free(merged);
    free(removed);
    free(lv.ids);
    free(lv.views);
    return rc;
}

int dpl_index_commit(dpl_index *ix)
{
    if (!ix)
        return DPL_EINVAL;
    pthread_mutex_lock(&ix->write_lock);
    int rc = DPL_OK;
    if (ix->wtxn && !pthread_equal(ix->owner, pthread_self())) {
        rc = DPL_ETHREAD;
    } else if (ix->wtxn) {
        int lrc = flush_pending(ix, ix->wtxn);
        if (lrc == MDB_SUCCESS)
            lrc = meta_put(ix->wtxn, ix, "next", &ix->next_doc, sizeof ix->next_doc);
        if (lrc == MDB_SUCCESS)
            lrc = meta_put(ix->wtxn, ix, "next_run", &ix->next_run, sizeof ix->next_run);
        if (lrc == MDB_SUCCESS)
            lrc = meta_put(ix->wtxn, ix, "count", &ix->count, sizeof ix->count);
        if (lrc == MDB_SUCCESS) {
            lrc = mdb_txn_commit(ix->wtxn); /* frees the transaction, failed or not */
            ix->wtxn = NULL;
            dpl__pending_clear(&ix->pending);
            rc = from_lmdb(lrc);
            if (rc == DPL_ENOENT)
                rc = DPL_ELMDB;
            if (rc == DPL_OK)
                grow_map(ix);
        } else {
            rc = write_failed(ix, lrc);
        }
    }
    pthread_mutex_unlock(&ix->write_lock);
    return rc;
}

/* ------------------------------------------------------------------ stats ------------ */

int dpl_index_stats_get(dpl_index *ix, dpl_index_stats *out)
{
    if (!ix || !out)
        return DPL_EINVAL;
    memset(out, 0, sizeof *out);
    MDB_txn *txn;
    DPL_TRY(begin_read(ix, &txn));
    meta_number(txn, ix, "count", &out->documents, sizeof out->documents);
    MDB_val v;
    if (meta_get(txn, ix, "settings", &v) == MDB_SUCCESS) {
        size_t n = v.mv_size < sizeof out->settings - 1 ? v.mv_size : sizeof out->settings - 1;
        memcpy(out->settings, v.mv_data, n);
        out->settings[n] = '\0';
    }
    end_read(ix, txn);
    MDB_envinfo info;
    MDB_stat st;
    mdb_env_info(ix->env, &info);
    mdb_env_stat(ix->env, &st);
    out->bytes = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
    out->num_perm = ix->set.k;
    out->bands = ix->set.bands;
    out->rows = ix->set.rows;
    out->ngram = ix->set.ngram;
    out->threshold = ix->set.threshold;
    return DPL_OK;
}

/* ------------------------------------------------------------------ open / close ----- */

/* The four databases. In a new environment they are made; an LMDB environment that holds
 * other data, or a read-only one without them, is not an index. */
static int open_dbs(dpl_index *ix, MDB_txn *txn, const char *path, char *msg, size_t cap)
{
    MDB_dbi main_db;
    MDB_stat st;
    int rc = mdb_dbi_open(txn, NULL, 0, &main_db);
    if (rc == MDB_SUCCESS)
        rc = mdb_stat(txn, main_db, &st);
    if (rc != MDB_SUCCESS)
        return fail(msg, cap, DPL_ENOTINDEX, path, "not a doppel index", rc);
    rc = mdb_dbi_open(txn, "meta", 0, &ix->meta);
    if (rc == MDB_NOTFOUND && (ix->readonly || st.ms_entries > 0))
        return fail(msg, cap, DPL_ENOTINDEX, path, "not a doppel index", rc);
    unsigned create = ix->readonly ? 0 : MDB_CREATE;
    if (rc == MDB_NOTFOUND)
        rc = mdb_dbi_open(txn, "meta", create, &ix->meta);
    if (rc == MDB_SUCCESS)
        rc = mdb_dbi_open(txn, "docs", create | MDB_INTEGERKEY, &ix->docs);
    if (rc == MDB_SUCCESS)
        rc = mdb_dbi_open(txn, "ids", create, &ix->ids);
    if (rc == MDB_SUCCESS)
        rc = mdb_dbi_open(txn, "runs", create | MDB_INTEGERKEY, &ix->runs);
    if (rc == MDB_SUCCESS)
        rc = mdb_dbi_open(txn, "removed", create | MDB_INTEGERKEY, &ix->removed);
    if (rc != MDB_SUCCESS)
        return fail(msg, cap, from_lmdb(rc) == DPL_ENOENT ? DPL_ENOTINDEX : from_lmdb(rc),
                    path, "not a doppel index", rc);
    return DPL_OK;
}

/* A new index stores its settings; an existing one is checked against those given and
 * then runs with its own. */
static int settle_settings(dpl_index *ix, MDB_txn *txn, const dpl_options *opts,
                           const char *path, char *msg, size_t cap)
{
    MDB_val v;
    int rc = meta_get(txn, ix, "settings", &v);
    if (rc == MDB_NOTFOUND && !ix->readonly) {
        DPL_TRY(dpl__settings_resolve(opts, &ix->set, msg, cap));
        dpl__buf text = {0};
        int err = dpl__settings_format(&ix->set, &text);
        if (err == DPL_OK && meta_put(txn, ix, "settings", text.data, text.len) != MDB_SUCCESS)
            err = DPL_ELMDB;
        dpl__buf_free(&text);
        return err;
    }
    if (rc != MDB_SUCCESS)
        return fail(msg, cap, DPL_ENOTINDEX, path, "no settings record", rc);
    char inner[400];
    int err = dpl__settings_check(v.mv_data, v.mv_size, opts, &ix->set, inner, sizeof inner);
    if (err != DPL_OK) {
        snprintf(msg, cap, "%s: %s", path ? path : "(in-memory index)", inner);
        return err;
    }
    if (opts && opts->threshold > 0 && opts->threshold <= 1)
        ix->set.threshold = opts->threshold; /* it only filters matches */
    return DPL_OK;
}

static int setup(dpl_index *ix, const dpl_options *opts, const char *path, unsigned flags,
                 char *msg, size_t cap)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(ix->env, NULL, ix->readonly ? MDB_RDONLY : 0, &txn);
    if (rc != MDB_SUCCESS)
        return fail(msg, cap, from_lmdb(rc), path, "cannot read the index", rc);
    int err = DPL_OK;
    if (path && !(flags & DPL_INDEX_TRUST)) { /* before LMDB follows any page of it */
        uint64_t id = mdb_txn_id(txn);
        err = dpl__check_trees(path, ix->readonly ? id : id - 1, msg, cap);
    }
    if (err == DPL_OK)
        err = open_dbs(ix, txn, path, msg, cap);
    if (err == DPL_OK)
        err = settle_settings(ix, txn, opts, path, msg, cap);
    if (err != DPL_OK) {
        mdb_txn_abort(txn);
        return err;
    }
    /* Committed even when read-only: the database handles opened in a transaction are
     * kept only when it commits. */
    rc = mdb_txn_commit(txn);
    if (rc != MDB_SUCCESS)
        return fail(msg, cap, from_lmdb(rc), path, "cannot write the index", rc);
    return DPL_OK;
}

/* MIN_MAP_SIZE, or DOPPEL_INDEX_MAP_SIZE (bytes, at least 64 KiB). */
static size_t map_start(void)
{
    const char *env = getenv("DOPPEL_INDEX_MAP_SIZE");
    char *end;
    unsigned long long v = env ? strtoull(env, &end, 10) : 0;
    return env && !*end && v >= (64u << 10) && v <= SIZE_MAX / 4 ? (size_t)v : MIN_MAP_SIZE;
}

static size_t map_size(const char *path)
{
    struct stat st;
    char file[4096];
    snprintf(file, sizeof file, "%s/data.mdb", path);
    size_t size = map_start();
    if (stat(file, &st) == 0 && (size_t)st.st_size * 2 > size)
        size = (size_t)st.st_size * 2;
    return size;
}

/* The folder: made when asked to create, and it must hold an index otherwise. */
static int prepare_folder(const char *path, unsigned flags, char *msg, size_t cap)
{
    char file[4096];
    struct stat st;
    if (snprintf(file, sizeof file, "%s/data.mdb", path) >= (int)sizeof file)
        return DPL_EINVAL;
    if (stat(file, &st) == 0)
        return DPL_OK;
    if (!(flags & DPL_INDEX_CREATE) || (flags & DPL_INDEX_READONLY)) {
        snprintf(msg, cap, "%s: no index here (create it first)", path);
        return DPL_ENOENT;
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        int err = errno;
        snprintf(msg, cap, "%s: cannot create the index folder: %s", path, strerror(err));
        return err == EACCES ? DPL_EACCES : err == ENOENT ? DPL_ENOENT : DPL_EIO;
    }
    return DPL_OK;
}

static int env_with_map(dpl_index *ix, const char *dir, unsigned flags, unsigned mode,
                        size_t size);

/* An in-memory index: a folder in /dev/shm (else TMPDIR), emptied and removed right after
 * LMDB opened its files, so nothing is left behind however the process ends. */
static int open_temporary(dpl_index *ix, char *msg, size_t cap)
{
    const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    char dir[512], file[600];
    snprintf(dir, sizeof dir, "%s/doppel-index.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        snprintf(msg, cap, "%s: cannot create a temporary index: %s", dir, strerror(errno));
        return DPL_EIO;
    }
    int rc = env_with_map(ix, dir, MDB_NOTLS | MDB_NOSYNC, 0600, map_start());
    snprintf(file, sizeof file, "%s/data.mdb", dir);
    unlink(file);
    snprintf(file, sizeof file, "%s/lock.mdb", dir);
    unlink(file);
    rmdir(dir);
    return rc == MDB_SUCCESS ? DPL_OK : fail(msg, cap, from_lmdb(rc), NULL, "cannot open", rc);
}

/* The environment with the largest map the address space allows, from `size` down to
 * MAP_FLOOR. LMDB wants a failed environment closed and made anew. */
static int env_with_map(dpl_index *ix, const char *dir, unsigned flags, unsigned mode,
                        size_t size)
{
    for (;; size /= 2) {
        int rc = mdb_env_create(&ix->env);
        if (rc == MDB_SUCCESS)
            rc = mdb_env_set_maxdbs(ix->env, 5);
        if (rc == MDB_SUCCESS)
            rc = mdb_env_set_mapsize(ix->env, size);
        if (rc == MDB_SUCCESS)
            rc = mdb_env_open(ix->env, dir, flags, mode);
        if (rc == MDB_SUCCESS)
            return rc;
        mdb_env_close(ix->env);
        ix->env = NULL;
        size_t floor = map_start() < MAP_FLOOR ? map_start() : MAP_FLOOR;
        if ((rc != EINVAL && rc != ENOMEM) || size / 2 < floor)
            return rc;
    }
}

static int open_env(dpl_index *ix, const char *path, unsigned flags, char *msg, size_t cap)
{
    if (!path)
        return open_temporary(ix, msg, cap);
    DPL_TRY(prepare_folder(path, flags, msg, cap));
    DPL_TRY(dpl__check_data_file(path, msg, cap));
    int rc = env_with_map(ix, path, MDB_NOTLS | (ix->readonly ? MDB_RDONLY : 0), 0664,
                          map_size(path));
    if (rc != MDB_SUCCESS)
        return fail(msg, cap, from_lmdb(rc), path, "cannot open the index", rc);
    return DPL_OK;
}

static dpl_index *index_new(unsigned flags)
{
    dpl_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return NULL;
    ix->readonly = (flags & DPL_INDEX_READONLY) != 0;
    pthread_mutex_init(&ix->write_lock, NULL);
    pthread_mutex_init(&ix->pool_lock, NULL);
    pthread_rwlock_init(&ix->resize_lock, NULL);
    return ix;
}

static int open_script(dpl_index *ix, char *msg, size_t cap)
{
    dpl_script_options so = {ix->set.translit, ix->set.no_translit, ix->set.han_simplify,
                             ix->set.segment};
    int rc = dpl_script_create(&so, ix->set.norm_flags, &ix->proto);
    if (rc != DPL_OK)
        snprintf(msg, cap, "cannot open the script stage (%s): %s", ix->set.translit,
                 dpl_strerror(rc));
    return rc;
}

int dpl_index_open(const char *path, const dpl_options *opts, unsigned flags, dpl_index **out,
                   char *msg, size_t msg_cap)
{
    char scratch[1];
    if (!msg || !msg_cap) {
        msg = scratch;
        msg_cap = sizeof scratch;
    }
    msg[0] = '\0';
    if (!out)
        return DPL_EINVAL;
    *out = NULL;
    dpl_index *ix = index_new(flags);
    if (!ix)
        return DPL_ENOMEM;
    if (!path && ix->readonly) {
        dpl_index_close(ix);
        snprintf(msg, msg_cap, "an in-memory index cannot be read-only");
        return DPL_EINVAL;
    }
    int rc = open_env(ix, path, flags, msg, msg_cap);
    if (rc == DPL_OK)
        rc = setup(ix, opts, path, flags, msg, msg_cap);
    if (rc == DPL_OK)
        rc = open_script(ix, msg, msg_cap);
    if (rc == DPL_OK && !(ix->probes = dpl__probes_create(ix->set.k, ix->set.seed))) {
        snprintf(msg, msg_cap, "out of memory");
        rc = DPL_ENOMEM;
    }
    if (rc != DPL_OK) {
        dpl_index_close(ix);
        return rc;
    }
    *out = ix;
    return DPL_OK;
}

void dpl_index_close(dpl_index *ix)
{
    if (!ix)
        return;
    if (ix->wtxn)
        mdb_txn_abort(ix->wtxn);
    while (ix->idle) {
        worker *w = ix->idle;
        ix->idle = w->next;
        worker_free(w);
    }
    dpl_script_free(ix->proto);
    dpl__probes_free(ix->probes);
    dpl__pending_free(&ix->pending);
    if (ix->env)
        mdb_env_close(ix->env);
    pthread_mutex_destroy(&ix->write_lock);
    pthread_mutex_destroy(&ix->pool_lock);
    pthread_rwlock_destroy(&ix->resize_lock);
    free(ix);
}
