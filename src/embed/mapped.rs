//! The transformer's layers read through a memory map: the one place
//! folio uses `unsafe` (Cargo.toml denies it everywhere else).
//!
//! Why: reading model.safetensors into a fresh buffer and then copying
//! every tensor out of it costs two passes over the bytes and a large
//! allocation on every `folio quotes`; mapped, each tensor is copied once,
//! straight from the page cache. The word-piece table, more than half of
//! the file, is not copied at all: [`super::bert`] reads its rows when a
//! text needs them, with `pread`, outside the map.
//!
//! Why it is sound: candle's loader is `unsafe` because a mapped file may
//! change while it is mapped, which Rust's `&[u8]` does not allow for. The
//! map lives only while [`with_weights`] runs the loader, which copies the
//! tensors out (candle's CPU tensors own their memory); it is gone before
//! the model runs, so the window is the load's few milliseconds. folio
//! itself never writes a model file in place: `folio model fetch` renames
//! a new folder into place and the old file's bytes stay as they were
//! while mapped. If something else rewrites model.safetensors in place
//! during the load, the model may get a mix of old and new weights (its
//! vectors then mean nothing until the next load), and if it truncates the
//! file the process is killed by SIGBUS; nothing on disk is harmed either
//! way.
#![allow(unsafe_code)]

use std::fs::File;

use candle_core::{DType, Device};
use candle_nn::VarBuilder;

/// The weights' header, read by the `safetensors` crate from the map.
pub(super) struct Layout<'a> {
    map: &'a memmap2::Mmap,
    /// Where the tensors' bytes start in the file (after the header).
    pub data_start: u64,
    metadata: safetensors::tensor::Metadata,
}

impl Layout<'_> {
    /// Each tensor's name and entry (dtype, shape, byte range from
    /// [`Layout::data_start`]).
    pub fn tensors(&self) -> std::collections::HashMap<String, &safetensors::tensor::TensorInfo> {
        self.metadata.tensors()
    }

    /// Fills in the page table of the bytes `offset..offset + len` in one
    /// call instead of one fault per page: the range the load will copy.
    pub fn populate(&self, offset: u64, len: u64) {
        let (offset, len) = (offset as usize, len as usize);
        if offset.saturating_add(len) <= self.map.len() {
            // Only a hint: on a kernel without MADV_POPULATE_READ (before
            // Linux 5.14) the pages are faulted in one by one instead.
            let _ = self.map.advise_range(memmap2::Advice::PopulateRead, offset, len);
        }
    }
}

/// Maps `file` (safetensors weights), runs `load` on its header and a
/// builder reading from the map, and unmaps it. The error says what is
/// wrong with the file.
pub(super) fn with_weights<R>(
    file: &File,
    device: &Device,
    load: impl FnOnce(&Layout, VarBuilder) -> Result<R, String>,
) -> Result<R, String> {
    // SAFETY: see the module doc: the map is dropped when this function
    // returns (`load` copies every tensor it keeps into memory of its own:
    // candle's CPU tensors own their bytes, and nothing borrowed from the
    // builder outlives the call), and folio never writes a model file in
    // place.
    let map = unsafe { memmap2::Mmap::map(file) }.map_err(|e| format!("cannot map it ({e})"))?;
    let (header_len, metadata) = safetensors::SafeTensors::read_metadata(&map)
        .map_err(|e| format!("not safetensors weights ({e})"))?;
    let layout = Layout { map: &map, data_start: 8 + header_len as u64, metadata };
    let weights = VarBuilder::from_slice_safetensors(&map, DType::F32, device)
        .map_err(|e| format!("not safetensors weights ({e})"))?;
    load(&layout, weights)
}
