/* Byte sources: a file descriptor read plainly or through zlib or libzstd. The format is
 * recognized by its magic bytes, not by the file name, so a .gz renamed .txt still reads,
 * and stdin works too. Truncated and corrupt streams are reported as such. */
#include "io/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define INPUT_CHUNK (256u * 1024u)

/* A file is asked for this far ahead of what is read (posix_fadvise WILLNEED), half a
 * window at a time: a job reads its input in the thread that also merges, so without it
 * a file not in the page cache was read at the disk's pace, with the job waiting. */
#define READ_AHEAD ((uint64_t)32 << 20)

struct dpl__source {
    int fd;
    FILE *tee;
    dpl__compression kind;
    unsigned char *in;
    size_t in_len, in_pos;
    int in_eof;
    uint64_t raw_consumed;
    int file;         /* a large regular file: read ahead */
    uint64_t start;   /* the file offset reading began at */
    uint64_t ahead;   /* file offsets before this were asked for */
    z_stream z;
    int z_ready;
    int member_done;  /* gzip: the current member ended; more may follow */
    ZSTD_DStream *zd;
    size_t zstd_hint; /* last ZSTD_decompressStream result: 0 when a frame just ended */
    int finished;
    char name[256];
    char errmsg[512];
};

/* The next part of a large regular file asked for in advance, when what is read nears
 * what was asked for. A refusal leaves the kernel's own read-ahead. */
static void read_ahead(dpl__source *s)
{
    uint64_t at = s->start + s->raw_consumed;
    if (!s->file || at + READ_AHEAD / 2 < s->ahead)
        return;
    s->ahead = s->ahead > at ? s->ahead : at;
    if (posix_fadvise(s->fd, (off_t)s->ahead, (off_t)READ_AHEAD, POSIX_FADV_WILLNEED) != 0)
        s->file = 0;
    else
        s->ahead += READ_AHEAD;
}

/* One read(2) into buf; the bytes are counted and copied to the tee. *got == 0 at the
 * end of input. */
static int read_fd(dpl__source *s, void *buf, size_t cap, size_t *got)
{
    read_ahead(s);
    ssize_t n;
    do {
        n = read(s->fd, buf, cap);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        snprintf(s->errmsg, sizeof s->errmsg, "%s: read error: %s", s->name, strerror(errno));
        return DPL_EIO;
    }
    if (s->tee && n > 0 && fwrite(buf, 1, (size_t)n, s->tee) != (size_t)n) {
        snprintf(s->errmsg, sizeof s->errmsg, "%s: cannot write the stdin spool: %s",
                 s->name, strerror(errno));
        return DPL_EIO;
    }
    s->raw_consumed += (uint64_t)n;
    if (n == 0)
        s->in_eof = 1;
    *got = (size_t)n;
    return DPL_OK;
}

static int fill_input(dpl__source *s)
{
    if (s->in_pos < s->in_len || s->in_eof)
        return DPL_OK;
    s->in_pos = 0;
    s->in_len = 0;
    return read_fd(s, s->in, INPUT_CHUNK, &s->in_len);
}

/* Read until at least `want` bytes are buffered or input ends (for magic detection). */
static int peek(dpl__source *s, size_t want)
{
    while (s->in_len < want && !s->in_eof) {
        size_t n;
        DPL_TRY(read_fd(s, s->in + s->in_len, INPUT_CHUNK - s->in_len, &n));
        s->in_len += n;
    }
    return DPL_OK;
}

dpl__compression dpl__detect_compression(const unsigned char *b, size_t n)
{
    if (n >= 2 && b[0] == 0x1F && b[1] == 0x8B)
        return DPL__GZIP;
    if (n >= 4 && b[0] == 0x28 && b[1] == 0xB5 && b[2] == 0x2F && b[3] == 0xFD)
        return DPL__ZSTD;
    return DPL__PLAIN;
}

/* The source is not made: fd is closed as dpl__source_close would have. */
static int no_memory(int fd, dpl__source *s)
{
    free(s);
    if (fd > 0)
        close(fd);
    return DPL_ENOMEM;
}

/* A source on fd, not yet reading; with an input buffer when `buffered` (to peek at its
 * magic bytes, and to decompress from). */
static int source_new(int fd, const char *name, FILE *tee, int buffered, dpl__source **out)
{
    dpl__source *s = calloc(1, sizeof *s);
    if (!s || (buffered && !(s->in = malloc(INPUT_CHUNK))))
        return no_memory(fd, s);
    s->fd = fd;
    s->tee = tee;
    snprintf(s->name, sizeof s->name, "%s", name);
    /* Files smaller than half a window (a folder's documents, one a file) are left to
     * the kernel's read-ahead: no system calls of their own. */
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > READ_AHEAD / 2) {
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL); /* a larger read-ahead */
        s->file = 1;
    }
    *out = s;
    return DPL_OK;
}

int dpl__source_open(int fd, const char *name, FILE *tee, dpl__source **out)
{
    DPL_TRY(source_new(fd, name, tee, 1, out));
    dpl__source *s = *out;
    DPL_TRY(peek(s, 4));
    s->kind = dpl__detect_compression(s->in, s->in_len);
    if (s->kind == DPL__GZIP) {
        /* 15 + 16: a gzip wrapper only, so that a raw deflate stream is not misread. */
        if (inflateInit2(&s->z, 15 + 16) != Z_OK)
            return DPL_ENOMEM;
        s->z_ready = 1;
    } else if (s->kind == DPL__ZSTD) {
        s->zd = ZSTD_createDStream();
        if (!s->zd || ZSTD_isError(ZSTD_initDStream(s->zd)))
            return DPL_ENOMEM;
    }
    return DPL_OK;
}

int dpl__source_open_plain_at(int fd, const char *name, uint64_t offset, dpl__source **out)
{
    DPL_TRY(source_new(fd, name, NULL, 0, out)); /* plain: read straight into the caller's */
    dpl__source *s = *out;
    s->kind = DPL__PLAIN; /* no peeking: bytes in the middle of a file prove nothing */
    if (lseek(fd, (off_t)offset, SEEK_SET) == (off_t)-1) {
        snprintf(s->errmsg, sizeof s->errmsg, "%s: cannot seek: %s", name, strerror(errno));
        return DPL_EIO;
    }
    s->start = offset;
    return DPL_OK;
}

/* What the magic-byte peek buffered comes first; after that, reads go straight into the
 * caller's buffer, without a copy. */
static int read_plain(dpl__source *s, void *buf, size_t cap, size_t *got)
{
    size_t n = s->in_len - s->in_pos;
    if (n == 0) {
        *got = 0;
        return s->in_eof ? DPL_OK : read_fd(s, buf, cap, got);
    }
    if (n > cap)
        n = cap;
    memcpy(buf, s->in + s->in_pos, n);
    s->in_pos += n;
    *got = n;
    return DPL_OK;
}

static int gzip_truncated(dpl__source *s)
{
    snprintf(s->errmsg, sizeof s->errmsg,
             "%s: truncated gzip stream (unexpected end of file)", s->name);
    return DPL_ETRUNCATED;
}

static int read_gzip(dpl__source *s, void *buf, size_t cap, size_t *got)
{
    *got = 0;
    while (*got == 0 && !s->finished) {
        DPL_TRY(fill_input(s));
        size_t avail = s->in_len - s->in_pos;
        if (s->member_done) {
            /* Another gzip member may follow (concatenated .gz files); anything else
             * after a complete member ends the stream. */
            if (avail == 0) {
                s->finished = 1;
                break;
            }
            inflateReset(&s->z);
            s->member_done = 0;
        }
        if (avail == 0)
            return gzip_truncated(s);
        s->z.next_in = s->in + s->in_pos;
        s->z.avail_in = (uInt)avail;
        s->z.next_out = buf;
        s->z.avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
        int rc = inflate(&s->z, Z_NO_FLUSH);
        s->in_pos = s->in_len - s->z.avail_in;
        *got = (size_t)((unsigned char *)s->z.next_out - (unsigned char *)buf);
        if (rc == Z_STREAM_END)
            s->member_done = 1;
        else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR) {
            snprintf(s->errmsg, sizeof s->errmsg, "%s: corrupt gzip stream: %s", s->name,
                     s->z.msg ? s->z.msg : "data error");
            return DPL_ECORRUPT;
        } else if (rc == Z_MEM_ERROR)
            return DPL_ENOMEM;
    }
    return DPL_OK;
}

static int read_zstd(dpl__source *s, void *buf, size_t cap, size_t *got)
{
    *got = 0;
    while (*got == 0 && !s->finished) {
        DPL_TRY(fill_input(s));
        size_t avail = s->in_len - s->in_pos;
        if (avail == 0) {
            if (s->zstd_hint != 0) {
                snprintf(s->errmsg, sizeof s->errmsg,
                         "%s: truncated zstd stream (unexpected end of file)", s->name);
                return DPL_ETRUNCATED;
            }
            s->finished = 1;
            break;
        }
        ZSTD_inBuffer in = {s->in + s->in_pos, avail, 0};
        ZSTD_outBuffer outb = {buf, cap, 0};
        size_t rc = ZSTD_decompressStream(s->zd, &outb, &in);
        s->in_pos += in.pos;
        if (ZSTD_isError(rc)) {
            snprintf(s->errmsg, sizeof s->errmsg, "%s: corrupt zstd stream: %s", s->name,
                     ZSTD_getErrorName(rc));
            return DPL_ECORRUPT;
        }
        s->zstd_hint = rc;
        *got = outb.pos;
    }
    return DPL_OK;
}

int dpl__source_read(dpl__source *s, void *buf, size_t cap, size_t *got)
{
    switch (s->kind) {
    case DPL__GZIP:
        return read_gzip(s, buf, cap, got);
    case DPL__ZSTD:
        return read_zstd(s, buf, cap, got);
    default:
        return read_plain(s, buf, cap, got);
    }
}

uint64_t dpl__source_raw_consumed(const dpl__source *s)
{
    return s->raw_consumed;
}

const char *dpl__source_errmsg(const dpl__source *s)
{
    return s->errmsg;
}

void dpl__source_close(dpl__source *s)
{
    if (!s)
        return;
    if (s->z_ready)
        inflateEnd(&s->z);
    ZSTD_freeDStream(s->zd);
    if (s->fd > 0)
        close(s->fd);
    free(s->in);
    free(s);
}
