//! `baocao user add NAME`: who may log in to the web page. The password is asked twice (or
//! read from stdin with `--password-stdin`) and only its argon2id hash is written, into
//! `[[web.users]]` of the configuration file, keeping the file's comments and layout.

use std::io::BufRead as _;
use std::path::Path;

use clap::Subcommand;

use super::{CliError, CliResult};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Thêm (hoặc đổi mật khẩu) người được đăng nhập trang theo dõi
    Add {
        /// Tên đăng nhập, ví dụ vanthu
        name: String,
        /// Đọc mật khẩu từ một dòng ở đầu vào chuẩn (cho script), thay vì hỏi
        #[arg(long)]
        password_stdin: bool,
    },
}

const MIN_PASSWORD_CHARS: usize = 8;

pub fn run(config_path: &Path, command: UserCommand) -> CliResult {
    match command {
        UserCommand::Add { name, password_stdin } => add(config_path, &name, password_stdin),
    }
}

fn add(config_path: &Path, name: &str, password_stdin: bool) -> CliResult {
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) || name.contains('"') {
        return Err(CliError::Refused(
            "tên đăng nhập không được trống hay có dấu cách".into(),
        ));
    }
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::Refused(format!("không đọc được mật khẩu: {e}")))?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let first = rpassword::prompt_password(format!("Mật khẩu cho {name}: "))
            .map_err(|e| CliError::Refused(format!("không đọc được mật khẩu: {e}")))?;
        let again = rpassword::prompt_password("Nhập lại mật khẩu: ")
            .map_err(|e| CliError::Refused(format!("không đọc được mật khẩu: {e}")))?;
        if first != again {
            return Err(CliError::Refused("hai lần nhập mật khẩu không giống nhau".into()));
        }
        first
    };
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(CliError::Refused(format!(
            "mật khẩu cần ít nhất {MIN_PASSWORD_CHARS} ký tự"
        )));
    }
    let hash = crate::wiring::web::hash_password(&password).map_err(|e| CliError::Internal(anyhow::anyhow!("{e}")))?;
    let text = std::fs::read_to_string(config_path)
        .map_err(|e| CliError::Refused(format!("không đọc được {}: {e}", config_path.display())))?;
    let (new_text, replaced) = with_user(&text, name, &hash)
        .map_err(|e| CliError::Refused(format!("{}: không sửa được tệp cấu hình: {e}", config_path.display())))?;
    // The result must still be a valid configuration before it replaces the file.
    crate::adapters::config::parse(&new_text, config_path)?;
    let temporary = config_path.with_extension("toml.new");
    std::fs::write(&temporary, &new_text)
        .and_then(|()| {
            let permissions = std::fs::metadata(config_path)?.permissions();
            std::fs::set_permissions(&temporary, permissions)?;
            std::fs::rename(&temporary, config_path)
        })
        .map_err(|e| CliError::Refused(format!("không ghi được {}: {e}", config_path.display())))?;
    println!(
        "đã {} người dùng {name} trong {} (chỉ lưu mã băm argon2 của mật khẩu); áp dụng bằng: systemctl reload baocao",
        if replaced { "đổi mật khẩu của" } else { "thêm" },
        config_path.display()
    );
    Ok(())
}

/// The configuration text with `name`'s hash set in `[[web.users]]`; whether it replaced one.
fn with_user(text: &str, name: &str, hash: &str) -> Result<(String, bool), toml_edit::TomlError> {
    use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};
    let mut document: DocumentMut = text.parse()?;
    let web = document.entry("web").or_insert_with(|| Item::Table(Table::new()));
    let Some(web) = web.as_table_like_mut() else {
        return Ok((text.to_string(), false));
    };
    let users = web.entry("users").or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
    let Some(users) = users.as_array_of_tables_mut() else {
        return Ok((text.to_string(), false));
    };
    let mut replaced = false;
    for user in users.iter_mut() {
        if user.get("name").and_then(|n| n.as_str()) == Some(name) {
            user["password-hash"] = value(hash);
            replaced = true;
        }
    }
    if !replaced {
        let mut user = Table::new();
        user["name"] = value(name);
        user["password-hash"] = value(hash);
        users.push(user);
    }
    Ok((document.to_string(), replaced))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_added_and_then_replaced_keeping_the_comments() {
        let text = "# cơ quan\n[office]\nname = \"Sở\" # tên\n\n[web]\nlisten = \"127.0.0.1:8080\"\n";
        let (added, replaced) = with_user(text, "vanthu", "$argon2id$a").unwrap();
        assert!(!replaced);
        assert!(added.contains("# cơ quan") && added.contains("# tên"), "{added}");
        assert!(
            added.contains("[[web.users]]\nname = \"vanthu\"\npassword-hash = \"$argon2id$a\""),
            "{added}"
        );
        let (again, replaced) = with_user(&added, "vanthu", "$argon2id$b").unwrap();
        assert!(replaced);
        assert_eq!(again.matches("[[web.users]]").count(), 1);
        assert!(again.contains("$argon2id$b") && !again.contains("$argon2id$a"));
    }
}
