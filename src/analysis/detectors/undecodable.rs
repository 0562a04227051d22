//! `undecodable`: input that could not be decoded (in full or in part), at the file line or the
//! live record where it happened. The rest of the input still loads.

use super::{Ctx, Detector, InputProblem};
use crate::analysis::anomaly::AnomalyKind;

#[derive(Default)]
pub struct UndecodableDetector;

impl Detector for UndecodableDetector {
    fn kinds(&self) -> &'static [AnomalyKind] {
        &[AnomalyKind::Undecodable]
    }

    fn on_problem(&mut self, cx: &mut Ctx, input: &InputProblem) {
        cx.anomalies.raise(
            AnomalyKind::Undecodable,
            input.event,
            vec![],
            format!("{}: {}", input.location, input.problem.reason),
            Some(input.location.clone()),
        );
    }
}
