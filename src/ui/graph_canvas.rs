//! A pan-and-zoom canvas drawn with egui's painter, for the flow graph and the service map.
//!
//! Hand-written instead of `egui_graphs::GraphView` (which this app used before) because that
//! widget calls `request_repaint()` on every draw, so a window with a graph on screen never
//! idled (0.65-1.5 cores); it also scales node circles and labels with the zoom, draws edge
//! labels across nodes and keeps per-node widget state for every node each frame. Here positions
//! come from the `*_data.rs` layouts, nodes and text keep their size on screen, only what is in
//! view is painted, and nothing asks for another frame: the canvas repaints only on input.

use egui::{Pos2, Rect, Vec2, pos2};

/// Zoom limits.
pub const MIN_ZOOM: f32 = 0.02;
pub const MAX_ZOOM: f32 = 4.0;
/// One notch of Ctrl+wheel.
pub const ZOOM_STEP: f32 = 1.25;

/// Where the canvas looks: the world point at the centre of the view and the zoom. While
/// `auto_fit` holds, every frame fits the graph (so it stays fitted as it grows) until the user
/// zooms or pans; Fit (button or F) sets it again.
#[derive(Clone, Copy, Debug)]
pub struct CanvasView {
    pub centre: Pos2,
    pub zoom: f32,
    pub auto_fit: bool,
}

impl Default for CanvasView {
    fn default() -> Self {
        CanvasView {
            centre: Pos2::ZERO,
            zoom: 1.0,
            auto_fit: true,
        }
    }
}

/// World to screen for one frame.
#[derive(Clone, Copy, Debug)]
pub struct Transform {
    pub rect: Rect,
    pub centre: Pos2,
    pub zoom: f32,
}

impl Transform {
    pub fn at(&self, p: (f32, f32)) -> Pos2 {
        self.rect.center() + (pos2(p.0, p.1) - self.centre) * self.zoom
    }
}

impl CanvasView {
    /// The zoom and centre that show `world` (the graph's bounds with room for labels) in `view`,
    /// no larger than 1:1 and no smaller than `readable` (below it labels would be unreadable);
    /// a graph too big for that is shown from its top, centred on `anchor` (its first root).
    pub fn fit(&mut self, world: Rect, view: Rect, anchor: Pos2, readable: f32) {
        let z = (view.width() / world.width().max(1.0))
            .min(view.height() / world.height().max(1.0))
            .min(1.0);
        if z >= readable {
            self.zoom = z;
            self.centre = world.center();
        } else {
            self.zoom = readable;
            let half = view.size() / 2.0 / self.zoom;
            let y = if world.height() * self.zoom <= view.height() {
                world.center().y
            } else {
                world.top() + half.y
            };
            let x = if world.width() * self.zoom <= view.width() {
                world.center().x
            } else {
                anchor
                    .x
                    .clamp(world.left() + half.x, world.right() - half.x)
            };
            self.centre = pos2(x, y);
        }
    }

    /// Zooms by `factor` keeping the world point under `at` (screen) in place.
    fn zoom_at(&mut self, t: &Transform, factor: f32, at: Pos2) {
        let world_at = self.centre + (at - t.rect.center()) / self.zoom;
        self.zoom = (self.zoom * factor).clamp(MIN_ZOOM, MAX_ZOOM);
        self.centre = world_at - (at - t.rect.center()) / self.zoom;
    }
}

/// Allocates the canvas over the rest of `ui`, applies this frame's input (drag or wheel to pan,
/// Ctrl+wheel to zoom by [`ZOOM_STEP`] a notch, pinch) and the fit (see [`CanvasView::fit`]),
/// and returns the response and the transform to paint with.
pub fn canvas_ui(
    ui: &mut egui::Ui,
    view: &mut CanvasView,
    world: Rect,
    anchor: Pos2,
    readable: f32,
) -> (egui::Response, Transform) {
    let (resp, _) = ui.allocate_painter(ui.available_size(), egui::Sense::click_and_drag());
    let rect = resp.rect;
    let mut t = Transform {
        rect,
        centre: view.centre,
        zoom: view.zoom,
    };
    if resp.hovered() {
        let (wheel_zoom, pinch, pan) = ui.input(|i| {
            let mut steps = 0.0f32;
            for e in &i.events {
                if let egui::Event::MouseWheel {
                    unit,
                    delta,
                    modifiers,
                    ..
                } = e
                    && modifiers.command
                {
                    steps += match unit {
                        egui::MouseWheelUnit::Point => delta.y / 50.0,
                        _ => delta.y.clamp(-3.0, 3.0),
                    };
                }
            }
            let zoom = (steps != 0.0).then(|| ZOOM_STEP.powf(steps));
            (zoom, i.zoom_delta(), i.smooth_scroll_delta())
        });
        let at = ui.input(|i| i.pointer.hover_pos()).unwrap_or(rect.center());
        if let Some(f) = wheel_zoom.or((pinch != 1.0).then_some(pinch)) {
            view.zoom_at(&t, f, at);
            view.auto_fit = false;
        } else if pan != Vec2::ZERO {
            view.centre -= pan / view.zoom;
            view.auto_fit = false;
        }
    }
    if resp.dragged() {
        view.centre -= resp.drag_delta() / view.zoom;
        view.auto_fit = false;
    }
    if view.auto_fit {
        view.fit(world, rect.shrink(8.0), anchor, readable);
    }
    t.centre = view.centre;
    t.zoom = view.zoom;
    (resp, t)
}

/// `text` laid out on one line no wider than `max_width` (cut with "…"), or None when less than
/// a few letters would fit.
pub fn fitted_text(
    ui: &egui::Ui,
    text: &str,
    max_width: f32,
    color: egui::Color32,
) -> Option<std::sync::Arc<egui::Galley>> {
    if max_width < 28.0 {
        return None;
    }
    let mut job = egui::text::LayoutJob::simple_singleline(
        text.to_owned(),
        egui::TextStyle::Body.resolve(ui.style()),
        color,
    );
    job.wrap = egui::text::TextWrapping {
        max_width,
        max_rows: 1,
        break_anywhere: true,
        overflow_character: Some('…'),
    };
    Some(ui.fonts_mut(|f| f.layout_job(job)))
}

/// Fractions along an edge where its label is tried, the middle first.
pub const LABEL_SPOTS: [f32; 7] = [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8];

/// The first of `spots` that overlaps nothing already `taken` (else `fallback`), added to
/// `taken`: how edge labels keep clear of nodes, names and each other.
pub fn claim_spot(
    taken: &mut Vec<Rect>,
    spots: impl IntoIterator<Item = Rect>,
    fallback: Rect,
) -> Rect {
    let spot = (spots.into_iter())
        .find(|r| !taken.iter().any(|x| x.intersects(*r)))
        .unwrap_or(fallback);
    taken.push(spot);
    spot
}

/// Height of one line of body text.
pub fn line_height(ui: &egui::Ui) -> f32 {
    ui.text_style_height(&egui::TextStyle::Body)
}

/// The world rectangle of `(min x, min y, max x, max y)` grown by `pad`, and by `right` more on
/// the right (where labels go).
pub fn world_rect(b: (f32, f32, f32, f32), pad: Vec2, right: f32) -> Rect {
    Rect::from_min_max(
        pos2(b.0 - pad.x, b.1 - pad.y),
        pos2(b.2 + right + pad.x, b.3 + pad.y),
    )
}
