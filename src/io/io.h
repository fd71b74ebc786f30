/* Internal interface of the io family. The reader is split in two steps so that the
 * expensive one can run in parallel: dpl__reader_next_raw() cuts the next raw record out
 * of the input (sequential, cheap), dpl__parse_record() decodes it (JSON, UTF-8 checks;
 * any thread, with its own dpl__parser). */
#ifndef DPL_IO_H
#define DPL_IO_H

#include "common/common.h"

#include <stdio.h>

/* ---- byte sources: a file or stdin, decompressed when it starts with gzip or zstd magic */
typedef struct dpl__source dpl__source;
typedef enum dpl__compression { DPL__PLAIN, DPL__GZIP, DPL__ZSTD } dpl__compression;

/* fd is taken over (closed by dpl__source_close) unless it is 0 (stdin). `tee`, when not
 * NULL, receives a copy of every raw (compressed) byte read. */
int dpl__source_open(int fd, const char *name, FILE *tee, dpl__source **out);
/* A plain (uncompressed) file read from `offset` on: a piece of a split file. */
int dpl__source_open_plain_at(int fd, const char *name, uint64_t offset, dpl__source **out);
/* Reads up to `cap` decompressed bytes. *got == 0 with DPL_OK means end of input. Errors:
 * DPL_EIO, DPL_ETRUNCATED, DPL_ECORRUPT, with dpl__source_errmsg() saying more. */
int dpl__source_read(dpl__source *src, void *buf, size_t cap, size_t *got);
/* What the first bytes of a file (up to 4) say it is: gzip, zstd, or plain. */
dpl__compression dpl__detect_compression(const unsigned char *magic, size_t n);
uint64_t dpl__source_raw_consumed(const dpl__source *src);
const char *dpl__source_errmsg(const dpl__source *src);
void dpl__source_close(dpl__source *src);

/* ---- folder walking */
typedef struct dpl__walk dpl__walk;
typedef struct dpl__walk_entry {
    const char *path;  /* as opened: root joined with the relative path */
    const char *rel;   /* relative to the root; the base name when the root is a file */
    int error;         /* DPL_OK or why the entry cannot be read */
    const char *error_msg;
    uint64_t size;     /* from stat, for progress */
} dpl__walk_entry;

int dpl__walk_open(const char *root, int include_hidden, dpl__walk **out);
/* DPL_OK with *e filled, or DPL_EEOF. Valid until the next call. */
int dpl__walk_next(dpl__walk *w, dpl__walk_entry *e);
void dpl__walk_close(dpl__walk *w);

/* ---- raw records */
typedef struct dpl__raw {
    const char *data; /* the raw bytes: a JSONL line without its newline, or a whole file */
    size_t len;
    const char *source;   /* file path, or "-" */
    const char *rel;      /* path relative to the input root (text files) */
    uint32_t input;       /* index of the input path it came from */
    uint64_t line;        /* 1-based for JSONL; 0 for text files */
    uint64_t offset;      /* offset of the raw record in the decompressed stream */
    int jsonl;
    int error;            /* set when the record stands for unreadable input */
    const char *error_msg;
    int padded;           /* DPL__RAW_PADDING readable bytes follow data (any content) */
} dpl__raw;

/* What a JSON parser may read past a record's end when the record is padded: simdjson's
 * SIMDJSON_PADDING, so that it need not copy the record first. */
#define DPL__RAW_PADDING 64

int dpl__reader_next_raw(dpl_reader *r, dpl__raw *raw);
/* Bytes of input consumed so far (compressed bytes for compressed files), for progress. */
uint64_t dpl__reader_bytes_done(const dpl_reader *r);
/* Whether an input path can be opened ("-" always can); errno tells why not. */
int dpl__input_check(const char *path);
/* A piece of a plain JSONL file: the lines that start in [start, end), the first of them
 * numbered line_base + 1. A distributed run splits large files so (dist/partition.c). */
typedef struct dpl__range {
    uint64_t start, end, line_base;
} dpl__range;

/* Read this already walked file of input `input` (instead of walking the inputs added),
 * or only the piece `range` of it (NULL: the whole file): a distributed run gives each
 * process its share of the walk (dist/partition.c). */
int dpl__reader_add_entry(dpl_reader *r, uint32_t input, const dpl__walk_entry *e,
                          const dpl__range *range);
/* Re-read standard input from this file instead (a spool written during the first pass). */
int dpl__reader_replace_stdin(dpl_reader *r, const char *path);
/* Copy every raw byte read from standard input into `spool`. */
void dpl__reader_spool_stdin(dpl_reader *r, FILE *spool);
/* The format a path is read in under these options. */
int dpl__path_is_jsonl(const dpl_reader_options *o, const char *path);

/* ---- record parsing (one parser per thread) */
typedef struct dpl__parser dpl__parser;
dpl__parser *dpl__parser_create(const dpl_reader_options *opts);
void dpl__parser_free(dpl__parser *p);
/* Fill `rec` from `raw`. Never fails for bad input (rec->error says why); returns
 * DPL_ENOMEM only. rec's strings live in the parser until its next call. */
int dpl__parse_record(dpl__parser *p, const dpl__raw *raw, dpl_record *rec);
/* From now on json-c alone decodes JSONL, without simdjson's fast path (for the tests
 * that compare the two). */
void dpl__parser_disable_fast(dpl__parser *p);

#endif
