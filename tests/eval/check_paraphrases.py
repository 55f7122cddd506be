#!/usr/bin/env python3
"""Check tests/eval/extra-paraphrases.tsv against the highlight samples.

Each line is `kind<TAB>query<TAB>expected`. The checker reads every
highlight of ../shared/corpus/highlights-extra (or the folder given by
FOLIO_HIGHLIGHTS_EXTRA, or --corpus) the way a reader's tool wrote it:

- kindle-notebook/*.html: each <div class="noteText"> body, HTML unescaped;
- kobo/KoboReader.sqlite: Bookmark.Text (opened read-only, immutable);
- moonreader/*.md: each `> [!quote]` callout, its `> ` lines joined by spaces;
- kindle-plugin-custom/*.md: each `> ` quote line (only so that a fragment
  is also unique against the fourth folder).

Texts are normalised as folio shows them (curly quotes straight, runs of
white space one space) and lower-cased. Then, for every line:

- the expected fragment occurs in exactly one passage of the whole folder;
- it is 6 to 12 words long and already lower-case;
- a paraphrase shares no content word with its passage after English
  Snowball stemming (stopwords below excluded): the query is held out, it
  cannot be found by its words alone;
- every content word of a keyword query is in its passage.

Violations are printed; the exit status is 1 if there are any.

Needs `snowballstemmer` (pip install snowballstemmer, e.g. in a venv).
`--dump` prints every passage with its source instead (for choosing them).
"""

import argparse
import html
import os
import re
import sqlite3
import sys
from pathlib import Path

import snowballstemmer

HERE = Path(__file__).resolve().parent
TSV = HERE / "extra-paraphrases.tsv"
DEFAULT_CORPUS = HERE.parent.parent / ".." / "shared" / "corpus" / "highlights-extra"

# Function words that carry no topic: sharing one of these with the
# passage does not make a query findable by its words.
STOPWORDS = set(
    """
    a about above after again against all almost also am an and any are as at
    be because been before being below between both but by can could did do
    does doing down during each either else even ever every few for from
    further had has have having he her here hers herself him himself his how
    i if in into is it its itself just least less let may me might more
    most much must my myself neither no nor not now of off often on once one
    only or other others ought our ours ourselves out over own per perhaps
    quite rather same shall she should so some such than that the their
    theirs them themselves then there these they this those though through
    thus to too under until up upon us very was we were what when where
    whether which while who whom whose why will with within without would yet
    you your yours yourself yourselves many someone something anything everything nothing
    don doesn didn isn aren wasn weren won wouldn couldn shouldn haven hasn
    hadn ll ve re
    """.split()
)

WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STEMMER = snowballstemmer.stemmer("english")


def normalise(text: str) -> str:
    """Curly quotes straight, white space collapsed, lower case."""
    text = (
        text.replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
        .replace("\u00a0", " ")
    )
    return re.sub(r"\s+", " ", text).strip().lower()


def content_stems(text: str) -> set:
    """Stems of the words of `text` that are not stopwords."""
    out = set()
    for word in WORD.findall(normalise(text)):
        # "reader's" and "don't" are a word plus a clitic: judge the word.
        base = word.split("'")[0]
        if base and base not in STOPWORDS and word not in STOPWORDS:
            out.add(STEMMER.stemWord(base))
    return out


NOTE_TEXT = re.compile(r'<div class="noteText">(.*?)</div>', re.S)


def kindle_notebook(folder: Path):
    for path in sorted(folder.glob("*.html")):
        raw = path.read_text(encoding="utf-8")
        for body in NOTE_TEXT.findall(raw):
            # A noteText may hold inline markup; the text is what a reader sees.
            text = html.unescape(re.sub(r"<[^>]+>", "", body))
            yield f"kindle-notebook/{path.name}", text


def kobo(path: Path):
    uri = f"file:{path}?mode=ro&immutable=1"
    db = sqlite3.connect(uri, uri=True)
    try:
        rows = db.execute(
            "SELECT BookmarkID, Text FROM Bookmark WHERE Text IS NOT NULL AND Text <> ''"
        )
        for bookmark, text in rows:
            yield f"kobo/{bookmark}", text
    finally:
        db.close()


def moonreader(folder: Path):
    for path in sorted(folder.glob("*.md")):
        lines = path.read_text(encoding="utf-8").splitlines()
        current = None
        for line in lines + [""]:
            # "> [!quote]" may carry a title ("Chapter 4 • Nov 26, 2025").
            if line.startswith("> [!quote]"):
                if current:
                    yield f"moonreader/{path.name}", " ".join(current)
                current = []
            elif current is not None and line.startswith(">"):
                current.append(line[1:].lstrip())
            elif current is not None:
                if current:
                    yield f"moonreader/{path.name}", " ".join(current)
                current = None


def kindle_plugin(folder: Path):
    for path in sorted(folder.glob("*.md")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("> "):
                # The text before " — location: [N](kindle://…)".
                yield f"kindle-plugin-custom/{path.name}", line[2:].split(" \u2014 location:")[0]


def passages(corpus: Path):
    found = []
    found += kindle_notebook(corpus / "kindle-notebook")
    found += kobo(corpus / "kobo" / "KoboReader.sqlite")
    found += moonreader(corpus / "moonreader")
    found += kindle_plugin(corpus / "kindle-plugin-custom")
    return [(source, text, normalise(text)) for source, text in found]


def read_tsv(path: Path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        yield number, line.split("\t")


def check(corpus: Path, tsv: Path) -> int:
    texts = passages(corpus)
    problems = []
    per_source = {}
    seen = set()
    counts = {}
    for number, fields in read_tsv(tsv):
        where = f"{tsv.name}:{number}"
        if len(fields) != 3:
            problems.append(f"{where}: {len(fields)} fields, want kind<TAB>query<TAB>expected")
            continue
        kind, query, expected = fields
        counts[kind] = counts.get(kind, 0) + 1
        if kind not in ("paraphrase", "keyword"):
            problems.append(f"{where}: kind {kind!r} is neither paraphrase nor keyword")
        if expected != expected.lower() or expected != normalise(expected):
            problems.append(f"{where}: expected {expected!r} is not lower-case normalised text")
        words = len(expected.split())
        if not 6 <= words <= 12:
            problems.append(f"{where}: expected {expected!r} has {words} words, want 6 to 12")
        if (kind, expected) in seen:
            problems.append(f"{where}: {expected!r} is expected twice for {kind}")
        seen.add((kind, expected))
        hits = [(source, text) for source, text, norm in texts if expected in norm]
        if len(hits) != 1:
            sources = ", ".join(source for source, _ in hits[:5]) or "no passage"
            if len(hits) > 5:
                sources += ", …"
            problems.append(f"{where}: {expected!r} found in {len(hits)} passages ({sources})")
            continue
        source, text = hits[0]
        folder = source.split("/")[0]
        per_source.setdefault(kind, {}).setdefault(folder, 0)
        per_source[kind][folder] += 1
        if kind == "paraphrase":
            qwords = len(query.split())
            if not 3 <= qwords <= 15:
                problems.append(f"{where}: query {query!r} has {qwords} words, want 3 to 15")
            shared = content_stems(query) & content_stems(text)
            if shared:
                problems.append(f"{where}: {query!r} shares {sorted(shared)} with its passage")
            if len(WORD.findall(normalise(text))) < 12:
                problems.append(f"{where}: the passage of {expected!r} is under 12 words")
        elif kind == "keyword":
            missing = content_stems(query) - content_stems(text)
            if missing:
                problems.append(f"{where}: keyword {query!r}: {sorted(missing)} not in its passage")
    for problem in problems:
        print(problem)
    print(f"{sum(counts.values())} queries {counts}; per folder {per_source}")
    print(f"{len(problems)} violation(s)")
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("FOLIO_HIGHLIGHTS_EXTRA", str(DEFAULT_CORPUS))
    parser.add_argument("--corpus", default=default, help="the highlights-extra folder")
    parser.add_argument("--tsv", default=str(TSV), help="the query file")
    parser.add_argument("--dump", action="store_true", help="print every passage and stop")
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        print(f"{corpus} is not a folder: pass --corpus or set FOLIO_HIGHLIGHTS_EXTRA")
        return 2
    if args.dump:
        for source, text, _ in passages(corpus):
            print(f"{source}\t{normalise(text)}")
        return 0
    return check(corpus, Path(args.tsv))


if __name__ == "__main__":
    sys.exit(main())
