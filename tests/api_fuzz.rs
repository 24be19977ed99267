//! The whole API fuzzed from its own OpenAPI document by schemathesis (a
//! real, external test peer): generated requests, valid and not, against a
//! real daemon with the demo data. No answer may be a server error, every
//! answer must match the document's schemas and content types, and every
//! request the document calls valid must be accepted: the document is derived
//! from the wire types, and this is what shows it says what the daemon reads.

mod common;

use common::{TestDaemon, ADMIN_TOKEN};

/// Examples per operation and phase; bounds the run to some 20 seconds.
const MAX_EXAMPLES: &str = "20";
/// Fixed, so that a failure can be run again as it was.
const SEED: &str = "20261126";

/// What the daemon may answer a request the document calls valid
/// (`positive_data_acceptance`): success, or a refusal that depends on the
/// data rather than on the request's form: a resource that is not there or
/// not the caller's (404), a conflict (409), a range outside the file (416),
/// a rule of the data such as "a message needs a body or an attachment" or
/// "no such customer" (422), a rate limit (429). Never 400: a 400 means the
/// document admits a request that the daemon cannot read.
const SCHEMATHESIS_CONFIG: &str = r#"
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "416", "422", "429"]

# The stateful phase feeds values of earlier answers, nulls included, into
# later requests' parameters without checking them against those parameters'
# schemas (a null project_id becomes the path segment "None"), so some of its
# requests are not valid ones.
[phases.stateful.checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "416", "422", "429"]

# A WebSocket handshake needs headers that an HTTP fuzzer does not send; a
# plain GET is refused with 400.
[[operations]]
include-path = "/api/v1/ws"
checks.positive_data_acceptance.expected-statuses = ["101", "400", "401", "403"]

# Analytics refuse with 400, as issue 9 asks, what no schema can rule out:
# an unknown time zone, a date that does not exist (2026-02-30), since after
# until, a range over 100 years.
[[operations]]
include-path-regex = "^/api/v1/analytics/"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "429"]

# A raw upload's declared Content-Type must agree with its bytes (415), which
# no schema can say. An operation's list replaces the stateful phase's, and
# that phase also sends this route forms without their required `file` part,
# which go out as a malformed multipart body (`--b\r\n--b--`): 400 is the
# right answer to those, so it is allowed here too.
[[operations]]
include-path = "/api/v1/files"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "404", "409", "415", "422", "429"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_get_documented_answers_and_valid_ones_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = TestDaemon::start_with(dir, |s| s.demo = true).await;
    let spec = format!("{}/api/v1/openapi.json", daemon.base_url);
    // schemathesis keeps state in its working directory: give it a scratch one.
    let scratch = tempfile::tempdir().unwrap();
    let config = scratch.path().join("schemathesis.toml");
    std::fs::write(&config, SCHEMATHESIS_CONFIG).unwrap();
    let run = tokio::process::Command::new("st")
        .current_dir(scratch.path())
        .arg("--config-file")
        .arg(&config)
        .args(["run", &spec, "--url", &daemon.base_url])
        .args(["-H", &format!("Authorization: Bearer {ADMIN_TOKEN}")])
        .args(["--checks", "not_a_server_error,response_schema_conformance,content_type_conformance,positive_data_acceptance"])
        // One worker: with two, schemathesis (4.32.5) now and then fails
        // itself with "AST constructor recursion depth mismatch", a race in
        // its own code generation, on routes that did not change.
        .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED, "--workers", "1"])
        // A valid backup request writes a copy of the store wherever its
        // generated absolute `to` points (as root in CI: anywhere).
        // tests/backup.rs covers that route with paths of its own.
        .args(["--exclude-path", "/api/v1/admin/backup"])
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
