//! What panels ask the app to do. Panels only read state and push commands; the app applies
//! them at the start of the next `logic()` (egui demo app's pattern), so the panels never touch a
//! source, open a dialog or change a preference themselves.

use crate::analysis::FlowId;
use crate::ingest::demo::DemoControl;
use crate::store::EventIdx;
use std::path::PathBuf;

/// What panels ask the app to do (applied before the next frame's views are updated).
#[derive(Clone, Debug)]
pub enum Command {
    Open(Vec<PathBuf>),
    /// Show the file dialog (on its own thread; the chosen files arrive as an `Open`).
    OpenDialog,
    /// Show the file dialog for OpenTelemetry span exports; the files open again with them.
    OpenSpansDialog,
    StartDemo,
    /// A fresh demo session with this seed.
    ResetDemo(u64),
    Demo(DemoControl),
    SelectFlow(FlowId),
    SelectEvent(EventIdx),
    TogglePause,
    SetDark(bool),
    /// Timeline swimlanes per topic (true) or per service.
    SetLanesByTopic(bool),
    ShowDemoPanel(bool),
    /// Times in UTC (true) or local time.
    SetUtc(bool),
    /// The flows table's optional columns.
    SetFlowColumns(crate::ui::flows_data::ExtraColumns),
    /// Forget panel sizes and window positions (View > Reset layout).
    ResetLayout,
    /// Keep a connection (without secrets) among the recent ones.
    RememberConnection(Box<crate::ui::connect_dialog::SavedConnection>),
    #[cfg(feature = "kafka")]
    Connect(Box<crate::ingest::kafka::KafkaOptions>),
    /// Show a file dialog for a certificate field of the connect dialog (on its own thread; the
    /// choice fills the field).
    PickCertFile(crate::ui::connect_dialog::CertFile),
    /// Write an export (File > Export).
    Export(Box<crate::ui::export_dialog::ExportRequest>),
    /// Show a save dialog for the export's path (on its own thread; the choice fills the path).
    ExportBrowse(PathBuf),
    /// Stop consuming Kafka; keep what arrived.
    #[cfg(feature = "kafka")]
    Disconnect,
}
