/* Folder walking with fts(3): recursive, entries sorted by name so that every run sees
 * the same order, symbolic links followed with cycles detected (FTS_LOGICAL reports a
 * directory it has already entered as FTS_DC instead of looping). Entries that cannot be
 * read come back as errors, so the reader can account for them. */
#include "io/io.h"

#include <errno.h>
#include <fts.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

struct dpl__walk {
    FTS *fts;
    char *root;
    size_t root_len;
    int root_is_file;
    int include_hidden;
    char errmsg[1024];
};

static int by_name(const FTSENT **a, const FTSENT **b)
{
    return strcmp((*a)->fts_name, (*b)->fts_name);
}

int dpl__walk_open(const char *root, int include_hidden, dpl__walk **out)
{
    dpl__walk *w = calloc(1, sizeof *w);
    if (!w || !(w->root = strdup(root))) {
        free(w);
        return DPL_ENOMEM;
    }
    w->root_len = strlen(root);
    w->include_hidden = include_hidden;
    char *paths[] = {w->root, NULL};
    w->fts = fts_open(paths, FTS_LOGICAL | FTS_NOCHDIR, by_name);
    if (!w->fts) {
        int e = errno;
        free(w->root);
        free(w);
        return e == ENOMEM ? DPL_ENOMEM : DPL_EIO;
    }
    *out = w;
    return DPL_OK;
}

static const char *relative(const dpl__walk *w, const FTSENT *e)
{
    if (e->fts_level == FTS_ROOTLEVEL)
        return e->fts_name; /* a file named on the command line: its base name */
    const char *rel = e->fts_path + w->root_len;
    while (*rel == '/')
        rel++;
    return rel;
}

static int entry_error(dpl__walk *w, const FTSENT *e, dpl__walk_entry *out, int code,
                       const char *what)
{
    snprintf(w->errmsg, sizeof w->errmsg, "%s: %s", e->fts_path, what);
    out->path = e->fts_path;
    out->rel = relative(w, e);
    out->error = code;
    out->error_msg = w->errmsg;
    out->size = 0;
    return DPL_OK;
}

static int errno_code(int e)
{
    return e == EACCES || e == EPERM ? DPL_EACCES : e == ENOENT ? DPL_ENOENT : DPL_EIO;
}

int dpl__walk_next(dpl__walk *w, dpl__walk_entry *out)
{
    FTSENT *e;
    while ((e = fts_read(w->fts)) != NULL) {
        int hidden = e->fts_level > FTS_ROOTLEVEL && e->fts_name[0] == '.';
        switch (e->fts_info) {
        case FTS_D:
            if (hidden && !w->include_hidden)
                fts_set(w->fts, e, FTS_SKIP);
            continue;
        case FTS_F:
            if (hidden && !w->include_hidden)
                continue;
            out->path = e->fts_path;
            out->rel = relative(w, e);
            out->error = DPL_OK;
            out->error_msg = NULL;
            out->size = (uint64_t)e->fts_statp->st_size;
            return DPL_OK;
        case FTS_DC:
            return entry_error(w, e, out, DPL_EIO,
                               "symbolic link loop: this folder was already read (skipped)");
        case FTS_DNR:
            return entry_error(w, e, out, errno_code(e->fts_errno), strerror(e->fts_errno));
        case FTS_ERR:
        case FTS_NS:
            return entry_error(w, e, out, errno_code(e->fts_errno), strerror(e->fts_errno));
        case FTS_SLNONE:
            return entry_error(w, e, out, DPL_ENOENT, "dangling symbolic link");
        default:
            continue; /* FTS_DP (post-order), special files: nothing to read */
        }
    }
    return DPL_EEOF;
}

void dpl__walk_close(dpl__walk *w)
{
    if (!w)
        return;
    fts_close(w->fts);
    free(w->root);
    free(w);
}
