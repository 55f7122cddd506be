#!/usr/bin/env python3
"""nDCG@10 of `folio search --json`, one process per query, on a BEIR collection.

The same figure `folio bench --relevance` reports, measured from outside:
every judged query is typed into `folio search` as a person would (after
`--`, so a claim that starts with `-` is still a query), over the index
`folio bench --relevance DIR --keep KEEP` left in KEEP/index. nDCG is
trec_eval's (the judgment as gain, log2(rank + 1) discount), averaged over
the queries with a relevant judgment, as src/bench/relevance.rs does.

    python3 tests/eval/search_ndcg.py FOLIO COLLECTION SPLIT KEEP [--ranks FILE]

--ranks writes `qid<TAB>doc ids` lines, to compare with a bench run file.
"""
import json
import math
import subprocess
import sys


def main():
    args = sys.argv[1:]
    ranks_out = None
    if "--ranks" in args:
        i = args.index("--ranks")
        ranks_out = args[i + 1]
        del args[i : i + 2]
    folio, collection, split, keep = args
    queries = {}
    with open(f"{collection}/queries.jsonl") as f:
        for line in f:
            if line.strip():
                q = json.loads(line)
                queries[q["_id"]] = q.get("text", "")
    qrels = {}
    order = []
    with open(f"{collection}/qrels/{split}.tsv") as f:
        for n, line in enumerate(f):
            fields = line.rstrip("\n").split("\t")
            if n == 0 and fields[0] == "query-id":
                continue
            qid, doc, score = fields
            if qid not in qrels:
                qrels[qid] = {}
                order.append(qid)
            qrels[qid][doc] = max(0, int(score))
    total, judged = 0.0, 0
    out = open(ranks_out, "w") if ranks_out else None
    for qid in order:
        judgments = qrels[qid]
        if qid not in queries or not any(g > 0 for g in judgments.values()):
            continue
        run = subprocess.run(
            [folio, "search", "--index", f"{keep}/index", "--no-refresh", "--json",
             "--mode", "lexical", "--limit", "100", "--", queries[qid]],
            capture_output=True, text=True,
        )
        if run.returncode not in (0, 1):
            sys.exit(f"query {qid}: folio exited {run.returncode}: {run.stderr}")
        hits = json.loads(run.stdout)["hits"]
        ranked = [h["name"] for h in hits if h.get("kind") == "note"]
        if out:
            out.write(qid + "\t" + " ".join(ranked) + "\n")
        dcg = sum(judgments.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
        ideal = sorted((g for g in judgments.values() if g > 0), reverse=True)[:10]
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        total += dcg / idcg if idcg > 0 else 0.0
        judged += 1
    print(f"queries {judged}  nDCG@10 {total / judged:.4f}")


if __name__ == "__main__":
    main()
