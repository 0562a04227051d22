//! Replay as a time machine and the window's usability, driven headless through egui_kittest:
//! every view as of the replay cursor, checked against `eventscope check` run on the trace cut at
//! the cursor's time; a filter typed during a load; keyboard, right-click, columns, lists that
//! hold still, the path box.
#![cfg(feature = "gui")]

#[path = "support/gui.rs"]
mod gui_support;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use eventscope::analysis::REGISTRY;
use eventscope::app::{EventscopeApp, Launch};
use eventscope::decode::ProfileConfig;
use eventscope::model::parse_time;
use gui_support::{App, until, window};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-traces")
        .join(name)
}

/// What `eventscope check` says about a trace: anomalies (kind, event id, correlation id),
/// the summary, and each flow's (events, status).
struct Check {
    anomalies: Vec<(String, String, Option<String>)>,
    summary: Value,
    flows: BTreeMap<String, (usize, String)>,
}

fn check(path: &Path) -> Check {
    let bin = env!("CARGO_BIN_EXE_eventscope");
    let json = Command::new(bin)
        .args(["check", "--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    let lines: Vec<Value> = String::from_utf8(json.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (summary, list) = lines.split_last().unwrap();
    let anomalies = list
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_string(),
                a["event_id"].as_str().unwrap_or("").to_string(),
                a["correlation_id"].as_str().map(str::to_string),
            )
        })
        .collect();
    let text = Command::new(bin)
        .args(["check", "--flows"])
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    let flows = text
        .lines()
        .skip_while(|l| *l != "flows:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w[0].to_string(), (w[1].parse().unwrap(), w[3].to_string()))
        })
        .collect();
    Check {
        anomalies,
        summary: summary["summary"].clone(),
        flows,
    }
}

/// The trace with only its lines timed at or before `at` (and its header line).
fn cut(path: &Path, at: i64, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(path).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v.get("time")
                .and_then(Value::as_str)
                .is_none_or(|t| parse_time(t).unwrap() <= at)
        })
        .collect();
    let out = dir.join(path.file_name().unwrap());
    std::fs::write(&out, kept.join("\n") + "\n").unwrap();
    out
}

/// Every event time of a trace, sorted, once each.
fn times(path: &Path) -> Vec<i64> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut t: Vec<i64> = text
        .lines()
        .filter_map(|l| {
            serde_json::from_str::<Value>(l).ok()?["time"]
                .as_str()
                .map(String::from)
        })
        .map(|t| parse_time(&t).unwrap())
        .collect();
    t.sort_unstable();
    t.dedup();
    t
}

/// The window with the replay cursor at `at`, against `check` on the trace cut there: severity
/// chips, per-kind counts and the listed anomalies, the flows table's rows (events, status, ⚠),
/// the selected flow's graph and the inspector.
fn assert_replay_matches_check(h: &mut App, path: &Path, at: i64) {
    let dir = tempfile::tempdir().unwrap();
    let want = check(&cut(path, at, dir.path()));
    h.state_mut().view.replay.as_mut().expect("replay on").at = at;
    h.run_steps(3);
    let name = path.file_name().unwrap().to_string_lossy();
    let ctx = format!("{name} at {at}");
    // Severity chips in the top bar and the panel's total.
    for sev in eventscope::analysis::Severity::ALL {
        let n = want.summary["by_severity"][sev.name()].as_u64().unwrap();
        let app = h.state();
        let shown = app.view.severity_count(&app.session.engine, sev);
        assert_eq!(shown as u64, n, "{ctx}: {}", sev.name());
        h.get_by_label(&format!("⏺ {n} {}", sev.name()));
    }
    let total = want.summary["anomalies"].as_u64().unwrap();
    h.get_by_label(&format!("{total} active at the replay cursor"));
    // The anomalies listed per kind, as (kind, event id).
    let app = h.state();
    let (engine, view) = (&app.session.engine, &app.view);
    let mut listed: Vec<(String, String)> = Vec::new();
    for k in REGISTRY.iter() {
        let n = view.replay_anomalies.count(k.kind);
        assert_eq!(
            n as u64,
            want.summary["by_kind"][k.name].as_u64().unwrap(),
            "{ctx}: {}",
            k.name
        );
        for i in 0..n {
            let a = engine
                .anomalies
                .get(view.replay_anomalies.nth_newest(k.kind, i).unwrap());
            let id = a
                .event
                .map_or(String::new(), |e| engine.store.id_str(e).to_string());
            listed.push((k.name.to_string(), id));
        }
    }
    let mut expected: Vec<(String, String)> = (want.anomalies.iter())
        .map(|(k, id, _)| (k.clone(), id.clone()))
        .collect();
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected, "{ctx}: anomalies");
    // The rows: flows started by then, with their events, status and ⚠ as of then.
    let flows_total = engine.flows.len();
    let mut rows = BTreeMap::new();
    let cutoff = view.cutoff();
    let ids = view.flows.ids.clone();
    let app = h.state_mut();
    for f in ids {
        let key = app
            .session
            .engine
            .store
            .str(app.session.engine.flows.get(f).key)
            .to_string();
        let s = (app.view.flows)
            .row(&app.session.engine, f, cutoff)
            .unwrap();
        rows.insert(
            key,
            (s.events as usize, s.status.name().to_string(), s.anomalies),
        );
    }
    let mut want_rows = BTreeMap::new();
    for (key, (events, status)) in &want.flows {
        let n = (want.anomalies.iter())
            .filter(|a| a.2.as_deref() == Some(key.as_str()))
            .count() as u32;
        want_rows.insert(key.clone(), (*events, status.clone(), n));
    }
    assert_eq!(rows, want_rows, "{ctx}: rows");
    let flows = want.flows.len();
    h.get_by_label(&format!("{flows} of {flows_total} flows"));
    // What the rows show on screen: each status word and ⚠ count.
    for (events, status, n) in want_rows.values() {
        let shown = |h: &App, label: &str| h.query_all_by_label(label).next().is_some();
        assert!(shown(h, &format!("⏺ {status}")), "{ctx}");
        assert!(shown(h, &events.to_string()), "{ctx}");
        if *n > 0 {
            assert!(shown(h, &format!("⚠ {n}")), "{ctx}");
        }
    }
}

/// The acceptance point: replay at the first event's time (the cursor's start), then at every
/// other event time of the trace, shows exactly what `check` finds in the trace cut there. The
/// traces are in time order but one (orphan_cause.jsonl: a child logged before its cause); for
/// traces out of time order the window knows more than the cut (cause_after_effect.jsonl at
/// 09:00:03.5: the cut lacks the cause logged earlier with a later time, so `check` calls the
/// child an orphan, the window does not).
#[test]
fn replay_at_each_event_time_shows_what_check_finds_in_the_trace_cut_there() {
    for name in [
        "dead_letter.jsonl",
        "causation_cycle.jsonl",
        "duplicate.jsonl",
        "conflicting_duplicate.jsonl",
        "orphan_cause.jsonl",
        "ecommerce-clean.jsonl",
        "cloudevents-sample.jsonl",
        "out_of_order.jsonl",
        "sequence_gap.jsonl",
        "stuck.jsonl",
    ] {
        let path = sample(name);
        let mut times = times(&path);
        if name == "stuck.jsonl" {
            // Learned follow-ups: whether an old childless event is judged stuck depends on how
            // many other instances were old enough to judge then, which replay does not keep
            // (it may show a `stuck` earlier than `check` on the cut would): its first and last
            // moments only.
            times = vec![times[0], times[times.len() - 1]];
        }
        let mut h = window(&path);
        h.get_by_label("⏺ Replay").click();
        h.run_steps(2);
        let start = h.state().view.replay.as_ref().expect("replay on").at;
        assert_eq!(start, times[0], "{name}: replay starts at the first event");
        for &t in &times {
            assert_replay_matches_check(&mut h, &path, t);
        }
        // Back to the first moment after the last: the cursor moves both ways.
        assert_replay_matches_check(&mut h, &path, times[0]);
    }
}

/// At the first event of dead_letter.jsonl the graph and the inspector show that moment too: the
/// dead-lettered order's two copies, the dead letter flagged; later flows not yet there.
#[test]
fn replay_graph_and_inspector_show_the_cursors_moment() {
    let path = sample("dead_letter.jsonl");
    let mut h = window(&path);
    h.get_by_label("⏺ Replay").click();
    h.run_steps(2);
    h.get_by_label("1 of 4 flows");
    h.get_by_label("c-dl-1").click();
    h.run_steps(3);
    h.get_by_label("⏺ failed");
    h.get_by_label("⚠ 1");
    h.key_press(egui::Key::N);
    h.run_steps(3);
    h.get_by_label_contains("Anomalies (1) at the replay cursor");
    // Before the cursor reaches dl-2, its flow's event is "after the cursor" in the inspector.
    let app = h.state_mut();
    let dl2 = (0..app.session.engine.store.len() as u32)
        .find(|&e| app.session.engine.store.id_str(e) == "dl-2")
        .unwrap();
    app.commands.push(eventscope::ui::Command::SelectEvent(dl2));
    h.run_steps(3);
    h.get_by_label_contains("comes after the replay cursor");
    assert_eq!(h.state().view.graph.counts().0, 0, "no event of c-dl-2 yet");
    // The top bar's error chip counts the one dead letter of that moment, not the three.
    h.get_by_label("⏺ 1 error");
    h.get_by_label("⏺ Replay").click();
    h.run_steps(3);
    h.get_by_label("⏺ 3 error");
    assert_eq!(h.state().view.graph.counts().0, 1);
}

fn generate(dir: &Path, events: u32) -> PathBuf {
    let out = dir.join("load.jsonl");
    let st = Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args(["gen", "--events", &events.to_string(), "--seed", "5"])
        .args(["--faults", "drop=0.03,dup=0.01,poison=0.01"])
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    out
}

/// A filter typed while a file loads (and then made invalid) keeps applying as data arrives:
/// after the load the table shows exactly the flows `check` finds with a `stuck` anomaly.
#[test]
fn a_filter_typed_during_a_load_matches_check_after_it() {
    let dir = tempfile::tempdir().unwrap();
    // Gzipped (read by one thread, payloads kept in memory) and big enough that the load, paced at
    // a few frames a second, is still going after the frame the filter is typed in.
    let path = generate(dir.path(), 250_000);
    let st = Command::new("gzip").arg(&path).status().unwrap();
    assert!(st.success());
    let path = path.with_extension("jsonl.gz");
    let want = check(&path);
    let stuck: std::collections::BTreeSet<&str> = (want.anomalies.iter())
        .filter(|a| a.0 == "stuck")
        .filter_map(|a| a.2.as_deref())
        .collect();
    assert!(!stuck.is_empty(), "the trace has stuck flows");
    let flows = want.summary["flows"].as_u64().unwrap();
    let p = path.clone();
    let mut h = Harness::builder()
        .with_size([1500.0, 950.0])
        .build_eframe(move |cc| {
            EventscopeApp::new(cc, Launch::Files(vec![p], ProfileConfig::default()))
        });
    let deadline = Instant::now() + Duration::from_secs(60);
    while h.state().session.engine.stats.events == 0 {
        assert!(Instant::now() < deadline, "the load did not start");
        h.step();
        std::thread::sleep(Duration::from_millis(1));
    }
    let input = h.get_by_role(Role::TextInput);
    input.focus();
    input.type_text("kind:stuck");
    h.step();
    assert!(h.state().session.loading(), "typed while loading");
    // Then a bad term: the error shows, the table keeps the last filter and stays current.
    h.get_by_role(Role::TextInput).type_text(" ((");
    h.step();
    h.get_by_label_contains("the filter has no grouping");
    while h.state().session.loading() {
        assert!(Instant::now() < deadline, "the load did not end");
        h.step();
        std::thread::sleep(Duration::from_millis(1));
    }
    until(&mut h, "the filter's count after the load", |h| {
        h.query_by_label(&format!("{} of {flows} flows", stuck.len()))
            .is_some()
    });
    let engine = &h.state().session.engine;
    let shown: std::collections::BTreeSet<&str> = (h.state().view.flows.ids.iter())
        .map(|&f| engine.store.str(engine.flows.get(f).key))
        .collect();
    assert_eq!(shown, stuck);
}

/// Bad filters say why, each of them; the table keeps the last filter that parsed.
#[test]
fn every_bad_filter_says_why() {
    let mut h = window(&sample("dead_letter.jsonl"));
    let input = h.get_by_role(Role::TextInput);
    input.focus();
    input.type_text("status:failed");
    until(&mut h, "filtered", |h| {
        h.query_by_label("3 of 4 flows").is_some()
    });
    for (bad, why) in [
        (" ((", "no grouping"),
        (" foo:bar", "unknown key 'foo:'"),
        (" type:", "'type:' needs a value"),
        (" kind:nope", "unknown anomaly kind 'nope'"),
        (" \"open", "unclosed quote"),
    ] {
        let input = h.get_by_role(Role::TextInput);
        input.type_text(bad);
        h.run_steps(2);
        h.get_by_label_contains(why);
        h.get_by_label("3 of 4 flows");
        for _ in 0..bad.len() {
            h.key_press(egui::Key::Backspace);
        }
        h.run_steps(2);
        assert!(h.state().view.filter_error.is_none(), "{bad} removed");
    }
}

/// Up/Down move through the rows and Enter selects; n/p step through anomalies; a right-click
/// on a cell filters on its value; the column chooser adds the topic column.
#[test]
fn keyboard_right_click_and_columns() {
    let mut h = window(&sample("dead_letter.jsonl"));
    let ids = h.state().view.flows.ids.clone();
    assert_eq!(ids.len(), 4);
    h.key_press(egui::Key::ArrowDown);
    h.key_press(egui::Key::ArrowDown);
    h.key_press(egui::Key::ArrowUp);
    h.key_press(egui::Key::ArrowDown);
    h.run_steps(2);
    assert_eq!(h.state().view.flows.cursor, Some(ids[1]));
    assert_eq!(
        h.state().view.selected_flow,
        None,
        "moving is not selecting"
    );
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    assert_eq!(h.state().view.selected_flow, Some(ids[1]));

    // n / p: the anomalies in event order, as check lists them (dl-1's copy, dl-2, dl-3).
    let id_of = |h: &App| {
        let e = h.state().view.selected_event.unwrap();
        h.state().session.engine.store.id_str(e).to_string()
    };
    let mut seen = Vec::new();
    h.state_mut().view.selected_event = None;
    for _ in 0..3 {
        h.key_press(egui::Key::N);
        h.run_steps(2);
        seen.push(id_of(&h));
    }
    assert_eq!(seen, ["dl-1", "dl-2", "dl-3"]);
    h.key_press(egui::Key::P);
    h.run_steps(2);
    assert_eq!(id_of(&h), "dl-2");

    // Right-click a status cell: filter on its value.
    h.get_all_by_label("⏺ failed")
        .next()
        .unwrap()
        .click_secondary();
    h.run_steps(2);
    assert!(
        h.query_by_label("Copy").is_some(),
        "the cell's menu is open"
    );
    h.get_by_label("Filter on status:failed").click();
    until(&mut h, "filtered on status", |h| {
        h.query_by_label("3 of 4 flows").is_some()
    });
    assert_eq!(h.state().view.filter_text, "status:failed");

    // Columns: the topic column.
    h.get_by_label("Columns").click();
    h.run_steps(1);
    h.get_by_label("Topic").click();
    h.run_steps(3);
    assert!(h.state().prefs.flow_columns.topic);
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    h.get_by_label("payments-dlq");
    h.get_by_label("orders, orders.DLT");
}

/// The Status column fits its longest word and anomaly rows have a normal height.
#[test]
fn status_is_not_clipped_and_anomaly_rows_are_full_height() {
    let mut h = window(&sample("dead_letter.jsonl"));
    let node = h.get_all_by_label("⏺ complete").next().unwrap();
    let rect = node.rect();
    let font = egui::TextStyle::Body.resolve(&h.ctx.global_style());
    let width = h.ctx.fonts_mut(|f| {
        (f.layout_no_wrap("⏺ complete".into(), font, egui::Color32::WHITE))
            .size()
            .x
    });
    assert!(rect.width() + 0.5 >= width, "{} < {width}", rect.width());
    assert!(
        rect.right() <= 600.0,
        "in the flows panel's default width: {rect:?}"
    );
    h.get_by_label_contains("dead_letter (3)").click();
    h.run_steps(3);
    let row = h.get_by_label_contains("ShipmentRequested dl-3").rect();
    assert!(row.height() >= 16.0, "row height {}", row.height());
}

/// The anomalies list and the flows table hold still under the mouse: new rows are counted in
/// a chip and come in when the mouse leaves.
#[test]
fn lists_hold_still_under_the_mouse() {
    let mut h = window(&sample("dead_letter.jsonl"));
    let before = h.state().view.flows.ids.clone();
    let row = h.get_by_label("c-dl-1").rect().center();
    h.hover_at(row);
    h.run_steps(2);
    let engine = &mut h.state_mut().session.engine;
    engine.push(
        eventscope::model::DecodedEvent {
            id: "late-1".into(),
            event_type: "OrderPlaced".into(),
            correlation_id: Some("c-late".into()),
            time: Some(parse_time("2026-03-14T09:00:30Z").unwrap()),
            ..Default::default()
        },
        0,
    );
    h.run_steps(3);
    assert_eq!(h.state().view.flows.ids, before, "held");
    h.get_by_label("1 new");
    h.hover_at(egui::pos2(1400.0, 100.0));
    until(&mut h, "rebuilt after the mouse left", |h| {
        h.query_by_label("5 of 5 flows").is_some()
    });
}

/// File > Open path… (also what File > Open falls back to when no dialog answers) opens a file
/// typed into the box, and says so when the file does not exist.
#[test]
fn the_path_box_opens_a_typed_file() {
    let mut h = window(&sample("dead_letter.jsonl"));
    h.get_by_label("File").click();
    h.run_steps(1);
    h.get_by_label("Open path…").click();
    h.run_steps(2);
    h.state_mut().view.open_path.text = "/no/such/file.jsonl".into();
    h.run_steps(1);
    h.get_by_label("Open").click();
    h.run_steps(2);
    h.get_by_label_contains("no such file");
    let good = sample("duplicate.jsonl").display().to_string();
    h.state_mut().view.open_path.text = good;
    h.run_steps(1);
    h.get_by_label("Open").click();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        h.step();
        let s = &h.state().session;
        if !s.loading() && s.engine.stats.events == 8 {
            break;
        }
        assert!(Instant::now() < deadline, "the typed file did not open");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(!h.state().view.open_path.open);
}
