//! One word or phrase in several parts: a document matches when any part
//! does and scores as its best part plus a share of the others (Tantivy's
//! `DisjunctionMaxQuery` scoring, with its own walk). The parts are a
//! phrase's fields, or a word's BM25F on the note and on the note's quotes
//! ([`super::bm25f`], [`super::join`]); a single word's fields are summed
//! by BM25F, not here.
//!
//! Tantivy's disjunction walks a buffered union built for iterating many
//! clauses from start to end. folio's searches require every word, so each
//! word's union is mostly *sought* by an intersection, and each seek there
//! refills a 4,096-document window from every field: a third of a two-word
//! search went to that. A word has at most a handful of fields, so this
//! union just keeps each field's cursor and takes the smallest.

use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

/// Any of `fields` (one query per field), scored as the best of them plus
/// `tie_breaker` × the others.
#[derive(Debug)]
pub struct BestField {
    fields: Vec<Box<dyn Query>>,
    tie_breaker: Score,
}

impl BestField {
    /// The union of `fields`.
    pub fn new(fields: Vec<Box<dyn Query>>, tie_breaker: Score) -> Self {
        BestField { fields, tie_breaker }
    }
}

impl Clone for BestField {
    fn clone(&self) -> Self {
        BestField {
            fields: self.fields.iter().map(|q| q.box_clone()).collect(),
            tie_breaker: self.tie_breaker,
        }
    }
}

impl Query for BestField {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights =
            self.fields.iter().map(|q| q.weight(scoring)).collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(BestFieldWeight { weights, tie_breaker: self.tie_breaker }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for q in &self.fields {
            q.query_terms(visitor);
        }
    }
}

struct BestFieldWeight {
    weights: Vec<Box<dyn Weight>>,
    tie_breaker: Score,
}

impl Weight for BestFieldWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut fields = Vec::with_capacity(self.weights.len());
        for weight in &self.weights {
            let scorer = weight.scorer(reader, boost)?;
            if scorer.doc() != TERMINATED {
                fields.push(scorer);
            }
        }
        Ok(match fields.len() {
            0 => Box::new(EmptyScorer),
            1 => fields.pop().unwrap_or_else(|| Box::new(EmptyScorer)),
            _ => {
                let docs: Vec<DocId> = fields.iter().map(|s| s.doc()).collect();
                let mut scorer =
                    BestFieldScorer { fields, docs, doc: 0, tie_breaker: self.tie_breaker };
                scorer.doc = scorer.smallest();
                Box::new(scorer)
            }
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        // The parts in the scorer's order, so the sum is the scorer's.
        let parts: Vec<Explanation> =
            self.weights.iter().filter_map(|w| w.explain(reader, doc).ok()).collect();
        if parts.is_empty() {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} matches no field"
            )));
        }
        let (mut best, mut sum) = (0.0 as Score, 0.0 as Score);
        for part in &parts {
            best = best.max(part.value());
            sum += part.value();
        }
        let mut out = Explanation::new_with_string(
            format!("best part, plus {} × the others", self.tie_breaker),
            best + self.tie_breaker * (sum - best),
        );
        for part in parts {
            out.add_detail(part);
        }
        Ok(out)
    }
}

struct BestFieldScorer {
    /// Each field's cursor, at or after `doc`.
    fields: Vec<Box<dyn Scorer>>,
    /// Each cursor's document (saves a virtual call per field and step).
    docs: Vec<DocId>,
    doc: DocId,
    tie_breaker: Score,
}

impl BestFieldScorer {
    fn smallest(&self) -> DocId {
        self.docs.iter().copied().min().unwrap_or(TERMINATED)
    }
}

impl DocSet for BestFieldScorer {
    fn advance(&mut self) -> DocId {
        let current = self.doc;
        for (field, doc) in self.fields.iter_mut().zip(self.docs.iter_mut()) {
            if *doc == current {
                *doc = field.advance();
            }
        }
        self.doc = self.smallest();
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for (field, doc) in self.fields.iter_mut().zip(self.docs.iter_mut()) {
            if *doc < target {
                *doc = field.seek(target);
            }
        }
        self.doc = self.smallest();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.fields.iter().map(|s| s.size_hint()).max().unwrap_or(0)
    }
}

impl Scorer for BestFieldScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        let (mut best, mut sum) = (0.0 as Score, 0.0 as Score);
        for (field, &at) in self.fields.iter_mut().zip(&self.docs) {
            if at == doc {
                let score = field.score();
                best = best.max(score);
                sum += score;
            }
        }
        best + self.tie_breaker * (sum - best)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::{DisjunctionMaxQuery, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, TantivyDocument, doc};

    /// Same documents and scores as Tantivy's `DisjunctionMaxQuery`, alone
    /// and inside an intersection.
    #[test]
    fn scores_like_disjunction_max() -> tantivy::Result<()> {
        let mut schema = Schema::builder();
        let a = schema.add_text_field("a", TEXT);
        let b = schema.add_text_field("b", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer::<TantivyDocument>(15_000_000)?;
        let words = ["red", "green", "blue", "red red", "green blue", ""];
        for i in 0..200 {
            writer.add_document(doc!(
                a => words[i % words.len()],
                b => words[(i * 7 + 3) % words.len()],
            ))?;
        }
        writer.commit()?;
        let searcher = index.reader()?.searcher();
        let fields = |word: &str| -> Vec<Box<dyn Query>> {
            [a, b]
                .iter()
                .map(|&f| {
                    Box::new(TermQuery::new(
                        Term::from_field_text(f, word),
                        IndexRecordOption::WithFreqs,
                    )) as Box<dyn Query>
                })
                .collect()
        };
        let run = |q: &dyn Query| -> tantivy::Result<Vec<(u32, u32)>> {
            let top = searcher.search(q, &TopDocs::with_limit(300).order_by_score())?;
            let mut out: Vec<(u32, u32)> =
                top.into_iter().map(|(s, d)| (d.doc_id, (s * 1e4) as u32)).collect();
            out.sort();
            Ok(out)
        };
        for word in ["red", "green", "blue"] {
            let ours = BestField::new(fields(word), 0.2);
            let theirs = DisjunctionMaxQuery::with_tie_breaker(fields(word), 0.2);
            assert_eq!(run(&ours)?, run(&theirs)?);
            assert!(!run(&ours)?.is_empty());
        }
        let both = |make: &dyn Fn(&str) -> Box<dyn Query>| {
            tantivy::query::BooleanQuery::new(vec![
                (tantivy::query::Occur::Must, make("green")),
                (tantivy::query::Occur::Must, make("blue")),
            ])
        };
        let ours = both(&|w| Box::new(BestField::new(fields(w), 0.2)));
        let theirs = both(&|w| Box::new(DisjunctionMaxQuery::with_tie_breaker(fields(w), 0.2)));
        assert_eq!(run(&ours)?, run(&theirs)?);
        assert!(!run(&ours)?.is_empty());
        Ok(())
    }
}
