/* A look at an index's data file before LMDB opens it. LMDB trusts its file: a meta page
 * with a page size of 0 is a division by zero inside mdb_env_open(), and a damaged inner
 * page sends it to read outside its map (SIGBUS), both found by fuzz_index. So the file
 * is checked first, with pread (never through a map):
 *
 *   meta pages   flags, magic, version, page size, last page, database roots
 *   B-trees      from the newest meta, every branch and leaf page of the main, free and
 *                named databases: its number, flags, bounds, each node inside the page,
 *                children and overflow pages inside the file, each page seen once, depth
 *                as recorded; overflow pages by their header only (their content, runs
 *                and records, is checked where it is read)
 *
 * The layout is LMDB's (MDB_page, MDB_node, MDB_meta and MDB_db in mdb.c, data format
 * version 1), which the library's major version fixes. The walk reads every B-tree page
 * once: 0.3 s for an index of a million documents with a warm page cache
 * (DPL_INDEX_TRUST skips it). */
#include "store/store.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE_HEADER 16          /* MDB_page up to mp_ptrs */
#define P_BRANCH 0x01
#define P_LEAF 0x02
#define P_OVERFLOW 0x04
#define P_META 0x08
#define MDB_MAGIC 0xBEEFC0DEu
#define MDB_DATA_VERSION 1u
#define META_BYTES 136          /* MDB_meta on 64-bit: magic ... mm_txnid */
#define DB_BYTES 48             /* MDB_db */
#define NODE_HEADER 8           /* MDB_node up to mn_data */
#define F_BIGDATA 0x01
#define F_SUBDATA 0x02
#define F_DUPDATA 0x04
#define MIN_PAGE 512
#define MAX_PAGE 65536
#define MAX_DEPTH 64
#define P_INVALID UINT64_MAX

typedef struct db_view {
    uint16_t depth;
    uint64_t root;
} db_view;

typedef struct meta_view {
    uint16_t flags;
    uint32_t magic, version, psize;
    uint64_t last_pg, txnid;
    db_view db[2]; /* FREE_DBI, MAIN_DBI */
} meta_view;

static db_view parse_db(const unsigned char *db)
{
    return (db_view){dpl__load16(db + 6), dpl__load64(db + 40)};
}

static void parse_meta(const unsigned char *page, meta_view *m)
{
    const unsigned char *meta = page + PAGE_HEADER, *dbs = meta + 24;
    m->flags = dpl__load16(page + 10);
    m->magic = dpl__load32(meta);
    m->version = dpl__load32(meta + 4);
    m->psize = dpl__load32(dbs); /* mm_dbs[FREE_DBI].md_pad */
    m->last_pg = dpl__load64(meta + 120);
    m->txnid = dpl__load64(meta + 128);
    for (int i = 0; i < 2; i++)
        m->db[i] = parse_db(dbs + i * DB_BYTES);
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
        if (m->db[i].depth > MAX_DEPTH ||
            (m->db[i].root != P_INVALID && (m->db[i].root < 2 || m->db[i].root > m->last_pg)))
            return 0;
    return 1;
}

static int read_at(int fd, uint64_t off, unsigned char *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t got = pread(fd, buf + done, n - done, (off_t)(off + done));
        if (got <= 0)
            return -1;
        done += (size_t)got;
    }
    return 0;
}

/* ------------------------------------------------------------------ the B-trees ----- */

/* What a tree's keys and leaves are: byte-string keys (doppel's "meta", "ids"), 32-bit
 * integer keys (MDB_INTEGERKEY: "docs", "runs", "removed"), the main tree's database
 * names, the free tree's 64-bit transaction ids. */
enum { TREE_BYTES, TREE_INT, TREE_MAIN, TREE_FREE };
#define MDB_INTEGERKEY 0x08

/* The databases doppel makes, and the flags each is made with: a main tree naming any
 * other, or the same one with other flags (LMDB would then compare its keys otherwise
 * than they were sorted), is no index of ours. */
static int known_database(const unsigned char *name, size_t len, uint16_t flags, int *kind)
{
    static const struct {
        const char *name;
        uint16_t flags;
    } dbs[] = {{"meta", 0}, {"ids", 0}, {"docs", MDB_INTEGERKEY}, {"runs", MDB_INTEGERKEY},
               {"removed", MDB_INTEGERKEY}};
    for (size_t i = 0; i < sizeof dbs / sizeof *dbs; i++) {
        if (strlen(dbs[i].name) == len && memcmp(dbs[i].name, name, len) == 0) {
            *kind = dbs[i].flags ? TREE_INT : TREE_BYTES;
            return flags == dbs[i].flags;
        }
    }
    return 0;
}

/* Keys in strictly rising order, as LMDB compares them in a tree of this kind; integer
 * keys of their size. */
static int key_sized(int kind, size_t len)
{
    return kind == TREE_INT ? len == 4 : kind == TREE_FREE ? len == 8 : 1;
}

static int key_before(int kind, const unsigned char *a, size_t la, const unsigned char *b,
                      size_t lb)
{
    if (kind == TREE_INT)
        return dpl__load32(a) < dpl__load32(b);
    if (kind == TREE_FREE)
        return dpl__load64(a) < dpl__load64(b);
    int c = memcmp(a, b, la < lb ? la : lb);
    return c < 0 || (c == 0 && la < lb);
}

typedef struct walk {
    int fd;
    uint32_t psize;
    uint64_t last_pg;
    uint8_t *seen; /* one bit per page */
} walk;

static int walk_tree(walk *w, uint64_t pgno, unsigned depth, unsigned max_depth, int kind);

/* Each page once: a page reached twice is a cycle or two trees sharing it. */
static int first_visit(walk *w, uint64_t pgno)
{
    if (pgno < 2 || pgno > w->last_pg || (w->seen[pgno >> 3] >> (pgno & 7) & 1))
        return 0;
    w->seen[pgno >> 3] |= (uint8_t)(1u << (pgno & 7));
    return 1;
}

static int check_overflow(walk *w, uint64_t pgno, uint64_t bytes)
{
    unsigned char head[PAGE_HEADER];
    if (!first_visit(w, pgno) || read_at(w->fd, pgno * w->psize, head, sizeof head) != 0)
        return 0;
    uint32_t pages = dpl__load32(head + 12);
    return dpl__load64(head) == pgno && (dpl__load16(head + 10) & P_OVERFLOW) && pages >= 1 &&
           pgno + pages - 1 <= w->last_pg &&
           bytes <= (uint64_t)pages * w->psize - PAGE_HEADER;
}

/* A free-list record: a count, then that many page numbers in falling order, each a
 * page of the file (LMDB merges these lists when it allocates pages). */
static int check_page_list(const walk *w, const unsigned char *data, uint64_t bytes)
{
    if (bytes < 8 || bytes % 8)
        return 0;
    uint64_t n = dpl__load64(data), prev = UINT64_MAX;
    if (n != bytes / 8 - 1)
        return 0;
    for (uint64_t i = 1; i <= n; i++) {
        uint64_t pg = dpl__load64(data + i * 8);
        if (pg < 2 || pg > w->last_pg || pg >= prev)
            return 0;
        prev = pg;
    }
    return 1;
}

/* A free-list record on overflow pages, read back whole. */
static int check_page_list_at(const walk *w, uint64_t pgno, uint64_t bytes)
{
    if (bytes > (w->last_pg + 2) * 8)
        return 0; /* more pages than the file has */
    unsigned char *data = malloc(bytes ? bytes : 1);
    int ok = data && read_at(w->fd, pgno * w->psize + PAGE_HEADER, data, bytes) == 0 &&
             check_page_list(w, data, bytes);
    free(data);
    return ok;
}

/* A leaf node's data: inline, on overflow pages, a named database's record (main tree)
 * or a page list (free tree). */
static int check_leaf_node(walk *w, const unsigned char *node, size_t room, int kind)
{
    uint16_t flags = dpl__load16(node + 4), ksize = dpl__load16(node + 6);
    uint64_t dsize = (uint64_t)dpl__load16(node) | (uint64_t)dpl__load16(node + 2) << 16;
    if ((flags & F_DUPDATA) || (kind == TREE_MAIN) != ((flags & F_SUBDATA) != 0))
        return 0; /* doppel's databases have no duplicates; the main one names the others */
    const unsigned char *data = node + NODE_HEADER + ksize;
    if (flags & F_BIGDATA)
        return NODE_HEADER + (size_t)ksize + 8 <= room &&
               check_overflow(w, dpl__load64(data), dsize) &&
               (kind != TREE_FREE || check_page_list_at(w, dpl__load64(data), dsize));
    if (NODE_HEADER + (size_t)ksize + dsize > room)
        return 0;
    if (kind == TREE_FREE)
        return check_page_list(w, data, dsize);
    if (!(flags & F_SUBDATA))
        return 1;
    int db_kind;
    if (dsize != DB_BYTES || !known_database(node + NODE_HEADER, ksize, dpl__load16(data + 4),
                                             &db_kind))
        return 0;
    db_view db = parse_db(data);
    return db.root == P_INVALID || (db.depth >= 1 && db.depth <= MAX_DEPTH &&
                                    walk_tree(w, db.root, 1, db.depth, db_kind));
}

static int check_page(walk *w, const unsigned char *page, uint64_t pgno, unsigned depth,
                      unsigned max_depth, int kind)
{
    uint16_t flags = dpl__load16(page + 10), lower = dpl__load16(page + 12), upper = dpl__load16(page + 14);
    int branch = (flags & (P_BRANCH | P_LEAF | P_OVERFLOW | P_META)) == P_BRANCH;
    int leaf = (flags & (P_BRANCH | P_LEAF | P_OVERFLOW | P_META)) == P_LEAF;
    if (dpl__load64(page) != pgno || (!branch && !leaf) || (flags & 0x20 /* P_LEAF2 */) ||
        lower < PAGE_HEADER || lower > upper || upper > w->psize || (leaf != (depth == max_depth)))
        return 0;
    unsigned keys = (lower - PAGE_HEADER) / 2u;
    const unsigned char *prev = NULL;
    size_t prev_len = 0;
    for (unsigned i = 0; i < keys; i++) {
        uint16_t off = dpl__load16(page + PAGE_HEADER + 2 * i);
        if (off < upper || (size_t)off + NODE_HEADER > w->psize)
            return 0;
        const unsigned char *node = page + off;
        size_t room = w->psize - off, klen = dpl__load16(node + 6);
        if (NODE_HEADER + klen > room)
            return 0;
        if (!branch || i > 0) { /* a branch page's first key is not used */
            if (!key_sized(kind == TREE_MAIN ? TREE_BYTES : kind, klen) ||
                (prev && !key_before(kind, prev, prev_len, node + NODE_HEADER, klen)))
                return 0;
            prev = node + NODE_HEADER;
            prev_len = klen;
        }
        if (branch) {
            uint64_t child = (uint64_t)dpl__load16(node) | (uint64_t)dpl__load16(node + 2) << 16 |
                             (uint64_t)dpl__load16(node + 4) << 32;
            if (!walk_tree(w, child, depth + 1, max_depth, kind))
                return 0;
        } else if (!check_leaf_node(w, node, room, kind)) {
            return 0;
        }
    }
    return 1;
}

static int walk_tree(walk *w, uint64_t pgno, unsigned depth, unsigned max_depth, int kind)
{
    if (depth > max_depth || !first_visit(w, pgno))
        return 0;
    unsigned char *page = malloc(w->psize);
    int ok = page && read_at(w->fd, pgno * w->psize, page, w->psize) == 0 &&
             check_page(w, page, pgno, depth, max_depth, kind);
    free(page);
    return ok;
}

/* The free tree (FREE_DBI) and the main one (MAIN_DBI), which names the others. */
static int walk_trees(int fd, const meta_view *m)
{
    walk w = {fd, m->psize, m->last_pg, calloc((size_t)(m->last_pg / 8) + 1, 1)};
    if (!w.seen)
        return 0;
    int ok = 1;
    for (int i = 0; i < 2 && ok; i++)
        if (m->db[i].root != P_INVALID)
            ok = m->db[i].depth >= 1 &&
                 walk_tree(&w, m->db[i].root, 1, m->db[i].depth, i ? TREE_MAIN : TREE_FREE);
    free(w.seen);
    return ok;
}

/* The file's two meta pages, checked; fd left open for the caller. */
static int read_metas(const char *path, int *fd_out, meta_view m[2])
{
    char file[4096];
    snprintf(file, sizeof file, "%s/data.mdb", path);
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1; /* absent or unreadable: LMDB reports what it finds */
    struct stat st;
    unsigned char page[PAGE_HEADER + META_BYTES];
    if (fstat(fd, &st) != 0 || st.st_size == 0) { /* empty: LMDB starts it anew */
        close(fd);
        return -1;
    }
    int ok = read_at(fd, 0, page, sizeof page) == 0;
    if (ok)
        parse_meta(page, &m[0]);
    uint64_t pages = ok && m[0].psize >= MIN_PAGE ? (uint64_t)st.st_size / m[0].psize : 0;
    ok = ok && plausible(&m[0], pages) && read_at(fd, m[0].psize, page, sizeof page) == 0;
    if (ok) {
        parse_meta(page, &m[1]);
        /* the two metas hold the last two commits, one after the other (or, in a file no
         * transaction has committed to, none) */
        uint64_t t0 = m[0].txnid, t1 = m[1].txnid;
        ok = plausible(&m[1], pages) && m[1].psize == m[0].psize &&
             (t0 == t1 + 1 || t1 == t0 + 1 || (t0 == 0 && t1 == 0));
    }
    *fd_out = fd;
    return ok;
}

static int damaged(const char *path, char *msg, size_t cap)
{
    snprintf(msg, cap, "%s: not a doppel index, or a damaged one (its LMDB pages do not "
             "hold up)", path);
    return DPL_ENOTINDEX;
}

int dpl__check_data_file(const char *path, char *msg, size_t cap)
{
    int fd = -1;
    meta_view m[2];
    int ok = read_metas(path, &fd, m);
    if (fd >= 0)
        close(fd);
    return ok ? DPL_OK : damaged(path, msg, cap);
}

int dpl__check_trees(const char *path, uint64_t txnid, char *msg, size_t cap)
{
    int fd = -1;
    meta_view m[2];
    int ok = read_metas(path, &fd, m);
    if (ok >= 0) {
        /* the snapshot's meta; gone only if two commits ran since it began */
        const meta_view *snap = m[0].txnid == txnid ? &m[0] : m[1].txnid == txnid ? &m[1] : NULL;
        if (ok && snap)
            ok = walk_trees(fd, snap);
    }
    if (fd >= 0)
        close(fd);
    return ok ? DPL_OK : damaged(path, msg, cap);
}
