/* FreeDict in dictd form: NAME.index lists "headword<TAB>offset<TAB>length" (numbers in
 * dictd's base 64) into NAME.dict.dz, a dictzip (gzip) file. The articles are visited in
 * the order of their offsets, so the .dict.dz is inflated front to back once, through a
 * small window.
 *
 * An article, as the FreeDict converters write it:
 *
 *     Haus /hˈaʊs/ <neut, n, sg>          headword, pronunciation(s), part of speech
 *     house <n>, home <n>                 translations: "," or ";" between them
 *      [arch.] building <n>               or with a usage label, indented one space
 *        Synonyms: {...}                  indented further: synonyms, notes, examples
 *      see: {...}                         cross references
 *
 * Dictionaries with several senses number them, "1. at, to" / "2. a, in", one line each.
 * eng-bul (from Wiktionary) follows each sense's translation line with an English
 * definition line, and its numbering is sometimes glued to the end of the previous line
 * ("летен 2."), or stands alone (" 3.") for a sense without translations. So only the
 * first line of each sense carries translations: the line after the headword, and the
 * text after each sense number. Translations drop their annotations, the abbreviation
 * glued after the part of speech ("dollar sign <n>$") and pronunciation-only pieces.
 *
 * V. K. Mueller's English-Russian dictionary (mueller7*.index) comes in the same container
 * with articles of its own layout; see the Mueller section below. */
#include "xling/dict_parse.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FD_BRACKETS (DPL__BR_ROUND | DPL__BR_SQUARE | DPL__BR_CURLY | DPL__BR_ANGLE | \
                     DPL__BR_WIKI)
#define FD_CLEAN (FD_BRACKETS | DPL__CLEAN_MARKERS)

typedef struct article {
    uint64_t off;
    uint32_t len;
    uint32_t line; /* in the index (saturated: it only names the line in messages) */
} article;

typedef struct freedict {
    const char *path; /* the index */
    char lang[4];     /* the non-English side */
    int inverted;     /* eng-XXX: headwords are English */
    char target[4];   /* the translations' language: "eng", or the other side of a pair
                         without English */
    dpl__dict_sink sink;
    void *user;
    dpl__dict_stats *stats;
    char *msg;
    size_t msg_cap;
    dpl__dict_scratch sc;
    size_t head_off, head_len; /* the cleaned headword in sc.text */
    unsigned rank;
    size_t line; /* of the index line of the article being read */
    int mueller;    /* Mueller's article layout */
    dpl__buf sense; /* Mueller: the sense being read, its wrapped lines joined */
    int example;    /* Mueller: the current numbered sense has had an example */
} freedict;

/* Mueller's English-Russian dictionary: "mueller7.index", "mueller7accent.index". */
static int is_mueller(const char *base, size_t n)
{
    return n >= 8 + 6 && memcmp(base, "mueller7", 8) == 0 &&
           memcmp(base + n - 6, ".index", 6) == 0;
}

int dpl__dict_freedict_langs(const char *index_path, char from[4], char to[4])
{
    const char *slash = strrchr(index_path, '/');
    const char *b = slash ? slash + 1 : index_path;
    size_t n = strlen(b);
    if (is_mueller(b, n)) {
        memcpy(from, "eng", 4);
        memcpy(to, "rus", 4);
        return 1;
    }
    if (n > 6 && strcmp(b + n - 6, ".index") == 0)
        n -= 6;
    /* "...-XXX-YYY": the last two dash-separated parts, 2 or 3 letters each. */
    const char *dash = NULL;
    for (size_t i = n; i-- > 0;)
        if (b[i] == '-') {
            dash = b + i;
            break;
        }
    if (!dash)
        return 0;
    size_t to_len = (size_t)(b + n - dash - 1);
    const char *from_start = dash;
    while (from_start > b && from_start[-1] != '-')
        from_start--;
    return dpl__dict_lang3(from_start, (size_t)(dash - from_start), from) &&
           dpl__dict_lang3(dash + 1, to_len, to);
}

/* ---- the index ---------------------------------------------------------------------- */

static int b64_digit(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* dictd's numbers: base 64, most significant digit first. 10 digits hold 60 bits, far
 * more than any file; longer numbers are refused rather than wrapped. */
static int b64_number(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 10)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = b64_digit(s[i]);
        if (d < 0)
            return 0;
        v = v * 64 + (uint64_t)d;
    }
    *out = v;
    return 1;
}

static int is_database_entry(const char *s, size_t n)
{
    /* dictd's own entries: "00databaseinfo", "00-database-short"... */
    return (n >= 10 && memcmp(s, "00database", 10) == 0) ||
           (n >= 12 && memcmp(s, "00-database-", 12) == 0);
}

/* One index line: the headword may hold anything but a tab; the numbers are the last two
 * fields. Returns 1 with *a set, 0 (and a reason) for a bad line; database entries and
 * empty articles give 1 with a->len == 0 and are dropped. Offsets past the end of the
 * .dict file show only when it is read. */
static int index_line(const char *s, size_t n, article *a, const char **reason)
{
    const char *t2 = NULL, *t1 = NULL;
    for (size_t i = n; i-- > 0;) {
        if (s[i] != '\t')
            continue;
        if (!t2)
            t2 = s + i;
        else {
            t1 = s + i;
            break;
        }
    }
    uint64_t off, len;
    *reason = "not \"headword<TAB>offset<TAB>length\"";
    if (!t1 || !b64_number(t1 + 1, (size_t)(t2 - t1 - 1), &off) ||
        !b64_number(t2 + 1, (size_t)(s + n - t2 - 1), &len))
        return 0;
    a->off = a->len = 0;
    if (is_database_entry(s, (size_t)(t1 - s)))
        return 1;
    *reason = "an article longer than 4 GiB";
    if (len > UINT32_MAX)
        return 0;
    a->off = off;
    a->len = (uint32_t)len;
    return 1;
}

static int by_offset(const void *pa, const void *pb)
{
    const article *a = pa, *b = pb;
    if (a->off != b->off)
        return a->off < b->off ? -1 : 1;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return 0;
}

static int add_article(article **list, size_t *n, size_t *cap, const article *a)
{
    DPL_TRY(dpl__grow((void **)list, cap, *n + 1, sizeof **list));
    (*list)[(*n)++] = *a;
    return DPL_OK;
}

static int index_lines(freedict *fd, dpl__dict_stream *index, article **list, size_t *n)
{
    size_t cap = 0;
    const char *s;
    size_t len;
    int rc;
    while ((rc = dpl__dict_stream_line(index, &s, &len)) == DPL_OK) {
        fd->stats->lines++;
        article a = {.line = index->line > UINT32_MAX ? UINT32_MAX : (uint32_t)index->line};
        const char *reason;
        if (len == 0)
            continue;
        if (!index_line(s, len, &a, &reason))
            dpl__dict_bad_line(fd->stats, index->line, reason);
        else if (a.len > 0)
            DPL_TRY(add_article(list, n, &cap, &a));
    }
    return rc == DPL_EEOF ? DPL_OK : rc;
}

/* The articles in file order, each once: dictd indexes some under several keys. */
static int read_index(freedict *fd, dpl__dict_stream *index, article **out, size_t *count)
{
    article *list = NULL;
    size_t n = 0;
    int rc = index_lines(fd, index, &list, &n);
    if (rc != DPL_OK) {
        free(list);
        return rc;
    }
    if (n > 1)
        qsort(list, n, sizeof *list, by_offset);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (kept == 0 || by_offset(&list[kept - 1], &list[i]) != 0)
            list[kept++] = list[i];
    *out = list;
    *count = kept;
    return DPL_OK;
}

/* ---- articles ----------------------------------------------------------------------- */

static size_t indent_of(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] == ' ')
        i++;
    return i;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* "12." at s[i]: the length of the sense number with the spaces after it, or 0. */
static size_t sense_number(const char *s, size_t n, size_t i)
{
    size_t j = i;
    while (j < n && is_digit(s[j]))
        j++;
    if (j == i || j >= n || s[j] != '.' || (j + 1 < n && s[j + 1] != ' '))
        return 0;
    j++;
    while (j < n && s[j] == ' ')
        j++;
    return j - i;
}

/* Drops a sense number glued to the end of a line ("летен 2."). */
static size_t strip_trailing_number(const char *s, size_t n)
{
    size_t i = n;
    if (i < 3 || s[i - 1] != '.')
        return n;
    i--;
    size_t digits_end = i;
    while (i > 0 && is_digit(s[i - 1]))
        i--;
    if (i == digits_end || i == 0 || s[i - 1] != ' ')
        return n;
    while (i > 0 && s[i - 1] == ' ')
        i--;
    return i;
}

/* The headword line ends where the pronunciation starts: " /" and a non-space. */
static size_t headword_end(const char *s, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++)
        if (s[i] == ' ' && s[i + 1] == '/' && s[i + 2] != ' ')
            return i;
    return n;
}

/* A pair without English (spa-deu) gives both directions, each with its target; dict.c
 * keeps the one that leads to the better-covered language. */
static int emit(freedict *fd, const char *tr, size_t tr_len)
{
    const char *head = fd->sc.text.data + fd->head_off;
    int rc;
    if (fd->inverted)
        rc = fd->sink(fd->user, fd->lang, tr, tr_len, "eng", head, fd->head_len, fd->rank);
    else
        rc = fd->sink(fd->user, fd->lang, head, fd->head_len, fd->target, tr, tr_len,
                      fd->rank);
    fd->stats->entries += rc == 0;
    if (rc == 0 && strcmp(fd->target, "eng") != 0) {
        rc = fd->sink(fd->user, fd->target, tr, tr_len, fd->lang, head, fd->head_len,
                      fd->rank);
        fd->stats->entries += rc == 0;
    }
    if (rc != 0)
        return dpl__dict_sink_failed(rc, fd->path, fd->line, fd->msg, fd->msg_cap);
    return DPL_OK;
}

/* The end of a translation without what the converter glued after its part of speech:
 * the piece stops at its last top-level "<...>" group. */
static size_t cut_after_pos(const char *s, size_t n, const unsigned char *marks)
{
    size_t depth = 0, end = n;
    for (size_t i = 0; i < n; i++) {
        if (marks[i] == DPL__MARK_OPEN)
            depth++;
        else if (marks[i] == DPL__MARK_CLOSE && depth && --depth == 0 && s[i] == '>')
            end = i + 1;
    }
    return end;
}

/* One translation piece of a line: cleaned, then handed to the sink. */
static int translation(freedict *fd, const char *s, size_t n, const unsigned char *marks)
{
    size_t lead = indent_of(s, n);
    if (lead < n && s[lead] == '/')
        return DPL_OK; /* the pronunciation of a glued abbreviation: "NIOSH, /nˈɪoːʃ/" */
    n = cut_after_pos(s, n, marks);
    size_t off = fd->sc.text.len, len;
    DPL_TRY(dpl__dict_clean(&fd->sc, s, n, marks, FD_CLEAN, &len));
    int rc = len ? emit(fd, fd->sc.text.data + off, len) : DPL_OK;
    fd->rank += len > 0;
    fd->sc.text.len = off; /* the headword stays; the piece is done with */
    fd->sc.text.data[off] = '\0';
    return rc;
}

static int translation_line(freedict *fd, const char *s, size_t n)
{
    n = strip_trailing_number(s, n);
    DPL_TRY(dpl__dict_mark(&fd->sc, s, n, FD_BRACKETS));
    size_t pos = 0, start, len;
    while (dpl__dict_next_piece(s, n, fd->sc.marks, ",;", &pos, &start, &len))
        DPL_TRY(translation(fd, s + start, len, fd->sc.marks + start));
    return DPL_OK;
}

static int is_see_also(const char *s, size_t n)
{
    return n >= 4 && memcmp(s, "see:", 4) == 0;
}

/* The body after the headword line; see the file comment for which lines translate. The
 * senses come first, together; the first blank line ends them (cross references and
 * notes follow), which spares reading the rest of the article. */
static int article_body(freedict *fd, dpl__dict_lines *it)
{
    int first = 1;
    const char *s;
    size_t n;
    while (dpl__dict_next_line(it, &s, &n)) {
        size_t ind = indent_of(s, n);
        if (ind == n)
            break;
        int may_translate = first && ind <= 1 && !is_see_also(s + ind, n - ind);
        first = 0;
        if (ind > 1)
            continue;
        size_t num = sense_number(s, n, ind);
        if (num)
            DPL_TRY(translation_line(fd, s + ind + num, n - ind - num));
        else if (may_translate)
            DPL_TRY(translation_line(fd, s + ind, n - ind));
    }
    return DPL_OK;
}

/* ---- Mueller ------------------------------------------------------------------------ */

/* V. K. Mueller's English-Russian dictionary, 7th edition (Debian's mueller7-dict and
 * mueller7accent-dict), 46,000 articles like this one:
 *
 *     acknowledge                                  the headword, alone on its line
 *        [ɜk↗nɘlɪdʒ] г                             pronunciation, labels (_v. _воен.)
 *        1) сознавать; признавать, допускать       senses 1), parts of speech 1.,
 *        2) подтверждать; to acknowledge the       homonyms _I _II, sub-senses а) б)
 *     receipt подтверждать получение               wrapped at any indent, even none
 *
 * Translations are cut by ";" and ","; notes stand in (...), [...] and {...}; references
 * read "= foo" or "см. foo". Examples close a sense: an English phrase, then its Russian
 * rendering, which may hold ";" and "," too ("to stand aback from держаться на
 * расстоянии, в стороне от; избегать"). So a sense gives its pieces up to the first one
 * with Latin letters and nothing after it, and when a numbered sense has had an example,
 * the lettered sub-senses under it render that example ("from A to Z" / "а) с начала и
 * до конца;" / "б) в совершенстве") and are skipped too. Commas also cut descriptions:
 * in "tout: человек, усиленно предлагающий товар" neither piece is a translation, so a
 * piece followed by one that opens with a participle or "который" is dropped with it,
 * unless it is an adjective itself ("преобладающий, имеющий перевес"); this spares the
 * pivot of common words ("человек" was the first piece of 115 such descriptions).
 * Attributive senses ("_attr. домашний") are dropped, as are pieces of more than three
 * words, prefixes ("не-"), single letters (a stray "г" stands for a label), open lists
 * ("и т.п.") and pieces with digits; abbreviations ("тж.", "особ.") and place holders
 * ("кого-л.") leave their piece.
 * Stress goes: mueller7accent writes it as a capital vowel ("жилИще"), other editions
 * as U+0301. Every translation of a sense gets the rank of the sense among those that
 * gave translations (0 = the first). */

#define MUELLER_BRACKETS (DPL__BR_ROUND | DPL__BR_SQUARE | DPL__BR_CURLY)
#define MUELLER_MAX_WORDS 3

enum { SENSE_FIRST, SENSE_NUMBERED, SENSE_LETTERED };
enum { PIECE_KEEP, PIECE_DROP, PIECE_EXAMPLE };

/* A lowercase Cyrillic letter (а-я, ё: two bytes) at s[0..n). */
static int is_cyrillic_lower(const char *s, size_t n)
{
    if (n < 2)
        return 0;
    unsigned char a = (unsigned char)s[0], b = (unsigned char)s[1];
    return (a == 0xD0 && b >= 0xB0 && b <= 0xBF) ||
           (a == 0xD1 && ((b >= 0x80 && b <= 0x8F) || b == 0x91));
}

static int is_roman(char c)
{
    return c == 'I' || c == 'V' || c == 'X';
}

/* The sense marker a line starts with, "12)", "12. ", "а)" or "_II ", with the spaces
 * after it: its length, and its kind in *kind; 0 when the line goes on the sense before
 * ("10)колледж" has no space after its marker). */
static size_t mueller_marker(const char *s, size_t n, int *kind)
{
    size_t j = 0;
    while (j < n && is_digit(s[j]))
        j++;
    if (j > 0 && j < n && (s[j] == ')' || (s[j] == '.' && (j + 1 == n || s[j + 1] == ' ')))) {
        *kind = SENSE_NUMBERED;
        j++;
    } else if (j == 0 && n >= 3 && is_cyrillic_lower(s, n) && s[2] == ')') {
        *kind = SENSE_LETTERED;
        j = 3;
    } else if (j == 0 && n >= 2 && s[0] == '_' && is_roman(s[1])) {
        for (j = 1; j < n && is_roman(s[j]);)
            j++;
        if (j < n && s[j] != ' ')
            return 0;
        *kind = SENSE_NUMBERED;
    } else {
        return 0;
    }
    while (j < n && s[j] == ' ')
        j++;
    return j;
}

/* Latin letters: ASCII, Latin-1 and Latin Extended-A/B (U+00C0-024F but × and ÷). */
static int has_latin(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
            return 1;
        if (c == 0xC3 && i + 1 < n && w[i + 1] != '\x97' && w[i + 1] != '\xB7')
            return 1;
        if (c >= 0xC4 && c <= 0xC9)
            return 1;
    }
    return 0;
}

static int has_digit(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_digit(w[i]))
            return 1;
    return 0;
}

static int word_is(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(w, lit, n) == 0;
}

/* "и т.п.", "и т.д.", "и пр.": the piece is the head of a list cut short. */
static int is_open_list(const char *w, size_t n)
{
    return word_is(w, n, "т.п.") || word_is(w, n, "т.д.") || word_is(w, n, "пр.");
}

/* The first word of a reference: "= foo", "см. foo", "ср. foo". */
static int is_reference(const char *w, size_t n)
{
    return w[0] == '=' || word_is(w, n, "см.") || word_is(w, n, "ср.");
}

/* Removes the stress from a word in place; returns its new length. A capital after a
 * lowercase letter is a stressed vowel in mueller7accent ("жилИще"); U+0301 marks stress
 * elsewhere. А-П (D0 90-9F) become а-п (D0 B0-BF), Р-Я (D0 A0-AF) р-я (D1 80-8F), Ё (D0 81)
 * ё (D1 91). */
static size_t unstress(char *w, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char a = (unsigned char)w[i], b = i + 1 < n ? (unsigned char)w[i + 1] : 0;
        if (a == 0xCC && b == 0x81) {
            i += 2;
            continue;
        }
        int upper = a == 0xD0 && ((b >= 0x90 && b <= 0xAF) || b == 0x81);
        if (upper && o >= 2 && is_cyrillic_lower(w + o - 2, 2)) {
            w[o++] = b >= 0x90 && b <= 0x9F ? '\xD0' : '\xD1';
            w[o++] = (char)(b == 0x81 ? 0x91 : b <= 0x9F ? b + 0x20 : b - 0x20);
            i += 2;
            continue;
        }
        w[o++] = w[i++];
    }
    return o;
}

/* Judges one cleaned piece and rewrites it in place without labels, abbreviations, place
 * holders and stress; *n gets its new length. */
static int mueller_words(char *s, size_t *n)
{
    size_t out = 0, words = 0;
    int drop = 0, first = 1;
    for (size_t i = 0, j; i < *n; i = j + 1) {
        for (j = i; j < *n && s[j] != ' ';)
            j++;
        const char *w = s + i;
        size_t len = j - i;
        if (len == 0 || w[0] == '_') /* a label: _n. _воен. _I */
            continue;
        if (first && is_reference(w, len))
            return PIECE_DROP;
        first = 0;
        if (has_latin(w, len))
            return PIECE_EXAMPLE;
        drop |= is_open_list(w, len) || has_digit(w, len);
        if (w[len - 1] == '.') /* an abbreviation or a place holder: тж. чего-л. */
            continue;
        if (out > 0)
            s[out++] = ' ';
        memmove(s + out, w, len);
        out += unstress(s + out, len);
        words++;
    }
    *n = out;
    if (drop || out == 0 || words > MUELLER_MAX_WORDS || s[0] == '-' || s[out - 1] == '-')
        return PIECE_DROP;
    int one_letter = out == 1 || (out == 2 && (unsigned char)s[0] >= 0xC0);
    return one_letter ? PIECE_DROP : PIECE_KEEP;
}

static int ends_with_any(const char *w, size_t n, const char *const *ends, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        size_t k = strlen(ends[i]);
        if (n >= k && memcmp(w + n - k, ends[i], k) == 0)
            return 1;
    }
    return 0;
}

/* A participle ("имеющий", "пользующееся", "выполнявшее", "лишённое"): the word that
 * opens a description. The active present ones have a vowel before "щ" ("общий" is
 * none). Of the passive ones only "-ённый" counts: most words ending in "-нный" are
 * adjectives ("письменный прибор"). */
static int is_participle(const char *w, size_t n)
{
    static const char *const ends[] = {"ий", "ый", "ая", "ое", "ее", "ие", "ые", "его", "ого",
                                       "ему", "ому", "им", "ым", "их", "ых", "ей", "ой", "ую",
                                       "ими", "ыми"};
    static const char *const vowels[] = {"у", "ю", "а", "я"};
    if (n >= 4 && (memcmp(w + n - 4, "ся", 4) == 0 || memcmp(w + n - 4, "сь", 4) == 0))
        n -= 4; /* reflexive */
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++) {
        size_t k = strlen(ends[i]);
        if (n < k + 6 || memcmp(w + n - k, ends[i], k) != 0)
            continue;
        const char *stem = w + n - k; /* just past "щ", "вш" or "ённ" */
        if (memcmp(stem - 4, "вш", 4) == 0 || memcmp(stem - 6, "ённ", 6) == 0)
            return 1;
        size_t before = (size_t)(stem - 2 - w);
        if (memcmp(stem - 2, "щ", 2) == 0 && ends_with_any(w, before, vowels, 4))
            return 1;
    }
    return 0;
}

/* Whether the words w[0..count) open a description: "который", or a participle that does
 * not agree with the word after it (that would make a noun phrase, "выступающая
 * водосточная труба"): two last letters, four bytes, compared. */
static int opens_description(const char *const *w, const size_t *wl, size_t count)
{
    if (wl[0] >= 10 && memcmp(w[0], "котор", 10) == 0)
        return 1;
    if (!is_participle(w[0], wl[0]))
        return 0;
    return count < 2 || wl[1] < 4 || memcmp(w[0] + wl[0] - 4, w[1] + wl[1] - 4, 4) != 0;
}

static int is_adjective(const char *w, size_t n)
{
    static const char *const ends[] = {"ый", "ий", "ой", "ая", "яя", "ое", "ее", "ые", "ие"};
    return ends_with_any(w, n, ends, sizeof ends / sizeof *ends);
}

/* Whether a piece describes the one before it: two words or more, opened by "который" or
 * a participle, maybe after "не", an adverb or a preposition ("постоянно следящий за
 * временем", "не выполняющее своих обязательств", "у которого описано имущество"). */
static int describes(freedict *fd, const char *s, size_t n, const unsigned char *marks)
{
    size_t off = fd->sc.text.len, len;
    if (dpl__dict_clean(&fd->sc, s, n, marks, 0, &len) != DPL_OK)
        return 0; /* out of memory: the pieces will say so */
    char *t = fd->sc.text.data + off;
    const char *w[3];
    size_t wl[3], words = 0;
    for (size_t i = 0, j; i < len && words < 3; i = j + 1) {
        for (j = i; j < len && t[j] != ' ';)
            j++;
        if (j > i && t[i] != '_') { /* labels do not count */
            w[words] = t + i;
            wl[words++] = unstress(t + i, j - i);
        }
    }
    int lead = words >= 2 && (wl[0] <= 4 || memcmp(w[0] + wl[0] - 2, "о", 2) == 0);
    int yes = words >= 2 && (opens_description(w, wl, words) ||
                             (lead && opens_description(w + 1, wl + 1, words - 1)));
    fd->sc.text.len = off;
    fd->sc.text.data[off] = '\0';
    return yes;
}

/* The last word of s[0..n). */
static const char *last_word(const char *s, size_t n, size_t *len)
{
    size_t i = n;
    while (i > 0 && s[i - 1] != ' ')
        i--;
    *len = n - i;
    return s + i;
}

/* What the pieces of a sense share. */
typedef struct sense_state {
    unsigned emitted; /* translations handed on */
    int example;      /* an example came: the rest of the sense renders it */
    int head;         /* the piece before was dropped as the head of a description */
} sense_state;

/* One piece: cleaned, judged, handed to the sink. `described`: the next piece describes
 * this one, so unless this one is an adjective too ("преобладающий, имеющий перевес") it
 * is the head of a phrase cut at its comma ("человек, постоянно следящий за временем"):
 * no translation, and neither is the description after it. */
static int mueller_piece(freedict *fd, const char *s, size_t n, const unsigned char *marks,
                         int described, sense_state *st)
{
    size_t off = fd->sc.text.len, len, last_len;
    DPL_TRY(dpl__dict_clean(&fd->sc, s, n, marks, 0, &len));
    int verdict = mueller_words(fd->sc.text.data + off, &len);
    int after_head = st->head;
    st->head = 0;
    if (verdict == PIECE_KEEP && described) {
        const char *last = last_word(fd->sc.text.data + off, len, &last_len);
        st->head = !is_adjective(last, last_len);
    }
    if (verdict == PIECE_KEEP && (st->head || after_head))
        verdict = PIECE_DROP;
    int rc = DPL_OK;
    if (verdict == PIECE_KEEP && (rc = emit(fd, fd->sc.text.data + off, len)) == DPL_OK)
        st->emitted++;
    st->example = verdict == PIECE_EXAMPLE;
    fd->sc.text.len = off; /* the headword stays */
    fd->sc.text.data[off] = '\0';
    return rc;
}

/* "_attr." among the labels a sense starts with. */
static int is_attributive(freedict *fd, const char *s, size_t n, const unsigned char *marks)
{
    size_t off = fd->sc.text.len, len;
    int attr = 0;
    if (dpl__dict_clean(&fd->sc, s, n, marks, 0, &len) != DPL_OK)
        return 0; /* out of memory: the pieces will say so */
    const char *t = fd->sc.text.data + off;
    for (size_t i = 0, j; i < len && t[i] == '_' && !attr; i = j + 1) {
        for (j = i; j < len && t[j] != ' ';)
            j++;
        attr = j - i >= 6 && memcmp(t + i, "_attr.", 6) == 0;
    }
    fd->sc.text.len = off;
    fd->sc.text.data[off] = '\0';
    return attr;
}

/* A ";" chunk: its "," pieces in order, each judged knowing the next. */
static int mueller_chunk(freedict *fd, const char *s, size_t n, const unsigned char *marks,
                         sense_state *st)
{
    size_t pos = 0, start, len, prev = 0, prev_len = 0;
    int pending = 0;
    st->head = 0;
    while (!st->example && dpl__dict_next_piece(s, n, marks, ",", &pos, &start, &len)) {
        if (pending)
            DPL_TRY(mueller_piece(fd, s + prev, prev_len, marks + prev,
                                  describes(fd, s + start, len, marks + start), st));
        prev = start;
        prev_len = len;
        pending = 1;
    }
    if (pending && !st->example) /* the last piece, when no example came before it */
        DPL_TRY(mueller_piece(fd, s + prev, prev_len, marks + prev, 0, st));
    return DPL_OK;
}

/* The sense in fd->sense, of the given kind; see the section comment. */
static int mueller_sense(freedict *fd, int kind)
{
    if (kind == SENSE_LETTERED && fd->example)
        return DPL_OK;
    const char *s = fd->sense.data;
    size_t n = fd->sense.len;
    DPL_TRY(dpl__dict_mark(&fd->sc, s, n, MUELLER_BRACKETS));
    const unsigned char *marks = fd->sc.marks;
    sense_state st = {.example = is_attributive(fd, s, n, marks)};
    size_t pos = 0, start, len;
    while (!st.example && dpl__dict_next_piece(s, n, marks, ";", &pos, &start, &len))
        DPL_TRY(mueller_chunk(fd, s + start, len, marks + start, &st));
    if (kind != SENSE_LETTERED)
        fd->example = st.example;
    fd->rank += st.emitted > 0;
    return DPL_OK;
}

/* A wrapped line goes on after a space, or glued where it broke after a hyphen inside a
 * word ("светло-" / "голубой"). */
static int join_line(dpl__buf *b, const char *s, size_t n)
{
    int glued = b->len >= 2 && b->data[b->len - 1] == '-' &&
                (unsigned char)b->data[b->len - 2] >= 0x80 && (unsigned char)s[0] >= 0x80;
    if (!glued)
        DPL_TRY(dpl__buf_putc(b, ' '));
    return dpl__buf_append(b, s, n);
}

/* The body after the headword line: lines joined into senses, each sense read whole. */
static int mueller_body(freedict *fd, dpl__dict_lines *it)
{
    int kind = SENSE_FIRST, open = 0;
    fd->example = 0;
    const char *s;
    size_t n;
    while (dpl__dict_next_line(it, &s, &n)) {
        size_t ind = indent_of(s, n);
        s += ind;
        n -= ind;
        while (n > 0 && s[n - 1] == ' ')
            n--;
        if (n == 0)
            continue;
        int next = SENSE_FIRST;
        size_t mark = mueller_marker(s, n, &next);
        if (open && !mark) {
            DPL_TRY(join_line(&fd->sense, s, n));
            continue;
        }
        if (open)
            DPL_TRY(mueller_sense(fd, kind));
        dpl__buf_clear(&fd->sense);
        DPL_TRY(dpl__buf_append(&fd->sense, s + mark, n - mark));
        kind = next;
        open = 1;
    }
    return open ? mueller_sense(fd, kind) : DPL_OK;
}

static int parse_article(freedict *fd, const char *data, const article *a)
{
    dpl__dict_lines it;
    dpl__dict_lines_init(&it, data, a->len);
    const char *s;
    size_t n;
    if (!dpl__dict_next_line(&it, &s, &n))
        return DPL_OK;
    if (fd->mueller && n > 0 && s[0] == '_')
        return DPL_OK; /* the list of labels at the start: "_a.", "_воен." */
    if (!fd->mueller)
        n = headword_end(s, n);
    dpl__buf_clear(&fd->sc.text);
    DPL_TRY(dpl__dict_mark(&fd->sc, s, n, FD_BRACKETS));
    DPL_TRY(dpl__dict_clean(&fd->sc, s, n, fd->sc.marks, FD_CLEAN, &fd->head_len));
    if (fd->head_len == 0)
        return DPL_OK;
    fd->head_off = 0;
    fd->rank = 0;
    fd->line = a->line;
    return fd->mueller ? mueller_body(fd, &it) : article_body(fd, &it);
}

/* ---- files -------------------------------------------------------------------------- */

/* NAME.dict.dz beside NAME.index, or NAME.dict when there is no .dz. */
static char *dict_path_for(const char *index_path)
{
    size_t n = strlen(index_path);
    if (n > 6 && strcmp(index_path + n - 6, ".index") == 0)
        n -= 6;
    char *p = malloc(n + sizeof ".dict.dz");
    if (!p)
        return NULL;
    memcpy(p, index_path, n);
    strcpy(p + n, ".dict.dz");
    struct stat st;
    if (stat(p, &st) != 0) {
        strcpy(p + n, ".dict");
        if (stat(p, &st) != 0)
            strcpy(p + n, ".dict.dz"); /* name the usual one in the error */
    }
    return p;
}

static int set_langs(freedict *fd, const char *path)
{
    char from[4], to[4];
    if (!dpl__dict_freedict_langs(path, from, to)) {
        dpl__dict_msg(fd->msg, fd->msg_cap,
                      "%s: no language pair in the name (want freedict-XXX-YYY.index or "
                      "mueller7.index)", path);
        return DPL_EFORMAT;
    }
    int from_eng = strcmp(from, "eng") == 0, to_eng = strcmp(to, "eng") == 0;
    if (from_eng && to_eng) {
        dpl__dict_msg(fd->msg, fd->msg_cap, "%s: the pair %s-%s translates English into "
                      "itself", path, from, to);
        return DPL_EFORMAT;
    }
    fd->inverted = from_eng;
    memcpy(fd->lang, from_eng ? to : from, 4);
    memcpy(fd->target, from_eng || to_eng ? "eng" : to, 4);
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    fd->mueller = is_mueller(base, strlen(base));
    return DPL_OK;
}

/* The articles in file order, so that the .dict is read front to back once. */
static int parse_files(freedict *fd, dpl__dict_stream *index, dpl__dict_stream *dict)
{
    article *list;
    size_t count;
    DPL_TRY(read_index(fd, index, &list, &count));
    int rc = DPL_OK;
    for (size_t i = 0; i < count && rc == DPL_OK; i++) {
        const char *data;
        rc = dpl__dict_stream_get(dict, list[i].off, list[i].len, &data);
        if (rc == DPL_EEOF) {
            dpl__dict_bad_line(fd->stats, list[i].line,
                               "offset and length point past the end of the .dict file");
            rc = DPL_OK;
        } else if (rc == DPL_OK) {
            rc = parse_article(fd, data, &list[i]);
        }
    }
    free(list);
    if (rc == DPL_OK && fd->stats->entries == 0) {
        if (fd->stats->bad_lines)
            dpl__dict_msg(fd->msg, fd->msg_cap, "%s:%zu: no usable entry (here: %s)", fd->path,
                          fd->stats->first_bad_line, fd->stats->bad_reason);
        else
            dpl__dict_msg(fd->msg, fd->msg_cap, "%s: no usable entry", fd->path);
        rc = DPL_EFORMAT;
    }
    return rc;
}

int dpl__dict_parse_freedict(const char *index_path, dpl__dict_sink sink, void *user,
                             dpl__dict_stats *stats, char *msg, size_t msg_cap)
{
    dpl__dict_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!index_path || !sink)
        return DPL_EINVAL;
    freedict fd = {.path = index_path, .sink = sink, .user = user, .stats = stats,
                   .msg = msg, .msg_cap = msg_cap};
    DPL_TRY(set_langs(&fd, index_path));
    char *dict_path = dict_path_for(index_path);
    if (!dict_path)
        return DPL_ENOMEM;
    dpl__dict_stream index, dict = {.fd = -1};
    int rc = dpl__dict_stream_open(&index, index_path, msg, msg_cap);
    if (rc == DPL_OK)
        rc = dpl__dict_stream_open(&dict, dict_path, msg, msg_cap);
    if (rc == DPL_OK)
        rc = parse_files(&fd, &index, &dict);
    dpl__dict_scratch_free(&fd.sc);
    dpl__buf_free(&fd.sense);
    dpl__dict_stream_close(&index);
    dpl__dict_stream_close(&dict);
    free(dict_path);
    return rc;
}
