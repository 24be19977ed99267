//! Bars drawn with block characters, for analytics: one column per value,
//! eighths of a row for the fraction, so a 5-row chart has 40 steps.

const EIGHTHS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// `rows` lines, top first, with one column per value scaled to the largest.
pub fn vertical(values: &[u64], rows: usize) -> Vec<String> {
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let steps = rows * 8;
    let heights: Vec<usize> = values
        .iter()
        .map(|v| {
            let h = (*v as f64 / max as f64 * steps as f64).round() as usize;
            // A day with anything at all shows at least a sliver.
            if *v > 0 {
                h.max(1)
            } else {
                0
            }
        })
        .collect();
    (0..rows)
        .map(|row| {
            let floor = (rows - 1 - row) * 8;
            heights
                .iter()
                .map(|h| EIGHTHS[h.saturating_sub(floor).min(8)])
                .collect()
        })
        .collect()
}

/// A horizontal bar of `value` out of `max` in `width` columns.
pub fn horizontal(value: u64, max: u64, width: usize) -> String {
    let eighths = (value as f64 / max.max(1) as f64 * (width * 8) as f64).round() as usize;
    let mut bar = "█".repeat(eighths / 8);
    let rest = eighths % 8;
    if rest > 0 {
        bar.push(['▏', '▎', '▍', '▌', '▋', '▊', '▉'][rest - 1]);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_value_fills_every_row() {
        assert_eq!(vertical(&[4, 2, 0], 2), ["█  ", "██ "]);
    }

    #[test]
    fn a_small_value_still_shows() {
        assert_eq!(vertical(&[100, 1], 1)[0], "█▁");
    }

    #[test]
    fn horizontal_bars_scale_to_the_width() {
        assert_eq!(horizontal(10, 10, 4), "████");
        assert_eq!(horizontal(5, 10, 4), "██");
        assert_eq!(horizontal(0, 10, 4), "");
    }
}
