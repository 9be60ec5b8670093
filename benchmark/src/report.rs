//! The figures of a run and how they are printed: an aligned table for the terminal and
//! the same rows as Markdown for BENCHMARKS.md.

use std::fmt::Write as _;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// A figure the issue asks for without a target.
    Recorded,
}

impl Verdict {
    pub fn of(met: bool) -> Verdict {
        if met { Verdict::Pass } else { Verdict::Fail }
    }

    fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::Recorded => "-",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Figure {
    pub section: &'static str,
    pub name: String,
    pub value: String,
    pub target: String,
    pub verdict: Verdict,
}

/// Every figure of the run, in the order measured.
#[derive(Default)]
pub struct Report {
    figures: Vec<Figure>,
}

impl Report {
    pub fn checked(
        &mut self,
        section: &'static str,
        name: impl Into<String>,
        value: impl Into<String>,
        target: impl Into<String>,
        met: bool,
    ) {
        self.push(section, name, value, target, Verdict::of(met));
    }

    pub fn recorded(
        &mut self,
        section: &'static str,
        name: impl Into<String>,
        value: impl Into<String>,
    ) {
        self.push(section, name, value, "none set", Verdict::Recorded);
    }

    fn push(
        &mut self,
        section: &'static str,
        name: impl Into<String>,
        value: impl Into<String>,
        target: impl Into<String>,
        verdict: Verdict,
    ) {
        let figure = Figure {
            section,
            name: name.into(),
            value: value.into(),
            target: target.into(),
            verdict,
        };
        // Printed as measured too, so a long run shows its progress.
        println!(
            "  [{}] {}: {} (target: {})",
            figure.verdict.label(),
            figure.name,
            figure.value,
            figure.target
        );
        self.figures.push(figure);
    }

    pub fn count(&self, verdict: Verdict) -> usize {
        self.figures
            .iter()
            .filter(|figure| figure.verdict == verdict)
            .count()
    }

    pub fn table(&self) -> String {
        let headers = ["Section", "Figure", "Measured", "Target", "Result"];
        let rows: Vec<[&str; 5]> = self
            .figures
            .iter()
            .map(|figure| {
                [
                    figure.section,
                    figure.name.as_str(),
                    figure.value.as_str(),
                    figure.target.as_str(),
                    figure.verdict.label(),
                ]
            })
            .collect();
        let widths: Vec<usize> = (0..headers.len())
            .map(|column| {
                rows.iter()
                    .map(|row| row[column].chars().count())
                    .chain([headers[column].len()])
                    .max()
                    .unwrap_or_default()
            })
            .collect();
        let line = |cells: [&str; 5]| {
            let mut text = String::new();
            for (cell, width) in cells.iter().zip(&widths) {
                let _ = write!(text, "{cell:<width$}  ");
            }
            text.trim_end().to_string()
        };
        let mut table = line(headers);
        table.push('\n');
        table.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
        for row in rows {
            table.push('\n');
            table.push_str(&line(row));
        }
        table
    }

    pub fn markdown(&self) -> String {
        let mut text = String::from(
            "| Section | Figure | Measured | Target | Result |\n|---|---|---|---|---|\n",
        );
        for figure in &self.figures {
            let _ = writeln!(
                text,
                "| {} | {} | {} | {} | {} |",
                figure.section,
                figure.name.replace('|', "\\|"),
                figure.value.replace('|', "\\|"),
                figure.target.replace('|', "\\|"),
                figure.verdict.label()
            );
        }
        text
    }
}

/// Milliseconds with the precision a reader needs: 0.42 ms, 12.3 ms, 1234 ms.
pub fn ms(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 100.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// The value below which `share` (0..1) of the samples fall (nearest rank).
pub fn percentile(samples: &[Duration], share: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((share * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_the_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&samples, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&samples, 0.5), Duration::from_millis(50));
        assert_eq!(
            percentile(&[Duration::from_millis(7)], 0.99),
            Duration::from_millis(7)
        );
    }
}
