//! Vectors keyed by the hash of the text they embed, quantised to int8, in
//! one file, searched exactly.
//!
//! The key is xxh3 of the embedded text, so the same passage in two notes
//! shares a vector, an edit elsewhere in a file does not re-embed it, and a
//! rebuild reuses what is already embedded. Each vector is stored as 384
//! signed bytes and one scale (`v ≈ scale · code`): 4 times smaller than
//! f32, and a search is an integer dot product per vector, which the
//! compiler turns into SIMD (100,000 vectors: 10 ms p50, 6 ms of CPU,
//! BENCHMARKS.md). Exact search is fast enough at the sizes a reader's
//! notes reach, so there is no approximate index.
//!
//! File layout (little-endian): `FOLIOVEC`, version `u32`, dims `u32`,
//! model fingerprint `u64`, count `u64`, then the keys (`u64`, ascending),
//! the scales (`f32`) and the codes (`i8`, `dims` per vector).

use std::path::Path;

use rustc_hash::FxHashMap;

/// The file's first bytes.
const MAGIC: &[u8; 8] = b"FOLIOVEC";
/// The layout version.
const VERSION: u32 = 1;
/// Bytes before the keys.
const HEADER: usize = 8 + 4 + 4 + 8 + 8;

/// The key of an embedded text.
pub fn key(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

/// Quantised vectors by key.
#[derive(Debug, Clone, Default)]
pub struct VectorStore {
    dims: usize,
    model: u64,
    keys: Vec<u64>,
    scales: Vec<f32>,
    codes: Vec<i8>,
}

/// Builds a store from vectors in any order.
#[derive(Debug, Default)]
pub struct StoreBuilder {
    dims: usize,
    model: u64,
    entries: FxHashMap<u64, (f32, Vec<i8>)>,
}

impl StoreBuilder {
    /// An empty store for vectors of `dims` from the model `model`.
    pub fn new(dims: usize, model: u64) -> Self {
        StoreBuilder { dims, model, entries: FxHashMap::default() }
    }

    /// Adds a unit vector (wrong lengths are ignored).
    pub fn add(&mut self, key: u64, vector: &[f32]) {
        if vector.len() == self.dims {
            self.entries.insert(key, quantise(vector));
        }
    }

    /// Copies `key`'s vector from `old` when it has it (same model and
    /// dims); says whether it did.
    pub fn reuse(&mut self, old: &VectorStore, key: u64) -> bool {
        if old.model != self.model || old.dims != self.dims {
            return false;
        }
        match old.find(key) {
            Some(i) => {
                let code = old.codes[i * self.dims..(i + 1) * self.dims].to_vec();
                self.entries.insert(key, (old.scales[i], code));
                true
            }
            None => false,
        }
    }

    /// Whether the store will hold `key`.
    pub fn contains(&self, key: u64) -> bool {
        self.entries.contains_key(&key)
    }

    /// The finished store.
    pub fn build(self) -> VectorStore {
        let mut entries: Vec<(u64, (f32, Vec<i8>))> = self.entries.into_iter().collect();
        entries.sort_unstable_by_key(|(key, _)| *key);
        let mut store = VectorStore {
            dims: self.dims,
            model: self.model,
            keys: Vec::with_capacity(entries.len()),
            scales: Vec::with_capacity(entries.len()),
            codes: Vec::with_capacity(entries.len() * self.dims),
        };
        for (key, (scale, code)) in entries {
            store.keys.push(key);
            store.scales.push(scale);
            store.codes.extend(code);
        }
        store
    }
}

/// `v ≈ scale · code`, the largest component at ±127.
fn quantise(vector: &[f32]) -> (f32, Vec<i8>) {
    let max = vector.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if max == 0.0 {
        return (0.0, vec![0; vector.len()]);
    }
    let scale = max / 127.0;
    (scale, vector.iter().map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8).collect())
}

impl VectorStore {
    /// Vectors held.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Dimensions of each vector.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The fingerprint of the model that made the vectors.
    pub fn model(&self) -> u64 {
        self.model
    }

    /// Bytes the file takes.
    pub fn file_bytes(&self) -> usize {
        HEADER + self.keys.len() * (8 + 4 + self.dims)
    }

    fn find(&self, key: u64) -> Option<usize> {
        self.keys.binary_search(&key).ok()
    }

    /// Whether it holds `key`.
    pub fn contains(&self, key: u64) -> bool {
        self.find(key).is_some()
    }

    /// `key`'s vector, dequantised.
    pub fn vector(&self, key: u64) -> Option<Vec<f32>> {
        let i = self.find(key)?;
        let scale = self.scales[i];
        Some(
            self.codes[i * self.dims..(i + 1) * self.dims]
                .iter()
                .map(|&c| c as f32 * scale)
                .collect(),
        )
    }

    /// The `k` keys nearest `query` (a unit vector) by cosine, best first,
    /// with their cosine.
    pub fn nearest(&self, query: &[f32], k: usize) -> Vec<(u64, f32)> {
        if query.len() != self.dims || self.keys.is_empty() || k == 0 {
            return Vec::new();
        }
        let (q_scale, q_code) = quantise(query);
        let q_code: Vec<i16> = q_code.into_iter().map(i16::from).collect();
        let mut scored: Vec<(f32, u32)> = self
            .codes
            .chunks_exact(self.dims)
            .zip(&self.scales)
            .enumerate()
            .map(|(i, (code, scale))| (int_dot(&q_code, code) as f32 * scale * q_scale, i as u32))
            .collect();
        let k = k.min(scored.len());
        let by_score = |a: &(f32, u32), b: &(f32, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        if k < scored.len() {
            scored.select_nth_unstable_by(k - 1, by_score);
            scored.truncate(k);
        }
        scored.sort_unstable_by(by_score);
        scored.into_iter().map(|(score, i)| (self.keys[i as usize], score)).collect()
    }

    /// Reads a store file.
    pub fn read(path: &Path) -> std::io::Result<Self> {
        let bytes = std::fs::read(path)?;
        Self::from_bytes(&bytes).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not a folio vector file, or a damaged one; `folio index` writes it anew",
            )
        })
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let u32_at = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
        let u64_at = |at: usize| Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?));
        if bytes.get(..8)? != MAGIC || u32_at(8)? != VERSION {
            return None;
        }
        let dims = usize::try_from(u32_at(12)?).ok()?;
        let model = u64_at(16)?;
        let count = usize::try_from(u64_at(24)?).ok()?;
        let body = count.checked_mul(dims.checked_add(12)?)?;
        if bytes.len() != HEADER.checked_add(body)? {
            return None;
        }
        let keys_end = HEADER + count * 8;
        let scales_end = keys_end + count * 4;
        let keys: Vec<u64> = bytes[HEADER..keys_end]
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            .collect();
        if keys.windows(2).any(|w| w[0] >= w[1]) {
            return None;
        }
        let scales = bytes[keys_end..scales_end]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let codes = bytes[scales_end..].iter().map(|&b| b as i8).collect();
        Some(VectorStore { dims, model, keys, scales, codes })
    }

    /// Writes the store to `path` and flushes it to disk.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        use std::io::Write;
        let mut out = Vec::with_capacity(self.file_bytes());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(self.dims as u32).to_le_bytes());
        out.extend_from_slice(&self.model.to_le_bytes());
        out.extend_from_slice(&(self.keys.len() as u64).to_le_bytes());
        for key in &self.keys {
            out.extend_from_slice(&key.to_le_bytes());
        }
        for scale in &self.scales {
            out.extend_from_slice(&scale.to_le_bytes());
        }
        out.extend(self.codes.iter().map(|&c| c as u8));
        let mut file = std::fs::File::create(path)?;
        file.write_all(&out)?;
        file.sync_all()
    }
}

/// Integer dot product of 16-bit codes: products of `i16`s summed into
/// `i32`s is the pattern the compiler turns into `pmaddwd` (baseline
/// x86-64 SSE2, and AVX2 where enabled).
fn int_dot(q: &[i16], code: &[i8]) -> i32 {
    let mut sums = [0i32; 16];
    let mut q_chunks = q.chunks_exact(16);
    let mut c_chunks = code.chunks_exact(16);
    for (qc, cc) in (&mut q_chunks).zip(&mut c_chunks) {
        let mut wide = [0i16; 16];
        for (w, &c) in wide.iter_mut().zip(cc) {
            *w = i16::from(c);
        }
        for j in 0..16 {
            sums[j] += i32::from(qc[j]) * i32::from(wide[j]);
        }
    }
    let tail: i32 = q_chunks
        .remainder()
        .iter()
        .zip(c_chunks.remainder())
        .map(|(&a, &b)| i32::from(a) * i32::from(b))
        .sum();
    sums.iter().sum::<i32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(seed: u32, dims: usize) -> Vec<f32> {
        let v: Vec<f32> = (0..dims)
            .map(|i| {
                let mixed = (i as u32 + 1).wrapping_mul(seed * 2 + 1).wrapping_mul(2654435761);
                (mixed % 1000) as f32 - 500.0
            })
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / norm).collect()
    }

    #[test]
    fn nearest_finds_the_same_vector_first_with_cosine_near_one() {
        let mut builder = StoreBuilder::new(40, 9);
        for seed in 0..50 {
            builder.add(u64::from(seed) * 7, &unit(seed, 40));
        }
        let store = builder.build();
        let hits = store.nearest(&unit(13, 40), 3);
        assert_eq!(hits.len(), 3);
        assert_eq!(hits[0].0, 13 * 7);
        assert!((hits[0].1 - 1.0).abs() < 0.02, "{}", hits[0].1);
        assert!(hits[0].1 >= hits[1].1 && hits[1].1 >= hits[2].1);
    }

    #[test]
    fn a_file_reads_back_as_written_and_damage_is_refused() {
        let mut builder = StoreBuilder::new(8, 3);
        builder.add(5, &unit(1, 8));
        builder.add(2, &unit(2, 8));
        let store = builder.build();
        let dir = tempfile::tempdir().expect("test value");
        let path = dir.path().join("v.bin");
        store.write(&path).expect("test value");
        assert_eq!(
            std::fs::metadata(&path).expect("test value").len() as usize,
            store.file_bytes()
        );
        let back = VectorStore::read(&path).expect("test value");
        assert_eq!((back.len(), back.dims(), back.model()), (2, 8, 3));
        assert_eq!(back.vector(5), store.vector(5));
        let bytes = std::fs::read(&path).expect("test value");
        std::fs::write(&path, &bytes[..bytes.len() - 1]).expect("test value");
        assert!(VectorStore::read(&path).is_err());
    }

    #[test]
    fn reuse_copies_only_from_the_same_model() {
        let mut builder = StoreBuilder::new(8, 3);
        builder.add(5, &unit(1, 8));
        let old = builder.build();
        let mut same = StoreBuilder::new(8, 3);
        assert!(same.reuse(&old, 5) && !same.reuse(&old, 6));
        let mut other = StoreBuilder::new(8, 4);
        assert!(!other.reuse(&old, 5));
    }

    #[test]
    fn quantisation_keeps_cosine_within_a_percent() {
        let (a, b) = (unit(3, 384), unit(4, 384));
        let exact: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        let mut builder = StoreBuilder::new(384, 0);
        builder.add(1, &b);
        let got = builder.build().nearest(&a, 1)[0].1;
        assert!((got - exact).abs() < 0.01, "{got} vs {exact}");
    }
}
