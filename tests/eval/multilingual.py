#!/usr/bin/env python3
"""Words in every script: recall and precision of `folio quotes` by language.

A development measure in the held-out style of issue 19, run by hand (it
needs `pip install jieba simplemma`; nothing in folio or its tests needs
Python). Over a folder of Markdown notes in several languages (such as
../shared/corpus/multilingual/tldr, one folder per language), it builds one
index of all of them, then for each language:

- CJK (zh, ja, ko): words of 2 to 4 characters that occur in 3 to 40 of the
  language's quotes (Chinese words by jieba's segmentation; Japanese runs of
  kanji or of katakana; Korean words without their particle). The truth is
  every quote that holds the word; recall is the share `folio quotes WORD`
  finds, precision the share of its first ten that hold it.
- Inflected languages (ru, es, de, fr): a word form whose lemma (simplemma,
  a lemmatiser independent of Snowball) has two or more forms in the
  quotes, in 3 to 40 of them; the truth is every quote with any form.

    python3 tests/eval/multilingual.py target/release/folio ../shared/corpus/multilingual/tldr

Prints one line per language and the mean over each group.
"""

import json
import os
import random
import re
import subprocess
import sys
import tempfile

SAMPLE = 40
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")


def quotes_of(folder):
    """path -> quote text (the `> ` lines of each page, markup dropped)."""
    quotes = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        with open(path, encoding="utf-8") as f:
            lines = [line[1:].strip() for line in f if line.startswith(">")]
        text = re.sub(r"<[^>]*>|[`*_]", "", " ".join(lines))
        if text:
            quotes[os.path.realpath(path)] = text
    return quotes


def cjk_words(lang, quotes):
    words = {}
    for path, text in quotes.items():
        found = set()
        if lang == "zh":
            import jieba

            found = {w for w in jieba.cut(text) if CJK.fullmatch(w) and 2 <= len(w) <= 4}
        elif lang == "ja":
            found = {
                w
                for w in re.findall(r"[\u4e00-\u9fff]{2,4}|[\u30a0-\u30ff]{2,4}", text)
            }
        else:
            for token in re.findall(r"[\uac00-\ud7af]+", text):
                # A Korean word is its stem and a particle; the stem is kept.
                stem = re.sub(r"(을|를|이|가|은|는|에|의|와|과|로|으로|에서|하는|하기|합니다)$", "", token)
                if 2 <= len(stem) <= 4:
                    found.add(stem)
        for w in found:
            words.setdefault(w, set())
    for w in words:
        words[w] = {p for p, t in quotes.items() if w in t}
    return {w: ps for w, ps in words.items() if 3 <= len(ps) <= 40}


def inflected_words(lang, quotes):
    import simplemma

    forms = {}
    where = {}
    for path, text in quotes.items():
        for token in re.findall(r"\w+", text.lower()):
            if len(token) < 4 or token.isdigit():
                continue
            lemma = simplemma.lemmatize(token, lang=lang)
            forms.setdefault(lemma, set()).add(token)
            where.setdefault(lemma, set()).add(path)
    out = {}
    for lemma, fs in forms.items():
        if len(fs) >= 2 and 3 <= len(where[lemma]) <= 40:
            out[(lemma, tuple(sorted(fs)))] = where[lemma]
    return out


def search(folio, index, word, limit=200):
    run = subprocess.run(
        [folio, "quotes", word, "--index", index, "--limit", str(limit), "--json", "--no-refresh"],
        capture_output=True,
        text=True,
    )
    hits = []
    for line in run.stdout.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        for hit in value.get("hits", []) if isinstance(value, dict) else []:
            hits.append((os.path.realpath(hit.get("path", "")), hit.get("text", "")))
    return hits


def main():
    folio, root = sys.argv[1], sys.argv[2]
    rng = random.Random(19)
    with tempfile.TemporaryDirectory() as tmp:
        index = os.path.join(tmp, "index")
        subprocess.run([folio, "index", root, "--index", index], check=True, capture_output=True)
        groups = {"cjk": [], "inflected": []}
        for lang in sorted(os.listdir(root)):
            quotes = quotes_of(os.path.join(root, lang))
            if lang in ("zh", "ja", "ko"):
                words = cjk_words(lang, quotes)
                sample = rng.sample(sorted(words), min(SAMPLE, len(words)))
                recalls, precisions = [], []
                for w in sample:
                    truth = words[w]
                    hits = search(folio, index, w)
                    found = {p for p, _ in hits}
                    recalls.append(len(found & truth) / len(truth))
                    top = hits[:10]
                    if top:
                        precisions.append(sum(w in t for _, t in top) / len(top))
                r = sum(recalls) / len(recalls)
                p = sum(precisions) / max(1, len(precisions))
                groups["cjk"].append((r, p))
                print(f"{lang}: {len(sample)} words, recall {r:.3f}, precision@10 {p:.3f}")
            else:
                words = inflected_words(lang, quotes)
                keys = rng.sample(sorted(words), min(SAMPLE, len(words)))
                recalls = []
                for lemma, forms in keys:
                    truth = words[(lemma, forms)]
                    form = rng.choice(forms)
                    found = {p for p, _ in search(folio, index, form)}
                    recalls.append(len(found & truth) / len(truth))
                r = sum(recalls) / len(recalls)
                groups["inflected"].append((r, None))
                print(f"{lang}: {len(keys)} word families, recall of any form {r:.3f}")
        for name, rows in groups.items():
            if rows:
                mean = sum(r for r, _ in rows) / len(rows)
                print(f"mean recall, {name}: {mean:.3f}")


if __name__ == "__main__":
    main()
