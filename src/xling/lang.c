/* Language codes: what records and users write ("de", "deu", "ger", "zh-CN") to the ISO
 * 639-3 codes the cross-lingual family works with. */
#include "xling/xling.h"

#include <string.h>

/* ISO 639-3 from what records say: "de", "deu", "ger", "zh-CN", "zho-CN", "en_US"... */
void dpl__lang_code(const char *given, char lang[4])
{
    static const char *const map[][2] = {
        {"en", "eng"}, {"de", "deu"}, {"fr", "fra"}, {"es", "spa"}, {"it", "ita"},
        {"ru", "rus"}, {"bg", "bul"}, {"zh", "zho"}, {"ja", "jpn"}, {"pt", "por"},
        {"nl", "nld"}, {"pl", "pol"}, {"sv", "swe"}, {"da", "dan"}, {"fi", "fin"},
        {"el", "ell"}, {"cs", "ces"}, {"uk", "ukr"}, {"sr", "srp"}, {"hr", "hrv"},
        {"tr", "tur"}, {"ar", "ara"}, {"he", "heb"}, {"hi", "hin"}, {"ko", "kor"},
        {"hu", "hun"}, {"ro", "ron"}, {"no", "nor"}, {"nb", "nob"}, {"la", "lat"},
        {"ger", "deu"}, {"fre", "fra"}, {"chi", "zho"}, {"dut", "nld"}, {"gre", "ell"},
        {"cze", "ces"}, {"rum", "ron"}, {"cmn", "zho"},
    };
    char code[4] = {0};
    size_t n = 0;
    while (given[n] && given[n] != '-' && given[n] != '_' && n < 4)
        n++;
    strcpy(lang, "und");
    if (n < 2 || n > 3)
        return;
    for (size_t i = 0; i < n; i++) {
        char ch = given[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch < 'a' || ch > 'z')
            return;
        code[i] = ch;
    }
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
        if (strcmp(code, map[i][0]) == 0) {
            strcpy(lang, map[i][1]);
            return;
        }
    }
    if (n == 3)
        memcpy(lang, code, 4);
}
