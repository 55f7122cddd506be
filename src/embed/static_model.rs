//! A static sentence model: one stored vector per word piece, and a text's
//! vector is the normalised mean of its word pieces' vectors. No network
//! runs, so it embeds thousands of texts per second where the transformer
//! embeds tens.
//!
//! This module owns the folder's format (what [`crate::embed::distill`]
//! writes and [`crate::embed::Embedder::load`] reads) and the pooling. The
//! folder has the transformer's file names, so the model's fingerprint
//! (config, weights' size and ends) tells the two apart:
//!
//! - `config.json`: `{"model_type": "folio-static", "hidden_size": D,
//!   "vocab_size": V, "max_tokens": N, ...}` plus how it was made;
//! - `model.safetensors`: one f32 tensor `embeddings` of shape `[V, D]`,
//!   the token weights already multiplied in;
//! - `tokenizer.json`: the source model's tokenizer, unchanged.

use std::path::Path;

use candle_core::{DType, Device};

use super::{EmbedError, bad};

/// `model_type` in a static folder's config.json.
pub const MODEL_TYPE: &str = "folio-static";

/// The tensor holding the token vectors.
pub const TENSOR: &str = "embeddings";

/// Word pieces per text when the config does not say: a static model costs
/// little per token, so long passages are cut late (Model2Vec's default).
pub const DEFAULT_MAX_TOKENS: usize = 512;

/// Whether a parsed config.json describes a static model.
pub fn is_static(config: &serde_json::Value) -> bool {
    config.get("model_type").and_then(|t| t.as_str()) == Some(MODEL_TYPE)
}

/// What a static folder's config.json must say.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct StaticConfig {
    /// Dimensions of each vector.
    pub hidden_size: usize,
    /// Rows of the token table (the tokenizer's vocabulary).
    pub vocab_size: usize,
    /// Word pieces per text; longer text is cut.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: usize,
}

fn default_max_tokens() -> usize {
    DEFAULT_MAX_TOKENS
}

/// The token table: row `id` is word piece `id`'s vector.
pub struct TokenTable {
    vectors: Vec<f32>,
    dims: usize,
}

impl TokenTable {
    /// The table in `bytes` (the contents of `path`), checked against
    /// `config`'s shape.
    pub fn from_safetensors(
        path: &Path,
        bytes: &[u8],
        config: &StaticConfig,
    ) -> Result<Self, EmbedError> {
        let tensors = candle_core::safetensors::load_buffer(bytes, &Device::Cpu)
            .map_err(|e| bad(path, format!("not safetensors weights ({e})")))?;
        let table = tensors
            .get(TENSOR)
            .ok_or_else(|| bad(path, format!("no `{TENSOR}` tensor: not a static model")))?;
        let expected = [config.vocab_size, config.hidden_size];
        if table.dims() != expected {
            return Err(bad(
                path,
                format!(
                    "`{TENSOR}` is {:?}, config.json says {expected:?}: distil the model again",
                    table.dims()
                ),
            ));
        }
        let vectors = table
            .to_dtype(DType::F32)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| bad(path, e.to_string()))?;
        Ok(TokenTable { vectors, dims: config.hidden_size })
    }

    /// Dimensions of each vector.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The unit vector of a text cut into `ids`: the mean of their rows,
    /// normalised. Ids outside the table are skipped; a text with no word
    /// piece gets the zero vector (it is near nothing).
    pub fn embed(&self, ids: &[u32]) -> Vec<f32> {
        let mut sum = vec![0.0f32; self.dims];
        for &id in ids {
            let start = id as usize * self.dims;
            if let Some(row) = self.vectors.get(start..start + self.dims) {
                for (s, x) in sum.iter_mut().zip(row) {
                    *s += x;
                }
            }
        }
        // The mean and the sum point the same way: normalising the sum is
        // normalising the mean.
        let norm = super::dot(&sum, &sum).sqrt();
        if norm > 1e-12 {
            for s in &mut sum {
                *s /= norm;
            }
        }
        sum
    }
}
