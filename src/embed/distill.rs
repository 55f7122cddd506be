//! Distilling a static model from a transformer, the Model2Vec method
//! (Tulkens and van Dongen, 2024): every word piece of the vocabulary is
//! run through the transformer alone (`[CLS] piece [SEP]`, mean-pooled as
//! a sentence is), the vectors are centred on their mean, and each is
//! weighted down the more frequent its piece is likely to be (Zipf's law
//! over the vocabulary's order, then SIF weights `a / (a + p)`).
//!
//! This module owns making the folder; [`super::static_model`] owns its
//! format and reading it. Dimensions are kept (no PCA reduction): a
//! rotation leaves cosines as they are, so of PCA only the centring
//! changes rankings, and that is done here.

use std::path::Path;
use std::time::Instant;

use candle_core::{Device, Tensor};

use super::static_model::{self, DEFAULT_MAX_TOKENS, MODEL_TYPE, TENSOR};
use super::{EmbedError, Embedder, bad};

/// How a static model is made.
#[derive(Debug, Clone, Copy)]
pub struct DistillOptions {
    /// SIF's `a`: a word piece of estimated frequency `p` is weighted
    /// `a / (a + p)`. Model2Vec's default, 1e-4.
    pub sif_coefficient: f64,
    /// Subtract the mean token vector (PCA's centring).
    pub center: bool,
    /// One-token texts run through the transformer together.
    pub batch: usize,
}

impl Default for DistillOptions {
    fn default() -> Self {
        DistillOptions { sif_coefficient: 1e-4, center: true, batch: 64 }
    }
}

/// What a distillation made.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DistillReport {
    /// Word pieces embedded (rows of the table).
    pub tokens: usize,
    /// Dimensions of each vector.
    pub dims: usize,
    /// Seconds spent running the transformer over the vocabulary.
    pub embed_seconds: f64,
    /// Bytes of the folder written.
    pub bytes: u64,
}

/// Distils the transformer in `source` into a static model folder `to`.
/// `to` must be new, empty or an earlier static model: a transformer's
/// folder is never overwritten.
pub fn distill(
    source: &Path,
    to: &Path,
    options: &DistillOptions,
) -> Result<DistillReport, EmbedError> {
    check_target(to)?;
    let embedder = Embedder::load(source)?;
    let source_config = source.join("config.json");
    let tokenizer = embedder.tokenizer();
    // The rows a one-token text gets: the model's own framing of an empty
    // text (`[CLS] [SEP]` for BERT) with the piece after its first token.
    let frame = tokenizer.encode_fast("", true).map_err(|e| EmbedError::Run(e.to_string()))?;
    let frame = frame.get_ids();
    let tokens = tokenizer.get_vocab(true).values().max().map_or(0, |&id| id as usize + 1);
    let rows: Vec<Vec<u32>> = (0..tokens as u32)
        .map(|id| {
            let split = frame.len().min(1);
            let mut row = frame[..split].to_vec();
            row.push(id);
            row.extend_from_slice(&frame[split..]);
            row
        })
        .collect();

    let started = Instant::now();
    let vectors = embedder
        .run_ids(&rows, options.batch)
        .ok_or_else(|| bad(&source_config, "already a static model: distil a transformer"))??;
    let embed_seconds = started.elapsed().as_secs_f64();
    let dims = embedder.dims();
    let table = post_process(vectors, dims, options);

    std::fs::create_dir_all(to).map_err(|e| bad(to, e.to_string()))?;
    // Each file is written beside its final name and renamed into place,
    // so a kill leaves whole files (a half-written table would load as a
    // broken model): the weights first, config.json last.
    let weights = to.join("model.safetensors");
    let partial = to.join("model.safetensors.partial");
    let tensor = Tensor::from_vec(table, (tokens, dims), &Device::Cpu)
        .map_err(|e| bad(&weights, e.to_string()))?;
    candle_core::safetensors::save(&std::collections::HashMap::from([(TENSOR, tensor)]), &partial)
        .map_err(|e| bad(&partial, e.to_string()))?;
    std::fs::rename(&partial, &weights).map_err(|e| bad(&weights, e.to_string()))?;
    let source_fingerprint = super::Model::new(source.to_path_buf())
        .fingerprint()
        .map_err(|message| bad(&source_config, message))?;
    let config = serde_json::json!({
        "model_type": MODEL_TYPE,
        "hidden_size": dims,
        "vocab_size": tokens,
        "max_tokens": DEFAULT_MAX_TOKENS,
        // The folder's name, not its path: the same model distilled from
        // another place is the same model (the config is in the fingerprint).
        "distilled_from": source.file_name().map(|n| n.to_string_lossy().into_owned()),
        "source_fingerprint": format!("{source_fingerprint:016x}"),
        "pooling": "mean of each word piece's vector, normalised",
        "token_vectors": "the source's mean-pooled output for [CLS] piece [SEP]",
        "centered": options.center,
        "sif_coefficient": options.sif_coefficient,
    });
    let tokenizer_path = to.join("tokenizer.json");
    let partial = to.join("tokenizer.json.partial");
    std::fs::copy(source.join("tokenizer.json"), &partial)
        .map_err(|e| bad(&tokenizer_path, e.to_string()))?;
    std::fs::rename(&partial, &tokenizer_path).map_err(|e| bad(&tokenizer_path, e.to_string()))?;
    let config_path = to.join("config.json");
    let config_text =
        serde_json::to_string_pretty(&config).map_err(|e| bad(&config_path, e.to_string()))?;
    let partial = to.join("config.json.partial");
    std::fs::write(&partial, config_text).map_err(|e| bad(&config_path, e.to_string()))?;
    std::fs::rename(&partial, &config_path).map_err(|e| bad(&config_path, e.to_string()))?;
    let bytes = ["config.json", "model.safetensors", "tokenizer.json"]
        .iter()
        .filter_map(|f| std::fs::metadata(to.join(f)).ok())
        .map(|m| m.len())
        .sum();
    Ok(DistillReport { tokens, dims, embed_seconds, bytes })
}

/// Refuses a target folder that holds anything but an earlier static model.
fn check_target(to: &Path) -> Result<(), EmbedError> {
    let Ok(mut entries) = std::fs::read_dir(to) else { return Ok(()) };
    if entries.next().is_none() {
        return Ok(());
    }
    let config = to.join("config.json");
    let earlier_static = std::fs::read_to_string(&config)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|value| static_model::is_static(&value));
    if earlier_static {
        Ok(())
    } else {
        Err(bad(to, "not empty and not a static model: choose a new folder for --to"))
    }
}

/// Centres the token vectors (when asked) and weights each by its rank,
/// as Model2Vec does: rank `r` (from 0, the vocabulary's order) is taken to
/// have frequency proportional to `1 / (r + 2)`.
fn post_process(vectors: Vec<Vec<f32>>, dims: usize, options: &DistillOptions) -> Vec<f32> {
    let tokens = vectors.len();
    let mut mean = vec![0.0f64; dims];
    if options.center {
        for v in &vectors {
            for (m, x) in mean.iter_mut().zip(v) {
                *m += f64::from(*x);
            }
        }
        for m in &mut mean {
            *m /= tokens.max(1) as f64;
        }
    }
    let harmonic: f64 = (0..tokens).map(|r| 1.0 / (r as f64 + 2.0)).sum();
    let a = options.sif_coefficient;
    let mut table = Vec::with_capacity(tokens * dims);
    for (rank, v) in vectors.iter().enumerate() {
        let p = 1.0 / (rank as f64 + 2.0) / harmonic;
        let weight = a / (a + p);
        table.extend(v.iter().zip(&mean).map(|(x, m)| ((f64::from(*x) - m) * weight) as f32));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::{Engine, dot, tiny};

    const TEXTS: [&str; 5] = [
        "the cat sat on the mat",
        "responsibility is diffused in a group",
        "a",
        "the old man and the sea and the long fight with the great fish out past the reef",
        "zzz qqq",
    ];

    fn distilled(seed: u64) -> (tempfile::TempDir, Embedder) {
        let dir = tempfile::tempdir().expect("test value");
        tiny::write_tiny_model(&dir.path().join("source"), seed).expect("test value");
        let to = dir.path().join("static");
        let report =
            distill(&dir.path().join("source"), &to, &DistillOptions::default()).expect("distils");
        assert_eq!(report.dims, tiny::HIDDEN);
        assert!(report.tokens > 50, "{report:?}");
        let mut names: Vec<String> = std::fs::read_dir(&to)
            .expect("test value")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        assert_eq!(names, ["config.json", "model.safetensors", "tokenizer.json"]);
        let embedder = Embedder::load(&to).expect("the static model loads");
        (dir, embedder)
    }

    #[test]
    fn a_static_model_gives_unit_vectors_of_the_source_dims() {
        let (_dir, embedder) = distilled(7);
        assert!(embedder.is_static());
        assert_eq!(embedder.dims(), tiny::HIDDEN);
        let vectors = embedder.embed(&TEXTS).expect("test value");
        assert_eq!(vectors.len(), TEXTS.len());
        for (text, v) in TEXTS.iter().zip(&vectors) {
            assert_eq!(v.len(), tiny::HIDDEN);
            let norm = dot(v, v).sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "{text:?}: norm {norm}");
        }
        assert!(dot(&vectors[0], &vectors[1]) < 0.9999, "different texts, different vectors");
        // An empty text has no word piece: the zero vector, near nothing.
        assert!(embedder.embed_one("").expect("test value").iter().all(|x| *x == 0.0));
    }

    #[test]
    fn a_static_vector_is_the_normalised_mean_of_its_pieces() {
        let (_dir, embedder) = distilled(7);
        let pieces: Vec<Vec<f32>> =
            ["cat", "mat"].iter().map(|w| embedder.embed_one(w).expect("test value")).collect();
        // "cat mat" is two single pieces; its vector lies between theirs.
        let both = embedder.embed_one("cat mat").expect("test value");
        let Engine::Static(table) = &embedder.engine else { panic!("static") };
        let ids = |w: &str| embedder.tokenizer.token_to_id(w).expect("in the vocabulary");
        let by_hand = table.embed(&[ids("cat"), ids("mat")]);
        assert!(dot(&both, &by_hand) > 0.9999);
        assert!(dot(&both, &pieces[0]) > dot(&pieces[1], &pieces[0]));
    }

    #[test]
    fn a_batch_gives_what_one_by_one_gives_and_loads_agree() {
        let (dir, embedder) = distilled(7);
        let batch = embedder.embed(&TEXTS).expect("test value");
        for (text, vector) in TEXTS.iter().zip(&batch) {
            assert_eq!(&embedder.embed_one(text).expect("test value"), vector, "{text:?}");
        }
        let again = Embedder::load(&dir.path().join("static")).expect("test value");
        assert_eq!(again.embed(&TEXTS).expect("test value"), batch);
        assert_eq!(again.fingerprint(), embedder.fingerprint());
    }

    #[test]
    fn distilling_is_deterministic_and_differs_from_its_source() {
        let (dir, first) = distilled(7);
        let (_other, second) = distilled(7);
        assert_eq!(
            std::fs::read(dir.path().join("static/model.safetensors")).expect("test value"),
            std::fs::read(_other.path().join("static/model.safetensors")).expect("test value"),
        );
        assert_eq!(first.fingerprint(), second.fingerprint());
        let source = Embedder::load(&dir.path().join("source")).expect("test value");
        assert_ne!(first.fingerprint(), source.fingerprint(), "vectors are never mixed");
        let (_third, other_seed) = distilled(8);
        assert_ne!(first.fingerprint(), other_seed.fingerprint());
    }

    #[test]
    fn the_token_vectors_are_the_source_on_each_piece_centred_and_weighted() {
        // Without centring and with a huge SIF coefficient (weights ~1),
        // a piece's row points where the transformer's vector of the
        // one-piece text does.
        let dir = tempfile::tempdir().expect("test value");
        let source = dir.path().join("source");
        tiny::write_tiny_model(&source, 3).expect("test value");
        let options = DistillOptions { sif_coefficient: 1e6, center: false, batch: 5 };
        distill(&source, &dir.path().join("static"), &options).expect("distils");
        let table = Embedder::load(&dir.path().join("static")).expect("test value");
        let transformer = Embedder::load(&source).expect("test value");
        for word in ["cat", "group", "sea"] {
            let from_table = table.embed_one(word).expect("test value");
            let from_source = transformer.embed_one(word).expect("test value");
            assert!(dot(&from_table, &from_source) > 0.9999, "{word}");
        }
        // Centring moves the rows: the default model differs.
        let centred = dir.path().join("centred");
        distill(&source, &centred, &DistillOptions::default()).expect("distils");
        let centred = Embedder::load(&centred).expect("test value");
        let a = centred.embed_one("cat").expect("test value");
        let b = table.embed_one("cat").expect("test value");
        assert!(dot(&a, &b) < 0.999);
    }

    #[test]
    fn a_transformer_folder_is_never_overwritten() {
        let dir = tempfile::tempdir().expect("test value");
        let source = dir.path().join("source");
        tiny::write_tiny_model(&source, 3).expect("test value");
        let before = std::fs::read(source.join("model.safetensors")).expect("test value");
        let err = distill(&source, &source, &DistillOptions::default()).expect_err("refused");
        assert!(err.to_string().contains("--to"), "{err}");
        assert_eq!(std::fs::read(source.join("model.safetensors")).expect("test value"), before);
        // Distilling a static model is refused too.
        let to = dir.path().join("static");
        distill(&source, &to, &DistillOptions::default()).expect("distils");
        let err = distill(&to, &dir.path().join("again"), &DistillOptions::default())
            .expect_err("refused");
        assert!(err.to_string().contains("static"), "{err}");
    }
}
