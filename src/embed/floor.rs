//! The transformer's throughput floor: what the matrix products of a BERT
//! forward pass alone cost on this machine with candle's GEMM, for the
//! batches real texts make (`folio model check --floor`).
//!
//! No softmax, layer norm, GELU, pooling or tokenising is timed: only the
//! products (Q, K, V and O 384×384, the feed-forward 384×1536 and back, and
//! attention's QKᵀ and AV), with random values in the model's shapes and
//! the layouts candle's BERT gives them. Passages per second from these is
//! a ceiling no change to folio's own code can pass while it uses candle's
//! f32 GEMM; the end-to-end figure beside it says how far from it folio is.

use std::time::{Duration, Instant};

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::Linear;

use super::EmbedError;

/// The model's shape (all-MiniLM-L6-v2's unless a config says otherwise).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Shape {
    /// Hidden size.
    pub hidden: usize,
    /// Feed-forward size.
    pub intermediate: usize,
    /// Attention heads.
    pub heads: usize,
    /// Layers.
    pub layers: usize,
}

/// A model's shape and the batches a set of texts makes.
#[derive(Debug, Clone)]
pub struct Batches {
    /// The transformer's shape.
    pub shape: Shape,
    /// Texts per batch and their padded length, one pair per batch.
    pub batches: Vec<(usize, usize)>,
}

/// Matrix products timed over a set of batches.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FloorReport {
    /// Texts in the batches.
    pub texts: usize,
    /// Billions of floating-point operations of the products.
    pub gflop: f64,
    /// Seconds of products on one thread.
    pub one_thread_seconds: f64,
    /// CPU seconds those products took (Linux: the thread's time on a
    /// core, so a shared machine's waiting is left out; NaN elsewhere).
    pub one_thread_cpu_seconds: f64,
    /// Wall seconds of products with the batches spread over `threads`
    /// threads, one batch per thread at a time (as folio runs them).
    pub threads_seconds: f64,
    /// Threads of the second figure.
    pub threads: usize,
}

impl FloorReport {
    /// Texts per second the products alone allow on one thread.
    pub fn one_thread_per_second(&self) -> f64 {
        self.texts as f64 / self.one_thread_seconds.max(1e-9)
    }

    /// Texts per CPU-second the products alone allow: times the cores, the
    /// most texts per second an idle machine could embed with this GEMM.
    pub fn per_cpu_second(&self) -> f64 {
        self.texts as f64 / self.one_thread_cpu_seconds.max(1e-9)
    }

    /// Texts per second the products alone allow on `threads` threads.
    pub fn threads_per_second(&self) -> f64 {
        self.texts as f64 / self.threads_seconds.max(1e-9)
    }
}

/// Floating-point operations of one batch of `texts` texts padded to `len`
/// word pieces.
pub fn batch_flop(shape: &Shape, texts: usize, len: usize) -> f64 {
    let (b, l, h, i) = (texts as f64, len as f64, shape.hidden as f64, shape.intermediate as f64);
    let projections = 2.0 * b * l * h * h * 4.0;
    let feed_forward = 2.0 * b * l * h * i * 2.0;
    // QKᵀ and AV: per head L×d by d×L and L×L by L×d, d = h / heads.
    let attention = 2.0 * b * l * l * h * 2.0;
    shape.layers as f64 * (projections + feed_forward + attention)
}

/// Times the products of `batches` (texts per batch, padded length) on one
/// thread, then spread over `threads`.
pub fn measure(
    shape: &Shape,
    batches: &[(usize, usize)],
    threads: usize,
) -> Result<FloorReport, EmbedError> {
    let run = |e: candle_core::Error| EmbedError::Run(e.to_string());
    let weights = Weights::new(shape).map_err(run)?;
    let texts = batches.iter().map(|b| b.0).sum();
    let gflop = batches.iter().map(|&(b, l)| batch_flop(shape, b, l)).sum::<f64>() / 1e9;

    let (one_thread, one_thread_cpu) = on_one_thread(|| {
        batches.iter().try_fold((Duration::ZERO, 0u64), |sum, &(b, l)| {
            let (wall, cpu) = weights.products(b, l)?;
            Ok::<_, candle_core::Error>((sum.0 + wall, sum.1 + cpu))
        })
    })
    .map_err(run)?;
    let one_thread_cpu_seconds =
        if thread_cpu_ns().is_some() { one_thread_cpu as f64 / 1e9 } else { f64::NAN };

    let threads = threads.max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    on_one_thread(|| {
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(&(b, l)) = batches.get(i) else { return Ok(()) };
                            weights.products(b, l)?;
                        }
                    })
                })
            })
            .collect();
        for handle in handles {
            handle
                .join()
                .unwrap_or_else(|_| Err(candle_core::Error::Msg("a thread failed".into())))?;
        }
        Ok::<_, candle_core::Error>(())
    })
    .map_err(run)?;
    let threads_seconds = started.elapsed().as_secs_f64();
    Ok(FloorReport {
        texts,
        gflop,
        one_thread_seconds: one_thread.as_secs_f64(),
        one_thread_cpu_seconds,
        threads_seconds,
        threads,
    })
}

/// Runs `f` with a one-thread rayon pool, as folio's embedding threads do.
fn on_one_thread<R: Send>(
    f: impl FnOnce() -> candle_core::Result<R> + Send,
) -> candle_core::Result<R> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
    pool.install(f)
}

/// One layer's weights, random (the values do not change the cost).
struct Weights {
    shape: Shape,
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    up: Linear,
    down: Linear,
}

impl Weights {
    fn new(shape: &Shape) -> candle_core::Result<Self> {
        let linear = |out: usize, inp: usize| {
            Tensor::randn(0f32, 0.05, (out, inp), &Device::Cpu).map(|w| Linear::new(w, None))
        };
        let (h, i) = (shape.hidden, shape.intermediate);
        Ok(Weights {
            shape: *shape,
            q: linear(h, h)?,
            k: linear(h, h)?,
            v: linear(h, h)?,
            o: linear(h, h)?,
            up: linear(i, h)?,
            down: linear(h, i)?,
        })
    }

    /// The wall time and CPU nanoseconds of every product of a forward
    /// pass over `texts` texts of `len` word pieces; the layout copies
    /// between them are not counted.
    fn products(&self, texts: usize, len: usize) -> candle_core::Result<(Duration, u64)> {
        let Shape { hidden, intermediate, heads, layers } = self.shape;
        let head = hidden / heads;
        let x = Tensor::randn(0f32, 1.0, (texts, len, hidden), &Device::Cpu)?;
        let wide = Tensor::randn(0f32, 1.0, (texts, len, intermediate), &Device::Cpu)?;
        let split = |t: &Tensor| -> candle_core::Result<Tensor> {
            t.reshape((texts, len, heads, head))?.transpose(1, 2)?.contiguous()
        };
        let mut spent = Duration::ZERO;
        let mut cpu = 0u64;
        let mut timed = |f: &dyn Fn() -> candle_core::Result<Tensor>| {
            let cpu_before = thread_cpu_ns();
            let started = Instant::now();
            let out = f()?;
            spent += started.elapsed();
            if let (Some(before), Some(after)) = (cpu_before, thread_cpu_ns()) {
                cpu += after.saturating_sub(before);
            }
            Ok::<_, candle_core::Error>(out)
        };
        for _ in 0..layers {
            let q = timed(&|| self.q.forward(&x))?;
            let k = timed(&|| self.k.forward(&x))?;
            let v = timed(&|| self.v.forward(&x))?;
            let (q, k, v) = (split(&q)?, split(&k)?, split(&v)?);
            let kt = k.t()?;
            let scores = timed(&|| q.matmul(&kt))?;
            let probabilities = scores.to_dtype(DType::F32)?;
            let context = timed(&|| probabilities.matmul(&v))?;
            let context = context.transpose(1, 2)?.contiguous()?.reshape((texts, len, hidden))?;
            timed(&|| self.o.forward(&context))?;
            timed(&|| self.up.forward(&x))?;
            timed(&|| self.down.forward(&wide))?;
        }
        Ok((spent, cpu))
    }
}

/// Nanoseconds this thread has run on a core (`/proc/thread-self/schedstat`,
/// Linux), finer than the 10 ms ticks of `stat`.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}
