"""SQLite FTS5 on the search bench's corpus and queries (see search.rs).

Usage: fts5_peer.py CORPUS.jsonl QUERIES.json
Builds an FTS5 table (unicode61 remove_diacritics 2) in a file next to the
corpus, then runs each query kind newest first, 50 rows with a snippet and
the message text, as the daemon answers, and prints JSON:
{"build_s", "index_mib", "kinds": {kind: {"p50_ms", "p99_ms", "hits"}}}.
"""
import json
import os
import sqlite3
import sys
import time


def build(corpus, path):
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE VIRTUAL TABLE fts USING fts5(subject, body, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    db.execute(
        "CREATE TABLE meta(rowid INTEGER PRIMARY KEY, customer INT, channel TEXT, "
        "created INT, private INT)"
    )
    started = time.perf_counter()
    with open(corpus) as lines:
        rows = (json.loads(line) for line in lines)
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == 1000:
                insert(db, batch)
                batch = []
        insert(db, batch)
    db.commit()
    return db, time.perf_counter() - started


def insert(db, batch):
    db.executemany(
        "INSERT INTO fts(rowid, subject, body) VALUES (?, ?, ?)",
        [(r["rowid"], r["subject"] or "", r["body"]) for r in batch],
    )
    db.executemany(
        "INSERT INTO meta VALUES (?, ?, ?, ?, ?)",
        [(r["rowid"], r["customer"], r["channel"], r["created"], int(r["private"]))
         for r in batch],
    )


def run(db, q):
    sql = ("SELECT f.rowid, f.subject, f.body, snippet(fts, 1, '', '', '…', 24), "
           "m.customer, m.channel, m.created FROM fts f JOIN meta m ON m.rowid = f.rowid "
           "WHERE fts MATCH ?")
    args = [q["match"]]
    if q["channel"]:
        sql += " AND m.channel = ?"
        args.append(q["channel"])
    if q["range"]:
        sql += " AND m.created >= ? AND m.created < ?"
        args.extend(q["range"])
    if q["customer"] is not None:
        sql += " AND m.customer = ? AND m.private = 0"
        args.append(q["customer"])
    sql += " ORDER BY f.rowid DESC LIMIT 50"
    return db.execute(sql, args).fetchall()


def main():
    corpus, queries = sys.argv[1], sys.argv[2]
    path = os.path.join(os.path.dirname(corpus), "fts5.sqlite")
    db, build_s = build(corpus, path)
    kinds = {}
    sets = json.load(open(queries))
    for rows in sets[1]["queries"]:
        run(db, rows)  # warm the cache as the daemon's is
    for s in sets:
        times, hits = [], 0
        for q in s["queries"]:
            started = time.perf_counter()
            hits += len(run(db, q))
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        pick = lambda p: times[round((len(times) - 1) * p)]
        kinds[s["kind"]] = {"p50_ms": pick(0.5), "p99_ms": pick(0.99),
                            "hits": hits / len(times)}
    size = os.path.getsize(path) + (os.path.getsize(path + "-wal")
                                    if os.path.exists(path + "-wal") else 0)
    print(json.dumps({"build_s": build_s, "index_mib": size / 1048576, "kinds": kinds}))


main()
