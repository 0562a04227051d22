//! The timeline: one swimlane per service (or topic), events as markers at their time, causation
//! arrows for the selected flow, a time ruler with zoom (wheel) and pan (drag), and a density strip
//! for the whole session (click to jump). Only the visible range is looked at: markers when few,
//! one density bar per pixel column when many.

use super::clock::TimeStyle;
use super::timeline_data::{Lane, time_of};
use super::{ViewState, sym_color};
use crate::model::{Timestamp, format_duration};
use crate::session::Session;
use crate::ui::{Command, Prefs};
use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, pos2, vec2};

pub struct TimelineView {
    pub start: Timestamp,
    pub span: i64,
    /// Keep the latest events in view (until the user pans or zooms).
    pub follow: bool,
}

impl Default for TimelineView {
    fn default() -> Self {
        TimelineView {
            start: 0,
            span: 30_000_000_000,
            follow: true,
        }
    }
}

/// The replay cursor: views show the state as of `at`; playing moves it at `speed` x the app's
/// time (egui's input time, so tests drive it).
#[derive(Clone, Debug)]
pub struct Replay {
    pub at: Timestamp,
    pub playing: bool,
    pub speed: f64,
    /// The app time of the last advance, in seconds.
    last: Option<f64>,
}

impl Replay {
    pub fn new(at: Timestamp) -> Replay {
        Replay {
            at,
            playing: false,
            speed: 1.0,
            last: None,
        }
    }

    /// Advances a playing cursor by the time since the last call (`now` in seconds); stops at
    /// `end`.
    pub fn advance(&mut self, end: Timestamp, now: f64) {
        if self.playing {
            if let Some(last) = self.last {
                let dt = (now - last).max(0.0) * 1e9 * self.speed;
                self.at = self.at.saturating_add(dt as i64).min(end);
            }
            if self.at >= end {
                self.playing = false;
            }
        }
        self.last = Some(now);
    }
}

const LABEL_W: f32 = 120.0;
const RULER_H: f32 = 18.0;
const STRIP_H: f32 = 16.0;

/// The painted area: all of it, and the plot right of the lane labels, between ruler and strip.
#[derive(Clone, Copy)]
struct Canvas {
    full: Rect,
    plot: Rect,
    t0: Timestamp,
    span: i64,
}

impl Canvas {
    fn x_of(&self, t: Timestamp) -> f32 {
        self.plot.left()
            + ((t - self.t0) as f64 / self.span as f64 * self.plot.width() as f64) as f32
    }

    fn t_of(&self, x: f32) -> Timestamp {
        self.t0
            + ((x - self.plot.left()) as f64 / self.plot.width() as f64 * self.span as f64) as i64
    }
}

pub fn timeline_ui(
    ui: &mut egui::Ui,
    session: &Session,
    view: &mut ViewState,
    prefs: &Prefs,
    out: &mut Vec<Command>,
) {
    let engine = &session.engine;
    let (Some(min), Some(max)) = (view.timeline.min, view.timeline.max) else {
        ui.label("Timeline: no events with a time yet.");
        return;
    };
    ui.horizontal_wrapped(|ui| {
        toolbar_ui(ui, view, prefs, (min, max), out);
        replay_ui(ui, view, (min, max));
    });
    let (resp, painter) = ui.allocate_painter(ui.available_size(), Sense::click_and_drag());
    let full = resp.rect;
    let plot = Rect::from_min_max(
        pos2(full.left() + LABEL_W, full.top() + RULER_H),
        pos2(full.right(), full.bottom() - STRIP_H),
    );
    if plot.width() < 10.0 || plot.height() < 10.0 {
        return;
    }
    navigate(ui, &resp, plot, &mut view.timeline_view);
    let tv = &view.timeline_view;
    let fr = Canvas {
        full,
        plot,
        t0: tv.start,
        span: tv.span,
    };
    let visuals = ui.visuals().clone();
    painter.rect_filled(plot, 0.0, visuals.extreme_bg_color);
    ruler(
        &painter,
        (plot, fr.t0, fr.span),
        view.time_style,
        visuals.text_color(),
    );
    let lane_h = (plot.height() / view.timeline.lanes.len().max(1) as f32).clamp(8.0, 40.0);
    let best = lanes_paint(
        &painter,
        &visuals,
        engine,
        view,
        fr,
        lane_h,
        resp.hover_pos(),
    );
    selected_flow_paint(&painter, &visuals, engine, view, fr, lane_h);
    if let Some(e) = best {
        let r = engine.store.get(e);
        resp.clone().on_hover_text(format!(
            "{} {}\n{}",
            engine.store.str(r.event_type),
            engine.store.str(r.id),
            r.effective_time()
                .map(|t| view.time_style.full(t))
                .unwrap_or_default()
        ));
        if resp.clicked() {
            out.push(Command::SelectEvent(e));
        }
    }
    replay_cursor(&painter, &visuals, &resp, view, fr);
    density_strip(ui, &painter, &resp, full, plot, view, min, max);
}

/// Lanes by service or topic, follow, fit.
fn toolbar_ui(
    ui: &mut egui::Ui,
    view: &mut ViewState,
    prefs: &Prefs,
    (min, max): (Timestamp, Timestamp),
    out: &mut Vec<Command>,
) {
    ui.strong("Timeline");
    ui.label("lanes:");
    for (by_topic, name) in [(false, "service"), (true, "topic")] {
        if ui
            .selectable_label(prefs.lanes_by_topic == by_topic, name)
            .clicked()
            && prefs.lanes_by_topic != by_topic
        {
            out.push(Command::SetLanesByTopic(by_topic));
        }
    }
    ui.checkbox(&mut view.timeline_view.follow, "follow latest");
    if ui.button("fit all").clicked() {
        view.timeline_view.follow = false;
        view.timeline_view.start = min;
        view.timeline_view.span = (max - min).max(1_000_000) * 105 / 100;
    }
    ui.label(format!(
        "window {}",
        format_duration(view.timeline_view.span)
    ));
    ui.separator();
}

/// The replay toggle and, when on, play/pause, speed and a scrubber. The cursor moves in
/// `logic()` ([`Replay::advance`]).
fn replay_ui(ui: &mut egui::Ui, view: &mut ViewState, (min, max): (Timestamp, Timestamp)) {
    let style = view.time_style;
    let mut on = view.replay.is_some();
    if ui
        .toggle_value(&mut on, "⏺ Replay")
        .on_hover_text("Show every view as of a moment: scrub or play")
        .changed()
    {
        view.replay = on.then(|| Replay::new(min));
    }
    let Some(r) = &mut view.replay else {
        return;
    };
    if ui.button(if r.playing { "⏸" } else { "▶" }).clicked() {
        r.playing = !r.playing;
        if r.at >= max {
            r.at = min;
        }
    }
    for speed in [1.0, 10.0, 100.0] {
        ui.selectable_value(&mut r.speed, speed, format!("{speed}x"));
    }
    let mut rel = (r.at - min) as f64 / 1e9;
    let total = (max - min) as f64 / 1e9;
    if ui
        .add(egui::Slider::new(&mut rel, 0.0..=total.max(0.001)).show_value(false))
        .changed()
    {
        r.at = min + (rel * 1e9) as i64;
        r.playing = false;
    }
    ui.monospace(style.full(r.at));
}

/// Zoom around the pointer (wheel or pinch), pan by dragging; either stops following.
fn navigate(ui: &egui::Ui, resp: &egui::Response, plot: Rect, tv: &mut TimelineView) {
    let w = plot.width();
    if resp.hovered() {
        let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
        let factor = zoom.recip() * (-scroll * 0.003).exp();
        if (factor - 1.0).abs() > 1e-4
            && let Some(p) = resp.hover_pos()
        {
            let frac = ((p.x - plot.left()) / w).clamp(0.0, 1.0) as f64;
            let at = tv.start as f64 + frac * tv.span as f64;
            let span = (tv.span as f64 * factor as f64).clamp(1e5, 1e15);
            tv.start = (at - frac * span) as i64;
            tv.span = span as i64;
            tv.follow = false;
        }
    }
    if resp.dragged() && resp.drag_delta().x != 0.0 {
        tv.start -= (resp.drag_delta().x as f64 / w as f64 * tv.span as f64) as i64;
        tv.follow = false;
    }
}

fn lane_y(fr: Canvas, lane_h: f32, i: usize) -> f32 {
    fr.plot.top() + lane_h * (i as f32 + 0.5)
}

/// Each lane's name and its visible events (markers, or density bars when too many); returns the
/// event nearest the pointer.
fn lanes_paint(
    painter: &egui::Painter,
    visuals: &egui::Visuals,
    engine: &crate::analysis::Engine,
    view: &ViewState,
    fr: Canvas,
    lane_h: f32,
    pointer: Option<Pos2>,
) -> Option<u32> {
    let mut best: Option<(f32, u32)> = None;
    let font = FontId::proportional(11.0);
    for (i, lane) in view.timeline.lanes.iter().enumerate() {
        let y = lane_y(fr, lane_h, i);
        if y > fr.plot.bottom() {
            break;
        }
        let name = engine.store.opt_str(lane.key).unwrap_or("(none)");
        let color = sym_color(engine, lane.key);
        painter.text(
            pos2(fr.full.left() + 4.0, y),
            Align2::LEFT_CENTER,
            name,
            font.clone(),
            color,
        );
        painter.line_segment(
            [pos2(fr.plot.left(), y), pos2(fr.plot.right(), y)],
            Stroke::new(0.5, visuals.weak_text_color()),
        );
        let visible = lane.range(&engine.store, fr.t0, fr.t0 + fr.span);
        if visible.len() as f32 <= fr.plot.width() * 2.0 {
            for &(_, e) in visible {
                let p = pos2(fr.x_of(time_of(&engine.store, e)), y);
                painter.circle_filled(p, 3.0, color);
                if let Some(ptr) = pointer {
                    let d = ptr.distance(p);
                    if d < 6.0 && best.is_none_or(|b| d < b.0) {
                        best = Some((d, e));
                    }
                }
            }
        } else {
            density_bars(painter, lane, fr, y, lane_h, color);
        }
    }
    best.map(|b| b.1)
}

/// Too many events to draw one by one: one bar per pixel column, darker where denser. Neighbour
/// columns of the same shade are one rectangle, and all of them one mesh without anti-aliased
/// edges (the window paints on software GL, where each thin feathered line costs triangles).
fn density_bars(
    painter: &egui::Painter,
    lane: &Lane,
    fr: Canvas,
    y: f32,
    lane_h: f32,
    color: Color32,
) {
    let cols = fr.plot.width() as usize;
    let (top, bottom) = (y - lane_h * 0.35, y + lane_h * 0.35);
    let mut mesh = egui::Mesh::default();
    // The run of columns being drawn: its first column and shade.
    let mut run: Option<(usize, u8)> = None;
    let mut close = |run: Option<(usize, u8)>, end: usize| {
        if let Some((start, alpha)) = run {
            let x = |c: usize| fr.plot.left() + c as f32 - 0.5;
            mesh.add_colored_rect(
                Rect::from_min_max(pos2(x(start), top), pos2(x(end), bottom)),
                Color32::from_rgba_unmultiplied(color.r(), color.g(), color.b(), alpha),
            );
        }
    };
    // Events are sorted by time: each column takes those before its end.
    let mut at = lane.bound_coarse(0, fr.t0);
    for c in 0..cols {
        let b = fr.t0 + (fr.span as f64 * (c + 1) as f64 / cols as f64) as i64;
        let end = lane.bound_coarse(at, b);
        let n = end - at;
        at = end;
        let alpha = (n > 0).then(|| (60.0 + 40.0 * (n as f32).ln()).min(255.0) as u8);
        if run.map(|r| r.1) != alpha {
            close(run, c);
            run = alpha.map(|a| (c, a));
        }
    }
    close(run, cols);
    painter.add(mesh);
}

/// The selected flow's causation arrows are drawn up to this many events.
const ARROWS_UP_TO: usize = 300;

/// The selected flow: emphasised markers and causation arrows.
fn selected_flow_paint(
    painter: &egui::Painter,
    visuals: &egui::Visuals,
    engine: &crate::analysis::Engine,
    view: &ViewState,
    fr: Canvas,
    lane_h: f32,
) {
    let s = &engine.store;
    let data = &view.timeline;
    let pos_of = |e: u32| -> Option<Pos2> {
        let r = s.get(e);
        let lane = data.lane_of(if data.by_topic() { r.topic } else { r.source })?;
        Some(pos2(fr.x_of(r.effective_time()?), lane_y(fr, lane_h, lane)))
    };
    let stroke = Stroke::new(1.5, visuals.strong_text_color());
    // Markers and arrows that would land on one already drawn (a big flow's events crowd a few
    // pixels) are drawn once: one per 8-pixel cell of a lane, one arrow per pair of cells.
    let cell = |p: Pos2| ((p.x / 8.0).floor() as i32, (p.y / 8.0).floor() as i32);
    let mut marked = rustc_hash::FxHashSet::default();
    let mut arrows = rustc_hash::FxHashSet::default();
    // A big flow's arrows would cover the lanes: only its markers are emphasised.
    let few = data.links.len() <= ARROWS_UP_TO;
    for &(e, parent) in &data.links {
        let Some(p) = pos_of(e) else { continue };
        if let Some(pp) = parent.and_then(pos_of).filter(|_| few)
            && (fr.plot.contains(p) || fr.plot.contains(pp))
            && arrows.insert((cell(pp), cell(p)))
        {
            painter.arrow(pp, p - pp, stroke);
        }
        if fr.plot.contains(p) && marked.insert(cell(p)) {
            painter.circle_stroke(p, 5.0, stroke);
        }
    }
    if let Some(p) = view.selected_event.and_then(pos_of)
        && fr.plot.contains(p)
    {
        painter.circle_stroke(p, 7.0, stroke);
    }
}

/// The replay cursor: the future dimmed, a red line; clicking or dragging on the ruler moves it.
fn replay_cursor(
    painter: &egui::Painter,
    visuals: &egui::Visuals,
    resp: &egui::Response,
    view: &mut ViewState,
    fr: Canvas,
) {
    let Some(r) = &mut view.replay else {
        return;
    };
    let plot = fr.plot;
    let x = fr.x_of(r.at);
    if x < plot.right() {
        let after = Rect::from_min_max(pos2(x.max(plot.left()), plot.top()), plot.max);
        painter.rect_filled(after, 0.0, visuals.extreme_bg_color.gamma_multiply(0.75));
    }
    if (plot.left()..=plot.right()).contains(&x) {
        painter.line_segment(
            [pos2(x, fr.full.top()), pos2(x, plot.bottom())],
            Stroke::new(2.0, Color32::from_rgb(0xe0, 0x4b, 0x4b)),
        );
    }
    if let Some(p) = resp.interact_pointer_pos()
        && (resp.clicked() || resp.dragged())
        && p.y < plot.top()
        && p.x >= plot.left()
    {
        r.at = fr.t_of(p.x);
        r.playing = false;
    }
}

/// Tick marks at a round interval with time labels.
fn ruler(
    painter: &egui::Painter,
    (plot, t0, span): (Rect, Timestamp, i64),
    style: TimeStyle,
    color: Color32,
) {
    let target = span as f64 / (plot.width() as f64 / 110.0).max(1.0);
    let steps: [i64; 16] = [
        1_000,
        10_000,
        100_000,
        1_000_000,
        5_000_000,
        10_000_000,
        50_000_000,
        100_000_000,
        500_000_000,
        1_000_000_000,
        5_000_000_000,
        10_000_000_000,
        30_000_000_000,
        60_000_000_000,
        300_000_000_000,
        3_600_000_000_000,
    ];
    let step = steps
        .iter()
        .copied()
        .find(|s| *s as f64 >= target)
        .unwrap_or(86_400_000_000_000);
    let mut t = t0.div_euclid(step) * step;
    while t < t0 + span {
        if t >= t0 {
            let x = plot.left() + ((t - t0) as f64 / span as f64 * plot.width() as f64) as f32;
            painter.line_segment(
                [pos2(x, plot.top() - 5.0), pos2(x, plot.bottom())],
                Stroke::new(0.3, color.gamma_multiply(0.4)),
            );
            let label = style.tick(t, step < 1_000_000_000);
            painter.text(
                pos2(x + 2.0, plot.top() - RULER_H),
                Align2::LEFT_TOP,
                label,
                FontId::monospace(10.0),
                color,
            );
        }
        t += step;
    }
}

/// The whole session's density, with the visible window marked; click to move the window there.
#[allow(clippy::too_many_arguments)]
fn density_strip(
    ui: &egui::Ui,
    painter: &egui::Painter,
    resp: &egui::Response,
    full: Rect,
    plot: Rect,
    view: &mut ViewState,
    min: Timestamp,
    max: Timestamp,
) {
    let strip = Rect::from_min_max(
        pos2(plot.left(), full.bottom() - STRIP_H + 2.0),
        pos2(plot.right(), full.bottom()),
    );
    let span = (max - min).max(1);
    let buckets = (strip.width() / 2.0) as usize;
    let mut counts = vec![0usize; buckets.max(1)];
    for lane in &view.timeline.lanes {
        // Sorted by time: each bucket takes the events before its end.
        let mut at = lane.bound_coarse(0, min);
        for (b, c) in counts.iter_mut().enumerate() {
            let z = min + span * (b as i64 + 1) / buckets as i64 + (b + 1 == buckets) as i64;
            let end = lane.bound_coarse(at, z);
            *c += end - at;
            at = end;
        }
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f32;
    let fg = ui.visuals().selection.bg_fill;
    // One mesh of plain rectangles (see `density_bars`).
    let mut mesh = egui::Mesh::default();
    for (b, c) in counts.iter().enumerate() {
        if *c > 0 {
            let h = (strip.height() * (*c as f32 / top).sqrt()).max(1.0);
            let x = strip.left() + b as f32 * 2.0;
            mesh.add_colored_rect(
                Rect::from_min_max(pos2(x, strip.bottom() - h), pos2(x + 2.0, strip.bottom())),
                fg,
            );
        }
    }
    painter.add(mesh);
    let tv = &mut view.timeline_view;
    let sx = |t: Timestamp| {
        strip.left() + ((t - min) as f64 / span as f64 * strip.width() as f64) as f32
    };
    let win = Rect::from_min_max(
        pos2(sx(tv.start).max(strip.left()), strip.top()),
        pos2(sx(tv.start + tv.span).min(strip.right()), strip.bottom()),
    );
    painter.rect_stroke(
        win,
        0.0,
        Stroke::new(1.0, ui.visuals().strong_text_color()),
        egui::StrokeKind::Inside,
    );
    if resp.clicked()
        && let Some(p) = resp.interact_pointer_pos()
        && strip.expand2(vec2(0.0, 2.0)).contains(p)
    {
        let at = min + ((p.x - strip.left()) as f64 / strip.width() as f64 * span as f64) as i64;
        tv.start = at - tv.span / 2;
        tv.follow = false;
    }
}
