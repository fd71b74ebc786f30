/* A look at an index's data file before LMDB opens it. LMDB trusts its file: a meta page
 * with a page size of 0, say, is a division by zero inside mdb_env_open() (found by
 * fuzz_index). So the two meta pages are read here first and the fields LMDB computes
 * with are checked: page flags, magic, version, page size, last page and database roots.
 * The layout is LMDB's (MDB_page and MDB_meta in mdb.c, format version 1), which the
 * library's major version fixes. */
#include "store/store.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE_HEADER 16          /* MDB_page up to mp_ptrs */
#define P_META 0x08
#define MDB_MAGIC 0xBEEFC0DEu
#define MDB_DATA_VERSION 1u
#define META_BYTES 136          /* MDB_meta on 64-bit: magic ... mm_txnid */
#define DB_BYTES 48             /* MDB_db */
#define MIN_PAGE 512
#define MAX_PAGE 65536
#define MAX_DEPTH 64
#define P_INVALID UINT64_MAX

typedef struct meta_view {
    uint16_t flags;
    uint32_t magic, version, psize;
    uint64_t last_pg;
    uint16_t depth[2];
    uint64_t root[2];
} meta_view;

static uint16_t u16_at(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint32_t u32_at(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t u64_at(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void parse_meta(const unsigned char *page, meta_view *m)
{
    const unsigned char *meta = page + PAGE_HEADER, *dbs = meta + 24;
    m->flags = u16_at(page + 10);
    m->magic = u32_at(meta);
    m->version = u32_at(meta + 4);
    m->psize = u32_at(dbs);   /* mm_dbs[FREE_DBI].md_pad */
    m->last_pg = u64_at(meta + 120);
    for (int i = 0; i < 2; i++) {
        m->depth[i] = u16_at(dbs + i * DB_BYTES + 6);
        m->root[i] = u64_at(dbs + i * DB_BYTES + 40);
    }
}

static int plausible(const meta_view *m, uint64_t pages)
{
    if (!(m->flags & P_META) || m->magic != MDB_MAGIC || m->version != MDB_DATA_VERSION)
        return 0;
    if (m->psize < MIN_PAGE || m->psize > MAX_PAGE || (m->psize & (m->psize - 1)))
        return 0;
    if (m->last_pg < 1 || m->last_pg >= pages)
        return 0;
    for (int i = 0; i < 2; i++)
        if (m->depth[i] > MAX_DEPTH || (m->root[i] != P_INVALID && m->root[i] > m->last_pg))
            return 0;
    return 1;
}

static int read_page(int fd, uint64_t off, unsigned char *buf)
{
    ssize_t got = pread(fd, buf, PAGE_HEADER + META_BYTES, (off_t)off);
    return got == PAGE_HEADER + META_BYTES ? 0 : -1;
}

int dpl__check_data_file(const char *path, char *msg, size_t cap)
{
    char file[4096];
    snprintf(file, sizeof file, "%s/data.mdb", path);
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return DPL_OK; /* absent or unreadable: LMDB reports what it finds */
    struct stat st;
    unsigned char page[PAGE_HEADER + META_BYTES];
    meta_view first, second;
    int ok = fstat(fd, &st) == 0;
    if (ok && st.st_size == 0) { /* a file LMDB has not written yet: it starts anew */
        close(fd);
        return DPL_OK;
    }
    ok = ok && read_page(fd, 0, page) == 0;
    if (ok)
        parse_meta(page, &first);
    uint64_t pages = ok && first.psize >= MIN_PAGE ? (uint64_t)st.st_size / first.psize : 0;
    ok = ok && plausible(&first, pages) && read_page(fd, first.psize, page) == 0;
    if (ok) {
        parse_meta(page, &second);
        ok = plausible(&second, pages) && second.psize == first.psize;
    }
    close(fd);
    if (ok)
        return DPL_OK;
    snprintf(msg, cap, "%s: not a doppel index, or a damaged one (its LMDB header pages "
             "do not hold up)", path);
    return DPL_ENOTINDEX;
}
