//! A small in-window path box: a window with a text field, the entries of the typed directory
//! that match what was typed (click one to take it), and OK/Cancel. The app shows it when the
//! native file dialog never answers (rfd needs a desktop portal or zenity, which a bare X server
//! lacks) and from File > Open path…; any panel that needs a path can use one.

use std::path::{Path, PathBuf};

/// At most this many matching directory entries are offered.
const SUGGESTIONS: usize = 12;

#[derive(Default)]
pub struct PathBox {
    pub open: bool,
    pub text: String,
    /// Why the box is shown (e.g. no file dialog answered).
    note: Option<String>,
    error: Option<String>,
    focus: bool,
    /// The suggestions for the text they were listed for (the directory is read once per edit).
    listed: Option<(String, Vec<PathBuf>)>,
}

impl PathBox {
    /// Opens the box, with a note saying why.
    pub fn show(&mut self, note: &str) {
        self.open = true;
        self.note = (!note.is_empty()).then(|| note.to_string());
        self.error = None;
        self.focus = true;
    }

    /// The box as a window titled `title`; returns the path when the user confirms one that
    /// exists (else it says so and stays open).
    pub fn window_ui(&mut self, ui: &mut egui::Ui, title: &str) -> Option<PathBuf> {
        if !self.open {
            return None;
        }
        let mut open = true;
        let mut chosen = None;
        egui::Window::new(title)
            .id(egui::Id::new(("path_box", title)))
            .open(&mut open)
            .collapsible(false)
            .default_width(520.0)
            .anchor(egui::Align2::CENTER_TOP, [0.0, 80.0])
            .show(ui.ctx(), |ui| chosen = self.contents_ui(ui));
        if !open {
            self.open = false;
        }
        chosen
    }

    fn contents_ui(&mut self, ui: &mut egui::Ui) -> Option<PathBuf> {
        if let Some(n) = &self.note {
            ui.label(n);
        }
        let edit = ui.add(
            egui::TextEdit::singleline(&mut self.text)
                .hint_text("/path/to/trace.jsonl")
                .desired_width(f32::INFINITY),
        );
        if std::mem::take(&mut self.focus) {
            edit.request_focus();
        }
        let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if self.listed.as_ref().is_none_or(|(t, _)| *t != self.text) {
            self.listed = Some((self.text.clone(), suggestions(&self.text)));
        }
        let listed = self
            .listed
            .as_ref()
            .map(|l| l.1.clone())
            .unwrap_or_default();
        for s in listed {
            let name = s.display().to_string();
            if ui.add(egui::Button::new(&name).frame(false)).clicked() {
                self.text = name;
                if s.is_dir() && !self.text.ends_with('/') {
                    self.text.push('/');
                }
                self.focus = true;
            }
        }
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        let mut ok = enter;
        ui.horizontal(|ui| {
            ok |= ui.button("Open").clicked();
            if ui.button("Cancel").clicked() {
                self.open = false;
            }
        });
        if !ok {
            return None;
        }
        let path = PathBuf::from(self.text.trim());
        if path.is_file() {
            self.open = false;
            self.error = None;
            Some(path)
        } else {
            self.error = Some(format!("{}: no such file", path.display()));
            None
        }
    }
}

/// Entries of the typed path's directory whose names start with its last part, sorted.
pub fn suggestions(text: &str) -> Vec<PathBuf> {
    if text.is_empty() {
        return Vec::new();
    }
    let p = Path::new(text);
    let (dir, prefix) = if text.ends_with('/') {
        (p, "")
    } else {
        let prefix = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        (p.parent().unwrap_or(Path::new(".")), prefix)
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(prefix))
        })
        .map(|e| e.path())
        .filter(|e| e != p)
        .collect();
    out.sort();
    out.truncate(SUGGESTIONS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_entries_of_the_typed_directory() {
        let dir = tempfile::tempdir().unwrap();
        for n in ["trace-a.jsonl", "trace-b.jsonl", "other.txt"] {
            std::fs::write(dir.path().join(n), "").unwrap();
        }
        let typed = format!("{}/tra", dir.path().display());
        let names: Vec<String> = suggestions(&typed)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["trace-a.jsonl", "trace-b.jsonl"]);
        assert_eq!(suggestions(&format!("{}/", dir.path().display())).len(), 3);
        assert!(suggestions("").is_empty());
    }
}
