/* The C++ shim over CLD2 (Compact Language Detector 2), whose API is C++ only: two
 * functions with C linkage for langid.c, which does everything else. Nothing here may
 * throw into C, so each call catches whatever CLD2 might throw (only std::bad_alloc from
 * its containers is plausible). Not part of the public API. */
#include "xling/langid.h"

#include <cstdio> /* compact_lang_det.h uses FILE without including it */

#include <cld2/internal/compact_lang_det_impl.h> /* SpanInterchangeValid */
#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

int dpl__cld2_valid_prefix(const char *text, int len)
{
    try {
        return CLD2::SpanInterchangeValid(text, len);
    } catch (...) {
        return 0;
    }
}

const char *dpl__cld2_detect(const char *text, int len)
{
    /* The extended call, unlike DetectLanguage(), answers UNKNOWN_LANGUAGE instead of
     * English when the text is too short or too mixed to tell. */
    const CLD2::CLDHints hints = {nullptr, nullptr, CLD2::UNKNOWN_ENCODING,
                                  CLD2::UNKNOWN_LANGUAGE};
    CLD2::Language top3[3];
    int percent3[3], text_bytes, valid_prefix;
    double score3[3];
    bool reliable;
    try {
        CLD2::Language lang = CLD2::ExtDetectLanguageSummaryCheckUTF8(
            text, len, true /* plain text, not HTML */, &hints, 0, top3, percent3, score3,
            nullptr, &text_bytes, &reliable, &valid_prefix);
        return CLD2::LanguageCode(lang);
    } catch (...) {
        return nullptr;
    }
}
