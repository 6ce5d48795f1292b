//! A real browser for the web tests: headless Chromium driven through ChromeDriver
//! (fantoccini), with what the tests do in it: sign in, click, read the page's text once it
//! shows something, upload a file, keep a screenshot in `target/test-artifacts/`, and check
//! the page with axe-core (installed by `scripts/setup-test-env.sh` into `target/test-tools`).

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

use super::repo_root;
use super::web::CLERK;

/// The element `css` selects inside `element`.
pub async fn inside(element: &Element, css: &str) -> Element {
    element.find(Locator::Css(css)).await.unwrap()
}

pub async fn type_into(element: &Element, text: &str) {
    element.send_keys(text).await.unwrap();
}

pub struct Browser {
    driver: Child,
    pub client: Client,
    _profile: tempfile::TempDir,
    inaccessible: std::sync::Mutex<Vec<String>>,
}

impl Browser {
    pub async fn start() -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new("chromedriver")
            // Its own process group: Chromium and its helpers go with it (see `Drop`).
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (scripts/setup-test-env.sh installs chromium-driver)");
        let profile = tempfile::tempdir().unwrap();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..50 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Browser {
                        driver,
                        client,
                        _profile: profile,
                        inaccessible: Default::default(),
                    };
                }
                Err(error) => last = Some(error),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("could not start Chromium through ChromeDriver: {last:?}");
    }

    /// The page's text, once it contains `expected` (pages load after a click).
    pub async fn text_with(&self, expected: &str) -> String {
        let mut last = String::new();
        for _ in 0..100 {
            if let Ok(body) = self.client.find(Locator::Css("body")).await
                && let Ok(text) = body.text().await
            {
                if text.contains(expected) {
                    return text;
                }
                last = text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never showed {expected:?}; it shows:\n{last}");
    }

    /// The page's text, once it no longer contains `gone`.
    pub async fn text_without(&self, gone: &str) -> String {
        for _ in 0..100 {
            if let Ok(body) = self.client.find(Locator::Css("body")).await
                && let Ok(text) = body.text().await
                && !text.contains(gone)
            {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page still shows {gone:?}");
    }

    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = repo_root().join("target/test-artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
    }

    /// Signs in as the clerk.
    pub async fn log_in(&self, base: &str, password: &str) {
        self.log_in_as(base, CLERK, password).await;
    }

    pub async fn log_in_as(&self, base: &str, user: &str, password: &str) {
        self.client.goto(&format!("{base}/")).await.unwrap();
        type_into(&self.find(Locator::Css("input[name=user]")).await, user).await;
        type_into(&self.find(Locator::Css("input[name=password]")).await, password).await;
        self.click(Locator::Id("login")).await;
    }

    pub async fn find(&self, locator: Locator<'_>) -> Element {
        self.client.find(locator).await.unwrap()
    }

    /// Clicks the element `locator` finds.
    pub async fn click(&self, locator: Locator<'_>) {
        self.find(locator).await.click().await.unwrap();
    }

    /// The text of the element `locator` finds.
    pub async fn text_of(&self, locator: Locator<'_>) -> String {
        self.find(locator).await.text().await.unwrap()
    }

    pub async fn stop(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// Goes to `base` + `path` and waits for the page to show `expected`; its text.
    pub async fn open(&self, url: &str, expected: &str) -> String {
        self.client.goto(url).await.unwrap();
        self.text_with(expected).await
    }

    /// Chooses `file` in the file input `locator` finds.
    pub async fn choose_file(&self, locator: Locator<'_>, file: &Path) {
        let path = file.canonicalize().unwrap();
        self.find(locator)
            .await
            .send_keys(path.to_str().unwrap())
            .await
            .unwrap();
    }

    /// Replaces what the input `locator` finds holds with `text`.
    pub async fn fill(&self, locator: Locator<'_>, text: &str) {
        let input = self.find(locator).await;
        input.clear().await.unwrap();
        type_into(&input, text).await;
    }

    /// Downloads what the link with `text` points at, with the browser's session, over the
    /// test's own HTTP client (headless Chromium keeps downloads to itself): status, head, body.
    pub async fn download(&self, text: &str, port: u16) -> (u16, String, String) {
        let link = self
            .find(Locator::LinkText(text))
            .await
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        let path = match link.find("://") {
            Some(scheme) => link[scheme + 3..]
                .find('/')
                .map_or("/".to_string(), |i| link[scheme + 3 + i..].to_string()),
            None => link,
        };
        let cookie = self.session_cookie().await;
        super::service::http(port, "GET", &path, &[("Cookie", &cookie)], "")
    }

    /// The page's HTML as the browser holds it.
    pub async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    /// The session cookie, as a `Cookie` header's value.
    pub async fn session_cookie(&self) -> String {
        let cookies = self.client.get_all_cookies().await.unwrap();
        let session = cookies
            .iter()
            .find(|c| c.name() == "baocao_session")
            .expect("a session cookie");
        format!("baocao_session={}", session.value())
    }

    /// Runs axe-core on the page (WCAG 2.1 A and AA rules, contrast included) and keeps every
    /// violation, its rule, its elements and what to fix, named after `page`, for
    /// [`Browser::assert_all_accessible`].
    pub async fn assert_accessible(&self, page: &str) {
        let axe = repo_root().join("target/test-tools/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&axe).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (bash scripts/setup-test-env.sh installs axe-core)",
                axe.display()
            )
        });
        self.client.execute(&source, vec![]).await.unwrap();
        let found = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
                  .then(r => done(r.violations.map(v => v.id + " (" + v.impact + "): " + v.help + "\n" +
                      v.nodes.map(n => "    " + n.target.join(" ") + " — " + n.failureSummary.replace(/\n/g, " ")).join("\n"))))
                  .catch(e => done(["axe failed: " + e]));"#,
                vec![],
            )
            .await
            .unwrap();
        let violations: Vec<String> = serde_json::from_value(found).unwrap();
        if !violations.is_empty() {
            let found = format!("axe-core on {page}:\n{}", violations.join("\n"));
            eprintln!("{found}");
            self.inaccessible.lock().unwrap().push(found);
        }
    }

    /// Fails the test with what [`Browser::assert_accessible`] found on every page checked
    /// (all of them at once: one run shows every page's problems).
    pub fn assert_all_accessible(&self) {
        let found = self.inaccessible.lock().unwrap();
        assert!(found.is_empty(), "{}", found.join("\n"));
    }
}

/// A test that fails before [`Browser::stop`] still leaves no ChromeDriver or Chromium
/// behind: the whole process group goes.
impl Drop for Browser {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.wait();
    }
}
