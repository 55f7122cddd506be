//! A full disk (`ENOSPC`, from a tiny tmpfs) during a rebuild and during an
//! update: the run fails with a clear error, the old index keeps answering,
//! and once there is room the next run completes and leaves nothing behind.
//! Mounting needs root, so the test is behind the `root` feature (as the
//! browser's is behind `browser`): a plain `cargo test` does not build it,
//! and `.ci/run`, as root, does, where it fails if it cannot mount.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::small_note;
use crate::util::{TestEnv, u64_of};

/// A tmpfs mounted for the test, unmounted when dropped (also on a panic).
struct Tmpfs {
    at: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `bytes` at `at`; `None` when mounting is not
    /// allowed here.
    fn mount(at: &Path, bytes: u64) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).expect("create the mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status();
        status.is_ok_and(|s| s.success()).then(|| Tmpfs { at: at.to_path_buf() })
    }

    /// Changes its size (a tmpfs shrinks to no less than what it holds).
    fn resize(&self, bytes: u64) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={bytes}")])
            .arg(&self.at)
            .status()
            .expect("run mount");
        assert!(status.success(), "remount the tmpfs");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.at).status();
    }
}

/// Bytes of the files under a folder.
fn used(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).expect("read a folder").flatten() {
        let meta = entry.metadata().expect("metadata");
        total += if meta.is_dir() { used(&entry.path()) } else { meta.len() };
    }
    total
}

fn hits(env: &TestEnv) -> u64 {
    let run =
        env.folio(&["search", "--no-refresh", "--count", "--index", "disk/ix", "--json", "memory"]);
    run.expect_code(0);
    u64_of(&run.json(), "total")
}

#[test]
fn a_full_disk_leaves_the_old_index_answering() {
    let env = TestEnv::new();
    let disk = Tmpfs::mount(&env.path("disk"), 64 << 20)
        .expect("mount a 64 MB tmpfs for the test (this needs root)");
    for i in 0..300 {
        env.write(&format!("notes/note-{i:06}.md"), small_note(i, 0));
    }
    env.folio(&["index", "notes", "--index", "disk/ix"]).expect_code(0);
    assert_eq!(hits(&env), 300);
    // Room for the index as it is and a little more: not for one ten
    // times its size.
    let size = used(&env.path("disk"));
    disk.resize(size * 2 + (256 << 10));
    for i in 300..3300 {
        env.write(&format!("notes/note-{i:06}.md"), small_note(i, 0));
    }
    let before = std::fs::read_to_string(env.path("disk/ix/CURRENT")).expect("CURRENT");

    for args in
        [&["index", "--rebuild", "--index", "disk/ix"][..], &["index", "--index", "disk/ix"]]
    {
        let run = env.folio(args);
        run.expect_code(2)
            .check(run.stderr.to_lowercase().contains("no space left"), "says the disk is full");
        assert_eq!(hits(&env), 300, "{args:?}: the old index answers");
        let now = std::fs::read_to_string(env.path("disk/ix/CURRENT")).expect("CURRENT");
        assert_eq!(now, before, "{args:?}: the old generation stays live");
    }

    // With room again, the next run completes and nothing is left over.
    disk.resize(64 << 20);
    let run = env.folio(&["index", "--index", "disk/ix", "--json"]);
    run.expect_code(0);
    assert_eq!(u64_of(&run.json(), "notes"), 3300, "{run}");
    assert_eq!(hits(&env), 3300);
    let generations = std::fs::read_dir(env.path("disk/ix"))
        .expect("read")
        .filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().starts_with("gen-")))
        .count();
    assert_eq!(generations, 1, "one generation left");
}
