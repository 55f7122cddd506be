//! Block bounds: for each common word of each ranked text field of a
//! segment, the highest length-normalised frequency in each run of
//! [`CHUNK`] of its postings. A top-k search reads them to skip runs of
//! documents that cannot enter the top (`search::bm25f`, block-max
//! pruning), as Tantivy's block-max WAND does for a single field.
//!
//! Tantivy stores a block maximum of its own, but for its BM25 with the
//! segment's average length over *every* document: a note field's average
//! counts the quote documents as empty, about a quarter of folio's, so its
//! maxima bound folio's BM25F only loosely, and not at all once folio
//! weighs fields. These are folio's: `tf / (1 − b + b × length / average)`
//! with the average over the documents of the field's kind, written per
//! segment after each commit (and its merges), in `bounds/` beside the
//! segments, one file per segment, named by its id.
//!
//! A search with another average `A` than the file's `A₀` (the index grew,
//! or a language's own counts) scales the bound by `max(1, A / A₀)`: the
//! normalisation `1 − b + b × L / A` moves by at most that ratio for any
//! length. A segment without a file (written by an older folio, or before
//! its bounds) is searched without skipping: bounds only ever make a search
//! faster, never change its hits.
//!
//! The same file holds the segment's block starts ([`BlockStarts`]): one
//! bit per document, set where a note's block begins. The quote join asks
//! for a quote's note and its block's end at every matching quote; read
//! from the `quote_block` column, that was a fifth of a search for `the`
//! at 1,000,000 notes (a random read of a 40-bit value per quote), where
//! the bits of a segment fit in the processor's cache.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tantivy::directory::{Directory, MmapDirectory, OwnedBytes};
use tantivy::index::SegmentId;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, SegmentReader, Term};

use super::schema::{Fields, KIND_NOTE, KIND_QUOTE, QUOTE_BLOCK, quote_block_parts};
use crate::error::{Error, Result};

/// Postings per bounded run: a run's bound is its best document's, so
/// shorter runs bound closer. 1,000,000 notes, `history`: runs of 128
/// postings skipped almost nothing (a run of notes spans ~2,000
/// documents, and its quotes hold some short, high-scoring quote).
pub const CHUNK: usize = 32;
/// Words in fewer documents of a segment than this get no bounds: their
/// postings are few enough to bound by reading them at query time.
pub const MIN_DOC_FREQ: u32 = 1024;
/// The `b` the bounds are computed with: BM25's default, folio's for
/// every field. A query with another `b` skips nothing.
pub const BOUND_B: f32 = 0.75;

/// The folder of the bound files, inside an index's Tantivy folder.
pub(crate) const FOLDER: &str = "bounds";
const MAGIC: &[u8; 8] = b"FOLIOBB3";
/// Named by the layout (`FOLIOBB3`): a file of an older layout has
/// another name, so it is written again by the next commit and swept as a
/// segment's gone, without opening every file to read its magic.
const EXTENSION: &str = "bounds3";
/// Bytes of one run: first and last document, highest bound.
const RUN_BYTES: usize = 12;
/// Bytes before the fields' table.
const HEADER_BYTES: usize = 32;

/// The text fields folio ranks by BM25F, with the kind of document whose
/// count is their average's denominator.
fn bounded_fields(fields: &Fields) -> [(Field, &'static str); 7] {
    [
        (fields.title, KIND_NOTE),
        (fields.author, KIND_NOTE),
        (fields.body, KIND_NOTE),
        (fields.quote, KIND_QUOTE),
        (fields.quote_title, KIND_QUOTE),
        (fields.quote_author, KIND_QUOTE),
        (fields.note_text, KIND_QUOTE),
    ]
}

fn file_name(segment: SegmentId) -> String {
    format!("{}.{EXTENSION}", segment.uuid_string())
}

/// Whether a segment among `segments` of the index in `dir` has no bound
/// file of the current layout: a stat per segment.
pub fn any_missing(dir: &Path, segments: impl IntoIterator<Item = SegmentId>) -> bool {
    let folder = dir.join(FOLDER);
    segments.into_iter().any(|segment| !folder.join(file_name(segment)).exists())
}

/// Writes the bounds of every segment of the index in `dir` that has none,
/// and removes the files of segments gone (merged or deleted). Returns how
/// many files were written.
///
/// The segments are opened here, one at a time, through an index handle
/// of their own: a search's reader maps every segment, and the pages this
/// pass reads would stay resident in it (1,000,000 notes: peak RSS 548 MB
/// that way); mapped here, they are unmapped with each segment.
pub fn write_missing(dir: &Path, fields: &Fields) -> Result<usize> {
    let folder = dir.join(FOLDER);
    std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
    let index = tantivy::Index::open_in_dir(dir)
        .map_err(|e| Error::tantivy("opening the index for its block bounds", e))?;
    let segments =
        index.searchable_segments().map_err(|e| Error::tantivy("listing segments", e))?;
    let mut live = HashSet::new();
    let mut written = 0;
    for segment in segments {
        let name = file_name(segment.id());
        let path = folder.join(&name);
        live.insert(name);
        if path.exists() {
            continue;
        }
        let bytes = SegmentReader::open(&segment)
            .and_then(|reader| segment_bounds(&reader, fields))
            .map_err(|e| Error::tantivy("computing block bounds", e))?;
        write_atomically(&path, &bytes)?;
        written += 1;
    }
    if let Ok(entries) = std::fs::read_dir(&folder) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            // A file of a segment no longer searched; a failed removal
            // leaves a file nothing reads.
            if !live.contains(&name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    Ok(written)
}

/// Writes to a temporary name, then renames: a reader never maps half a
/// file, and a killed build leaves none.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let temp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&temp).map_err(|e| Error::io(&temp, e))?;
    file.write_all(bytes).map_err(|e| Error::io(&temp, e))?;
    drop(file);
    std::fs::rename(&temp, path).map_err(|e| Error::io(path, e))
}

/// A word's bounded runs in one field: field entry, first run, run count.
struct WordRuns {
    term_ord: u64,
    first: u32,
    count: u32,
}

/// The file of one segment:
///
/// ```text
/// magic "FOLIOBB3"
/// u32 fields, u64 runs offset, u64 block starts offset (0: none), u32 documents
/// per field: u32 field id, f32 b, f32 average, u32 words, u64 words offset
/// per field's words, by term ordinal: u64 term ordinal, u32 first run, u32 runs
/// runs: u32 first and last document, f32 highest tf / (1 − b + b × length / average)
/// block starts, 8-aligned: u64 words, bit d % 64 of word d / 64 set where a block starts
/// ```
///
/// All little-endian.
fn segment_bounds(segment: &SegmentReader, fields: &Fields) -> tantivy::Result<Vec<u8>> {
    let kinds = segment.inverted_index(fields.kind)?;
    let count = |kind: &str| kinds.doc_freq(&Term::from_field_text(fields.kind, kind));
    let (notes, quotes) = (count(KIND_NOTE)?.max(1), count(KIND_QUOTE)?.max(1));
    let mut tables: Vec<(Field, f32, Vec<WordRuns>)> = Vec::new();
    let mut runs: Vec<(DocId, DocId, f32)> = Vec::new();
    for (field, kind) in bounded_fields(fields) {
        let inverted = segment.inverted_index(field)?;
        let documents = if kind == KIND_NOTE { notes } else { quotes };
        let average = (inverted.total_num_tokens() as f32 / documents as f32).max(1e-3);
        let Some(norms) = segment.fieldnorms_readers().get_field(field)? else { continue };
        let per_norm = normalisers(average);
        let mut words = Vec::new();
        let mut stream = inverted.terms().stream()?;
        while stream.advance() {
            let info = stream.value();
            if info.doc_freq < MIN_DOC_FREQ {
                continue;
            }
            let mut postings =
                inverted.read_block_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
            let first = runs.len() as u32;
            loop {
                let docs = postings.docs();
                if docs.is_empty() {
                    break;
                }
                let freqs = postings.freqs();
                // A Tantivy block (128 postings, but for the last) in runs.
                for (docs, freqs) in docs.chunks(CHUNK).zip(freqs.chunks(CHUNK)) {
                    let highest = docs
                        .iter()
                        .zip(freqs)
                        .map(|(&d, &tf)| tf as f32 * per_norm[norms.fieldnorm_id(d) as usize])
                        .fold(0.0f32, f32::max);
                    runs.push((docs[0], docs[docs.len() - 1], highest));
                }
                postings.advance();
            }
            words.push(WordRuns {
                term_ord: stream.term_ord(),
                first,
                count: runs.len() as u32 - first,
            });
        }
        tables.push((field, average, words));
    }
    let header = HEADER_BYTES + tables.len() * 24;
    let words_bytes: usize = tables.iter().map(|t| t.2.len() * 16).sum();
    let runs_offset = header + words_bytes;
    let starts = block_starts(segment)?;
    let starts_offset = (runs_offset + runs.len() * RUN_BYTES).next_multiple_of(8);
    let mut out = Vec::with_capacity(starts_offset + starts.as_ref().map_or(0, |s| s.len() * 8));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(tables.len() as u32).to_le_bytes());
    out.extend_from_slice(&(runs_offset as u64).to_le_bytes());
    out.extend_from_slice(&(if starts.is_some() { starts_offset as u64 } else { 0 }).to_le_bytes());
    out.extend_from_slice(&segment.max_doc().to_le_bytes());
    let mut offset = header as u64;
    for (field, average, words) in &tables {
        out.extend_from_slice(&field.field_id().to_le_bytes());
        out.extend_from_slice(&BOUND_B.to_le_bytes());
        out.extend_from_slice(&average.to_le_bytes());
        out.extend_from_slice(&(words.len() as u32).to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        offset += words.len() as u64 * 16;
    }
    for (_, _, words) in &tables {
        for w in words {
            out.extend_from_slice(&w.term_ord.to_le_bytes());
            out.extend_from_slice(&w.first.to_le_bytes());
            out.extend_from_slice(&w.count.to_le_bytes());
        }
    }
    for (first, last, highest) in runs {
        out.extend_from_slice(&first.to_le_bytes());
        out.extend_from_slice(&last.to_le_bytes());
        out.extend_from_slice(&highest.to_le_bytes());
    }
    if let Some(starts) = starts {
        out.resize(starts_offset, 0);
        for word in starts {
            out.extend_from_slice(&word.to_le_bytes());
        }
    }
    Ok(out)
}

/// The segment's block starts as bits, read from its `quote_block`
/// column; `None` when the column does not describe blocks that tile the
/// segment (each block a start with `back` 0, then `ahead` documents
/// counting back to it), so a search falls back on the column itself and
/// the two never disagree.
fn block_starts(segment: &SegmentReader) -> tantivy::Result<Option<Vec<u64>>> {
    use tantivy::columnar::ColumnIndex;
    let column = segment.fast_fields().u64(QUOTE_BLOCK)?;
    if !matches!(column.index, ColumnIndex::Full) {
        return Ok(None);
    }
    let max_doc = segment.max_doc();
    let mut words = vec![0u64; (max_doc as usize).div_ceil(64)];
    // The block being read: its first and last document.
    let (mut start, mut end) = (0, None::<DocId>);
    for doc in 0..max_doc {
        let (back, ahead) = quote_block_parts(column.values.get_val(doc));
        if back == 0 {
            if end.is_some_and(|end| end.checked_add(1) != Some(doc)) {
                return Ok(None);
            }
            let Some(last) = doc.checked_add(ahead) else { return Ok(None) };
            (start, end) = (doc, Some(last));
            words[doc as usize / 64] |= 1 << (doc % 64);
        } else if start.checked_add(back) != Some(doc)
            || end.and_then(|e| e.checked_sub(ahead)) != Some(doc)
        {
            return Ok(None);
        }
    }
    Ok(match end {
        Some(end) if end.checked_add(1) == Some(max_doc) => Some(words),
        None if max_doc == 0 => Some(words),
        _ => None,
    })
}

/// `1 / (1 − b + b × length / average)` for each field-norm id.
fn normalisers(average: f32) -> [f32; 256] {
    let mut out = [0.0; 256];
    for (id, slot) in out.iter_mut().enumerate() {
        let length = tantivy::fieldnorm::FieldNormReader::id_to_fieldnorm(id as u8) as f32;
        *slot = 1.0 / (1.0 - BOUND_B + BOUND_B * length / average);
    }
    out
}

/// The bound files of an index, mapped as searches first need them.
#[derive(Debug)]
pub struct BoundFiles {
    folder: PathBuf,
    /// The folder, opened by the first search that finds it.
    directory: std::sync::OnceLock<MmapDirectory>,
    opened: Mutex<std::collections::HashMap<SegmentId, Arc<SegmentBounds>>>,
}

impl BoundFiles {
    /// The bounds of the index whose Tantivy folder is `dir`.
    pub fn new(dir: &Path) -> Self {
        BoundFiles {
            folder: dir.join(FOLDER),
            directory: std::sync::OnceLock::new(),
            opened: Mutex::default(),
        }
    }

    /// The bounds of `segment`, when its file is there and reads well. A
    /// missing file is looked for again next time: a long-running server
    /// sees a segment before the commit that made it has written its
    /// bounds.
    pub fn segment(&self, segment: SegmentId) -> Option<Arc<SegmentBounds>> {
        let mut opened = self.opened.lock().ok()?;
        if let Some(found) = opened.get(&segment) {
            return Some(found.clone());
        }
        let directory = match self.directory.get() {
            Some(directory) => directory,
            None => {
                let directory = MmapDirectory::open(&self.folder).ok()?;
                self.directory.get_or_init(|| directory)
            }
        };
        let name = file_name(segment);
        let bytes = directory.open_read(Path::new(&name)).ok()?.read_bytes().ok()?;
        let bounds = Arc::new(SegmentBounds::parse(bytes)?);
        opened.insert(segment, bounds.clone());
        Some(bounds)
    }
}

/// One segment's bounds file, mapped.
#[derive(Debug)]
pub struct SegmentBounds {
    bytes: OwnedBytes,
    runs_offset: usize,
    /// Field id, b, average, words, words offset.
    fields: Vec<(u32, f32, f32, usize, usize)>,
    starts: Option<BlockStarts>,
}

/// Where each note's block of documents starts in one segment, as bits:
/// the same blocks as the `quote_block` column's, read without touching it.
#[derive(Debug, Clone)]
pub struct BlockStarts {
    words: OwnedBytes,
    max_doc: DocId,
}

impl BlockStarts {
    fn word(&self, i: usize) -> u64 {
        read_u64(self.words.as_slice(), i * 8)
    }

    /// The block holding `doc`: its first document (the note) and its last.
    #[inline]
    pub fn block_of(&self, doc: DocId) -> (DocId, DocId) {
        (self.start_of(doc), self.end_of(doc))
    }

    /// The first document of the block holding `doc`.
    #[inline]
    pub fn start_of(&self, doc: DocId) -> DocId {
        let mut i = doc as usize / 64;
        // Bits 0 to doc % 64: starts at or before `doc` in its word.
        let mut word = self.word(i) & (u64::MAX >> (63 - doc % 64));
        while word == 0 {
            if i == 0 {
                return 0;
            }
            i -= 1;
            word = self.word(i);
        }
        (i * 64 + 63 - word.leading_zeros() as usize) as DocId
    }

    /// The last document of the block holding `doc`.
    #[inline]
    pub fn end_of(&self, doc: DocId) -> DocId {
        let last = self.max_doc.saturating_sub(1);
        let next = doc.saturating_add(1);
        if next >= self.max_doc {
            return last;
        }
        let mut i = next as usize / 64;
        let mut word = self.word(i) & (u64::MAX << (next % 64));
        while word == 0 {
            i += 1;
            if i * 64 >= self.max_doc as usize {
                return last;
            }
            word = self.word(i);
        }
        (i * 64 + word.trailing_zeros() as usize - 1) as DocId
    }
}

/// A word's runs in one field of one segment: mapped from its file, or
/// read from its postings at query time (a word in few documents).
#[derive(Clone)]
pub struct Runs {
    source: RunSource,
    /// The average length the runs were normalised with.
    pub average: f32,
}

#[derive(Clone)]
enum RunSource {
    Mapped(OwnedBytes),
    Read(Arc<[(DocId, DocId, f32)]>),
}

impl Runs {
    /// Runs made at query time, normalised with `average`.
    pub fn read(runs: Vec<(DocId, DocId, f32)>, average: f32) -> Self {
        Runs { source: RunSource::Read(runs.into()), average }
    }

    /// How many runs.
    pub fn len(&self) -> usize {
        match &self.source {
            RunSource::Mapped(bytes) => bytes.len() / RUN_BYTES,
            RunSource::Read(runs) => runs.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Run `i`: its first and last document and its highest normalised
    /// frequency.
    pub fn get(&self, i: usize) -> (DocId, DocId, f32) {
        match &self.source {
            RunSource::Mapped(bytes) => {
                let (b, at) = (bytes.as_slice(), i * RUN_BYTES);
                (read_u32(b, at), read_u32(b, at + 4), f32::from_bits(read_u32(b, at + 8)))
            }
            RunSource::Read(runs) => runs.get(i).copied().unwrap_or((0, 0, 0.0)),
        }
    }
}

fn read_u32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4).and_then(|s| s.try_into().ok()).map_or(0, u32::from_le_bytes)
}

fn read_u64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8).and_then(|s| s.try_into().ok()).map_or(0, u64::from_le_bytes)
}

impl SegmentBounds {
    fn parse(bytes: OwnedBytes) -> Option<Self> {
        let b = bytes.as_slice();
        if b.get(..8)? != MAGIC {
            return None;
        }
        let count = read_u32(b, 8) as usize;
        let runs_offset = read_u64(b, 12) as usize;
        let starts_offset = read_u64(b, 20) as usize;
        let max_doc = read_u32(b, 28);
        let mut fields = Vec::with_capacity(count);
        for i in 0..count {
            let at = HEADER_BYTES + i * 24;
            b.get(at..at + 24)?;
            fields.push((
                read_u32(b, at),
                f32::from_bits(read_u32(b, at + 4)),
                f32::from_bits(read_u32(b, at + 8)),
                read_u32(b, at + 12) as usize,
                read_u64(b, at + 16) as usize,
            ));
        }
        if runs_offset > b.len() {
            return None;
        }
        let words = (max_doc as usize).div_ceil(64) * 8;
        let starts = (starts_offset != 0 && starts_offset + words <= b.len()).then(|| {
            BlockStarts { words: bytes.slice(starts_offset..starts_offset + words), max_doc }
        });
        Some(SegmentBounds { bytes, runs_offset, fields, starts })
    }

    /// The segment's block starts, when its file has them.
    pub fn block_starts(&self) -> Option<&BlockStarts> {
        self.starts.as_ref()
    }

    /// The runs of the word with ordinal `term_ord` in `field`, when it
    /// has bounds computed with `b`.
    pub fn runs(&self, field: Field, b: f32, term_ord: u64) -> Option<Runs> {
        let &(_, written_b, average, words, offset) =
            self.fields.iter().find(|f| f.0 == field.field_id())?;
        if written_b != b {
            return None;
        }
        let table = self.bytes.as_slice().get(offset..offset + words * 16)?;
        let (mut lo, mut hi) = (0, words);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let ord = read_u64(table, mid * 16);
            if ord == term_ord {
                let first = read_u32(table, mid * 16 + 8) as usize;
                let count = read_u32(table, mid * 16 + 12) as usize;
                let start = self.runs_offset + first * RUN_BYTES;
                let end = start + count * RUN_BYTES;
                if end > self.bytes.len() {
                    return None;
                }
                let source = RunSource::Mapped(self.bytes.slice(start..end));
                return Some(Runs { source, average });
            }
            if ord < term_ord { lo = mid + 1 } else { hi = mid }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every document's block, read from the bits of a built index's
    /// bound files, is the one its `quote_block` column gives: after a
    /// first build, and after an edit leaves deleted documents behind.
    #[test]
    fn a_built_indexs_block_starts_agree_with_its_column() {
        use crate::index::FolioIndex;
        use crate::index::update::{UpdateOptions, update};
        let dir = tempfile::tempdir().expect("temp dir");
        let notes = dir.path().join("notes");
        std::fs::create_dir_all(&notes).expect("mkdir");
        let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
        for entry in std::fs::read_dir(&seeds).expect("seeds").flatten() {
            std::fs::copy(entry.path(), notes.join(entry.file_name())).expect("copy");
        }
        let notes = notes.canonicalize().expect("canonical");
        let ix = FolioIndex::open_or_create(&dir.path().join("ix"), false).expect("index");
        let options = UpdateOptions {
            roots: vec![notes.clone()],
            default_roots: Vec::new(),
            threads: 1,
            memory_mb: 50,
            progress: None,
            model: None,
        };
        let check = |ix: &FolioIndex| {
            let files = BoundFiles::new(&ix.dir);
            let reader = ix.reader().expect("reader");
            let searcher = reader.searcher();
            for segment in searcher.segment_readers() {
                let bounds = files.segment(segment.segment_id()).expect("a bound file");
                let starts = bounds.block_starts().expect("block starts");
                let column = segment.fast_fields().u64(QUOTE_BLOCK).expect("column");
                for doc in 0..segment.max_doc() {
                    let value = column.first(doc).expect("every document has a block");
                    let (back, ahead) = quote_block_parts(value);
                    assert_eq!(starts.block_of(doc), (doc - back, doc + ahead), "document {doc}");
                }
            }
        };
        update(&ix, &options, &|_| {}).expect("build");
        check(&ix);
        let edited = notes.join("walking.md");
        let text = std::fs::read_to_string(&edited).expect("read");
        std::fs::write(&edited, format!("{text}\n> One more quote.\n> <footer>p. 9</footer>\n"))
            .expect("edit");
        update(&ix, &options, &|_| {}).expect("refresh");
        check(&ix);
    }

    proptest! {
        /// A block's first and last document, read from the bits, are
        /// those the blocks were made of, for every document and at every
        /// word boundary (blocks of 1 to 150 documents, up to 40 of them).
        #[test]
        fn block_starts_give_each_documents_block(sizes in proptest::collection::vec(1u32..150, 1..40)) {
            let max_doc: u32 = sizes.iter().sum();
            let mut words = vec![0u64; (max_doc as usize).div_ceil(64)];
            let mut expected = Vec::new();
            let mut start = 0;
            for size in &sizes {
                words[start as usize / 64] |= 1 << (start % 64);
                expected.extend((0..*size).map(|_| (start, start + size - 1)));
                start += size;
            }
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            let starts = BlockStarts { words: OwnedBytes::new(bytes), max_doc };
            for (doc, block) in expected.iter().enumerate() {
                prop_assert_eq!(starts.block_of(doc as DocId), *block, "document {}", doc);
            }
        }
    }
}
