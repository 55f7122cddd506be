//! The BERT network folio runs, in candle's operations: an embedding
//! layer whose word-piece table is read from the file row by row, when a
//! text needs it, instead of at load; then BERT's layers, with fewer
//! passes over the attention scores than candle's own `BertModel`.
//!
//! Why the table is read lazily: it is more than half of
//! all-MiniLM-L6-v2's weights (30,522 × 384 floats, 47 MB of 91), and a
//! query needs a dozen of its rows. Copying it into a tensor at every load
//! cost a query process as much as the six layers did; now a few rows are
//! read with `pread` (no map, no `unsafe`), and a batch job that needs
//! many reads the table once, the first time a batch is large. The layers
//! are copied from the mapped file ([`super::mapped`]).
//!
//! Why own layers: for passages of a few hundred word pieces the
//! `(batch, heads, len, len)` attention scores are the largest tensors of
//! the network, and candle's layer makes six of them per layer (scale,
//! mask, then max, subtract, exp and divide), each a fresh allocation the
//! kernel zeroes; here there are three (product, mask, candle's one-pass
//! softmax), the scale applied to the queries instead. The embeddings are
//! candle's operations in candle's order. The vectors agree with candle's
//! `BertModel` within 1e-6 per component (`the_network_gives_candles_vectors`
//! in `super`'s tests, and its real-model twin).
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
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder};
use candle_transformers::models::bert::{Config, HiddenAct};

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
    layers: Vec<Layer>,
    hidden: usize,
    device: Device,
}

/// One transformer layer, BERT's: self-attention, then the feed-forward
/// network, each added to its input and layer-normed.
struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    up: Linear,
    down: Linear,
    out_norm: LayerNorm,
    heads: usize,
    act: HiddenAct,
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

impl Bert {
    /// The network `config` describes, from the safetensors file `path`;
    /// the error says what is wrong with the file.
    pub(super) fn load(path: &Path, config: &Config, device: &Device) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let table_file = file.try_clone().map_err(|e| e.to_string())?;
        super::mapped::with_weights(&file, device, |layout, vb| {
            let tensors = layout.tensors();
            let (prefix, words) = tensors
                .iter()
                .find_map(|(name, entry)| Some((name.strip_suffix(WORDS)?.to_string(), *entry)))
                .ok_or_else(|| format!("no {WORDS} in it: not a BERT model's weights"))?;
            let hidden = config.hidden_size;
            let lazy = (words.dtype == safetensors::Dtype::F32
                && words.shape == [config.vocab_size, hidden])
            .then(|| Table {
                file: table_file,
                path: path.to_path_buf(),
                start: layout.data_start + words.data_offsets.0 as u64,
                rows: config.vocab_size,
                dims: hidden,
                all: OnceLock::new(),
            });
            // The layers are what the load copies: their pages are faulted
            // in together, the word table's are never touched.
            let layers = tensors
                .iter()
                .filter(|(name, _)| name.starts_with(&format!("{prefix}encoder.")))
                .map(|(_, e)| e.data_offsets);
            let hot = layers.fold(None, |span: Option<(usize, usize)>, (s, e)| match span {
                None => Some((s, e)),
                Some((a, b)) => Some((a.min(s), b.max(e))),
            });
            if let Some((start, end)) = hot {
                layout.populate(layout.data_start + start as u64, (end - start) as u64);
            }
            Self::from_weights(vb, prefix, lazy, config, device)
                .map_err(|e| format!("does not match config.json ({e})"))
        })
    }

    /// The network from the mapped weights `vb`, the word table `lazy`
    /// when it is read row by row.
    fn from_weights(
        vb: VarBuilder,
        prefix: String,
        lazy: Option<Table>,
        config: &Config,
        device: &Device,
    ) -> candle_core::Result<Self> {
        let hidden = config.hidden_size;
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
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(vb.pp(format!("encoder.layer.{i}")), config))
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Bert { words, position, token_type, norm, layers, hidden, device: device.clone() })
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
        let mut states = embedded;
        for layer in &self.layers {
            states = layer.forward(&states, &mask)?;
        }
        Ok(states)
    }
}

impl Layer {
    fn load(vb: VarBuilder, config: &Config) -> candle_core::Result<Self> {
        let (hidden, inner) = (config.hidden_size, config.intermediate_size);
        let eps = config.layer_norm_eps;
        let attention = vb.pp("attention");
        let own = attention.pp("self");
        Ok(Layer {
            query: candle_nn::linear(hidden, hidden, own.pp("query"))?,
            key: candle_nn::linear(hidden, hidden, own.pp("key"))?,
            value: candle_nn::linear(hidden, hidden, own.pp("value"))?,
            attention_out: candle_nn::linear(hidden, hidden, attention.pp("output").pp("dense"))?,
            attention_norm: candle_nn::layer_norm(
                hidden,
                eps,
                attention.pp("output").pp("LayerNorm"),
            )?,
            up: candle_nn::linear(hidden, inner, vb.pp("intermediate").pp("dense"))?,
            down: candle_nn::linear(inner, hidden, vb.pp("output").pp("dense"))?,
            out_norm: candle_nn::layer_norm(hidden, eps, vb.pp("output").pp("LayerNorm"))?,
            heads: config.num_attention_heads,
            act: config.hidden_act,
        })
    }

    /// The layer's output for `states` `(batch, len, hidden)`; `mask` is
    /// added to the attention scores (0 for a real token, f32::MIN for
    /// padding). The arithmetic of candle's `BertLayer` with fewer passes
    /// over the `(batch, heads, len, len)` scores, which for passages of a
    /// few hundred word pieces are the largest tensors of the network, and
    /// each pass a fresh allocation the kernel must zero: the scale
    /// 1/√d is applied to the queries (`len × hidden` values, not
    /// `heads × len × len`), and softmax is candle's one-pass kernel
    /// instead of max, subtract, exp, sum and divide as separate tensors.
    /// The vectors agree with candle's to about 1e-6 (the tests).
    fn forward(&self, states: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, len, hidden) = states.dims3()?;
        let size = hidden / self.heads;
        let split = |t: Tensor| -> candle_core::Result<Tensor> {
            t.reshape((batch, len, self.heads, size))?.transpose(1, 2)?.contiguous()
        };
        let query = split((self.query.forward(states)? * (1.0 / (size as f64).sqrt()))?)?;
        let key = split(self.key.forward(states)?)?;
        let value = split(self.value.forward(states)?)?;
        let scores = query.matmul(&key.t()?)?.broadcast_add(mask)?;
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = weights.matmul(&value)?.transpose(1, 2)?.contiguous()?;
        let context = context.flatten_from(2)?;
        let attended =
            self.attention_norm.forward(&(self.attention_out.forward(&context)? + states)?)?;
        let inner = self.up.forward(&attended)?;
        let inner = match self.act {
            HiddenAct::Gelu => inner.gelu_erf()?,
            HiddenAct::GeluApproximate => inner.gelu()?,
            HiddenAct::Relu => inner.relu()?,
        };
        self.out_norm.forward(&(self.down.forward(&inner)? + attended)?)
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
