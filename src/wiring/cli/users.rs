//! `baocao user add|role|list`: who may log in to the web page, and with which role
//! (van-thu, lanh-dao, quan-tri). The password is asked twice (or read from stdin with
//! `--password-stdin`) and only its argon2id hash is written, into `[[web.users]]` of the
//! configuration file, keeping the file's comments and layout; with `[web] login = "imap"`
//! no password is asked (the user signs in with their mailbox's password).

use std::io::BufRead as _;
use std::path::Path;

use clap::Subcommand;

use super::{CliError, CliResult};
use crate::adapters::config::{WebLogin, WebRole};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Thêm (hoặc đổi mật khẩu) người được đăng nhập trang theo dõi
    Add {
        /// Tên đăng nhập, ví dụ vanthu (với login = "imap": tên hộp thư, ví dụ hoa@sogd.gov.vn)
        name: String,
        /// Vai trò: van-thu (làm mọi việc văn thư; mặc định cho người mới), lanh-dao (chỉ xem,
        /// xuất danh sách), quan-tri (như văn thư, và quản trị); người đã có giữ vai trò cũ
        #[arg(long)]
        role: Option<String>,
        /// Đọc mật khẩu từ một dòng ở đầu vào chuẩn (cho script), thay vì hỏi
        #[arg(long)]
        password_stdin: bool,
    },
    /// Đổi vai trò của một người dùng
    Role {
        /// Tên đăng nhập
        name: String,
        /// van-thu, lanh-dao hoặc quan-tri
        role: String,
    },
    /// Liệt kê người dùng và vai trò
    List,
}

const MIN_PASSWORD_CHARS: usize = 8;

pub fn run(config_path: &Path, command: UserCommand) -> CliResult {
    match command {
        UserCommand::Add {
            name,
            role,
            password_stdin,
        } => add(config_path, &name, role.as_deref(), password_stdin),
        UserCommand::Role { name, role } => set_role(config_path, &name, &role),
        UserCommand::List => list(config_path),
    }
}

fn role_of(text: &str) -> CliResult<WebRole> {
    WebRole::parse(text).ok_or_else(|| {
        CliError::Refused(format!(
            "không có vai trò `{text}`: ghi van-thu (văn thư), lanh-dao (lãnh đạo) hoặc quan-tri (quản trị)"
        ))
    })
}

fn read_config(config_path: &Path) -> CliResult<String> {
    std::fs::read_to_string(config_path)
        .map_err(|e| CliError::Refused(format!("không đọc được {}: {e}", config_path.display())))
}

fn add(config_path: &Path, name: &str, role: Option<&str>, password_stdin: bool) -> CliResult {
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) || name.contains('"') {
        return Err(CliError::Refused(
            "tên đăng nhập không được trống hay có dấu cách".into(),
        ));
    }
    let text = read_config(config_path)?;
    let settings = crate::adapters::config::parse(&text, config_path)?.settings;
    // A new user is a clerk unless told; an existing one keeps their role (a new password
    // for a "lãnh đạo" must not give them the right to change data).
    let existing = settings.web.users.iter().find(|u| u.name == name).map(|u| u.role);
    let role = match role {
        Some(text) => role_of(text)?,
        None => existing.unwrap_or_default(),
    };
    if settings.web.login == WebLogin::Imap {
        let new_text = with_user(&text, name, None, Some(role))
            .map_err(|e| CliError::Refused(format!("{}: không sửa được tệp cấu hình: {e}", config_path.display())))?
            .0;
        write_config(config_path, &new_text)?;
        println!(
            "đã thêm người dùng {name} ({}) trong {}: đăng nhập bằng mật khẩu hộp thư của mình (login = \"imap\"); áp dụng bằng: systemctl reload baocao",
            role.label_vi(),
            config_path.display()
        );
        return Ok(());
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
    let (new_text, replaced) = with_user(&text, name, Some(&hash), Some(role))
        .map_err(|e| CliError::Refused(format!("{}: không sửa được tệp cấu hình: {e}", config_path.display())))?;
    write_config(config_path, &new_text)?;
    println!(
        "đã {} người dùng {name} ({}) trong {} (chỉ lưu mã băm argon2 của mật khẩu); áp dụng bằng: systemctl reload baocao",
        if replaced { "đổi mật khẩu của" } else { "thêm" },
        role.label_vi(),
        config_path.display()
    );
    Ok(())
}

fn set_role(config_path: &Path, name: &str, role: &str) -> CliResult {
    let role = role_of(role)?;
    let text = read_config(config_path)?;
    let settings = crate::adapters::config::parse(&text, config_path)?.settings;
    let Some(before) = settings.web.users.iter().find(|u| u.name == name.trim()) else {
        return Err(CliError::Refused(format!(
            "không có người dùng {name}: thêm bằng baocao user add {name} --role {}",
            role.as_str()
        )));
    };
    let before = before.role;
    let (new_text, _) = with_user(&text, name.trim(), None, Some(role))
        .map_err(|e| CliError::Refused(format!("{}: không sửa được tệp cấu hình: {e}", config_path.display())))?;
    write_config(config_path, &new_text)?;
    println!(
        "vai trò của {name}: {} → {}; áp dụng bằng: systemctl reload baocao",
        before.label_vi(),
        role.label_vi()
    );
    Ok(())
}

fn list(config_path: &Path) -> CliResult {
    let text = read_config(config_path)?;
    let settings = crate::adapters::config::parse(&text, config_path)?.settings;
    if settings.web.users.is_empty() {
        println!("chưa có người dùng nào: thêm bằng baocao user add TÊN --role van-thu");
    }
    for user in &settings.web.users {
        println!("{:<24} {}", user.name, user.role.label_vi());
    }
    Ok(())
}

/// Writes `new_text` over the configuration file, atomically and with its permissions, after
/// checking it is still a valid configuration.
fn write_config(config_path: &Path, new_text: &str) -> CliResult {
    crate::adapters::config::parse(new_text, config_path)?;
    let temporary = config_path.with_extension("toml.new");
    std::fs::write(&temporary, new_text)
        .and_then(|()| {
            let permissions = std::fs::metadata(config_path)?.permissions();
            std::fs::set_permissions(&temporary, permissions)?;
            std::fs::rename(&temporary, config_path)
        })
        .map_err(|e| CliError::Refused(format!("không ghi được {}: {e}", config_path.display())))
}

/// The configuration text with `name`'s hash and role set in `[[web.users]]` (each only when
/// given); whether the user was there already.
fn with_user(
    text: &str,
    name: &str,
    hash: Option<&str>,
    role: Option<WebRole>,
) -> Result<(String, bool), toml_edit::TomlError> {
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
    let set = |user: &mut Table| {
        if let Some(hash) = hash {
            user["password-hash"] = value(hash);
        }
        if let Some(role) = role {
            user["role"] = value(role.as_str());
        }
    };
    for user in users.iter_mut() {
        if user.get("name").and_then(|n| n.as_str()) == Some(name) {
            set(user);
            replaced = true;
        }
    }
    if !replaced {
        let mut user = Table::new();
        user["name"] = value(name);
        set(&mut user);
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
        let (added, replaced) = with_user(text, "vanthu", Some("$argon2id$a"), None).unwrap();
        assert!(!replaced);
        assert!(added.contains("# cơ quan") && added.contains("# tên"), "{added}");
        assert!(
            added.contains("[[web.users]]\nname = \"vanthu\"\npassword-hash = \"$argon2id$a\""),
            "{added}"
        );
        let (again, replaced) = with_user(&added, "vanthu", Some("$argon2id$b"), None).unwrap();
        assert!(replaced);
        assert_eq!(again.matches("[[web.users]]").count(), 1);
        assert!(again.contains("$argon2id$b") && !again.contains("$argon2id$a"));
        // A role alone keeps the password.
        let (leader, _) = with_user(&again, "vanthu", None, Some(WebRole::LanhDao)).unwrap();
        assert!(
            leader.contains("$argon2id$b") && leader.contains("role = \"lanh-dao\""),
            "{leader}"
        );
    }
}
