//! `folio completions SHELL` and `folio man`: generated from the clap
//! definitions, so every subcommand `--help` lists is in them.

use crate::util::TestEnv;

/// The subcommands `folio --help` lists (its `Commands:` block), less
/// clap's own `help`.
fn subcommands(env: &TestEnv) -> Vec<String> {
    let run = env.folio(&["--help"]);
    run.expect_code(0);
    let names: Vec<String> = run
        .stdout
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect();
    assert!(names.len() >= 11, "the Commands block of --help: {names:?}\n{}", run.stdout);
    names
}

#[test]
fn completions_for_every_shell_name_the_subcommands() {
    let env = TestEnv::new();
    let names = subcommands(&env);
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = env.folio(&["completions", shell]);
        run.expect_code(0);
        for name in &names {
            run.check(run.stdout.contains(name.as_str()), &format!("{shell} completes `{name}`"));
        }
    }
    let bash = env.folio(&["completions", "bash"]);
    bash.check(bash.stdout.contains("_folio"), "a bash completion function")
        .check(bash.stdout.contains("quotes"), "`folio quotes` completes")
        .check(bash.stdout.contains("--since"), "flags complete too")
        .check(bash.stdout.contains("complete -F"), "registered with `complete`");

    let run = env.folio(&["completions", "tcsh"]);
    run.expect_code(2).expect_stderr("tcsh").check(run.stdout.is_empty(), "nothing on stdout");
}

#[test]
fn the_man_page_is_roff_and_lists_every_subcommand() {
    let env = TestEnv::new();
    let names = subcommands(&env);
    let run = env.folio(&["man"]);
    run.expect_code(0);
    // roff writes `-` as `\-`.
    let page = run.stdout.replace("\\-", "-");
    run.check(page.lines().any(|line| line.starts_with(".TH folio 1")), "a .TH line: folio(1)")
        .check(page.contains(".SH NAME") && page.contains(".SH SYNOPSIS"), "man sections")
        .check(!page.contains("folio-help(1)"), "no page for clap's help subcommand");
    for name in &names {
        run.check(page.contains(&format!("folio-{name}(1)")), &format!("lists folio-{name}(1)"));
    }

    let run = env.folio(&["man", "quotes"]);
    run.expect_code(0);
    let page = run.stdout.replace("\\-", "-");
    run.check(page.contains(".TH folio-quotes 1"), "titled folio-quotes(1)")
        .check(page.contains("--since"), "its flags")
        .check(page.contains("FOLIO_INDEX"), "the environment variable of --index");

    let run = env.folio(&["man", "nosuch"]);
    run.expect_code(2).expect_stderr("no subcommand `nosuch`").expect_stderr("quotes");
}
