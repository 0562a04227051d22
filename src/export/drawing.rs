//! `svg` and `png`: one flow's causation graph drawn for a ticket or a document. The layout is
//! layered: an event's column is its depth in the causation tree (roots on the left), its row its
//! order of discovery in that column; arrows go from cause to effect, labelled with the hop's
//! latency; anomalies outline the event in their severity's colour and are named under it.
//!
//! The window's graph is interactive (`ui/graph_canvas.rs`, laid out by `ui/graph_data.rs`); this
//! is a static drawing built from the analysis alone, so the CLI can write it without a window and
//! the PNG is the SVG rasterised (resvg, with egui's own Ubuntu font embedded: the same pixels on
//! every machine).

use crate::analysis::{Engine, FlowId, Severity};
use crate::model::format_duration;
use crate::store::EventIdx;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::fmt::Write as _;

const NODE_W: f32 = 190.0;
const NODE_H: f32 = 46.0;
const COL: f32 = 250.0;
const ROW: f32 = 72.0;
const MARGIN: f32 = 20.0;
const TITLE: f32 = 36.0;
/// The longest side of a PNG, in pixels (a bigger drawing is scaled down to fit).
#[cfg(feature = "gui")]
pub const MAX_PNG_SIDE: u32 = 8192;

/// The window's service colours (stable per name), as RGB.
pub const PALETTE: [[u8; 3]; 10] = [
    [0x4e, 0x79, 0xa7],
    [0xf2, 0x8e, 0x2b],
    [0x59, 0xa1, 0x4f],
    [0xb0, 0x7a, 0xa1],
    [0x76, 0xb7, 0xb2],
    [0xed, 0xc9, 0x48],
    [0x9c, 0x75, 0x5f],
    [0xff, 0x9d, 0xa7],
    [0x8c, 0xd1, 0x7d],
    [0xa0, 0xcb, 0xe8],
];

/// A stable colour per service (or topic) name.
pub fn service_rgb(name: &str) -> [u8; 3] {
    PALETTE[(crate::model::Interner::hash(name) % PALETTE.len() as u64) as usize]
}

/// The colour of a severity, as RGB.
pub fn severity_rgb(s: Severity) -> [u8; 3] {
    match s {
        Severity::Error => [0xe0, 0x4b, 0x4b],
        Severity::Warning => [0xe8, 0xa3, 0x2c],
        Severity::Note => [0x5b, 0x9b, 0xd5],
    }
}

/// One event drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub column: usize,
    pub row: usize,
    pub event_type: String,
    pub service: String,
    /// Worst anomaly severity and the kinds, when the event has any.
    pub anomaly: Option<(Severity, String)>,
}

/// A flow laid out: nodes and (cause, effect, latency) edges by node index.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub title: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<(usize, usize, Option<i64>)>,
}

impl Layout {
    /// Lays out flow `f` (linear in its events).
    pub fn of(engine: &Engine, f: FlowId) -> Layout {
        let s = &engine.store;
        let flow = engine.flows.get(f);
        let events: &[EventIdx] = &flow.events;
        let index: FxHashMap<EventIdx, usize> =
            events.iter().enumerate().map(|(i, &e)| (e, i)).collect();
        let parent: Vec<Option<usize>> = events
            .iter()
            .map(|&e| {
                let p = s.first_with_id(s.get(e).causation?)?;
                (p != e).then(|| index.get(&p).copied()).flatten()
            })
            .collect();
        let mut kids: Vec<Vec<usize>> = vec![Vec::new(); events.len()];
        for (c, p) in parent.iter().enumerate() {
            if let Some(p) = p {
                kids[*p].push(c);
            }
        }
        // Breadth first from the roots, then from any event left (a causation cycle).
        let mut column = vec![usize::MAX; events.len()];
        let mut order = Vec::with_capacity(events.len());
        let starts = (0..events.len())
            .filter(|&i| parent[i].is_none())
            .chain(0..events.len());
        let mut queue = VecDeque::new();
        for start in starts {
            if column[start] != usize::MAX {
                continue;
            }
            column[start] = 0;
            queue.push_back(start);
            while let Some(n) = queue.pop_front() {
                order.push(n);
                for &k in &kids[n] {
                    if column[k] == usize::MAX {
                        column[k] = column[n] + 1;
                        queue.push_back(k);
                    }
                }
            }
        }
        let mut rows_used: Vec<usize> = Vec::new();
        let mut row = vec![0; events.len()];
        for &n in &order {
            let c = column[n];
            if rows_used.len() <= c {
                rows_used.resize(c + 1, 0);
            }
            row[n] = rows_used[c];
            rows_used[c] += 1;
        }
        let nodes = events
            .iter()
            .enumerate()
            .map(|(i, &e)| node(engine, e, column[i], row[i]))
            .collect();
        let edges = parent
            .iter()
            .enumerate()
            .filter_map(|(c, p)| {
                let p = (*p)?;
                let t = |i: usize| s.get(events[i]).effective_time();
                Some((p, c, t(c).zip(t(p)).map(|(a, b)| a - b)))
            })
            .collect();
        Layout {
            title: format!("Flow {} ({} events)", s.str(flow.key), events.len()),
            nodes,
            edges,
        }
    }

    /// Drawing size in SVG units.
    pub fn size(&self) -> (f32, f32) {
        let cols = self.nodes.iter().map(|n| n.column + 1).max().unwrap_or(1);
        let rows = self.nodes.iter().map(|n| n.row + 1).max().unwrap_or(1);
        (
            2.0 * MARGIN + (cols - 1) as f32 * COL + NODE_W,
            TITLE + 2.0 * MARGIN + (rows - 1) as f32 * ROW + NODE_H + 16.0,
        )
    }
}

fn node(engine: &Engine, e: EventIdx, column: usize, row: usize) -> Node {
    let s = &engine.store;
    let r = s.get(e);
    let mut worst: Option<Severity> = None;
    let mut kinds: Vec<&str> = Vec::new();
    for a in engine.anomalies.on_event(e) {
        worst = Some(worst.map_or(a.severity, |w| w.max(a.severity)));
        if !kinds.contains(&a.kind.name()) {
            kinds.push(a.kind.name());
        }
    }
    Node {
        column,
        row,
        event_type: s.str(r.event_type).to_string(),
        service: s.opt_str(r.source).unwrap_or("").to_string(),
        anomaly: worst.map(|w| (w, kinds.join(", "))),
    }
}

fn xy(n: &Node) -> (f32, f32) {
    (
        MARGIN + n.column as f32 * COL,
        TITLE + MARGIN + n.row as f32 * ROW,
    )
}

/// Text for SVG character data and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// At most `n` characters (an ellipsis marks the cut).
fn clip(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        return text.to_string();
    }
    let mut s: String = text.chars().take(n - 1).collect();
    s.push('…');
    s
}

fn rgb([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The layout as an SVG document.
pub fn svg(layout: &Layout) -> String {
    let (w, h) = layout.size();
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="Ubuntu, sans-serif">"#
    );
    out.push_str(concat!(
        r#"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" "#,
        r#"markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" "#,
        "fill=\"#555\"/></marker></defs>\n"
    ));
    let _ = writeln!(out, r##"<rect width="{w}" height="{h}" fill="#ffffff"/>"##);
    text_svg(
        &mut out,
        (MARGIN, MARGIN + 8.0),
        16,
        "#222",
        "start",
        &layout.title,
    );
    for &(p, c, latency) in &layout.edges {
        let (px, py) = xy(&layout.nodes[p]);
        let (cx, cy) = xy(&layout.nodes[c]);
        let (x1, y1, x2, y2) = (px + NODE_W, py + NODE_H / 2.0, cx, cy + NODE_H / 2.0);
        let _ = writeln!(
            out,
            r##"<path d="M {x1} {y1} C {} {y1}, {} {y2}, {x2} {y2}" fill="none" stroke="#555" stroke-width="1.5" marker-end="url(#arrow)"/>"##,
            x1 + 30.0,
            x2 - 30.0
        );
        if let Some(l) = latency {
            // Above the arrow's last stretch, which runs level into the effect (clear of the
            // curve whatever the rows).
            let at = (x2 - 14.0, y2 - 6.0);
            text_svg(&mut out, at, 11, "#444", "end", &format_duration(l));
        }
    }
    for n in &layout.nodes {
        node_svg(&mut out, n);
    }
    out.push_str("</svg>\n");
    out
}

/// A line of text at (x, y): `size` px, in `fill`, anchored at its `anchor` (start, middle, end).
fn text_svg(out: &mut String, (x, y): (f32, f32), size: u8, fill: &str, anchor: &str, text: &str) {
    let _ = writeln!(
        out,
        r#"<text x="{x}" y="{y}" font-size="{size}" fill="{fill}" text-anchor="{anchor}">{}</text>"#,
        esc(text)
    );
}

fn node_svg(out: &mut String, n: &Node) {
    let (x, y) = xy(n);
    let fill = rgb(service_rgb(&n.service));
    let (stroke, width) = match &n.anomaly {
        Some((sev, _)) => (rgb(severity_rgb(*sev)), 3.0),
        None => ("#333333".to_string(), 1.0),
    };
    let _ = writeln!(
        out,
        r#"<g><rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{fill}" fill-opacity="0.35" stroke="{stroke}" stroke-width="{width}"/>"#
    );
    let start = "start";
    text_svg(
        out,
        (x + 8.0, y + 19.0),
        13,
        "#111",
        start,
        &clip(&n.event_type, 26),
    );
    text_svg(
        out,
        (x + 8.0, y + 36.0),
        11,
        "#333",
        start,
        &clip(&n.service, 30),
    );
    if let Some((sev, kinds)) = &n.anomaly {
        let warn = format!("⚠ {}", clip(kinds, 34));
        let color = rgb(severity_rgb(*sev));
        text_svg(out, (x + 4.0, y + NODE_H + 13.0), 11, &color, start, &warn);
    }
    out.push_str("</g>\n");
}

/// The layout drawn as PNG: the SVG rasterised by resvg with egui's Ubuntu font, scaled down
/// when a side would exceed [`MAX_PNG_SIDE`].
#[cfg(feature = "gui")]
pub fn png(layout: &Layout) -> std::io::Result<Vec<u8>> {
    use resvg::{tiny_skia, usvg};
    let err = |e: String| std::io::Error::other(e);
    let mut opt = usvg::Options {
        font_family: "Ubuntu".into(),
        ..Default::default()
    };
    opt.fontdb_mut()
        .load_font_data(epaint_default_fonts::UBUNTU_LIGHT.to_vec());
    opt.fontdb_mut()
        .load_font_data(epaint_default_fonts::NOTO_EMOJI_REGULAR.to_vec());
    let tree = usvg::Tree::from_str(&svg(layout), &opt).map_err(|e| err(e.to_string()))?;
    let size = tree.size();
    let scale = (MAX_PNG_SIDE as f32 / size.width().max(size.height())).min(1.0);
    let (w, h) = (
        (size.width() * scale).ceil().max(1.0) as u32,
        (size.height() * scale).ceil().max(1.0) as u32,
    );
    let mut pixmap =
        tiny_skia::Pixmap::new(w, h).ok_or_else(|| err(format!("no {w}x{h} image")))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| err(e.to_string()))
}
