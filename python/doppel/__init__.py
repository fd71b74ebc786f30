"""doppel's persistent index from Python, through ctypes over libdoppel.so.

    import doppel
    with doppel.Index("archive.idx") as index:
        for match in index.add("doc-1", text):
            print(match.id, match.kind, match.score)

The library is found through the environment variable DOPPEL_LIBRARY (a path), then in the
source tree's build folder (build/libdoppel.so), then on the system's library path.

Ids and texts are str (encoded as UTF-8) or bytes. Ids come back as str; bytes that are
not UTF-8 come back as surrogate escapes, which encode back to the same bytes, so an id
read from a match can always be passed to remove() or `in`.
"""
import ctypes
import ctypes.util
import dataclasses
import os
import threading
import weakref

__all__ = ["Index", "Match", "Error", "DuplicateIdError", "EmptyDocumentError",
           "IncompatibleIndexError", "InvalidArgumentError", "NoSuchDocumentError",
           "NoSuchIndexError", "NotAnIndexError", "ReadOnlyIndexError"]


def _find_library():
    path = os.environ.get("DOPPEL_LIBRARY")
    if path:
        return path
    here = os.path.dirname(os.path.abspath(__file__))
    in_tree = os.path.join(here, os.pardir, os.pardir, "build", "libdoppel.so")
    if os.path.exists(in_tree):
        return in_tree
    found = ctypes.util.find_library("doppel")
    if found:
        return found
    raise ImportError("libdoppel.so not found: set DOPPEL_LIBRARY to its path, or build it "
                      "with cmake --build build (target doppel_shared)")


_lib = ctypes.CDLL(_find_library())

# ---- C declarations, mirroring include/doppel.h (x86-64 and other LP64 ABIs alike) -------


class _ReaderOptions(ctypes.Structure):
    _fields_ = [("format", ctypes.c_int),
                ("id_field", ctypes.c_char_p),
                ("text_field", ctypes.c_char_p),
                ("lang_field", ctypes.c_char_p),
                ("max_doc_bytes", ctypes.c_size_t),
                ("include_hidden", ctypes.c_int)]


class _ScriptOptions(ctypes.Structure):
    _fields_ = [("translit", ctypes.c_char_p),
                ("no_translit", ctypes.c_int),
                ("han_simplify", ctypes.c_int),
                ("segment", ctypes.c_int)]


class _Options(ctypes.Structure):
    _fields_ = [("reader", _ReaderOptions),
                ("norm_flags", ctypes.c_uint),
                ("script", _ScriptOptions),
                ("keep", ctypes.c_int),
                ("threads", ctypes.c_int),
                ("exact_only", ctypes.c_int),
                ("threshold", ctypes.c_double),
                ("shingle_unit", ctypes.c_int),
                ("ngram", ctypes.c_uint),
                ("num_perm", ctypes.c_uint),
                ("bands", ctypes.c_uint),
                ("rows", ctypes.c_uint),
                ("seed", ctypes.c_uint64),
                ("containment", ctypes.c_int),
                ("no_verify", ctypes.c_int),
                ("xling", ctypes.c_int),
                ("dict", ctypes.c_void_p),
                ("xling_threshold", ctypes.c_double),
                ("against", ctypes.c_void_p)]


class _Match(ctypes.Structure):
    _fields_ = [("id", ctypes.c_void_p),  # not NUL-terminated: read id_len bytes
                ("id_len", ctypes.c_size_t),
                ("kind", ctypes.c_int),
                ("score", ctypes.c_double)]


class _Stats(ctypes.Structure):
    _fields_ = [("documents", ctypes.c_uint64),
                ("bytes", ctypes.c_uint64),
                ("num_perm", ctypes.c_uint),
                ("bands", ctypes.c_uint),
                ("rows", ctypes.c_uint),
                ("ngram", ctypes.c_uint),
                ("threshold", ctypes.c_double),
                ("settings", ctypes.c_char * 1024)]


_INDEX_CREATE, _INDEX_READONLY = 1, 2
_SHINGLE_CHARS = 1
_KINDS = {1: "exact", 2: "near"}


def _declare(name, restype, *argtypes):
    fn = getattr(_lib, name)
    fn.restype = restype
    fn.argtypes = argtypes


_handle = ctypes.c_void_p
_bytes = ctypes.c_char_p
_size = ctypes.c_size_t
_declare("dpl_version_string", ctypes.c_char_p)
_declare("dpl_errname", ctypes.c_char_p, ctypes.c_int)
_declare("dpl_strerror", ctypes.c_char_p, ctypes.c_int)
_declare("dpl_options_init", None, ctypes.POINTER(_Options))
_declare("dpl_results_create", _handle)
_declare("dpl_results_free", None, _handle)
_declare("dpl_results_count", _size, _handle)
_declare("dpl_results_get", ctypes.c_int, _handle, _size, ctypes.POINTER(_Match))
_declare("dpl_index_open", ctypes.c_int, _bytes, ctypes.POINTER(_Options), ctypes.c_uint,
         ctypes.POINTER(_handle), ctypes.c_char_p, _size)
_declare("dpl_index_close", None, _handle)
_declare("dpl_index_add", ctypes.c_int, _handle, _bytes, _size, _bytes, _size, _handle)
_declare("dpl_index_query", ctypes.c_int, _handle, _bytes, _size, _handle)
_declare("dpl_index_contains", ctypes.c_int, _handle, _bytes, _size)
_declare("dpl_index_remove", ctypes.c_int, _handle, _bytes, _size)
_declare("dpl_index_commit", ctypes.c_int, _handle)
_declare("dpl_index_stats_get", ctypes.c_int, _handle, ctypes.POINTER(_Stats))
_declare("dpl_struct_size", _size, ctypes.c_char_p)


def _check_layouts():
    """The structures above are copies of the header's: a copy of another size than the
    library's would have C write past it, so refuse to load instead."""
    for name, mirror in [("dpl_options", _Options), ("dpl_reader_options", _ReaderOptions),
                         ("dpl_script_options", _ScriptOptions), ("dpl_match", _Match),
                         ("dpl_index_stats", _Stats)]:
        theirs = _lib.dpl_struct_size(name.encode())
        if theirs != ctypes.sizeof(mirror):
            raise ImportError(f"doppel: this binding's {name} is {ctypes.sizeof(mirror)} "
                              f"bytes, the library's ({_lib._name}) {theirs}: the binding "
                              f"and the library are of different versions")


_check_layouts()

__version__ = _lib.dpl_version_string().decode()

# ---- errors ------------------------------------------------------------------------------


class Error(Exception):
    """A doppel error: `code` (negative), `name` ("DPL_EDUPID") and `message`."""

    def __init__(self, code, name, message):
        super().__init__(message)
        self.code, self.name, self.message = code, name, message

    def __str__(self):  # KeyError, a base of some subclasses, would print the repr
        return self.message


class DuplicateIdError(Error, ValueError):
    """add(): a document with this id is already indexed (DPL_EDUPID)."""


class EmptyDocumentError(Error, ValueError):
    """add(): no text is left after normalization (DPL_EEMPTY); nothing was added."""


class InvalidArgumentError(Error, ValueError):
    """An empty or too long id, settings the index cannot hold (DPL_EINVAL), or a text
    with a NUL byte (DPL_ENUL)."""


class WrongThreadError(Error):
    """A write, commit or close from a thread other than the one whose uncommitted
    writes are pending (DPL_ETHREAD): LMDB binds a write transaction to its thread."""


class IndexFullError(Error):
    """One transaction outgrew the index's map (DPL_EINDEXFULL); it was rolled back.
    Commit more often."""


class NoSuchDocumentError(Error, KeyError):
    """remove(): no document has this id (DPL_ENOENT)."""


class NoSuchIndexError(Error, FileNotFoundError):
    """Index(create=False) or Index(readonly=True) on a path without an index."""


class NotAnIndexError(Error):
    """The path holds something else, or a damaged index (DPL_ENOTINDEX)."""


class IncompatibleIndexError(Error):
    """The index was built with other settings or library versions (DPL_EINCOMPATIBLE)."""


class ReadOnlyIndexError(Error):
    """A write on an index opened with readonly=True (DPL_EREADONLY)."""


# Codes are read from the library, not copied from the header, so they cannot drift.
_CODES = {name: c for c in range(-100, 0)
          if (name := _lib.dpl_errname(c).decode()).startswith("DPL_E")}
_CLASSES = {_CODES["DPL_E" + name]: cls for name, cls in [
    ("DUPID", DuplicateIdError), ("EMPTY", EmptyDocumentError),
    ("NUL", InvalidArgumentError), ("INVAL", InvalidArgumentError),
    ("NOENT", NoSuchDocumentError),
    ("NOTINDEX", NotAnIndexError), ("INCOMPATIBLE", IncompatibleIndexError),
    ("READONLY", ReadOnlyIndexError), ("THREAD", WrongThreadError),
    ("INDEXFULL", IndexFullError)]}


def _error(code, message=None, classes=None):
    cls = (classes or {}).get(code) or _CLASSES.get(code, Error)
    return cls(code, _lib.dpl_errname(code).decode(),
               message or _lib.dpl_strerror(code).decode())


def _check(code, message=None):
    if code < 0:
        raise _error(code, message)
    return code


# ---- conversions -------------------------------------------------------------------------


def _encode(value, what, errors="strict"):
    if isinstance(value, str):
        return value.encode("utf-8", errors)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")


def _encode_id(doc_id):
    return _encode(doc_id, "id", "surrogateescape")


@dataclasses.dataclass(frozen=True)
class Match:
    """A duplicate found in the index: its id, "exact" or "near", and its score (1 for
    exact copies, the MinHash estimate of the Jaccard similarity for near ones)."""
    id: str
    kind: str
    score: float


def _matches(results):
    """Copy a dpl_results into Matches; its ids are valid only until its next use."""
    out, m = [], _Match()
    for i in range(_lib.dpl_results_count(results)):
        _check(_lib.dpl_results_get(results, i, ctypes.byref(m)))
        doc_id = ctypes.string_at(m.id, m.id_len).decode("utf-8", "surrogateescape")
        out.append(Match(doc_id, _KINDS.get(m.kind, str(m.kind)), m.score))
    return out


def _options(threshold, num_perm, bands, rows, seed, ngram, char_ngrams):
    # None (and 0) means "the default" for a new index and "whatever it stores" for an
    # existing one, as in the C API. The slack after the struct keeps dpl_options_init()
    # within bounds should the library's dpl_options have grown past this mirror
    # (from_buffer keeps the buffer alive with the struct).
    opts = _Options.from_buffer(ctypes.create_string_buffer(ctypes.sizeof(_Options) + 1024))
    _lib.dpl_options_init(opts)
    opts.threshold = threshold or 0
    for field, value in [("num_perm", num_perm), ("bands", bands), ("rows", rows),
                         ("seed", seed), ("ngram", ngram)]:
        setattr(opts, field, value or 0)
    if char_ngrams:
        opts.shingle_unit = _SHINGLE_CHARS
    return opts


def _open(path, opts, flags):
    handle, msg = _handle(), ctypes.create_string_buffer(1024)
    rc = _lib.dpl_index_open(path, opts, flags, ctypes.byref(handle), msg, len(msg))
    if rc < 0:
        text = msg.value.decode("utf-8", "replace") or None
        raise _error(rc, text, {_CODES["DPL_ENOENT"]: NoSuchIndexError})
    return handle.value


def _release(handle, results):
    _lib.dpl_results_free(results)
    _lib.dpl_index_close(handle)


# ---- the index ---------------------------------------------------------------------------


class Index:
    """A persistent index of documents (an LMDB folder), or an in-memory one (path None).

    Settings left None are the library's defaults for a new index, and the stored ones for
    an existing index; a setting given that differs from the stored one raises
    IncompatibleIndexError, except `threshold`, which only filters matches. char_ngrams
    compares character n-grams instead of word n-grams. create=True makes the index (and
    its folder) when absent; readonly=True opens an existing index for queries only.

    Writes (add, remove) go into one transaction that commit() makes durable; close()
    rolls back what is not committed. `in`, len() and query() see committed documents
    only, while add() also sees this handle's uncommitted adds (DuplicateIdError, and
    duplicates among them). As a context manager the index commits on a normal exit and
    rolls back when the block raises, then closes.

    Threads: query(), `in`, len() and stats() may run in any number of threads at once,
    also while another thread writes. LMDB binds a write transaction to the thread that
    began it, so the writes between two commits, that commit, and a close() that rolls
    them back, come from one thread; from another they raise WrongThreadError.
    close() must not run while other threads still use the index. Open a path once per
    process (LMDB's rule); other processes may open it too, their writers waiting for
    this one's commit.
    """

    def __init__(self, path=None, create=True, readonly=False, threshold=None,
                 num_perm=None, bands=None, rows=None, seed=None, ngram=None,
                 char_ngrams=False):
        opts = _options(threshold, num_perm, bands, rows, seed, ngram, char_ngrams)
        flags = _INDEX_READONLY if readonly else (_INDEX_CREATE if create else 0)
        self.path = path
        self._write_lock = threading.Lock()  # also guards the shared add results
        self._writer = None  # the thread whose writes await a commit, as far as we know
        self._handle = _open(None if path is None else os.fsencode(path), opts, flags)
        self._results = _lib.dpl_results_create()  # reused by every add, under the lock
        self._finalizer = weakref.finalize(self, _release, self._handle, self._results)
        if not self._results:
            self._finalizer()
            raise MemoryError("dpl_results_create")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None and not self.closed:
                self.commit()
        finally:
            self.close()

    def __repr__(self):
        state = "closed" if self.closed else "open"
        return f"<doppel.Index {self.path!r} {state}>"

    @property
    def closed(self):
        return not self._finalizer.alive

    def close(self):
        """Close the index, rolling back uncommitted writes. Closing twice is harmless.
        Refused while the uncommitted writes belong to another live thread: LMDB's write
        lock can only be released by its owner, and left taken it would stall every
        other process's writer."""
        with self._write_lock:
            if self._writer not in (None, threading.current_thread()) and \
                    self._writer.is_alive():
                raise self._wrong_thread()
            self._finalizer()

    def _live(self):
        if self.closed:
            raise ValueError("operation on a closed doppel.Index")
        return self._handle

    def _wrong_thread(self):
        return _error(_CODES["DPL_ETHREAD"],
                      f"this index's uncommitted writes belong to another thread "
                      f"({self._writer.name}): LMDB binds a write transaction to the "
                      f"thread that began it, so commit in that thread first")

    def _write(self, fn, *args):
        """Call a write function, under the lock; its code. A write from a thread other
        than the transaction's is refused (DPL_ETHREAD): say which thread has it."""
        me = threading.current_thread()
        rc = fn(self._live(), *args)
        if rc == _CODES["DPL_ETHREAD"]:
            raise self._wrong_thread()
        if rc in (_CODES["DPL_ELMDB"], _CODES["DPL_EINDEXFULL"], _CODES["DPL_EREADONLY"]):
            self._writer = None  # no transaction: rolled back by the failure, or none
        elif rc != _CODES["DPL_EINVAL"]:
            self._writer = me
        return rc

    def add(self, doc_id, text):
        """Index a document; returns its duplicates among the indexed documents (this
        handle's uncommitted adds included), exact ones first, then by falling score."""
        key, data = _encode_id(doc_id), _encode(text, "text")
        with self._write_lock:
            rc = self._write(_lib.dpl_index_add, key, len(key), data, len(data),
                             self._results)
            if rc == _CODES["DPL_EDUPID"]:
                raise _error(rc, f"duplicate document id {doc_id!r}")
            _check(rc)
            return _matches(self._results)

    def query(self, text):
        """The duplicates a text has among the committed documents, without adding it."""
        data = _encode(text, "text")
        results = _lib.dpl_results_create()  # one per call: queries run in many threads
        if not results:
            raise MemoryError("dpl_results_create")
        try:
            _check(_lib.dpl_index_query(self._live(), data, len(data), results))
            return _matches(results)
        finally:
            _lib.dpl_results_free(results)

    def remove(self, doc_id):
        """Remove a document; raises NoSuchDocumentError (a KeyError) when absent."""
        key = _encode_id(doc_id)
        with self._write_lock:
            rc = self._write(_lib.dpl_index_remove, key, len(key))
        if rc == _CODES["DPL_ENOENT"]:
            raise _error(rc, f"no document with id {doc_id!r}")
        _check(rc)

    def commit(self):
        """Make this handle's adds and removes durable and visible to other handles."""
        with self._write_lock:
            rc = self._write(_lib.dpl_index_commit)
            self._writer = None  # committed, or rolled back by the failure
            _check(rc)

    def __contains__(self, doc_id):
        """Whether a document with this id is committed."""
        key = _encode_id(doc_id)
        return _check(_lib.dpl_index_contains(self._live(), key, len(key))) == 1

    def __len__(self):
        """The number of committed documents."""
        return self.stats()["documents"]

    def stats(self):
        """documents, bytes (of the data file), num_perm, bands, rows, ngram, threshold,
        and settings: every stored setting and version as a dict of strings."""
        st = _Stats()
        _check(_lib.dpl_index_stats_get(self._live(), ctypes.byref(st)))
        out = {name: getattr(st, name) for name, _ in _Stats._fields_[:-1]}
        out["settings"] = _parse_settings(st.settings.decode("utf-8", "replace"))
        return out


def _parse_settings(text):
    # one "key=value" a line; a value may hold spaces ("Any-Latin; Latin-ASCII")
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
