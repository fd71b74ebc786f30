/* English function words, dropped from the pivot space: they carry no topic, and every
 * language's articles and prepositions map onto them through the dictionaries. Also the
 * placeholders dictionaries write in glosses ("sb", "sth"). */
#include "xling/xling.h"

#include <stdlib.h>
#include <string.h>

static const char *const stopwords[] = {
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and",
    "any", "are", "as", "at", "be", "been", "before", "being", "below", "between", "both",
    "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each",
    "etc", "etw", "few", "for", "from", "further", "had", "has", "have", "having", "he",
    "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in",
    "into", "is", "it", "its", "itself", "jdm", "jdn", "jds", "just", "me", "more", "most",
    "my", "myself", "no", "nor", "not", "of", "off", "on", "once", "one", "oneself",
    "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "s", "same",
    "sb", "she", "should", "so", "some", "somebody", "someone", "something", "sth", "such",
    "t", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "under", "until", "up",
    "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom",
    "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves",
};

static int compare_word(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

int dpl__eng_stopword(const char *word, size_t len)
{
    char key[16];
    if (len == 0 || len >= sizeof key)
        return len == 0;
    memcpy(key, word, len);
    key[len] = '\0';
    return bsearch(key, stopwords, sizeof stopwords / sizeof *stopwords, sizeof *stopwords,
                   compare_word) != NULL;
}
