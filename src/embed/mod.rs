//! Sentence embeddings, offline: a BERT sentence model (all-MiniLM-L6-v2 by
//! default) run in Rust with candle, its text cut into word pieces by the
//! `tokenizers` crate.
//!
//! This module owns where the model comes from ([`locate`]), loading it
//! ([`Embedder::load`]) and turning text into unit vectors
//! ([`Embedder::embed`]): mean pooling of the last layer over the real
//! tokens, then L2 normalisation, as sentence-transformers does for this
//! model. [`fetch`] downloads the model into the cache folder. It knows
//! nothing of notes or of the index. [`tiny`] writes a
//! small random model in the same layout, so the loading and inference code
//! is tested on machines that have no model. [`static_model`] is the
//! other kind of model a folder can hold: a table of word-piece vectors
//! that [`distill`] makes from a transformer (the Model2Vec method).

mod bert;
pub mod distill;
pub mod fetch;
pub mod floor;
mod mapped;
pub mod static_model;
pub mod store;
pub mod tiny;
mod tokenizer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use candle_core::{DType, Device, Tensor};
use candle_transformers::models::bert::Config;
use tokenizers::{Tokenizer, TruncationParams};

/// The model's folder name in the cache.
pub const DEFAULT_MODEL: &str = "all-MiniLM-L6-v2";

/// Files a model folder must hold.
pub const MODEL_FILES: [&str; 3] = ["config.json", "model.safetensors", "tokenizer.json"];

/// Tokens per text when the folder does not say (sentence-transformers'
/// `max_seq_length` for all-MiniLM-L6-v2); longer text is cut.
const DEFAULT_MAX_TOKENS: usize = 256;

/// Texts run through the model together. Texts are sorted by length first,
/// so a batch pads little (`folio model check --batch N` times others).
/// Small batches keep each step's tensors in cache: on 160 real highlights,
/// one thread, 8 embeds about 47 texts per CPU-second, 16 about 35, 32 and
/// 64 about 23, 1 about 42 (BENCHMARKS.md).
const BATCH: usize = 8;

/// The vectors of one batch's texts, in the batch's order.
type BatchVectors = Vec<Vec<f32>>;

/// A problem finding, loading or running the model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmbedError {
    /// The model folder lacks a file.
    #[error(
        "{}: no {file} here; a model folder holds {}. Get one with `folio model fetch`, \
         or point --model / FOLIO_MODEL at a folder that has them",
        dir.display(), MODEL_FILES.join(", ")
    )]
    Missing {
        /// The model folder.
        dir: PathBuf,
        /// The missing file.
        file: &'static str,
    },
    /// A file of the model could not be read or understood.
    #[error("{}: {message}", path.display())]
    Bad {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The model failed on some text.
    #[error("embedding failed: {0}")]
    Run(String),
}

/// Where the model is: the folder given (`--model`, `FOLIO_MODEL`), else
/// the cache folder when it holds a model. `None` means no model: folio
/// then searches words only. The value `off` turns the model off.
pub fn locate(given: Option<&Path>) -> Option<PathBuf> {
    match given {
        _ if turned_off(given) => None,
        Some(dir) => Some(dir.to_path_buf()),
        None => {
            let cached = cache_dir()?.join(DEFAULT_MODEL);
            cached.join("model.safetensors").is_file().then_some(cached)
        }
    }
}

/// Whether the folder given (`--model`, `FOLIO_MODEL`) is `off`: the
/// reader chose words only.
pub fn turned_off(given: Option<&Path>) -> bool {
    given.is_some_and(|dir| dir.as_os_str() == "off")
}

/// The folder models are kept in: `$XDG_CACHE_HOME/folio/models`, else
/// `~/.cache/folio/models`.
pub fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("folio").join("models"))
}

/// A model folder, loaded the first time it is needed: a refresh with
/// nothing new to embed never pays for loading it.
#[derive(Debug)]
pub struct Model {
    dir: PathBuf,
    loaded: std::sync::OnceLock<Result<Embedder, String>>,
}

impl Model {
    /// The model in `dir`, not loaded yet.
    pub fn new(dir: PathBuf) -> Self {
        Model { dir, loaded: std::sync::OnceLock::new() }
    }

    /// The model's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The loaded model; the error (loading is tried once) says what is
    /// wrong and what to do.
    pub fn get(&self) -> Result<&Embedder, String> {
        self.loaded
            .get_or_init(|| Embedder::load(&self.dir).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// [`Embedder::fingerprint`] without loading the weights.
    pub fn fingerprint(&self) -> Result<u64, String> {
        if let Some(Ok(embedder)) = self.loaded.get() {
            return Ok(embedder.fingerprint);
        }
        let config_path = self.dir.join("config.json");
        let config = read(&config_path).map_err(|e| e.to_string())?;
        fingerprint(&self.dir.join("model.safetensors"), &config).map_err(|e| e.to_string())
    }
}

/// A loaded sentence model.
pub struct Embedder {
    engine: Engine,
    tokenizer: Tokenizer,
    dims: usize,
    /// A name for the model and its weights, recorded beside the vectors
    /// so vectors from another model are never mixed in.
    fingerprint: u64,
    timings: LoadTimings,
}

/// What turns word pieces into vectors.
enum Engine {
    /// A BERT network run over the whole text: mean of its last layer.
    Transformer { model: Box<bert::Bert>, device: Device, shape: floor::Shape },
    /// A table of word-piece vectors (see [`static_model`]).
    Static(static_model::TokenTable),
}

/// Where a model load's time went (`folio model check` prints them). The
/// tokenizer is parsed beside the weights, so the load takes about the
/// larger of the two, not their sum.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct LoadTimings {
    /// Parsing tokenizer.json.
    pub tokenizer_ms: f64,
    /// Reading model.safetensors: its fingerprint, and a static model's
    /// table (a transformer's weights are mapped: their one copy counts
    /// as laying them out).
    pub weights_read_ms: f64,
    /// Laying the weights out as tensors (or the static model's table).
    pub weights_build_ms: f64,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder").field("dims", &self.dims).finish_non_exhaustive()
    }
}

impl Embedder {
    /// Loads the model in `dir` (config.json, model.safetensors,
    /// tokenizer.json, and sentence_bert_config.json when present): a BERT
    /// transformer, or a static model when config.json's `model_type` is
    /// [`static_model::MODEL_TYPE`].
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        for file in MODEL_FILES {
            if !dir.join(file).is_file() {
                return Err(EmbedError::Missing { dir: dir.to_path_buf(), file });
            }
        }
        let config_path = dir.join("config.json");
        let config_text = read(&config_path)?;
        let config_value: serde_json::Value = serde_json::from_str(&config_text)
            .map_err(|e| bad(&config_path, format!("not JSON ({e})")))?;
        if static_model::is_static(&config_value) {
            return Self::load_static(dir, &config_text, config_value);
        }
        let config: Config = serde_json::from_value(config_value)
            .map_err(|e| bad(&config_path, format!("not a BERT config ({e})")))?;
        let dims = config.hidden_size;
        let max_tokens = max_tokens(dir).min(config.max_position_embeddings);

        let tokenizer_path = dir.join("tokenizer.json");
        let weights = dir.join("model.safetensors");
        let device = Device::Cpu;
        // The tokenizer's JSON is parsed on a second thread while the
        // weights are read and laid out (about 50 ms beside 100: a query's
        // model load can take the longer, not the sum, when a core is free).
        let (tokenizer, weights_loaded) = std::thread::scope(|scope| {
            let tokenizer = scope.spawn(|| {
                let started = Instant::now();
                load_tokenizer(&tokenizer_path, max_tokens).map(|t| (t, started.elapsed()))
            });
            let weights_loaded = load_weights(&weights, &config_text, &config, &device);
            let tokenizer =
                tokenizer.join().unwrap_or_else(|_| Err(bad(&tokenizer_path, "parsing it failed")));
            (tokenizer, weights_loaded)
        });
        let (tokenizer, tokenizer_time) = tokenizer?;
        let (model, fingerprint, read_time, build_time) = weights_loaded?;
        let timings = LoadTimings {
            tokenizer_ms: ms(tokenizer_time),
            weights_read_ms: ms(read_time),
            weights_build_ms: ms(build_time),
        };
        let shape = floor::Shape {
            hidden: config.hidden_size,
            intermediate: config.intermediate_size,
            heads: config.num_attention_heads,
            layers: config.num_hidden_layers,
        };
        let engine = Engine::Transformer { model: Box::new(model), device, shape };
        Ok(Embedder { engine, tokenizer, dims, fingerprint, timings })
    }

    /// Loads a static model's folder (see [`static_model`]), its tokenizer
    /// parsed beside the table as the transformer's is.
    fn load_static(
        dir: &Path,
        config_text: &str,
        config: serde_json::Value,
    ) -> Result<Self, EmbedError> {
        let config_path = dir.join("config.json");
        let config: static_model::StaticConfig = serde_json::from_value(config)
            .map_err(|e| bad(&config_path, format!("not a static model's config ({e})")))?;
        let tokenizer_path = dir.join("tokenizer.json");
        let weights = dir.join("model.safetensors");
        let (tokenizer, table) = std::thread::scope(|scope| {
            let tokenizer = scope.spawn(|| {
                let started = Instant::now();
                load_tokenizer(&tokenizer_path, config.max_tokens).map(|t| (t, started.elapsed()))
            });
            let table = (|| {
                let started = Instant::now();
                let fingerprint = fingerprint(&weights, config_text)?;
                let bytes = std::fs::read(&weights).map_err(|e| bad(&weights, e.to_string()))?;
                let read_time = started.elapsed();
                let started = Instant::now();
                let table = static_model::TokenTable::from_safetensors(&weights, &bytes, &config)?;
                Ok::<_, EmbedError>((table, fingerprint, read_time, started.elapsed()))
            })();
            let tokenizer =
                tokenizer.join().unwrap_or_else(|_| Err(bad(&tokenizer_path, "parsing it failed")));
            (tokenizer, table)
        });
        let (tokenizer, tokenizer_time) = tokenizer?;
        let (table, fingerprint, read_time, build_time) = table?;
        let timings = LoadTimings {
            tokenizer_ms: ms(tokenizer_time),
            weights_read_ms: ms(read_time),
            weights_build_ms: ms(build_time),
        };
        let dims = table.dims();
        Ok(Embedder { engine: Engine::Static(table), tokenizer, dims, fingerprint, timings })
    }

    /// Whether this is a static model (a table of word-piece vectors).
    pub fn is_static(&self) -> bool {
        matches!(self.engine, Engine::Static(_))
    }

    /// Dimensions of each vector.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Identifies the model (its config and weights' size and head): vectors
    /// made by another model are not reused.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// How long loading took, part by part.
    pub fn timings(&self) -> &LoadTimings {
        &self.timings
    }

    /// One unit vector per text, in order. Texts are run in batches of
    /// similar length.
    pub fn embed<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed_batched(texts, BATCH)
    }

    /// [`Embedder::embed`] with `batch` texts per run of the model (for
    /// measuring which batch size is fastest; a static model has no runs).
    pub fn embed_batched<S: AsRef<str>>(
        &self,
        texts: &[S],
        batch: usize,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        if let Engine::Static(table) = &self.engine {
            return self.embed_static(table, texts);
        }
        let mut encodings = Vec::with_capacity(texts.len());
        for text in texts {
            let encoding = self
                .tokenizer
                .encode_fast(text.as_ref(), true)
                .map_err(|e| EmbedError::Run(e.to_string()))?;
            encodings.push(encoding);
        }
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encodings[i].get_ids().len());
        let batches: Vec<&[usize]> = order.chunks(batch.max(1)).collect();
        let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();
        let vectors = self.run_batches(&batches, &ids, Pooled::Normalised)?;
        let mut out = vec![Vec::new(); texts.len()];
        for (batch, vectors) in batches.iter().zip(vectors) {
            for (&i, vector) in batch.iter().zip(vectors) {
                out[i] = vector;
            }
        }
        Ok(out)
    }

    /// The transformer's shape and the batches [`Embedder::embed_batched`]
    /// would run for `texts` (texts per batch, padded length), for timing
    /// the products alone ([`floor`]); `None` for a static model.
    pub fn batch_shapes<S: AsRef<str>>(
        &self,
        texts: &[S],
        batch: usize,
    ) -> Result<Option<floor::Batches>, EmbedError> {
        let Engine::Transformer { shape, .. } = &self.engine else { return Ok(None) };
        let mut lengths = Vec::with_capacity(texts.len());
        for text in texts {
            let encoding = self
                .tokenizer
                .encode_fast(text.as_ref(), true)
                .map_err(|e| EmbedError::Run(e.to_string()))?;
            lengths.push(encoding.get_ids().len().max(1));
        }
        lengths.sort_unstable();
        let batches = lengths
            .chunks(batch.max(1))
            .map(|chunk| (chunk.len(), chunk.last().copied().unwrap_or(1)))
            .collect();
        Ok(Some(floor::Batches { shape: *shape, batches }))
    }

    /// A static model's vectors: each text's word pieces (no `[CLS]` or
    /// `[SEP]`: they carry no meaning of the text) pooled by the table.
    /// Texts are spread over the cores; each is independent of the others,
    /// so a batch gives exactly what one-by-one gives.
    fn embed_static<S: AsRef<str>>(
        &self,
        table: &static_model::TokenTable,
        texts: &[S],
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        use rayon::prelude::*;
        let texts: Vec<&str> = texts.iter().map(AsRef::as_ref).collect();
        texts
            .par_iter()
            .map(|&text| {
                let encoding = self
                    .tokenizer
                    .encode_fast(text, false)
                    .map_err(|e| EmbedError::Run(e.to_string()))?;
                Ok(table.embed(encoding.get_ids()))
            })
            .collect()
    }

    /// The mean-pooled, not normalised, last-layer vectors of word-piece
    /// sequences given as ids (the distillation's one-token texts), in
    /// order; `None` for a static model, which has no network.
    pub(crate) fn run_ids(
        &self,
        rows: &[Vec<u32>],
        batch: usize,
    ) -> Option<Result<Vec<Vec<f32>>, EmbedError>> {
        if let Engine::Static(_) = self.engine {
            return None;
        }
        let order: Vec<usize> = (0..rows.len()).collect();
        let batches: Vec<&[usize]> = order.chunks(batch.max(1)).collect();
        let ids: Vec<&[u32]> = rows.iter().map(Vec::as_slice).collect();
        Some(
            self.run_batches(&batches, &ids, Pooled::Raw)
                .map(|b| b.into_iter().flatten().collect()),
        )
    }

    /// The tokenizer (the distillation walks its vocabulary).
    pub(crate) fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Runs every batch, side by side, one per core. Each runs on a thread
    /// of its own whose rayon pool has that one thread, so candle does not
    /// split the matrix products of one small batch between the cores.
    fn run_batches(
        &self,
        batches: &[&[usize]],
        ids: &[&[u32]],
        pooled: Pooled,
    ) -> Result<Vec<BatchVectors>, EmbedError> {
        let run = |batch: &[usize]| {
            let ids: Vec<&[u32]> = batch.iter().map(|&i| ids[i]).collect();
            self.run(&ids, pooled).map_err(|e| EmbedError::Run(e.to_string()))
        };
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        if batches.len() <= 1 || workers <= 1 {
            return batches.iter().map(|batch| run(batch)).collect();
        }
        let next = AtomicUsize::new(0);
        let worker = || -> Result<Vec<(usize, BatchVectors)>, EmbedError> {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .map_err(|e| EmbedError::Run(e.to_string()))?;
            pool.install(|| {
                let mut done = Vec::new();
                loop {
                    let b = next.fetch_add(1, Ordering::Relaxed);
                    let Some(batch) = batches.get(b) else { return Ok(done) };
                    done.push((b, run(batch)?));
                }
            })
        };
        let mut out = vec![Vec::new(); batches.len()];
        std::thread::scope(|scope| {
            let handles: Vec<_> =
                (0..workers.min(batches.len())).map(|_| scope.spawn(worker)).collect();
            for handle in handles {
                let done = handle.join().unwrap_or_else(|_| {
                    Err(EmbedError::Run("an embedding thread failed".into()))
                })?;
                for (b, vectors) in done {
                    out[b] = vectors;
                }
            }
            Ok(out)
        })
    }

    /// The unit vector of one text.
    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        Ok(self.embed(&[text])?.pop().unwrap_or_default())
    }

    /// Runs one batch: pads to the longest, masks the padding, mean-pools
    /// over the real tokens and (for [`Pooled::Normalised`]) normalises.
    fn run(&self, ids: &[&[u32]], pooled: Pooled) -> candle_core::Result<Vec<Vec<f32>>> {
        let Engine::Transformer { model, device, .. } = &self.engine else {
            return Err(candle_core::Error::Msg("a static model has no network to run".into()));
        };
        let len = ids.iter().map(|ids| ids.len()).max().unwrap_or(0).max(1);
        let mut flat = Vec::with_capacity(ids.len() * len);
        let mut mask = Vec::with_capacity(ids.len() * len);
        for row in ids {
            flat.extend(row.iter().copied());
            flat.extend(std::iter::repeat_n(0, len - row.len()));
            mask.extend(std::iter::repeat_n(1u32, row.len()));
            mask.extend(std::iter::repeat_n(0u32, len - row.len()));
        }
        let shape = (ids.len(), len);
        let mask = Tensor::from_vec(mask, shape, device)?;
        let hidden = model.forward(&flat, shape, Some(&mask))?;
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?.clamp(1.0, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        if pooled == Pooled::Raw {
            return mean.to_vec2::<f32>();
        }
        let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        mean.broadcast_div(&norm)?.to_vec2::<f32>()
    }
}

/// Whether a batch's mean vectors are normalised (sentence vectors) or
/// left as they are (the distillation's token vectors, whose lengths it
/// keeps, as Model2Vec does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pooled {
    Normalised,
    Raw,
}

/// The tokenizer in `path`, cutting text at `max_tokens` and padding no
/// batch (batches pad to their longest text, which is most of the speed;
/// the shipped file pads every text to 128 tokens).
fn load_tokenizer(path: &Path, max_tokens: usize) -> Result<Tokenizer, EmbedError> {
    let mut tokenizer = tokenizer::read(path).map_err(|e| bad(path, e))?;
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(TruncationParams { max_length: max_tokens, ..Default::default() }))
        .map_err(|e| bad(path, format!("cannot truncate ({e})")))?;
    Ok(tokenizer)
}

/// The weights in `path` as a model for `config`, their fingerprint, and
/// how long reading the file and laying out the tensors took.
fn load_weights(
    path: &Path,
    config_text: &str,
    config: &Config,
    device: &Device,
) -> Result<(bert::Bert, u64, Duration, Duration), EmbedError> {
    let started = Instant::now();
    let fingerprint = fingerprint(path, config_text)?;
    // Mapped, not read: each layer's tensor is copied once, from the page
    // cache; the word-piece table is read row by row when used.
    let read_time = started.elapsed();
    let started = Instant::now();
    let model = bert::Bert::load(path, config, device).map_err(|e| bad(path, e))?;
    Ok((model, fingerprint, read_time, started.elapsed()))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Tokens per text: sentence_bert_config.json's `max_seq_length`, else 256.
fn max_tokens(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("sentence_bert_config.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|v| v.get("max_seq_length").and_then(|n| n.as_u64()))
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_MAX_TOKENS)
}

/// A hash of the config, the weights' size and their first and last
/// megabyte: cheap, and it changes whenever the model does in practice.
fn fingerprint(weights: &Path, config: &str) -> Result<u64, EmbedError> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(weights).map_err(|e| bad(weights, e.to_string()))?;
    let size = file.metadata().map_err(|e| bad(weights, e.to_string()))?.len();
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(config.as_bytes());
    hasher.update(&size.to_le_bytes());
    let mut chunk = vec![0u8; 1 << 20];
    for start in [0, size.saturating_sub(1 << 20)] {
        file.seek(SeekFrom::Start(start)).map_err(|e| bad(weights, e.to_string()))?;
        let n = file.read(&mut chunk).map_err(|e| bad(weights, e.to_string()))?;
        hasher.update(&chunk[..n]);
    }
    Ok(hasher.digest())
}

fn read(path: &Path) -> Result<String, EmbedError> {
    std::fs::read_to_string(path).map_err(|e| bad(path, e.to_string()))
}

pub(crate) fn bad(path: &Path, message: impl Into<String>) -> EmbedError {
    EmbedError::Bad { path: path.to_path_buf(), message: message.into() }
}

/// Cosine similarity of two unit vectors (their dot product).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> (tempfile::TempDir, Embedder) {
        let dir = tempfile::tempdir().expect("test value");
        tiny::write_tiny_model(dir.path(), 7).expect("test value");
        let embedder = Embedder::load(dir.path()).expect("test value");
        (dir, embedder)
    }

    const TEXTS: [&str; 5] = [
        "the cat sat on the mat",
        "responsibility is diffused in a group",
        "a",
        "the old man and the sea and the long fight with the great fish out past the reef",
        "",
    ];

    #[test]
    fn vectors_have_the_model_dims_and_unit_length() {
        let (_dir, embedder) = model();
        let vectors = embedder.embed(&TEXTS).expect("test value");
        assert_eq!(vectors.len(), TEXTS.len());
        for v in &vectors {
            assert_eq!(v.len(), tiny::HIDDEN);
            let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
        }
    }

    #[test]
    fn a_batch_gives_what_one_by_one_gives() {
        let (_dir, embedder) = model();
        let batch = embedder.embed(&TEXTS).expect("test value");
        for (text, vector) in TEXTS.iter().zip(&batch) {
            let alone = embedder.embed_one(text).expect("test value");
            let worst = alone.iter().zip(vector).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(worst < 1e-4, "{text:?} differs by {worst}");
        }
    }

    #[test]
    fn batches_run_side_by_side_give_the_same_vectors_in_order() {
        // One text per batch: several batches run on several threads and
        // must come back in the callers' order, equal to one big batch.
        let (_dir, embedder) = model();
        let together = embedder.embed_batched(&TEXTS, TEXTS.len()).expect("test value");
        for batch in [1, 2] {
            let apart = embedder.embed_batched(&TEXTS, batch).expect("test value");
            assert_eq!(apart.len(), TEXTS.len());
            for ((text, a), b) in TEXTS.iter().zip(&apart).zip(&together) {
                let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
                assert!(worst < 1e-4, "batch {batch}: {text:?} differs by {worst}");
            }
        }
    }

    #[test]
    fn same_text_same_vector_across_loads() {
        let (dir, embedder) = model();
        let again = Embedder::load(dir.path()).expect("test value");
        assert_eq!(
            embedder.embed(&TEXTS).expect("test value"),
            again.embed(&TEXTS).expect("test value")
        );
        assert_eq!(embedder.fingerprint(), again.fingerprint());
        let other = tempfile::tempdir().expect("test value");
        tiny::write_tiny_model(other.path(), 8).expect("test value");
        let other = Embedder::load(other.path()).expect("test value");
        assert_ne!(embedder.fingerprint(), other.fingerprint());
        assert_ne!(
            embedder.embed_one(TEXTS[0]).expect("test value"),
            other.embed_one(TEXTS[0]).expect("test value")
        );
    }

    #[test]
    fn pooling_is_the_mean_over_real_tokens() {
        // Mean pooling: a text's vector is the normalised mean of its
        // token states, so padding a batch must not move it, and different
        // texts give different vectors.
        let (_dir, embedder) = model();
        let v = embedder
            .embed(&["the cat", "the cat sat on the mat with the dog"])
            .expect("test value");
        let alone = embedder.embed_one("the cat").expect("test value");
        assert!(dot(&v[0], &alone) > 0.9999);
        assert!(dot(&v[0], &v[1]) < 0.9999);
        // By hand: the last layer's states for "the cat", averaged.
        let ids = embedder.tokenizer.encode_fast("the cat", true).expect("test value");
        let ids = ids.get_ids();
        let Engine::Transformer { model, .. } = &embedder.engine else {
            panic!("the tiny model is a transformer")
        };
        let hidden = model
            .forward(ids, (1, ids.len()), None)
            .expect("test value")
            .squeeze(0)
            .expect("test value")
            .to_vec2::<f32>()
            .expect("test value");
        let mut mean = vec![0.0f32; tiny::HIDDEN];
        for row in &hidden {
            for (m, x) in mean.iter_mut().zip(row) {
                *m += x / hidden.len() as f32;
            }
        }
        let norm = dot(&mean, &mean).sqrt();
        let by_hand: Vec<f32> = mean.iter().map(|x| x / norm).collect();
        assert!(dot(&by_hand, &alone) > 0.9999);
    }

    /// The sentence vectors of `texts` run as one padded batch, by
    /// folio's network and by candle's `BertModel` with every weight read
    /// into memory (as folio ran it before: the whole word-piece table
    /// loaded, candle's own layers), mean-pooled and normalised alike: the
    /// largest difference of any component.
    fn difference_from_candle(dir: &Path, texts: &[&str]) -> f32 {
        use candle_nn::VarBuilder;
        use candle_transformers::models::bert::BertModel;
        let embedder = Embedder::load(dir).expect("test value");
        let config: Config =
            serde_json::from_str(&read(&dir.join("config.json")).expect("test value"))
                .expect("test value");
        let bytes = std::fs::read(dir.join("model.safetensors")).expect("test value");
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &Device::Cpu)
            .expect("test value");
        let candle = BertModel::load(vb, &config).expect("test value");
        let Engine::Transformer { model, device, .. } = &embedder.engine else {
            panic!("a transformer")
        };
        let encodings: Vec<_> = texts
            .iter()
            .map(|t| embedder.tokenizer.encode_fast(*t, true).expect("test value"))
            .collect();
        let len = encodings.iter().map(|e| e.get_ids().len()).max().unwrap_or(1);
        let (mut flat, mut mask) = (Vec::new(), Vec::new());
        for e in &encodings {
            let ids = e.get_ids();
            flat.extend(ids.iter().copied().chain(std::iter::repeat_n(0, len - ids.len())));
            mask.extend((0..len).map(|i| u32::from(i < ids.len())));
        }
        let shape = (texts.len(), len);
        let mask = Tensor::from_vec(mask, shape, device).expect("test value");
        let ours = model.forward(&flat, shape, Some(&mask)).expect("test value");
        let input = Tensor::from_vec(flat, shape, device).expect("test value");
        let theirs = candle
            .forward(&input, &input.zeros_like().expect("test value"), Some(&mask))
            .expect("test value");
        let pooled = |hidden: Tensor| {
            let mask = mask.to_dtype(DType::F32).and_then(|m| m.unsqueeze(2)).expect("test value");
            let mean = hidden
                .broadcast_mul(&mask)
                .and_then(|h| h.sum(1))
                .and_then(|s| s.broadcast_div(&mask.sum(1).expect("test value")))
                .expect("test value");
            let norm = mean.sqr().and_then(|m| m.sum_keepdim(1)).and_then(|m| m.sqrt());
            let unit = mean.broadcast_div(&norm.expect("test value")).expect("test value");
            unit.flatten_all().and_then(|t| t.to_vec1::<f32>()).expect("test value")
        };
        let (ours, theirs) = (pooled(ours), pooled(theirs));
        assert_eq!(ours.len(), theirs.len());
        ours.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max)
    }

    /// A query alone (rows read one by one), a padded batch, and a batch
    /// past FEW_TOKENS (the whole table read once): vectors within 1e-6 of
    /// candle's own BERT.
    fn same_vectors_as_candle(dir: &Path) {
        let long = ["the old man and the sea and the long fight with the great fish"; 24];
        for texts in [&["bystander effect in crowds"][..], &TEXTS[..], &long[..]] {
            let worst = difference_from_candle(dir, texts);
            assert!(worst <= 1e-6, "{} texts: a component differs by {worst}", texts.len());
        }
    }

    #[test]
    fn the_network_gives_candles_vectors() {
        let (dir, _) = model();
        same_vectors_as_candle(dir.path());
    }

    /// `FOLIO_MODEL=DIR cargo test --features real-model --lib candles_vectors`
    #[cfg(feature = "real-model")]
    #[test]
    fn the_network_gives_candles_vectors_with_the_real_model() {
        let dir = std::env::var_os("FOLIO_MODEL").expect("FOLIO_MODEL names the model folder");
        same_vectors_as_candle(Path::new(&dir));
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = tempfile::tempdir().expect("test value");
        let err = Embedder::load(dir.path()).expect_err("should fail").to_string();
        assert!(err.contains("config.json") && err.contains("FOLIO_MODEL"), "{err}");
        tiny::write_tiny_model(dir.path(), 1).expect("test value");
        let weights = dir.path().join("model.safetensors");
        let whole = std::fs::read(&weights).expect("test value");
        std::fs::write(&weights, b"not weights").expect("test value");
        let err = Embedder::load(dir.path()).expect_err("should fail").to_string();
        assert!(err.contains("model.safetensors"), "{err}");
        // Cut short (a download that stopped): the header promises more
        // bytes than there are.
        std::fs::write(&weights, &whole[..whole.len() / 2]).expect("test value");
        let err = Embedder::load(dir.path()).expect_err("should fail").to_string();
        assert!(err.contains("model.safetensors") && err.contains("not safetensors"), "{err}");
    }

    #[test]
    fn off_turns_the_model_off() {
        assert_eq!(locate(Some(Path::new("off"))), None);
        assert_eq!(locate(Some(Path::new("/m"))), Some(PathBuf::from("/m")));
    }
}
