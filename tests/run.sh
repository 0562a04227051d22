#!/usr/bin/env bash
# The project's test command (README, "Set-up"). Installs what the tests need on a fresh Debian
# machine of this project's kind, then runs the whole test suite. Today the suite needs nothing
# beyond the Rust toolchain; the Kafka and GUI issues add their installs here.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --all-targets
