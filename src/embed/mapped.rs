//! The transformer's weights read through a memory map: the one place
//! folio uses `unsafe` (Cargo.toml denies it everywhere else).
//!
//! Why: reading model.safetensors (90 MB for all-MiniLM-L6-v2) into a
//! fresh buffer and then copying every tensor out of it costs two passes
//! over the bytes and a 90 MB allocation on every `folio quotes`; mapped,
//! each tensor is copied once, straight from the page cache.
//!
//! Why it is sound: candle's loader is `unsafe` because a mapped file may
//! change while it is mapped, which Rust's `&[u8]` does not allow for. The
//! map lives only while [`load_bert`] copies the tensors out (candle's CPU
//! tensors own their memory); it is gone before the model runs, so the
//! window is the load's few milliseconds. folio itself never writes a
//! model file in place: `folio model fetch` renames a new folder into
//! place and the old file's bytes stay as they were while mapped. If
//! something else rewrites model.safetensors in place during the load,
//! the model may get a mix of old and new weights (its vectors then mean
//! nothing until the next load), and if it truncates the file the process
//! is killed by SIGBUS; nothing on disk is harmed either way.
#![allow(unsafe_code)]

use std::path::Path;

use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};

/// The BERT model `config` describes, its weights copied from the mapped
/// file `path`; the error says what is wrong with the file.
pub(super) fn load_bert(
    path: &Path,
    config: &Config,
    device: &Device,
) -> Result<BertModel, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    // SAFETY: see the module doc: the map is dropped when this function
    // returns (every tensor has been copied into memory of its own by
    // then), and folio never writes a model file in place. `populate`
    // fills the page table in one call instead of one fault per page.
    let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) }
        .map_err(|e| format!("cannot map it ({e})"))?;
    let weights = VarBuilder::from_slice_safetensors(&map, DType::F32, device)
        .map_err(|e| format!("not safetensors weights ({e})"))?;
    BertModel::load(weights, config).map_err(|e| format!("does not match config.json ({e})"))
}
