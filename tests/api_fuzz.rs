//! The whole API fuzzed from its own OpenAPI document by schemathesis (a
//! real, external test peer): generated requests, valid and not, against a
//! real daemon with the demo data. No answer may be a server error, and
//! every answer must match the document's schemas and content types.

mod common;

use common::{TestDaemon, ADMIN_TOKEN};

/// Examples per operation and phase; bounds the run to a few seconds.
const MAX_EXAMPLES: &str = "20";
/// Fixed, so that a failure can be run again as it was.
const SEED: &str = "20261126";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_generated_request_gets_a_server_error_or_an_undocumented_answer() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = TestDaemon::start_with(dir, |s| s.demo = true).await;
    let spec = format!("{}/api/v1/openapi.json", daemon.base_url);
    // schemathesis keeps state in its working directory: give it a scratch one.
    let scratch = tempfile::tempdir().unwrap();
    let run = tokio::process::Command::new("st")
        .current_dir(scratch.path())
        .args(["run", &spec, "--url", &daemon.base_url])
        .args(["-H", &format!("Authorization: Bearer {ADMIN_TOKEN}")])
        .args(["--checks", "not_a_server_error,response_schema_conformance,content_type_conformance"])
        .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED, "--workers", "2"])
        .args(["--generation-database", "none", "--no-color"])
        .output()
        .await
        .unwrap_or_else(|e| {
            panic!("cannot run `st` (schemathesis): {e}; install the test peers with `sh scripts/test-peers.sh`")
        });
    let report = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "schemathesis found failures:\n{report}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        report.contains("passed"),
        "schemathesis ran no test:\n{report}"
    );
    daemon.stop().await;
}
