/* Writing outputs. Every output goes to a temporary file (or folder) beside its
 * destination and is renamed into place only when the run completes, so an interrupted
 * or failed run never leaves a half-written output where a good one was. JSON is written
 * through json-c, so strings are always escaped correctly. */
#include "io/writer.h"

#include <errno.h>
#include <ftw.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int errno_code(int e)
{
    return e == EACCES || e == EPERM ? DPL_EACCES : e == ENOENT ? DPL_ENOENT
                                                  : e == ENOMEM ? DPL_ENOMEM
                                                                : DPL_EIO;
}

static int fail(dpl__out *o, const char *what, const char *path)
{
    int e = errno;
    snprintf(o->errmsg, sizeof o->errmsg, "%s: %s: %s", path, what, strerror(e));
    return errno_code(e);
}

/* "<dir>/.<base>.doppel-tmp.XXXXXX": hidden and in the same file system as the target,
 * so that rename() is atomic. */
static int temp_name(dpl__out *o, const char *path)
{
    char *copy1 = strdup(path), *copy2 = strdup(path);
    int rc = DPL_ENOMEM;
    if (copy1 && copy2) {
        const char *dir = dirname(copy1), *base = basename(copy2);
        size_t n = strlen(dir) + strlen(base) + 32;
        if ((o->tmp = malloc(n))) {
            snprintf(o->tmp, n, "%s/.%s.doppel-tmp.XXXXXX", dir, base);
            rc = DPL_OK;
        }
    }
    free(copy1);
    free(copy2);
    return rc;
}

int dpl__out_open(dpl__out *o, const char *path, int is_dir)
{
    memset(o, 0, sizeof *o);
    o->is_dir = is_dir;
    if (!is_dir && strcmp(path, "-") == 0) {
        o->f = stdout;
        o->is_stdout = 1;
        return DPL_OK;
    }
    if (!(o->path = strdup(path)))
        return DPL_ENOMEM;
    DPL_TRY(temp_name(o, path));
    if (is_dir) {
        if (!mkdtemp(o->tmp))
            return fail(o, "cannot create a temporary folder beside it", path);
        o->created = 1;
        return DPL_OK;
    }
    int fd = mkstemp(o->tmp);
    if (fd < 0)
        return fail(o, "cannot create a temporary file beside it", path);
    o->created = 1;
    if (!(o->f = fdopen(fd, "w"))) {
        close(fd);
        return fail(o, "cannot open", path);
    }
    /* mkstemp makes the file 0600; outputs are ordinary files. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    return DPL_OK;
}

static int remove_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Put a finished temporary folder in place of `final`, replacing an older one. */
static int replace_dir(dpl__out *o)
{
    if (rename(o->tmp, o->path) == 0)
        return DPL_OK;
    if (errno != EEXIST && errno != ENOTEMPTY)
        return fail(o, "cannot rename the finished output into place", o->path);
    size_t n = strlen(o->path) + 32;
    char *old = malloc(n);
    if (!old)
        return DPL_ENOMEM;
    snprintf(old, n, "%s.doppel-old.XXXXXX", o->path);
    int rc = DPL_OK;
    if (!mkdtemp(old) || rename(o->path, old) != 0)
        rc = fail(o, "cannot move the previous output aside", o->path);
    else if (rename(o->tmp, o->path) != 0) {
        rc = fail(o, "cannot rename the finished output into place", o->path);
        rename(old, o->path);
    }
    remove_tree(old);
    free(old);
    return rc;
}

int dpl__out_commit(dpl__out *o)
{
    int rc = DPL_OK;
    if (o->f) {
        int bad = fflush(o->f) != 0 || ferror(o->f);
        if (bad)
            rc = fail(o, "write error", o->is_stdout ? "standard output" : o->path);
        if (!o->is_stdout && fclose(o->f) != 0 && rc == DPL_OK)
            rc = fail(o, "write error", o->path);
        o->f = NULL;
    }
    if (rc != DPL_OK || o->is_stdout || !o->created)
        return rc;
    if (o->is_dir)
        rc = replace_dir(o);
    else if (rename(o->tmp, o->path) != 0)
        rc = fail(o, "cannot rename the finished output into place", o->path);
    if (rc == DPL_OK)
        o->created = 0;
    return rc;
}

void dpl__out_abort(dpl__out *o)
{
    if (o->f && !o->is_stdout)
        fclose(o->f);
    o->f = NULL;
    if (o->created) {
        if (o->is_dir)
            remove_tree(o->tmp);
        else
            unlink(o->tmp);
        o->created = 0;
    }
}

void dpl__out_free(dpl__out *o)
{
    dpl__out_abort(o);
    free(o->path);
    free(o->tmp);
    memset(o, 0, sizeof *o);
}

static int add(struct json_object *obj, const char *key, struct json_object *v)
{
    if (!v)
        return DPL_ENOMEM;
    return json_object_object_add(obj, key, v) == 0 ? DPL_OK : DPL_ENOMEM;
}

static int add_str(struct json_object *obj, const char *key, const char *s, size_t n)
{
    return add(obj, key, json_object_new_string_len(s, (int)n));
}

/* Scores print with 4 decimals: enough to compare with a threshold, short to read. */
static int add_score(struct json_object *obj, double score)
{
    char text[32];
    snprintf(text, sizeof text, "%.4f", score);
    return add(obj, "score", json_object_new_double_s(score, text));
}

static int emit(FILE *f, struct json_object *obj)
{
    const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE);
    int rc = s && fputs(s, f) >= 0 && fputc('\n', f) != EOF ? DPL_OK : DPL_EIO;
    json_object_put(obj);
    return rc;
}

static const char *const status_names[] = {"kept", "duplicate", "error"};

int dpl__write_manifest_line(FILE *f, const dpl__manifest_line *m)
{
    struct json_object *obj = json_object_new_object();
    if (!obj)
        return DPL_ENOMEM;
    int rc = add_str(obj, "id", m->id, m->id_len);
    if (rc == DPL_OK)
        rc = add_str(obj, "source", m->source, strlen(m->source));
    if (rc == DPL_OK && m->line)
        rc = add(obj, "line", json_object_new_int64((int64_t)m->line));
    if (rc == DPL_OK)
        rc = add(obj, "status", json_object_new_string(status_names[m->status]));
    if (rc == DPL_OK && m->status == DPL__STATUS_DUPLICATE) {
        rc = add(obj, "kind", json_object_new_string(m->kind));
        if (rc == DPL_OK)
            rc = add_str(obj, "rep", m->rep, m->rep_len);
        if (rc == DPL_OK)
            rc = add_score(obj, m->score);
        if (rc == DPL_OK && m->archived)
            rc = add(obj, "archived", json_object_new_boolean(1));
    }
    if (rc == DPL_OK && m->error)
        rc = add(obj, "error", json_object_new_string(m->error));
    if (rc == DPL_OK && m->warning)
        rc = add(obj, "warning", json_object_new_string(m->warning));
    if (rc != DPL_OK) {
        json_object_put(obj);
        return rc;
    }
    return emit(f, obj);
}

int dpl__write_pair_line(FILE *f, const char *a, size_t a_len, const char *b, size_t b_len,
                         const char *kind, double score, int archived)
{
    struct json_object *obj = json_object_new_object();
    if (!obj)
        return DPL_ENOMEM;
    int rc = add_str(obj, "a", a, a_len);
    if (rc == DPL_OK)
        rc = add_str(obj, "b", b, b_len);
    if (rc == DPL_OK)
        rc = add(obj, "kind", json_object_new_string(kind));
    if (rc == DPL_OK)
        rc = add_score(obj, score);
    if (rc == DPL_OK && archived)
        rc = add(obj, "archived", json_object_new_boolean(1));
    if (rc != DPL_OK) {
        json_object_put(obj);
        return rc;
    }
    return emit(f, obj);
}

static int add_fixed(struct json_object *arr, double v)
{
    char text[32];
    snprintf(text, sizeof text, "%.4f", v);
    struct json_object *d = json_object_new_double_s(v, text);
    if (!d)
        return DPL_ENOMEM;
    return json_object_array_add(arr, d) == 0 ? DPL_OK : DPL_ENOMEM;
}

static int add_pair_of_strings(struct json_object *obj, const char *key, const char *x,
                               const char *y)
{
    struct json_object *arr = json_object_new_array();
    if (!arr)
        return DPL_ENOMEM;
    struct json_object *sx = json_object_new_string(x), *sy = json_object_new_string(y);
    if (sx)
        json_object_array_add(arr, sx);
    if (sy)
        json_object_array_add(arr, sy);
    int rc = sx && sy ? DPL_OK : DPL_ENOMEM;
    if (rc != DPL_OK) {
        json_object_put(arr);
        return rc;
    }
    return add(obj, key, arr);
}

int dpl__write_xling_pair_line(FILE *f, const dpl__xling_pair_line *p)
{
    struct json_object *obj = json_object_new_object();
    if (!obj)
        return DPL_ENOMEM;
    int rc = add_str(obj, "a", p->a, p->a_len);
    if (rc == DPL_OK)
        rc = add_str(obj, "b", p->b, p->b_len);
    if (rc == DPL_OK)
        rc = add(obj, "kind", json_object_new_string("xling"));
    if (rc == DPL_OK)
        rc = add_score(obj, p->score);
    if (rc == DPL_OK)
        rc = add_pair_of_strings(obj, "langs", p->lang_a, p->lang_b);
    struct json_object *cov = rc == DPL_OK ? json_object_new_array() : NULL;
    if (rc == DPL_OK && !cov)
        rc = DPL_ENOMEM;
    if (rc == DPL_OK && (rc = add_fixed(cov, p->coverage_a)) == DPL_OK)
        rc = add_fixed(cov, p->coverage_b);
    if (cov) {
        if (rc == DPL_OK)
            rc = add(obj, "coverage", cov);
        else
            json_object_put(cov);
    }
    if (rc != DPL_OK) {
        json_object_put(obj);
        return rc;
    }
    return emit(f, obj);
}

static int add_indexes(struct json_object *obj, const char *key, size_t first, size_t count)
{
    struct json_object *arr = json_object_new_array();
    if (!arr)
        return DPL_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        struct json_object *v = json_object_new_int64((int64_t)(first + i));
        if (!v || json_object_array_add(arr, v) != 0) {
            json_object_put(v);
            json_object_put(arr);
            return DPL_ENOMEM;
        }
    }
    return add(obj, key, arr);
}

int dpl__write_aligned_line(FILE *f, const dpl__aligned_line *l)
{
    struct json_object *obj = json_object_new_object();
    if (!obj)
        return DPL_ENOMEM;
    int rc = add_str(obj, "a", l->a, l->a_len);
    if (rc == DPL_OK)
        rc = add_str(obj, "b", l->b, l->b_len);
    if (rc == DPL_OK)
        rc = add_indexes(obj, "a_sentences", l->a_first, l->a_count);
    if (rc == DPL_OK)
        rc = add_indexes(obj, "b_sentences", l->b_first, l->b_count);
    if (rc == DPL_OK)
        rc = add_str(obj, "a_text", l->a_text, l->a_text_len);
    if (rc == DPL_OK)
        rc = add_str(obj, "b_text", l->b_text, l->b_text_len);
    if (rc == DPL_OK)
        rc = add_score(obj, l->score);
    if (rc != DPL_OK) {
        json_object_put(obj);
        return rc;
    }
    return emit(f, obj);
}
