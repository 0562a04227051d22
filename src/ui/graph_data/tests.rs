use super::*;
use crate::analysis::Config;
use crate::model::DecodedEvent;

fn push(e: &mut Engine, id: &str, ty: &str, cause: Option<&str>, t: i64) {
    e.push(
        DecodedEvent {
            id: id.into(),
            event_type: ty.into(),
            correlation_id: Some("c".into()),
            causation_id: cause.map(Into::into),
            time: Some(t),
            ..Default::default()
        },
        0,
    );
}

fn labels(g: &GraphData) -> Vec<&str> {
    g.nodes.iter().map(|n| n.label.as_str()).collect()
}

#[test]
fn layers_by_depth_with_placeholders_and_groups() {
    let mut e = Engine::new(Config::default());
    push(&mut e, "root", "Placed", None, 0);
    push(&mut e, "a", "Paid", Some("root"), 1);
    push(&mut e, "b", "Shipped", Some("a"), 2);
    push(&mut e, "o", "Orphan", Some("ghost"), 3);
    for i in 0..30 {
        push(&mut e, &format!("n{i}"), "Notified", Some("root"), 10 + i);
    }
    let g = build(&e, e.flows.flow_of(0), None);
    assert_eq!(
        build(&e, e.flows.flow_of(0), Some(1)).nodes.len(),
        2,
        "replay: events up to t=1"
    );
    // root, a, b, missing ghost, orphan, 3 kept Notified + 1 group of 27.
    assert_eq!(g.nodes.len(), 9, "{:#?}", labels(&g));
    assert_eq!(g.edges.len(), 7);
    let by_label = |l: &str| g.nodes.iter().find(|n| n.label == l).unwrap();
    assert_eq!(by_label("Placed").layer, 0);
    assert_eq!(by_label("Paid").layer, 1);
    assert_eq!(by_label("Shipped").layer, 2);
    assert_eq!(by_label("missing ghost").layer, 0);
    assert_eq!(by_label("Orphan").layer, 1);
    assert!(matches!(
        by_label("Notified ×27").kind,
        NodeKind::Group(_, 27)
    ));
    assert!(by_label("Shipped").pos.1 > by_label("Paid").pos.1);
    assert_eq!(g.node_of.len(), 34);
    assert!(!g.summarised);
}

/// No two nodes of one layer closer than a column, and each node's room reaches the next.
fn assert_tidy(g: &GraphData) {
    let mut by_layer: FxHashMap<usize, Vec<f32>> = FxHashMap::default();
    for n in &g.nodes {
        by_layer.entry(n.layer).or_default().push(n.pos.0);
    }
    for xs in by_layer.values_mut() {
        xs.sort_by(f32::total_cmp);
        for w in xs.windows(2) {
            assert!(w[1] - w[0] >= COL_SPACING - 0.01, "{xs:?}");
        }
    }
    for &(p, c, _) in &g.edges {
        assert_eq!(
            g.nodes[c].layer,
            g.nodes[p].layer + 1,
            "edges join adjacent layers"
        );
    }
}

#[test]
fn a_long_chain_is_its_ends_around_a_counted_segment_and_expands() {
    let mut e = Engine::new(Config::default());
    let types = ["Step", "Audit"];
    for i in 0..20_000 {
        let cause = (i > 0).then(|| format!("s{}", i - 1));
        push(
            &mut e,
            &format!("s{i}"),
            types[i % 2],
            cause.as_deref(),
            i as i64 * 1_000_000,
        );
    }
    let tree = FlowTree::build(&e, e.flows.flow_of(0), None);
    let g = from_tree(&e, &tree, &FxHashSet::default());
    assert!(g.summarised);
    assert_eq!(
        labels(&g),
        ["Step", "Audit", "… 19996 events, 2 types", "Step", "Audit"]
    );
    assert_eq!(g.node_of.len(), 20_000);
    assert_eq!(
        g.edges[2].2, "+1 ms",
        "the hop out of a segment starts at its last event"
    );
    assert_tidy(&g);
    // Expanding the segment shows the next events one by one and a shorter segment.
    let NodeKind::Segment(first, 19_996) = g.nodes[2].kind else {
        panic!("{:?}", g.nodes[2].kind)
    };
    let open = from_tree(&e, &tree, &[first].into_iter().collect());
    assert_eq!(open.nodes.len(), 5 + EXPAND_STEP + 2, "{:?}", labels(&open));
    assert!(labels(&open).contains(&"… 19944 events, 2 types"));
    assert_tidy(&open);
}

#[test]
fn a_fan_out_in_a_summary_is_one_group_that_expands() {
    let mut e = Engine::new(Config::default());
    push(&mut e, "root", "Batch", None, 0);
    for i in 0..5_000 {
        push(&mut e, &format!("c{i}"), "Item", Some("root"), 1 + i);
    }
    let tree = FlowTree::build(&e, e.flows.flow_of(0), None);
    let g = from_tree(&e, &tree, &FxHashSet::default());
    assert_eq!(labels(&g), ["Batch", "Item ×5000"]);
    let NodeKind::Group(first, 5000) = g.nodes[1].kind else {
        panic!()
    };
    let open = from_tree(&e, &tree, &[first].into_iter().collect());
    assert_eq!(open.nodes.len(), 1 + EXPAND_STEP + 1);
    assert!(labels(&open).contains(&"Item ×4950"));
    assert_tidy(&open);
}

#[test]
fn any_big_shape_stays_within_the_summary_budget() {
    // A binary tree of 20,000 events, 7 types, and a flat flow of 3,000 roots of 50 types.
    let mut e = Engine::new(Config::default());
    for k in 0..20_000usize {
        let cause = (k > 0).then(|| format!("b{}", (k - 1) / 2));
        push(
            &mut e,
            &format!("b{k}"),
            &format!("T{}", k % 7),
            cause.as_deref(),
            k as i64,
        );
    }
    let g = build(&e, e.flows.flow_of(0), None);
    assert!(
        g.nodes.len() <= SUMMARY_NODES + 4 * MAX_BUCKETS,
        "{}",
        g.nodes.len()
    );
    assert_eq!(g.node_of.len(), 20_000);
    assert!(labels(&g).iter().any(|l| l.ends_with("events below")));
    assert_tidy(&g);
    let mut e = Engine::new(Config::default());
    for k in 0..3_000usize {
        e.push(
            DecodedEvent {
                id: format!("r{k}").into(),
                event_type: format!("R{}", k % 50).into(),
                correlation_id: Some("flat".into()),
                time: Some(k as i64),
                ..Default::default()
            },
            0,
        );
    }
    let g = build(&e, e.flows.flow_of(0), None);
    assert!(g.nodes.len() <= 4 * MAX_BUCKETS, "{:?}", labels(&g));
    assert!(
        labels(&g).contains(&"2580 events, 43 types"),
        "{:?}",
        labels(&g)
    );
    assert!(labels(&g).contains(&"R0 ×60"), "{:?}", labels(&g));
}

#[test]
fn a_cycle_is_cut_and_every_event_is_drawn() {
    let mut e = Engine::new(Config::default());
    push(&mut e, "a", "A", Some("c"), 0);
    push(&mut e, "b", "B", Some("a"), 1);
    push(&mut e, "c", "C", Some("b"), 2);
    let g = build(&e, e.flows.flow_of(0), None);
    assert_eq!(g.nodes.len(), 3);
    assert_eq!(g.edges.len(), 2);
}
