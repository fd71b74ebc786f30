"""The Python binding of doppel's persistent index (python/doppel) against libdoppel.so."""
import json
import os
import random
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import doppel

HERE = os.path.dirname(os.path.abspath(__file__))
INGEST = os.path.join(HERE, os.pardir, "examples", "ingest.py")

# 65 words. Changing the last word changes 1 of its 61 word 5-grams, so the copy stays
# well above 0.8 (true Jaccard 60/62 = 0.97); a change in the middle changes 5 (56/66 =
# 0.85, which a 128-value MinHash estimate may put on either side of 0.8).
PARAGRAPH = ("The harbour town woke slowly that morning as the fishing boats returned with "
             "modest catches and gulls circled above the market square where traders "
             "unpacked crates of apples, pears and cabbages, while the baker on the corner "
             "sold warm bread to dock workers who talked about the storm forecast for the "
             "weekend and wondered whether the ferry to the island would still sail on "
             "Sunday.")
NEAR_END = PARAGRAPH.replace("Sunday", "Monday")
NEAR_MIDDLE = PARAGRAPH.replace("crates", "boxes")
EXACT_COPY = PARAGRAPH.upper().replace(",", " ;")  # the same after normalization
UNRELATED = ("Quarterly revenue at the software company rose by eleven percent, driven by "
             "subscriptions to its cloud accounting service, although the chief financial "
             "officer warned investors that hiring costs and a weaker currency would weigh "
             "on margins during the second half of the fiscal year, and the board approved "
             "a modest buyback programme alongside an unchanged dividend for shareholders "
             "who had expected more ambitious plans.")


def ids(matches):
    return [m.id for m in matches]


@pytest.fixture
def index():
    with doppel.Index() as ix:
        yield ix


def test_exact_and_near_duplicates_found_on_add_and_query(index):
    assert index.add("p", PARAGRAPH) == []
    [exact] = index.add("copy", EXACT_COPY)
    assert (exact.id, exact.kind, exact.score) == ("p", "exact", 1.0)
    near = index.add("near", NEAR_END)
    assert [(m.id, m.kind) for m in near] == [("p", "near"), ("copy", "near")]
    assert all(0.8 <= m.score < 1 for m in near)
    assert index.add("other", UNRELATED) == []
    index.commit()
    assert ids(index.query(NEAR_END)) == ["near", "p", "copy"]
    assert index.query("An unrelated sentence about the weather in the mountains.") == []


def test_matches_ordered_exact_first_then_by_falling_score():
    with doppel.Index(threshold=0.5) as ix:
        for doc_id, text in [("middle", NEAR_MIDDLE), ("end", NEAR_END), ("p", PARAGRAPH)]:
            ix.add(doc_id, text)
        ix.commit()
        found = ix.query(PARAGRAPH)
    assert [(m.id, m.kind) for m in found] == [("p", "exact"), ("end", "near"),
                                               ("middle", "near")]
    assert found[1].score > found[2].score >= 0.5


def test_query_sees_committed_documents_only(index):
    index.add("p", PARAGRAPH)
    assert index.query(PARAGRAPH) == [] and "p" not in index and len(index) == 0
    index.commit()
    assert ids(index.query(PARAGRAPH)) == ["p"] and "p" in index and len(index) == 1


def test_duplicate_id_raises_committed_or_not(index):
    index.add("p", PARAGRAPH)
    with pytest.raises(doppel.DuplicateIdError) as err:
        index.add("p", UNRELATED)
    assert err.value.name == "DPL_EDUPID" and "'p'" in str(err.value)
    index.commit()
    with pytest.raises(doppel.DuplicateIdError):
        index.add("p", UNRELATED)
    assert len(index) == 1


def test_remove_then_query_no_longer_finds_it(index):
    index.add("p", PARAGRAPH)
    index.add("other", UNRELATED)
    index.commit()
    index.remove("p")
    assert ids(index.query(PARAGRAPH)) == ["p"]  # until the removal is committed
    index.commit()
    assert index.query(PARAGRAPH) == [] and "p" not in index and len(index) == 1
    with pytest.raises(KeyError):
        index.remove("p")
    index.add("p", NEAR_END)  # the id is free again
    assert ids(index.add("p2", PARAGRAPH)) == ["p"]


def test_persists_across_close_and_reopen(tmp_path):
    path = tmp_path / "idx"
    with doppel.Index(path) as ix:
        ix.add("p", PARAGRAPH)
        ix.add("other", UNRELATED)
    with doppel.Index(path, create=False) as ix:
        assert "p" in ix and "other" in ix and len(ix) == 2
        assert ids(ix.query(NEAR_END)) == ["p"]
        assert ix.stats()["bytes"] > 0


def test_close_rolls_back_uncommitted_writes(tmp_path):
    path = tmp_path / "idx"
    with doppel.Index(path) as ix:
        ix.add("kept", PARAGRAPH)
    ix = doppel.Index(path)
    ix.add("lost", UNRELATED)
    ix.remove("kept")
    ix.close()
    with doppel.Index(path) as ix:
        assert "kept" in ix and "lost" not in ix and len(ix) == 1


def test_context_manager_rolls_back_when_the_block_raises(tmp_path):
    path = tmp_path / "idx"
    with pytest.raises(RuntimeError):
        with doppel.Index(path) as ix:
            ix.add("p", PARAGRAPH)
            raise RuntimeError("ingest failed")
    assert ix.closed
    with doppel.Index(path) as ix:
        assert len(ix) == 0


def test_settings_reach_the_library():
    # Every field set through the ctypes mirror of dpl_options comes back in the stats,
    # so a misplaced field would show here.
    with doppel.Index(threshold=0.5, num_perm=64, bands=16, rows=4, seed=42, ngram=3,
                      char_ngrams=True) as ix:
        st = ix.stats()
    assert (st["num_perm"], st["bands"], st["rows"], st["ngram"], st["threshold"]) == \
        (64, 16, 4, 3, 0.5)
    assert st["settings"]["seed"] == "42" and st["settings"]["unit"] == "chars"
    assert st["documents"] == 0


def test_reopen_with_other_settings_is_refused(tmp_path):
    path = tmp_path / "idx"
    with doppel.Index(path, num_perm=128):
        pass
    with pytest.raises(doppel.IncompatibleIndexError) as err:
        doppel.Index(path, num_perm=64)
    assert "num_perm" in str(err.value) and err.value.name == "DPL_EINCOMPATIBLE"
    with doppel.Index(path) as ix:  # no settings given: the stored ones
        assert ix.stats()["num_perm"] == 128


def test_reopen_with_another_threshold_filters_matches(tmp_path):
    path = tmp_path / "idx"
    with doppel.Index(path) as ix:
        ix.add("p", PARAGRAPH)
        [near] = ix.add("near", NEAR_END)
    stricter = (near.score + 1) / 2
    with doppel.Index(path, threshold=stricter) as ix:
        assert ix.stats()["threshold"] == stricter
        assert ids(ix.query(NEAR_END)) == ["near"]


def test_garbage_data_file_is_not_an_index_and_is_left_alone(tmp_path):
    path = tmp_path / "idx"
    path.mkdir()
    garbage = b"this is not an LMDB file " * 1000
    (path / "data.mdb").write_bytes(garbage)
    with pytest.raises(doppel.NotAnIndexError) as err:
        doppel.Index(path)
    assert err.value.name == "DPL_ENOTINDEX" and str(err.value)
    assert (path / "data.mdb").read_bytes() == garbage


def test_missing_index_without_create(tmp_path):
    with pytest.raises(doppel.NoSuchIndexError) as err:
        doppel.Index(tmp_path / "absent", create=False)
    assert isinstance(err.value, FileNotFoundError) and "absent" in str(err.value)
    with pytest.raises(FileNotFoundError):
        doppel.Index(tmp_path / "absent", readonly=True)
    assert not (tmp_path / "absent").exists()


def test_in_memory_indexes_are_separate():
    with doppel.Index() as a, doppel.Index() as b:
        a.add("p", PARAGRAPH)
        a.commit()
        assert ids(a.query(PARAGRAPH)) == ["p"] and len(a) == 1
        assert b.query(PARAGRAPH) == [] and len(b) == 0
        assert a.path is None


def test_readonly_index_refuses_writes(tmp_path):
    path = tmp_path / "idx"
    with doppel.Index(path) as ix:
        ix.add("p", PARAGRAPH)
    with doppel.Index(path, readonly=True) as ix:
        assert ids(ix.query(NEAR_END)) == ["p"] and "p" in ix
        with pytest.raises(doppel.ReadOnlyIndexError):
            ix.add("q", UNRELATED)
        with pytest.raises(doppel.ReadOnlyIndexError):
            ix.remove("p")
        assert len(ix) == 1


def test_bad_arguments(index):
    with pytest.raises(doppel.EmptyDocumentError) as err:
        index.add("blank", " \t ... -- \n")
    assert isinstance(err.value, ValueError)
    with pytest.raises(ValueError) as err:
        index.add("nul", "a text with a NUL \0 byte")
    assert err.value.name == "DPL_ENUL"
    with pytest.raises(doppel.InvalidArgumentError):
        index.add("", PARAGRAPH)
    with pytest.raises(TypeError):
        index.add(1, PARAGRAPH)
    index.commit()
    assert len(index) == 0  # none of them was added
    index.close()
    with pytest.raises(ValueError, match="closed"):
        index.query(PARAGRAPH)
    index.close()  # twice is harmless


def test_bytes_ids_and_texts_round_trip(index):
    raw_id = b"doc-\xff\xfe"  # not UTF-8: comes back as surrogate escapes
    index.add(raw_id, PARAGRAPH.encode())
    index.add("caf\u00e9", UNRELATED)
    index.commit()
    [match] = index.query(PARAGRAPH)
    assert match.id.encode("utf-8", "surrogateescape") == raw_id
    assert match.id in index and raw_id in index and "caf\u00e9".encode() in index
    index.remove(match.id)
    index.commit()
    assert raw_id not in index


def corpus(n_families, seed=7):
    """Families of a 50-word base text, a copy with its last word changed (near) and a
    copy in capitals (exact), over a shared vocabulary."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(3000)]
    docs = []
    for f in range(n_families):
        words = rng.choices(vocab, k=50)
        docs.append((f"f{f}", " ".join(words)))
        docs.append((f"f{f}-near", " ".join(words[:-1] + ["changed"])))
        docs.append((f"f{f}-exact", " ".join(words).upper()))
    return docs


def test_concurrent_queries_match_sequential_ones(index):
    docs = corpus(60)
    for doc_id, text in docs:
        index.add(doc_id, text)
    index.commit()
    texts = [text for _, text in docs] + [UNRELATED]
    expected = [index.query(t) for t in texts]
    assert sum(len(e) for e in expected) >= 2 * len(docs)  # each finds its two relatives

    # Meanwhile another thread adds a copy of every text without committing: were the
    # queries to see uncommitted documents, their answers would change.
    stop = threading.Event()

    def write_copies():
        for i, text in enumerate(texts):
            if stop.is_set():
                break
            index.add(f"copy-{i}", text)
        stop.wait()
        index.commit()  # in this thread: the transaction is bound to it

    def run(order):
        return {i: index.query(texts[i]) for i in order}

    orders = [random.Random(s).sample(range(len(texts)), len(texts)) for s in range(16)]
    writer = threading.Thread(target=write_copies)
    writer.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(run, orders))
    finally:
        stop.set()
        writer.join()
    for answer in answers:
        assert [answer[i] for i in range(len(texts))] == expected
    assert "copy-0" in index and ids(index.query(texts[0]))[0] == "f0"


def test_writes_between_commits_stay_in_one_thread(index):
    index.add("p", PARAGRAPH)
    with ThreadPoolExecutor(max_workers=1) as pool:
        with pytest.raises(doppel.WrongThreadError, match="another thread"):
            pool.submit(index.add, "other", UNRELATED).result()
        index.commit()
        assert pool.submit(index.add, "other", UNRELATED).result() == []
        with pytest.raises(doppel.WrongThreadError, match="another thread"):
            index.close()  # only the owner can release LMDB's write lock
        pool.submit(index.commit).result()
    assert "p" in index and "other" in index


def run_ingest(index_path, lines, *args):
    env = dict(os.environ, PYTHONPATH=os.path.join(HERE, os.pardir))
    proc = subprocess.run([sys.executable, INGEST, str(index_path), *args],
                          input="".join(lines), capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_ingest_example(tmp_path):
    docs = corpus(20)
    lines = [json.dumps({"id": i, "text": t}) + "\n" for i, t in docs]
    lines += [json.dumps({"id": "f0", "text": UNRELATED}) + "\n",  # an id seen before
              json.dumps({"id": "blank", "text": "  "}) + "\n",
              "not json\n"]
    out = run_ingest(tmp_path / "idx", lines, "--commit-every", "7")
    assert len(out) == len(lines)
    by_id = {o["id"]: o for o in out[:len(docs)]}
    assert by_id["f3"] == {"id": "f3", "status": "added", "duplicates": []}
    assert [d["id"] for d in by_id["f3-near"]["duplicates"]] == ["f3"]
    assert [(d["id"], d["kind"]) for d in by_id["f3-exact"]["duplicates"]] == \
        [("f3", "exact"), ("f3-near", "near")]
    assert [o["status"] for o in out[len(docs):]] == ["error"] * 3
    assert out[len(docs)]["error"] == "DPL_EDUPID"
    with doppel.Index(tmp_path / "idx", readonly=True) as ix:
        assert len(ix) == len(docs)
    # a second run against the same index finds the archived copies
    again = run_ingest(tmp_path / "idx", [json.dumps({"id": "new", "text": docs[0][1]})])
    assert [d["id"] for d in again[0]["duplicates"]] == ["f0", "f0-exact", "f0-near"]
