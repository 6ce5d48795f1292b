#!/usr/bin/env bash
# Refreshes the README's pictures of the web page (docs/screenshots/) from the browser test
# that runs seed 000 end to end (tests/it/web_scenario.rs), which keeps a screenshot of every
# page it opens in target/test-artifacts/. Needs what `bash scripts/setup-test-env.sh` installs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --test it web_scenario -- --nocapture
mkdir -p docs/screenshots
for page in overview request request-from-directive letters units-preview unit-refused review request-leader template-refused series-new request-phone; do
    cp "target/test-artifacts/$page.png" "docs/screenshots/$page.png"
done
echo "screenshots: docs/screenshots/ refreshed"
