/* Per-document language identification: CLD2 on a bounded prefix, ISO 639-3 codes, and
 * a script rule for texts CLD2 cannot place. The C++ calls live in langid_cld2.cc.
 *
 * The prefix is cut back to a character boundary, then anything CLD2 would refuse
 * (invalid UTF-8, control characters, noncharacters) is blanked in a copy on the stack:
 * CLD2 gives up on the whole text at the first such byte, and a stray vertical tab should
 * not make a document's language unknown. */
#include "xling/langid.h"

#include "common/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

/* CLD2 keeps no state between calls, so neither does the handle: it holds the bound on
 * what is read, at most DPL__LANGID_MAX_BYTES (the size of the repair buffer). */
struct dpl__langid {
    size_t max_bytes;
};

/* ---- CLD2's codes to ISO 639-3 ---------------------------------------------------- */

/* Every two-letter code CLD2 answers, sorted, with its ISO 639-3 code; ISO 639-1 codes of
 * macrolanguages map to the macrolanguage ("ms" msa, "fa" fas), and CLD2's withdrawn
 * codes (iw, jw) to today's. "bh" (Bihari) is a collective code that ISO 639-3 lacks, so
 * it maps to "und". */
static const char iso639_1[][2][4] = {
    {"aa", "aar"}, {"ab", "abk"}, {"af", "afr"}, {"ak", "aka"}, {"am", "amh"}, {"ar", "ara"},
    {"as", "asm"}, {"ay", "aym"}, {"az", "aze"}, {"ba", "bak"}, {"be", "bel"}, {"bg", "bul"},
    {"bh", "und"}, {"bi", "bis"}, {"bn", "ben"}, {"bo", "bod"}, {"br", "bre"}, {"bs", "bos"},
    {"ca", "cat"}, {"co", "cos"}, {"cs", "ces"}, {"cy", "cym"}, {"da", "dan"}, {"de", "deu"},
    {"dv", "div"}, {"dz", "dzo"}, {"ee", "ewe"}, {"el", "ell"}, {"en", "eng"}, {"eo", "epo"},
    {"es", "spa"}, {"et", "est"}, {"eu", "eus"}, {"fa", "fas"}, {"fi", "fin"}, {"fj", "fij"},
    {"fo", "fao"}, {"fr", "fra"}, {"fy", "fry"}, {"ga", "gle"}, {"gd", "gla"}, {"gl", "glg"},
    {"gn", "grn"}, {"gu", "guj"}, {"gv", "glv"}, {"ha", "hau"}, {"he", "heb"}, {"hi", "hin"},
    {"hr", "hrv"}, {"ht", "hat"}, {"hu", "hun"}, {"hy", "hye"}, {"ia", "ina"}, {"id", "ind"},
    {"ie", "ile"}, {"ig", "ibo"}, {"ik", "ipk"}, {"is", "isl"}, {"it", "ita"}, {"iu", "iku"},
    {"iw", "heb"}, {"ja", "jpn"}, {"jw", "jav"}, {"ka", "kat"}, {"kk", "kaz"}, {"kl", "kal"},
    {"km", "khm"}, {"kn", "kan"}, {"ko", "kor"}, {"ks", "kas"}, {"ku", "kur"}, {"ky", "kir"},
    {"la", "lat"}, {"lb", "ltz"}, {"lg", "lug"}, {"ln", "lin"}, {"lo", "lao"}, {"lt", "lit"},
    {"lv", "lav"}, {"mg", "mlg"}, {"mi", "mri"}, {"mk", "mkd"}, {"ml", "mal"}, {"mn", "mon"},
    {"mr", "mar"}, {"ms", "msa"}, {"mt", "mlt"}, {"my", "mya"}, {"na", "nau"}, {"ne", "nep"},
    {"nl", "nld"}, {"nn", "nno"}, {"no", "nor"}, {"nr", "nbl"}, {"ny", "nya"}, {"oc", "oci"},
    {"om", "orm"}, {"or", "ori"}, {"os", "oss"}, {"pa", "pan"}, {"pl", "pol"}, {"ps", "pus"},
    {"pt", "por"}, {"qu", "que"}, {"rm", "roh"}, {"rn", "run"}, {"ro", "ron"}, {"ru", "rus"},
    {"rw", "kin"}, {"sa", "san"}, {"sd", "snd"}, {"sg", "sag"}, {"si", "sin"}, {"sk", "slk"},
    {"sl", "slv"}, {"sm", "smo"}, {"sn", "sna"}, {"so", "som"}, {"sq", "sqi"}, {"sr", "srp"},
    {"ss", "ssw"}, {"st", "sot"}, {"su", "sun"}, {"sv", "swe"}, {"sw", "swa"}, {"ta", "tam"},
    {"te", "tel"}, {"tg", "tgk"}, {"th", "tha"}, {"ti", "tir"}, {"tk", "tuk"}, {"tl", "tgl"},
    {"tn", "tsn"}, {"to", "ton"}, {"tr", "tur"}, {"ts", "tso"}, {"tt", "tat"}, {"tw", "twi"},
    {"ug", "uig"}, {"uk", "ukr"}, {"ur", "urd"}, {"uz", "uzb"}, {"ve", "ven"}, {"vi", "vie"},
    {"vo", "vol"}, {"wo", "wol"}, {"xh", "xho"}, {"yi", "yid"}, {"yo", "yor"}, {"za", "zha"},
    {"zh", "zho"}, {"zu", "zul"},
};

static int compare_code(const void *key, const void *entry)
{
    return strncmp(key, ((const char(*)[4])entry)[0], 2);
}

static int is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

/* The ISO 639-3 code for a CLD2 code, or NULL for "un", its unknown-language-in-a-script
 * codes ("xx-Hani") and its joke languages (zzb Bork, zzp Pig Latin...). */
static const char *iso639_3(const char *code)
{
    size_t len = strlen(code);
    if (len == 2 || (len > 2 && code[2] == '-')) { /* "zh-Hant", "sr-ME": the language */
        const char(*hit)[2][4] = bsearch(code, iso639_1, sizeof iso639_1 / sizeof *iso639_1,
                                         sizeof *iso639_1, compare_code);
        return hit && strcmp((*hit)[1], "und") != 0 ? (*hit)[1] : NULL;
    }
    if (len == 3 && is_lower(code[0]) && is_lower(code[1]) && is_lower(code[2]) &&
        strcmp(code, "xxx") != 0 && strncmp(code, "zz", 2) != 0)
        return code; /* CLD2's three-letter codes are ISO 639-3 ("haw", "ceb", "sco") */
    return NULL;
}

/* ---- the script rule -------------------------------------------------------------- */

/* Scripts only one language is written in, as far as a detector can tell: Yiddish,
 * rarer than Hebrew, passes for Hebrew. Han and kana are dealt with apart. */
static const struct {
    UScriptCode script;
    char lang[4];
} single_language_scripts[] = {
    {USCRIPT_HANGUL, "kor"}, {USCRIPT_GREEK, "ell"},    {USCRIPT_HEBREW, "heb"},
    {USCRIPT_THAI, "tha"},   {USCRIPT_GEORGIAN, "kat"}, {USCRIPT_ARMENIAN, "hye"},
};
#define SINGLE_LANGUAGE_SCRIPTS (sizeof single_language_scripts / sizeof *single_language_scripts)

/* A script decides when most letters are in it, and at least two: one character is no
 * evidence. */
static int decides(size_t count, size_t letters)
{
    return count >= 2 && 2 * count > letters;
}

/* The language of a text most of whose letters are in a script of one language, or
 * NULL. Japanese is told from Chinese by its kana, so Japanese without kana (a name in
 * kanji alone) passes for Chinese. */
static const char *script_language(const char *text, size_t len)
{
    size_t letters = 0, han = 0, kana = 0, counts[SINGLE_LANGUAGE_SCRIPTS] = {0};
    for (int32_t i = 0; i < (int32_t)len;) {
        UChar32 c;
        U8_NEXT(text, i, (int32_t)len, c);
        if (c < 0 || !u_isalpha(c))
            continue;
        letters++;
        UErrorCode err = U_ZERO_ERROR;
        UScriptCode sc = uscript_getScript(c, &err);
        if (sc == USCRIPT_HAN)
            han++;
        else if (sc == USCRIPT_HIRAGANA || sc == USCRIPT_KATAKANA)
            kana++;
        else
            for (size_t k = 0; k < SINGLE_LANGUAGE_SCRIPTS; k++)
                if (sc == single_language_scripts[k].script)
                    counts[k]++;
    }
    if (kana && decides(han + kana, letters))
        return "jpn";
    if (!kana && decides(han, letters))
        return "zho";
    for (size_t k = 0; k < SINGLE_LANGUAGE_SCRIPTS; k++)
        if (decides(counts[k], letters))
            return single_language_scripts[k].lang;
    return NULL;
}

/* ---- preparing the text ----------------------------------------------------------- */

/* len shortened to at most max bytes, never inside a UTF-8 sequence. */
static size_t bounded_length(const char *text, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    for (int back = 0; back < 3 && n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80; back++)
        n--; /* text[n] is a continuation byte: the cut would split a character */
    return n;
}

/* CLD2 reads a few bytes past the end it is given (its scanner looks ahead), and it is
 * not built with the sanitizers, so nothing reports it: on a caller's buffer the answer
 * then depends on whatever follows the text (found by fuzz_align: the same text detected
 * as Syriac, then as undetermined). So it always gets a copy in buf, zero-padded by
 * CLD2_PADDING bytes, with every byte CLD2 refuses turned into a space. Blanking one byte
 * at a time also breaks up a well-formed sequence for a refused code point (U+0085 is
 * C2 85: C2 goes, then the lone 85 is refused and goes). */
#define CLD2_PADDING 16

static const char *acceptable(const char *text, size_t len, char *buf)
{
    memcpy(buf, text, len);
    memset(buf + len, 0, CLD2_PADDING);
    size_t i = (size_t)dpl__cld2_valid_prefix(buf, (int)len);
    while (i < len) {
        buf[i++] = ' ';
        i += (size_t)dpl__cld2_valid_prefix(buf + i, (int)(len - i));
    }
    return buf;
}

static void set_message(char *msg, size_t msg_cap, const char *text)
{
    if (msg && msg_cap)
        snprintf(msg, msg_cap, "%s", text);
}

int dpl__langid_create(dpl__langid **out, char *msg, size_t msg_cap)
{
    static const char probe[] = "Der Hund liegt im Garten, und die Kinder backen in der "
                                "Stube einen Kuchen mit der Oma.";
    set_message(msg, msg_cap, "");
    if (!out)
        return DPL_EINVAL;
    *out = NULL;
    dpl__langid *id = calloc(1, sizeof *id);
    if (!id)
        return DPL_ENOMEM;
    id->max_bytes = DPL__LANGID_MAX_BYTES;
    char lang[4];
    int rc = dpl__langid_detect(id, probe, sizeof probe - 1, lang);
    if (rc == DPL_OK && strcmp(lang, "deu") != 0) {
        set_message(msg, msg_cap,
                    "CLD2 has no language tables: link libcld2 (tables built in), not "
                    "libcld2_dynamic without its data file");
        rc = DPL_ENOENT;
    }
    if (rc != DPL_OK) {
        free(id);
        return rc;
    }
    *out = id;
    return DPL_OK;
}

int dpl__langid_clone(const dpl__langid *proto, dpl__langid **out)
{
    if (!out)
        return DPL_EINVAL;
    *out = NULL;
    if (!proto)
        return DPL_EINVAL;
    dpl__langid *id = malloc(sizeof *id);
    if (!id)
        return DPL_ENOMEM;
    *id = *proto;
    *out = id;
    return DPL_OK;
}

void dpl__langid_free(dpl__langid *id)
{
    free(id);
}

int dpl__langid_detect(const dpl__langid *id, const char *text, size_t len, char lang[4])
{
    if (lang)
        memcpy(lang, "und", 4);
    if (!id || !lang || (!text && len))
        return DPL_EINVAL;
    char buf[DPL__LANGID_MAX_BYTES + CLD2_PADDING];
    size_t n = bounded_length(text, len, id->max_bytes);
    const char *clean = acceptable(n ? text : "", n, buf);
    const char *code = dpl__cld2_detect(clean, (int)n);
    if (!code)
        return DPL_ENOMEM;
    const char *iso = iso639_3(code);
    if (!iso)
        iso = script_language(clean, n);
    if (iso)
        memcpy(lang, iso, 4);
    return DPL_OK;
}
