use super::redact_url;

/// Every flag and argument of every command, with where it is: `baocao review list --json`.
fn undocumented(command: &clap::Command, path: &str, out: &mut Vec<String>) {
    for arg in command.get_arguments() {
        let id = arg.get_id().as_str();
        if matches!(id, "help" | "version") {
            continue;
        }
        if arg.get_help().is_none() && arg.get_long_help().is_none() {
            out.push(format!("{path} {id}"));
        }
    }
    for sub in command.get_subcommands() {
        if sub.get_about().is_none() {
            out.push(format!("{path} {} (no description)", sub.get_name()));
        }
        undocumented(sub, &format!("{path} {}", sub.get_name()), out);
    }
}

#[test]
fn every_command_flag_and_argument_has_help_text() {
    use clap::CommandFactory;
    let mut missing = Vec::new();
    undocumented(&super::Cli::command(), "baocao", &mut missing);
    assert!(missing.is_empty(), "without help text:\n{}", missing.join("\n"));
}

#[test]
fn database_passwords_are_hidden() {
    assert_eq!(
        redact_url("postgres://baocao:s3cret@db:5432/baocao"),
        "postgres://baocao:***@db:5432/baocao"
    );
    assert_eq!(
        redact_url("postgres://postgres@127.0.0.1/x"),
        "postgres://postgres@127.0.0.1/x"
    );
    assert_eq!(
        redact_url("sqlite:///var/lib/baocao/baocao.db"),
        "sqlite:///var/lib/baocao/baocao.db"
    );
}
