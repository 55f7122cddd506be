//! tokenizer.json read fast: the same tokenizer the `tokenizers` crate
//! builds from the file, without its slow path through the vocabulary.
//!
//! `Tokenizer::from_file` reads a model's vocabulary (30,522 word pieces
//! for all-MiniLM-L6-v2) three times: its model enum is untagged, so serde
//! buffers the whole model, then copies it into a `serde_json::Value`,
//! then reads the WordPiece model out of that; 20–50 ms of a query's
//! model load. Here the file is read once into its parts: the WordPiece
//! model straight from its JSON (the crate's own `WordPiece` deserializer,
//! which reads the vocabulary once), and the normaliser, pre-tokenizer,
//! post-processor, decoder and added tokens through the crate's own types,
//! put together as its deserializer does. A file whose model is not
//! WordPiece is read by `Tokenizer::from_file` as before.

use std::path::Path;

use serde::Deserialize;
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::{
    AddedToken, DecoderWrapper, ModelWrapper, NormalizerWrapper, PostProcessorWrapper,
    PreTokenizerWrapper, Tokenizer, TokenizerBuilder,
};

/// The parts of a tokenizer.json folio uses; truncation and padding are
/// left out (the caller sets its own).
#[derive(Deserialize)]
struct Parts {
    version: Option<String>,
    #[serde(default)]
    added_tokens: Vec<AddedTokenWithId>,
    normalizer: Option<NormalizerWrapper>,
    pre_tokenizer: Option<PreTokenizerWrapper>,
    post_processor: Option<PostProcessorWrapper>,
    decoder: Option<DecoderWrapper>,
    model: WordPiece,
}

/// An entry of `added_tokens`, read as the crate reads it (its own type
/// for it is private): the token's fields; its id is the vocabulary's.
#[derive(Deserialize)]
struct AddedTokenWithId {
    #[serde(flatten)]
    token: AddedToken,
}

/// The tokenizer in `path`; the error says what is wrong with the file.
pub(super) fn read(path: &Path) -> Result<Tokenizer, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    match from_parts(&text) {
        Some(tokenizer) => tokenizer,
        // Not a WordPiece model (or not a shape this reader knows): the
        // crate's own reader, which says what is wrong if anything is.
        None => text.parse::<Tokenizer>().map_err(|e| format!("not a tokenizer ({e})")),
    }
}

/// `None` when `text` is not a WordPiece tokenizer this reader handles.
fn from_parts(text: &str) -> Option<Result<Tokenizer, String>> {
    let parts: Parts = serde_json::from_str(text).ok()?;
    if parts.version.as_deref().is_some_and(|v| v != "1.0") {
        return None;
    }
    let built = TokenizerBuilder::<
        ModelWrapper,
        NormalizerWrapper,
        PreTokenizerWrapper,
        PostProcessorWrapper,
        DecoderWrapper,
    >::new()
    .with_model(ModelWrapper::WordPiece(parts.model))
    .with_normalizer(parts.normalizer)
    .with_pre_tokenizer(parts.pre_tokenizer)
    .with_post_processor(parts.post_processor)
    .with_decoder(parts.decoder)
    .build();
    let mut tokenizer = match built {
        Ok(built) => Tokenizer::from(built),
        Err(e) => return Some(Err(format!("not a tokenizer ({e})"))),
    };
    // As the crate's deserializer does: every added token in one call,
    // each marked special or not by its own flag.
    if let Err(e) = tokenizer.add_tokens(parts.added_tokens.into_iter().map(|t| t.token)) {
        return Some(Err(format!("not a tokenizer ({e})")));
    }
    Some(Ok(tokenizer))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts that reach every step of a BERT tokenizer: accents, case,
    /// Chinese characters, punctuation, control characters, an added
    /// token written out, unknown pieces and a long word.
    const TEXTS: [&str; 10] = [
        "When people are in a group, responsibility for acting is diffused.",
        "Café déjà-vu: naïve RÉSUMÉ, Ångström façade",
        "中文字符 and 日本語 mixed with English",
        "[CLS] a literal [SEP] and [MASK] in the text [UNK]",
        "tabs\tand\nnew lines\r\nand \u{0} control \u{7} chars",
        "emoji 🙂 and symbols ∑ ∫ → ≠",
        "",
        "   ",
        "supercalifragilisticexpialidocious antidisestablishmentarianism",
        "x",
    ];

    fn same_ids(dir: &Path) {
        let path = dir.join("tokenizer.json");
        // Both cut and padded as folio sets them (the real file pads to
        // 128; its truncation and padding are not read here).
        let set = |mut t: Tokenizer| {
            t.with_padding(None);
            let cut = tokenizers::TruncationParams { max_length: 256, ..Default::default() };
            t.with_truncation(Some(cut)).expect("test value");
            t
        };
        let fast = set(read(&path).expect("the fast reader reads it"));
        let slow = set(Tokenizer::from_file(&path).expect("the crate reads it"));
        let long = "word ".repeat(400) + &"ünïcödé-piece ".repeat(50);
        for text in TEXTS.iter().copied().chain([long.as_str()]) {
            let a = fast.encode_fast(text, true).expect("test value");
            let b = slow.encode_fast(text, true).expect("test value");
            assert_eq!(a.get_ids(), b.get_ids(), "{text:?}");
            assert_eq!(a.get_type_ids(), b.get_type_ids(), "{text:?}");
            assert_eq!(a.get_attention_mask(), b.get_attention_mask(), "{text:?}");
        }
        assert_eq!(fast.get_vocab_size(true), slow.get_vocab_size(true));
    }

    #[test]
    fn reads_the_tiny_model_as_the_crate_does() {
        let dir = tempfile::tempdir().expect("test value");
        super::super::tiny::write_tiny_model(dir.path(), 3).expect("test value");
        same_ids(dir.path());
    }

    /// `FOLIO_MODEL=DIR cargo test --features real-model --lib tokenizer`
    #[cfg(feature = "real-model")]
    #[test]
    fn reads_the_real_model_as_the_crate_does() {
        let dir = std::env::var_os("FOLIO_MODEL").expect("FOLIO_MODEL names the model folder");
        same_ids(Path::new(&dir));
    }

    #[test]
    fn a_file_that_is_no_tokenizer_is_refused() {
        let dir = tempfile::tempdir().expect("test value");
        let path = dir.path().join("tokenizer.json");
        std::fs::write(&path, "{\"model\": 3}").expect("test value");
        assert!(read(&path).is_err());
    }
}
