//! Keeping segments in check: after a build or a refresh, the smallest
//! segments are merged until at most [`MAX_SEGMENTS`] remain, each merge
//! reading at most [`MERGE_MAX_BYTES`] of segment files, so the memory a
//! merge maps (its input is memory-mapped and counts in the resident set)
//! stays bounded; `folio optimize` merges without that bound.
//!
//! A search pays per segment: at 1,000,000 notes a build left 49 segments
//! and the rare-word search went from 0.5 to 1.3 ms. The merge policy that
//! runs during a build (`merge_policy` in `index`) only merges small
//! segments, because a merge maps all of its input; this step runs after
//! the commit, one bounded merge at a time.

use tantivy::TantivyDocument;
use tantivy::indexer::NoMergePolicy;

use super::FolioIndex;
use crate::error::{Error, Result};

/// Segments a build or refresh leaves at most (when merges within
/// [`MERGE_MAX_BYTES`] can get there).
pub const MAX_SEGMENTS: usize = 8;

/// Bytes of segment files one merge after a build may read: with the
/// build's own memory released, this keeps a million-note build within
/// its 400 MB peak. At 192 MB a quiet-machine build peaked at 404 MB
/// (BENCHMARKS.md, 2026-12-01), so 128.
pub const MERGE_MAX_BYTES: u64 = 128 << 20;

/// Segments merged at once at most.
const MERGE_WIDTH: usize = 8;

/// Segment counts before and after a merge step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merged {
    /// Searchable segments before.
    pub before: usize,
    /// Searchable segments after.
    pub after: usize,
}

/// Searchable segments of `ix`'s last commit.
pub fn segment_count(ix: &FolioIndex) -> Result<usize> {
    segments(ix).map(|metas| metas.len())
}

fn segments(ix: &FolioIndex) -> Result<Vec<tantivy::index::SegmentMeta>> {
    ix.index.searchable_segment_metas().map_err(|e| Error::tantivy("reading the segments", e))
}

/// Merges the smallest segments of `ix`'s live index until at most
/// `target` remain, each merge reading at most `max_bytes` of segment
/// files (it stops earlier when the next merge would read more). Takes the
/// writer lock (or uses the one `ix` holds).
///
/// `ix`'s reader is closed first (the next [`FolioIndex::reader`] opens a
/// new one): a merge reads its input through memory maps, and while a
/// reader keeps the same segments mapped, every page a merge read stays in
/// the resident set. At 1,000,000 notes that held the whole 2.8 GB index
/// (peak RSS 2,678 MB after a build's merges, instead of the input of one).
pub fn merge_down(ix: &mut FolioIndex, target: usize, max_bytes: u64) -> Result<Merged> {
    let target = target.max(1);
    let before = segments(ix)?.len();
    if before <= target {
        return Ok(Merged { before, after: before });
    }
    ix.reader = None;
    let mut writer = ix.writer::<TantivyDocument>(1, 15)?;
    writer.set_merge_policy(Box::new(NoMergePolicy));
    loop {
        let metas = segments(ix)?;
        if metas.len() <= target {
            break;
        }
        let mut sized: Vec<(u64, tantivy::index::SegmentId)> =
            metas.iter().map(|m| (bytes_of(ix, m), m.id())).collect();
        sized.sort_unstable_by_key(|&(bytes, _)| bytes);
        let width = (metas.len() - target + 1).min(MERGE_WIDTH);
        let mut group = Vec::with_capacity(width);
        let mut total = 0u64;
        for &(bytes, id) in &sized {
            if group.len() == width || (!group.is_empty() && total + bytes > max_bytes) {
                break;
            }
            group.push(id);
            total += bytes;
        }
        if group.len() < 2 {
            break;
        }
        writer.merge(&group).wait().map_err(|e| Error::tantivy("merging segments", e))?;
    }
    writer.wait_merging_threads().map_err(|e| Error::tantivy("merging segments", e))?;
    // The merged segments are new: their bounds are written here, as a
    // commit's are in `update`.
    ix.write_bounds();
    Ok(Merged { before, after: segments(ix)?.len() })
}

/// Bytes of a segment's files on disk (0 for a file that cannot be read).
fn bytes_of(ix: &FolioIndex, meta: &tantivy::index::SegmentMeta) -> u64 {
    use tantivy::index::SegmentComponent::{
        FastFields, FieldNorms, Positions, Postings, Store, Terms,
    };
    // The components a merge reads (deletes are a bitset, small).
    [Postings, Positions, Terms, Store, FastFields, FieldNorms]
        .into_iter()
        .filter_map(|component| std::fs::metadata(ix.dir.join(meta.relative_path(component))).ok())
        .map(|m| m.len())
        .sum()
}
