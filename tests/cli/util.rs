//! A test environment: a fresh temp dir, optionally holding a copy of
//! `seeds/`, in which the built `folio` binary runs with a cleared
//! environment (only `PATH`, and `HOME` pointing at the temp dir).
//!
//! Every run is bounded by a timeout (a hang is a failure, not a stuck CI),
//! and every run is checked for a panic. Failed expectations print the
//! command, its exit status, stdout and stderr.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long any one `folio` run may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// The seed notes shipped with the crate.
pub fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

/// Whether a file name is one `folio index` takes as a note.
pub use folio::walk::is_note_file;

/// A `&name;` or `&#123;` entity left in text.
pub fn has_entity(text: &str) -> bool {
    text.match_indices('&').any(|(at, _)| {
        let rest = &text[at + 1..];
        let name_len =
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '#')).unwrap_or(rest.len());
        name_len > 0 && rest[name_len..].starts_with(';')
    })
}

/// A fresh temp dir to run `folio` in.
pub struct TestEnv {
    dir: tempfile::TempDir,
}

impl TestEnv {
    /// An empty temp dir.
    pub fn new() -> TestEnv {
        let dir =
            tempfile::Builder::new().prefix("folio-test-").tempdir().expect("create a temp dir");
        TestEnv { dir }
    }

    /// A temp dir holding a copy of `seeds/` as `./seeds`.
    pub fn with_seeds() -> TestEnv {
        let env = TestEnv::new();
        env.copy_seeds("seeds");
        env
    }

    /// The temp dir.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the temp dir.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Copies the seed notes into `relative` (created); returns how many
    /// note files were copied. Copies are writable even when the seed is not.
    pub fn copy_seeds(&self, relative: &str) -> usize {
        let target = self.path(relative);
        std::fs::create_dir_all(&target).expect("create the seeds copy");
        let mut notes = 0;
        for entry in std::fs::read_dir(seeds_dir()).expect("read seeds/") {
            let entry = entry.expect("read seeds/ entry");
            if !entry.file_type().expect("file type").is_file() {
                continue;
            }
            // Read + write (not fs::copy) so read-only seeds become writable copies.
            let bytes = std::fs::read(entry.path()).expect("read a seed");
            std::fs::write(target.join(entry.file_name()), bytes).expect("write a seed copy");
            if is_note_file(&entry.path()) {
                notes += 1;
            }
        }
        notes
    }

    /// Writes a file (creating its folder) and returns its path.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the file's folder");
        }
        std::fs::write(&path, contents).expect("write a test file");
        path
    }

    /// Reads a file of the temp dir as text.
    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).expect("read a test file")
    }

    /// A `folio` command in the temp dir with a cleared environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_folio"));
        cmd.args(args).current_dir(self.root()).env_clear().env("HOME", self.root());
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        cmd
    }

    /// A `folio` command that file permissions apply to. Root reads a
    /// `chmod 000` file, and CI runs as root: then the command runs as the
    /// unprivileged user `nobody` (the temp dir opened to it; `Command::uid`
    /// as root also drops the supplementary groups), so a test of an
    /// unreadable file or folder asserts the same thing everywhere. Where
    /// root cannot switch users (a sandbox) this panics: a permission test
    /// that ran as root would pass without testing anything.
    pub fn command_with_permissions(&self, args: &[&str]) -> Command {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        use std::os::unix::process::CommandExt;
        // The temp dir was created by this process: its owner is our user.
        let root = std::fs::metadata(self.root()).expect("temp dir").uid() == 0;
        if !root {
            return self.command(args);
        }
        const NOBODY: u32 = 65534;
        std::fs::set_permissions(self.root(), std::fs::Permissions::from_mode(0o777))
            .expect("open the temp dir to nobody");
        let mut probe = self.command(&["--version"]);
        probe.uid(NOBODY).gid(NOBODY).stdout(Stdio::null()).stderr(Stdio::null());
        assert!(
            probe.status().is_ok_and(|s| s.success()),
            "running as root, and folio cannot be run as nobody (uid {NOBODY}) here: \
             permission bits would not apply, so this test could not fail. Run the \
             tests as an ordinary user, or where root may switch users"
        );
        let mut cmd = self.command(args);
        cmd.uid(NOBODY).gid(NOBODY);
        cmd
    }

    /// Runs `folio ARGS` and waits for it.
    #[track_caller]
    pub fn folio(&self, args: &[&str]) -> Run {
        self.run(self.command(args))
    }

    /// Runs a prepared command and waits for it (at most [`TIMEOUT`]).
    #[track_caller]
    pub fn run(&self, cmd: Command) -> Run {
        Running::start(cmd).wait(TIMEOUT)
    }

    /// Starts a prepared command without waiting.
    pub fn spawn(&self, cmd: Command) -> Running {
        Running::start(cmd)
    }
}

/// A `folio` process that is still running.
pub struct Running {
    describe: String,
    child: Child,
    started: Instant,
    stdout: JoinHandle<Vec<u8>>,
    stderr: JoinHandle<Vec<u8>>,
}

fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

impl Running {
    fn start(mut cmd: Command) -> Running {
        let describe = std::iter::once("folio".to_string())
            .chain(cmd.get_args().map(|a| a.to_string_lossy().into_owned()))
            .collect::<Vec<_>>()
            .join(" ");
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = cmd.spawn().expect("start the folio binary");
        let stdout = drain(child.stdout.take().expect("stdout pipe"));
        let stderr = drain(child.stderr.take().expect("stderr pipe"));
        Running { describe, child, started, stdout, stderr }
    }

    /// Whether the process has exited.
    pub fn finished(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Kills the process (as a reader's Ctrl-C or a power cut would end
    /// it, without its own clean-up) and waits for it.
    pub fn kill(mut self) -> Run {
        let _ = self.child.kill();
        let status = self.child.wait().ok();
        self.collect(status)
    }

    /// Waits for the process, killing it (and failing) after `timeout`.
    #[track_caller]
    pub fn wait(mut self, timeout: Duration) -> Run {
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll the folio process") {
                break status;
            }
            if self.started.elapsed() > timeout {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let run = self.collect(None);
                panic!("timed out after {timeout:?} (a hang)\n{run}");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let run = self.collect(Some(status));
        if run.stderr.contains("panicked") || run.status.and_then(|s| s.code()) == Some(101) {
            panic!("folio panicked\n{run}");
        }
        run
    }

    fn collect(self, status: Option<ExitStatus>) -> Run {
        let elapsed = self.started.elapsed();
        let stdout = self.stdout.join().unwrap_or_default();
        let stderr = self.stderr.join().unwrap_or_default();
        Run {
            describe: self.describe,
            status,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            elapsed,
        }
    }
}

/// A finished `folio` run.
pub struct Run {
    /// The command line, for messages.
    pub describe: String,
    /// Exit status (`None` if it was killed after a timeout).
    pub status: Option<ExitStatus>,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
    /// Wall-clock time.
    pub elapsed: Duration,
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = match self.status {
            Some(status) => status.to_string(),
            None => "killed".to_string(),
        };
        writeln!(f, "command: {}", self.describe)?;
        writeln!(f, "status:  {status} after {:?}", self.elapsed)?;
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

impl Run {
    /// The exit code (`None` when killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    /// Fails, showing the run, unless `condition` holds.
    #[track_caller]
    pub fn check(&self, condition: bool, what: &str) -> &Run {
        if !condition {
            panic!("expectation failed: {what}\n{self}");
        }
        self
    }

    /// Fails unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        self.check(self.code() == Some(code), &format!("exit code should be {code}"))
    }

    /// Fails unless the process failed (exit code neither 0 nor a signal).
    #[track_caller]
    pub fn expect_failure(&self) -> &Run {
        self.check(
            matches!(self.code(), Some(code) if code != 0),
            "should exit with a non-zero code",
        )
    }

    /// Fails unless stderr contains `text`.
    #[track_caller]
    pub fn expect_stderr(&self, text: &str) -> &Run {
        self.check(self.stderr.contains(text), &format!("stderr should contain {text:?}"))
    }

    /// The non-empty lines of stderr.
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().filter(|l| !l.trim().is_empty()).collect()
    }

    /// stdout as exactly one JSON value.
    #[track_caller]
    pub fn json(&self) -> Value {
        self.check(self.stdout.trim().lines().count() == 1, "stdout should be one line of JSON");
        match serde_json::from_str(&self.stdout) {
            Ok(value) => value,
            Err(err) => panic!("stdout is not JSON ({err})\n{self}"),
        }
    }
}

/// A JSON value's field as u64, failing with the whole value shown.
#[track_caller]
pub fn u64_of(value: &Value, key: &str) -> u64 {
    value[key].as_u64().unwrap_or_else(|| panic!("{key:?} should be a number in {value:#}"))
}
