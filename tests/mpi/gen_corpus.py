#!/usr/bin/env python3
"""A corpus for the doppel-mpi tests, generated from a seed: JSONL files (one gzip)
and a folder of text files, with exact copies, near copies and duplicate ids spread
across files (so across processes), and the bad records a real corpus has: malformed
JSON, missing text, empty text, invalid UTF-8, blank lines, a record without an id.

usage: gen_corpus.py DIR [SEED]"""
import gzip
import json
import os
import random
import sys

WORDS = ("the a of to and in that is was he for it with as his on be at by had are but "
         "from or have an they which one you were her all she there would their we him "
         "been has when who will more no if out so said what up its about into than them "
         "can only other new some could time these two may then do first any my now such "
         "like our over man me even most made after also did many before must through "
         "back years where much your way well down should because each just those people "
         "how too little state good very make world still own see men work long get here "
         "between both life being under never day same another know while last might us "
         "great old year off come since against go came right used take three council "
         "river harbour budget minister storm vote court school bridge market railway "
         "festival hospital election museum library forest drought harvest factory").split()


def sentence(rng):
    n = rng.randint(6, 16)
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def document(rng):
    return " ".join(sentence(rng) for _ in range(rng.randint(4, 14)))


def near_copy(rng, text, rate):
    words = text.split(" ")
    out = []
    for w in words:
        r = rng.random()
        if r < rate / 3:
            continue                       # deletion
        if r < 2 * rate / 3:
            out.append(rng.choice(WORDS))  # substitution
            continue
        out.append(w)
        if r < rate:
            out.append(rng.choice(WORDS))  # insertion
    if rng.random() < 0.3:
        out.append("Subscribe to our newsletter for more.")  # boilerplate
    return " ".join(out)


def big_file(root, rng, originals):
    """One JSONL file of ~10 MB, large enough that doppel-mpi cuts it into pieces read by
    different processes: copies within it, records without an id (their default id
    names their line), blank lines, bad records, and one line of 2.3 MB, longer than a
    piece."""
    os.makedirs(os.path.join(root, "big"), exist_ok=True)
    lines, own = ["\ufeff" + json.dumps({"id": "big-first", "text": document(rng)})], []
    size = 0
    i = 0
    while size < 8_000_000:
        r = rng.random()
        if r < 0.1 and own:
            text = near_copy(rng, rng.choice(own), 0.03)
        elif r < 0.15 and own:
            text = rng.choice(own)
        elif r < 0.2:
            text = rng.choice(originals)
        else:
            text = " ".join(document(rng) for _ in range(3))
            own.append(text)
        rec = {"text": text} if r > 0.97 else {"id": "big-%d" % i, "text": text}
        if 0.96 < r <= 0.965:
            rec["id"] = "big-%d" % rng.randrange(max(i, 1))  # an id used before
        line = json.dumps(rec)
        if 0.955 < r <= 0.956:
            line = line[: len(line) // 2]  # cut short: malformed
        lines.append(line)
        if r < 0.01:
            lines.append("")
        if i == 2500:
            lines.append(json.dumps({"id": "long", "text": " ".join(
                document(rng) for _ in range(4500))}))
        size += len(line) + 1
        i += 1
    with open(os.path.join(root, "big", "big.jsonl"), "w") as out:
        out.write("\n".join(lines) + "\n")


def colliding(root, rng, originals):
    """Files whose copies in a folder corpus share a path: a.jsonl and a.jsonl.gz both
    become a.jsonl, t.txt and t.txt.gz both t.txt."""
    d = os.path.join(root, "collide")
    os.makedirs(d, exist_ok=True)
    for name, opener in (("a.jsonl", open), ("a.jsonl.gz", gzip.open)):
        recs = [json.dumps({"id": "%s-%d" % (name, i), "text": rng.choice(originals)
                            if i % 3 == 0 else document(rng)}) for i in range(400)]
        with opener(os.path.join(d, name), "wb") as out:
            out.write(("\n".join(recs) + "\n").encode())
    with open(os.path.join(d, "t.txt"), "w") as out:
        out.write(document(rng))
    with gzip.open(os.path.join(d, "t.txt.gz"), "wb") as out:
        out.write(document(rng).encode())


def main():
    root = sys.argv[1]
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 7)
    os.makedirs(os.path.join(root, "jsonl"), exist_ok=True)
    n_files = 7
    files = [[] for _ in range(n_files)]
    originals = []
    for i in range(260):
        text = document(rng)
        originals.append(text)
        files[rng.randrange(n_files)].append({"id": "doc-%d" % i, "text": text})
    for i in range(220):  # copies anywhere, often in another file
        src = rng.choice(originals)
        kind = rng.random()
        if kind < 0.3:
            text = src
        elif kind < 0.45:
            text = src.upper() if rng.random() < 0.5 else "  " + src.replace(" ", "  ")
        else:
            text = near_copy(rng, src, rng.choice([0.02, 0.05, 0.1, 0.2, 0.35]))
        files[rng.randrange(n_files)].append({"id": "copy-%d" % i, "text": text})
    for i in range(12):  # ids used twice, in different files
        f = rng.randrange(n_files)
        files[f].append({"id": "doc-%d" % rng.randrange(260), "text": document(rng)})
    lines = [[json.dumps(r, ensure_ascii=False) for r in f] for f in files]
    for f in lines:
        rng.shuffle(f)
    bad = ['{"id": "broken", "text": "no end', '{"id": "no-text"}', '{"id": "empty", "text": ""}',
           '{"id": "punct", "text": "... !!! ---"}', '', '   ', '[1, 2, 3]',
           json.dumps({"text": "a record without an id " + document(rng)})]
    for b in bad:
        f = lines[rng.randrange(n_files)]
        f.insert(rng.randrange(len(f) + 1), b)
    for n, f in enumerate(lines):
        data = ("\n".join(f) + "\n").encode()
        if n == 2:  # invalid UTF-8 inside a record's text
            data = data.replace(b"river", b"riv\xff\xfeer", 3)
        name = os.path.join(root, "jsonl", "part-%02d.jsonl" % n)
        if n == 5:
            with gzip.open(name + ".gz", "wb") as out:
                out.write(data)
        else:
            with open(name, "wb") as out:
                out.write(data)
    # text files in folders
    for d in ("texts/a", "texts/b/c", "texts/d"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for i in range(40):
        folder = rng.choice(["texts/a", "texts/b/c", "texts/d"])
        src = rng.choice(originals)
        text = src if i % 5 == 0 else near_copy(rng, src, 0.05) if i % 2 else document(rng)
        with open(os.path.join(root, folder, "t%02d.txt" % i), "w") as out:
            out.write(text + "\n")
    open(os.path.join(root, "texts/d/empty.txt"), "w").close()
    big_file(root, rng, originals)
    colliding(root, rng, originals)
    with open(os.path.join(root, "texts/a/.hidden.txt"), "w") as out:
        out.write(originals[0])


if __name__ == "__main__":
    main()
