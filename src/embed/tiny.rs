//! A tiny BERT sentence model with seeded random weights, written in the
//! same layout as all-MiniLM-L6-v2 (config.json, model.safetensors,
//! tokenizer.json): tests and benchmarks load and run it on machines that
//! have no real model. Its vectors mean nothing; their shapes, pooling and
//! normalisation are the real code's.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::bert::{BertModel, Config};
use rand_xoshiro::Xoshiro256StarStar;
use rand_xoshiro::rand_core::{Rng as _, SeedableRng};

use super::EmbedError;

/// Dimensions of the tiny model's vectors.
pub const HIDDEN: usize = 32;

/// Whole words of the tiny vocabulary; any other word is spelled in single
/// letters, so every text gets real word pieces.
const WORDS: &str = "the a an and or of to in on is was it that with for as at by \
    from this be are not but his her they we you he she cat dog mat sat sea fish old \
    man group people responsibility book quote page read note idea time war peace";

/// Writes a tiny model with weights drawn from `seed` into `dir`.
pub fn write_tiny_model(dir: &Path, seed: u64) -> Result<(), EmbedError> {
    std::fs::create_dir_all(dir).map_err(|e| super::bad(dir, e.to_string()))?;
    let vocab = vocabulary();
    let config = serde_json::json!({
        "architectures": ["BertModel"],
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": HIDDEN,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 64,
        "model_type": "bert",
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "type_vocab_size": 2,
        "vocab_size": vocab.len(),
    });
    let config_path = dir.join("config.json");
    write(&config_path, &config.to_string())?;
    let parsed: Config = serde_json::from_value(config)
        .map_err(|e| super::bad(&config_path, format!("tiny config ({e})")))?;

    // Let candle's own BERT say which tensors it needs and their shapes,
    // then fill each from the seed (by name, so map order does not matter).
    let weights = dir.join("model.safetensors");
    let run = |e: candle_core::Error| super::bad(&weights, e.to_string());
    let varmap = VarMap::new();
    BertModel::load(VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu), &parsed)
        .map_err(run)?;
    let mut tensors = HashMap::new();
    let vars = varmap.data().lock().map_err(|_| super::bad(&weights, "poisoned"))?;
    for (name, var) in vars.iter() {
        let shape = var.shape().clone();
        let mut rng =
            Xoshiro256StarStar::seed_from_u64(seed ^ xxhash_rust::xxh3::xxh3_64(name.as_bytes()));
        let values: Vec<f32> = (0..shape.elem_count())
            .map(|_| {
                // Uniform in [-0.5, 0.5), from the top 24 bits.
                let noise = (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                if name.ends_with("LayerNorm.weight") { 1.0 + 0.2 * noise } else { noise }
            })
            .collect();
        tensors.insert(name.clone(), Tensor::from_vec(values, shape, &Device::Cpu).map_err(run)?);
    }
    candle_core::safetensors::save(&tensors, &weights).map_err(run)?;

    write(&dir.join("tokenizer.json"), &tokenizer_json(&vocab).to_string())
}

/// Special tokens first (BERT's ids are looked up by name), then words,
/// letters and word-continuing letters.
fn vocabulary() -> Vec<String> {
    let mut vocab: Vec<String> =
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].iter().map(|s| s.to_string()).collect();
    vocab.extend(WORDS.split_whitespace().map(str::to_string));
    for letter in 'a'..='z' {
        if !vocab.contains(&letter.to_string()) {
            vocab.push(letter.to_string());
        }
        vocab.push(format!("##{letter}"));
    }
    vocab
}

/// A WordPiece tokenizer.json like the real model's: BERT normaliser
/// (lower case), BERT pre-tokeniser, `[CLS] … [SEP]` around each text.
fn tokenizer_json(vocab: &[String]) -> serde_json::Value {
    let ids: serde_json::Map<String, serde_json::Value> =
        vocab.iter().enumerate().map(|(i, w)| (w.clone(), i.into())).collect();
    let special = |content: &str, id: usize| {
        serde_json::json!({"id": id, "content": content, "single_word": false, "lstrip": false,
            "rstrip": false, "normalized": false, "special": true})
    };
    serde_json::json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [special("[PAD]", 0), special("[UNK]", 1), special("[CLS]", 2),
            special("[SEP]", 3), special("[MASK]", 4)],
        "normalizer": {"type": "BertNormalizer", "clean_text": true,
            "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 1}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}
            }
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100, "vocab": ids}
    })
}

fn write(path: &Path, text: &str) -> Result<(), EmbedError> {
    std::fs::write(path, text).map_err(|e| super::bad(path, e.to_string()))
}
