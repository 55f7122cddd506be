//! Which ranking a search gets, decided once for every front end.
//!
//! The rule: the mode asked for ([`Request::rank`]); with none asked,
//! hybrid when there is a sentence model and the commit has vectors, else
//! words, silently. A mode asked for that cannot be served is a
//! [`RankError`] (no model, no vectors, the model failed to load), which
//! `folio search` and `folio serve` each word for their own input
//! (`--mode …`, `mode=…`).

use std::path::PathBuf;
use std::sync::Arc;

use super::semantic::{Meaning, RankMode};
use super::{Engine, Request, Results};
use crate::embed::store::VectorStore;
use crate::embed::{EmbedError, Model};
use crate::error::Error;

/// Why a search could not be ranked as asked.
#[derive(Debug, thiserror::Error)]
pub enum RankError {
    /// A ranking by meaning was asked for and there is no sentence model.
    #[error("ranking by {} needs the sentence model", mode.name())]
    NoModel {
        /// The mode asked for.
        mode: RankMode,
    },
    /// A ranking by meaning was asked for and the commit has no vectors.
    #[error("ranking by {} needs the index's vectors, and it has none yet", mode.name())]
    NoVectors {
        /// The mode asked for.
        mode: RankMode,
    },
    /// The sentence model is configured but could not be loaded.
    #[error("{}: the sentence model could not be loaded: {message}", dir.display())]
    ModelFailed {
        /// The model's folder.
        dir: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Embedding the query failed.
    #[error(transparent)]
    Embed(#[from] EmbedError),
    /// The search itself failed.
    #[error(transparent)]
    Search(#[from] Error),
}

/// The ranking a search gets: `asked` when it can be served, else the
/// default (hybrid with a model and vectors, else words).
pub fn decide(
    asked: Option<RankMode>,
    model: bool,
    vectors: bool,
) -> std::result::Result<RankMode, RankError> {
    match asked {
        None if model && vectors => Ok(RankMode::Hybrid),
        None | Some(RankMode::Lexical) => Ok(RankMode::Lexical),
        Some(mode) if !model => Err(RankError::NoModel { mode }),
        Some(mode) if !vectors => Err(RankError::NoVectors { mode }),
        Some(mode) => Ok(mode),
    }
}

impl Engine {
    /// Runs a search ranked as [`decide`] says: `model` is the sentence
    /// model, if any; `vectors` reads the commit's vectors (`None` or an
    /// empty store: none), and is only asked when there is a model and a
    /// ranking other than words could be wanted.
    pub fn search_ranked(
        &self,
        request: &Request,
        model: Option<&Model>,
        vectors: impl FnOnce() -> crate::error::Result<Option<Arc<VectorStore>>>,
    ) -> std::result::Result<Results, RankError> {
        let store = match (model, request.rank) {
            (Some(_), None | Some(RankMode::Semantic | RankMode::Hybrid)) => {
                vectors()?.filter(|s| !s.is_empty())
            }
            _ => None,
        };
        let mode = decide(request.rank, model.is_some(), store.is_some())?;
        let (RankMode::Semantic | RankMode::Hybrid, Some(model), Some(store)) =
            (mode, model, store.as_deref())
        else {
            return Ok(self.search(request)?);
        };
        let embedder = model.get().map_err(|message| RankError::ModelFailed {
            dir: model.dir().to_path_buf(),
            message,
        })?;
        let vector = embedder.embed_one(&request.query)?;
        let meaning = Meaning { store, vector };
        Ok(self.search_by(request, mode, Some(&meaning))?)
    }

    /// The commit's vectors, when it has any.
    pub fn vectors(&self) -> crate::error::Result<Option<Arc<VectorStore>>> {
        let ix = self.index();
        let store = crate::index::vectors::load(ix, &ix.payload()?)?;
        Ok(store.filter(|s| !s.is_empty()).map(Arc::new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_asked_for_else_hybrid_when_possible_else_words() {
        use RankMode::{Hybrid, Lexical, Semantic};
        let ok = |asked, model, vectors| decide(asked, model, vectors).ok();
        assert_eq!(ok(None, true, true), Some(Hybrid));
        assert_eq!(ok(None, true, false), Some(Lexical));
        assert_eq!(ok(None, false, false), Some(Lexical));
        assert_eq!(ok(Some(Lexical), false, false), Some(Lexical));
        assert_eq!(ok(Some(Lexical), true, true), Some(Lexical));
        assert_eq!(ok(Some(Semantic), true, true), Some(Semantic));
        assert_eq!(ok(Some(Hybrid), true, true), Some(Hybrid));
        for mode in [Semantic, Hybrid] {
            assert!(matches!(
                decide(Some(mode), false, true),
                Err(RankError::NoModel { mode: m }) if m == mode
            ));
            assert!(matches!(
                decide(Some(mode), true, false),
                Err(RankError::NoVectors { mode: m }) if m == mode
            ));
        }
    }
}
