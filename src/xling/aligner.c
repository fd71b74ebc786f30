/* The public face of the alignment pass: dpl_align() on two texts, with their languages
 * given or detected. */
#include "xling/align.h"
#include "xling/langid.h"

#include <stdlib.h>
#include <string.h>

struct dpl_aligner {
    dpl_script *script;
    dpl__pivot *pivot;
    dpl__sentencer *sentencer;
    dpl__langid *langid;
    dpl__align_doc a, b;
    dpl__alignment al;
    dpl_align_link *links;
    size_t cap_links;
};

int dpl_aligner_create(const dpl_dict *dict, dpl_aligner **out)
{
    if (!dict || !out)
        return DPL_EINVAL;
    *out = NULL;
    dpl_aligner *w = calloc(1, sizeof *w);
    if (!w)
        return DPL_ENOMEM;
    int rc = dpl_script_create(NULL, 0, &w->script);
    if (rc == DPL_OK)
        rc = dpl__pivot_create(dict, w->script, &w->pivot);
    if (rc == DPL_OK)
        rc = dpl__langid_create(&w->langid, NULL, 0);
    if (rc == DPL_OK && !(w->sentencer = dpl__sentencer_create()))
        rc = DPL_ENOMEM;
    if (rc != DPL_OK) {
        dpl_aligner_free(w);
        return rc;
    }
    *out = w;
    return DPL_OK;
}

void dpl_aligner_free(dpl_aligner *w)
{
    if (!w)
        return;
    dpl_script_free(w->script);
    dpl__pivot_free(w->pivot);
    dpl__sentencer_free(w->sentencer);
    dpl__langid_free(w->langid);
    dpl__align_doc_free(&w->a);
    dpl__align_doc_free(&w->b);
    dpl__alignment_free(&w->al);
    free(w->links);
    free(w);
}

static int resolve_lang(dpl_aligner *w, const char *given, const char *text, size_t len,
                        char lang[4])
{
    dpl__lang_code(given ? given : "", lang);
    if (strcmp(lang, "und") == 0)
        DPL_TRY(dpl__langid_detect(w->langid, text, len, lang));
    return DPL_OK;
}

/* The byte span from the first to the last sentence of a run. */
static void span_of(const dpl__align_doc *d, size_t first, size_t count, size_t *off,
                    size_t *len)
{
    *off = d->sents[first].offset;
    const dpl__span *last = &d->sents[first + count - 1];
    *len = last->offset + last->len - *off;
}

static int export_links(dpl_aligner *w, dpl_alignment *out)
{
    DPL_TRY(dpl__grow((void **)&w->links, &w->cap_links, w->al.n_links + 1,
                      sizeof *w->links));
    for (size_t i = 0; i < w->al.n_links; i++) {
        const dpl__link *l = &w->al.links[i];
        dpl_align_link *x = &w->links[i];
        x->a_first = l->a0;
        x->a_count = l->a1 - l->a0;
        x->b_first = l->b0;
        x->b_count = l->b1 - l->b0;
        span_of(&w->a, x->a_first, x->a_count, &x->a_offset, &x->a_len);
        span_of(&w->b, x->b_first, x->b_count, &x->b_offset, &x->b_len);
        x->score = l->score;
    }
    out->links = w->links;
    out->n_links = w->al.n_links;
    return DPL_OK;
}

int dpl_align(dpl_aligner *w, const char *lang_a, const char *a, size_t a_len,
              const char *lang_b, const char *b, size_t b_len, dpl_alignment *out)
{
    if (!w || !out || (!a && a_len) || (!b && b_len))
        return DPL_EINVAL;
    memset(out, 0, sizeof *out);
    DPL_TRY(resolve_lang(w, lang_a, a, a_len, out->lang_a));
    DPL_TRY(resolve_lang(w, lang_b, b, b_len, out->lang_b));
    DPL_TRY(dpl__align_prepare(w->pivot, w->sentencer, out->lang_a, a ? a : "", a_len,
                               NULL, &w->a));
    DPL_TRY(dpl__align_prepare(w->pivot, w->sentencer, out->lang_b, b ? b : "", b_len,
                               NULL, &w->b));
    DPL_TRY(dpl__align(&w->a, &w->b, &w->al));
    out->sentences_a = w->a.n_sents;
    out->sentences_b = w->b.n_sents;
    out->coverage_a = w->al.coverage_a;
    out->coverage_b = w->al.coverage_b;
    out->score = w->al.score;
    return export_links(w, out);
}
