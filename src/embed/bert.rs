//! The BERT network folio runs: candle's BERT encoder behind an
//! embedding layer of its own, whose word-piece table is read from the
//! file row by row, when a text needs it, instead of at load.
//!
//! Why: the word-piece table is more than half of all-MiniLM-L6-v2's
//! weights (30,522 × 384 floats, 47 MB of 91), and a query needs a dozen
//! of its rows. Copying it into a tensor at every load cost a query
//! process as much as the six layers did; now a few rows are read with
//! `pread` (no map, no `unsafe`), and a batch job that needs many reads
//! the table once, the first time a batch is large. Everything else is
//! candle's: the layers (`BertEncoder`, loaded from the mapped file by
//! [`super::mapped`]) and the same operations in the same order as
//! candle's `BertModel` (rows + token type, + position, layer norm;
//! the same attention mask), so the vectors are the same to the bit
//! (`the_lazy_table_gives_candles_vectors` in `super`'s tests).
//!
//! If model.safetensors is rewritten in place while folio runs, rows read
//! afterwards come from the new file (the vectors then mean nothing until
//! the next load), and a file cut short is an error naming it; nothing
//! crashes. A table stored in another precision than f32 is converted
//! into a tensor at load, as before.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Embedding, LayerNorm, VarBuilder};
use candle_transformers::models::bert::{BertEncoder, Config};

/// A batch of at most this many tokens reads its rows one by one; a larger
/// one reads (once) the whole table. A query is a few dozen tokens; a
/// batch of eight passages runs to hundreds.
const FEW_TOKENS: usize = 256;

/// Name of the word-piece table, after the model's prefix.
const WORDS: &str = "embeddings.word_embeddings.weight";

/// The network: embeddings, then candle's encoder.
pub(super) struct Bert {
    words: Words,
    position: Embedding,
    token_type: Embedding,
    norm: LayerNorm,
    encoder: BertEncoder,
    hidden: usize,
    device: Device,
}

/// The word-piece table.
enum Words {
    /// Rows read from the file when asked for.
    Lazy(Table),
    /// Laid out as a tensor at load (a table not stored as f32).
    Loaded(Embedding),
}

/// Where the f32 table sits in the file.
struct Table {
    file: File,
    path: PathBuf,
    /// Byte offset of row 0 in the file.
    start: u64,
    rows: usize,
    dims: usize,
    /// The whole table, once a large batch has asked for it.
    all: OnceLock<Result<Vec<u8>, String>>,
}

/// A tensor's entry in the safetensors header.
#[derive(serde::Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: (u64, u64),
}

impl Bert {
    /// The network `config` describes, from the safetensors file `path`;
    /// the error says what is wrong with the file.
    pub(super) fn load(path: &Path, config: &Config, device: &Device) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let (header_len, entries) = header(&file)?;
        let (prefix, words) = entries
            .iter()
            .find_map(|(name, entry)| Some((name.strip_suffix(WORDS)?.to_string(), entry)))
            .ok_or_else(|| format!("no {WORDS} in it: not a BERT model's weights"))?;
        let hidden = config.hidden_size;
        let table_file = file.try_clone().map_err(|e| e.to_string())?;
        let lazy =
            (words.dtype == "F32" && words.shape == [config.vocab_size, hidden]).then(|| Table {
                file: table_file,
                path: path.to_path_buf(),
                start: 8 + header_len + words.data_offsets.0,
                rows: config.vocab_size,
                dims: hidden,
                all: OnceLock::new(),
            });
        // The layers are what the load copies: their pages are faulted in
        // together, the word table's are never touched.
        let layers = entries
            .iter()
            .filter(|(name, _)| name.starts_with(&format!("{prefix}encoder.")))
            .map(|(_, e)| e.data_offsets);
        let hot = layers.fold(None, |span: Option<(u64, u64)>, (s, e)| match span {
            None => Some((s, e)),
            Some((a, b)) => Some((a.min(s), b.max(e))),
        });
        let hot = hot.map(|(s, e)| (8 + header_len + s, e - s));
        super::mapped::with_weights(&file, hot, device, |vb: VarBuilder| {
            let vb = if prefix.is_empty() { vb } else { vb.pp(prefix.trim_end_matches('.')) };
            let embeddings = vb.pp("embeddings");
            let words = match lazy {
                Some(table) => Words::Lazy(table),
                None => Words::Loaded(candle_nn::embedding(
                    config.vocab_size,
                    hidden,
                    embeddings.pp("word_embeddings"),
                )?),
            };
            let position = candle_nn::embedding(
                config.max_position_embeddings,
                hidden,
                embeddings.pp("position_embeddings"),
            )?;
            let token_type = candle_nn::embedding(
                config.type_vocab_size,
                hidden,
                embeddings.pp("token_type_embeddings"),
            )?;
            let norm =
                candle_nn::layer_norm(hidden, config.layer_norm_eps, embeddings.pp("LayerNorm"))?;
            let encoder = BertEncoder::load(vb.pp("encoder"), config)?;
            Ok(Bert { words, position, token_type, norm, encoder, hidden, device: device.clone() })
        })
    }

    /// The last layer's states, `(batch, len, hidden)`, for `ids` (`batch`
    /// rows of `len` word pieces, flattened) with `mask` (1 for a real
    /// token, 0 for padding; `None`: all real), as candle's
    /// `BertModel::forward` computes them with token type 0.
    pub(super) fn forward(
        &self,
        ids: &[u32],
        (batch, len): (usize, usize),
        mask: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let input = Tensor::from_vec(ids.to_vec(), (batch, len), &self.device)?;
        let words = match &self.words {
            Words::Lazy(table) => {
                let rows = table.rows(ids).map_err(candle_core::Error::Msg)?;
                Tensor::from_vec(rows, (batch, len, self.hidden), &self.device)?
            }
            Words::Loaded(table) => table.forward(&input)?,
        };
        let types = self.token_type.forward(&input.zeros_like()?)?;
        let positions: Vec<u32> = (0..len as u32).collect();
        let positions = Tensor::new(positions.as_slice(), &self.device)?;
        let embedded = (&words + types)?.broadcast_add(&self.position.forward(&positions)?)?;
        let embedded = self.norm.forward(&embedded)?;
        let mask = match mask {
            Some(mask) => mask.clone(),
            None => input.ones_like()?,
        };
        // candle's get_extended_attention_mask: 0 where real, f32::MIN
        // where padding, broadcast over heads and query positions.
        let mask = mask.unsqueeze(1)?.unsqueeze(1)?.to_dtype(DType::F32)?;
        let mask = (mask.ones_like()? - &mask)?
            .broadcast_mul(&Tensor::try_from(f32::MIN)?.to_device(&self.device)?)?;
        self.encoder.forward(&embedded, &mask)
    }
}

impl Table {
    /// The rows of `ids`, one after another.
    fn rows(&self, ids: &[u32]) -> Result<Vec<f32>, String> {
        let row_bytes = self.dims * 4;
        let mut out = Vec::with_capacity(ids.len() * self.dims);
        let mut push = |bytes: &[u8]| {
            out.extend(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])));
        };
        let check = |id: u32| {
            let id = id as usize;
            if id < self.rows {
                Ok(id)
            } else {
                Err(format!("word piece {id} is not in the table"))
            }
        };
        if ids.len() > FEW_TOKENS || self.all.get().is_some() {
            let all = self.all.get_or_init(|| self.read_all()).as_ref().map_err(Clone::clone)?;
            for &id in ids {
                let at = check(id)? * row_bytes;
                push(&all[at..at + row_bytes]);
            }
        } else {
            let mut row = vec![0u8; row_bytes];
            for &id in ids {
                let at = self.start + (check(id)? * row_bytes) as u64;
                self.file.read_exact_at(&mut row, at).map_err(|e| self.error(e))?;
                push(&row);
            }
        }
        Ok(out)
    }

    fn read_all(&self) -> Result<Vec<u8>, String> {
        let mut all = vec![0u8; self.rows * self.dims * 4];
        self.file.read_exact_at(&mut all, self.start).map_err(|e| self.error(e))?;
        Ok(all)
    }

    fn error(&self, e: std::io::Error) -> String {
        format!(
            "{}: cannot read the word-piece table ({e}); was the model replaced while folio ran?",
            self.path.display()
        )
    }
}

/// The safetensors header of `file`: its length in bytes and its entries.
fn header(file: &File) -> Result<(u64, Vec<(String, Entry)>), String> {
    let not = |why: &str| format!("not safetensors weights ({why})");
    let mut len = [0u8; 8];
    file.read_exact_at(&mut len, 0).map_err(|e| not(&e.to_string()))?;
    let len = u64::from_le_bytes(len);
    let size = file.metadata().map_err(|e| e.to_string())?.len();
    if len > size.saturating_sub(8) || len > 100 << 20 {
        return Err(not("its header is longer than the file"));
    }
    let mut text = vec![0u8; len as usize];
    file.read_exact_at(&mut text, 8).map_err(|e| not(&e.to_string()))?;
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&text).map_err(|e| not(&e.to_string()))?;
    let mut entries = Vec::with_capacity(map.len());
    for (name, value) in map {
        if name == "__metadata__" {
            continue;
        }
        let entry: Entry = serde_json::from_value(value).map_err(|e| not(&e.to_string()))?;
        if entry.data_offsets.0 > entry.data_offsets.1 || 8 + len + entry.data_offsets.1 > size {
            return Err(not(&format!("{name} runs past the end of the file")));
        }
        entries.push((name, entry));
    }
    Ok((len, entries))
}
