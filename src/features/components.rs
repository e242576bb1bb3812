//! 8-connected components of a binary mask with per-component statistics,
//! shared by text detection (glyphs) and layout (focal regions).
//!
//! Labelling works on horizontal runs rather than pixels: runs of one row
//! are joined (union-find) to the runs of the row above that they touch,
//! then statistics are summed per run. The per-pixel work is a scan, which
//! matters because the ink maps of a photograph can cover a third of it.

/// Statistics of one connected component.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Component {
    /// Bounding box, inclusive start, exclusive end.
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
    /// Pixel count.
    pub area: usize,
    /// Pixels with a 4-neighbour outside the mask or the image.
    pub boundary: usize,
    /// Sum of `value` over the component's pixels.
    pub sum: f64,
}

/// A horizontal run `x0..x1` of mask pixels in row `y`.
#[derive(Clone, Copy, Debug)]
struct Run {
    y: usize,
    x0: usize,
    x1: usize,
}

/// The components of `mask` (row-major, `w` x `h`), ordered by their first
/// pixel in row-major order, with sums of `value` (same layout as `mask`).
pub(super) fn components(mask: &[bool], value: &[f32], w: usize, h: usize) -> Vec<Component> {
    if w == 0 || mask.len() < w * h || value.len() < w * h {
        return Vec::new();
    }
    let (runs, mut parent) = link_runs(mask, w, h);
    let mut index_of_root = vec![usize::MAX; runs.len()];
    let mut out: Vec<Component> = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let root = find(&mut parent, i);
        if index_of_root[root] == usize::MAX {
            index_of_root[root] = out.len();
            out.push(Component {
                x0: run.x0,
                y0: run.y,
                x1: run.x1,
                y1: run.y + 1,
                area: 0,
                boundary: 0,
                sum: 0.0,
            });
        }
        let c = &mut out[index_of_root[root]];
        c.x0 = c.x0.min(run.x0);
        c.x1 = c.x1.max(run.x1);
        c.y1 = c.y1.max(run.y + 1);
        c.area += run.x1 - run.x0;
        c.boundary += run_boundary(mask, w, h, run);
        c.sum += value[run.y * w + run.x0..run.y * w + run.x1]
            .iter()
            .map(|&v| f64::from(v))
            .sum::<f64>();
    }
    out
}

/// Extracts the runs row by row and unions each with the runs of the row
/// above that touch it (8-connectivity: column ranges within one pixel).
fn link_runs(mask: &[bool], w: usize, h: usize) -> (Vec<Run>, Vec<usize>) {
    let mut runs: Vec<Run> = Vec::new();
    let mut parent: Vec<usize> = Vec::new();
    let mut prev = 0..0;
    for y in 0..h {
        let row = &mask[y * w..(y + 1) * w];
        let start = runs.len();
        // Runs of the row above are sorted by x, so one cursor suffices.
        let mut cursor = prev.start;
        let mut x = 0;
        loop {
            let x0 = next_where(row, x, true);
            if x0 == w {
                break;
            }
            x = next_where(row, x0, false);
            let id = runs.len();
            runs.push(Run { y, x0, x1: x });
            parent.push(id);
            while cursor < prev.end && runs[cursor].x1 < x0 {
                cursor += 1;
            }
            let mut k = cursor;
            while k < prev.end && runs[k].x0 <= x {
                union(&mut parent, k, id);
                k += 1;
            }
        }
        prev = start..runs.len();
    }
    (runs, parent)
}

/// The first index from `from` where `row` is `set` (`row.len()` if none),
/// eight pixels at a time: the ink map of a photograph is mostly long
/// stretches of one value.
fn next_where(row: &[bool], from: usize, set: bool) -> usize {
    // Every byte of a stretch of the other value, as eight bytes.
    let other = if set { 0u64 } else { 0x0101_0101_0101_0101 };
    let mut x = from;
    while let Some(bytes) = row.get(x..x + 8) {
        let word = u64::from_le_bytes(std::array::from_fn(|i| u8::from(bytes[i])));
        let differs = word ^ other;
        if differs != 0 {
            return x + differs.trailing_zeros() as usize / 8;
        }
        x += 8;
    }
    x + row[x..]
        .iter()
        .position(|&b| b == set)
        .unwrap_or(row.len() - x)
}

/// Pixels of a run with a 4-neighbour outside the mask: its two ends, and
/// inner pixels whose upper or lower neighbour is not set.
fn run_boundary(mask: &[bool], w: usize, h: usize, run: &Run) -> usize {
    let len = run.x1 - run.x0;
    if run.y == 0 || run.y + 1 == h || len <= 2 {
        return len;
    }
    let above = &mask[(run.y - 1) * w..run.y * w];
    let below = &mask[(run.y + 1) * w..(run.y + 2) * w];
    let inner = (run.x0 + 1..run.x1 - 1)
        .filter(|&x| !(above[x] && below[x]))
        .count();
    inner + 2
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra.max(rb)] = ra.min(rb);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxes(mask: &[bool], w: usize, h: usize) -> Vec<(usize, usize, usize, usize, usize, usize)> {
        let ones = vec![1f32; w * h];
        components(mask, &ones, w, h)
            .iter()
            .map(|c| (c.area, c.x0, c.y0, c.x1, c.y1, c.boundary))
            .collect()
    }

    #[test]
    fn diagonal_pixels_join_and_gaps_split() {
        // x . . x
        // . x . x
        let mask = [true, false, false, true, false, true, false, true];
        assert_eq!(
            boxes(&mask, 4, 2),
            vec![(2, 0, 0, 2, 2, 2), (2, 3, 0, 4, 2, 2)]
        );
    }

    #[test]
    fn interior_pixels_are_not_boundary() {
        assert_eq!(boxes(&[true; 9], 3, 3), vec![(9, 0, 0, 3, 3, 8)]);
        let mut mask = [true; 25];
        mask[12] = false; // a hole: its four neighbours become boundary too
        assert_eq!(boxes(&mask, 5, 5)[0].5, 16 + 4);
    }

    #[test]
    fn u_shape_merges_late_and_sums_values() {
        // x . x
        // x . x
        // x x x
        let mask = [true, false, true, true, false, true, true, true, true];
        let value: Vec<f32> = (0..9).map(|v| v as f32).collect();
        let c = components(&mask, &value, 3, 3);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].area, 7);
        assert_eq!(c[0].sum, f64::from(2 + 3 + 5 + 6 + 7 + 8));
    }

    #[test]
    fn matches_flood_fill_on_noise() {
        let (w, h) = (37, 23);
        let mut s = 99u64;
        let mask: Vec<bool> = (0..w * h)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
                (s >> 60) < 7
            })
            .collect();
        let fast = boxes(&mask, w, h);
        // Reference: breadth-first flood fill over pixels.
        let mut seen = vec![false; w * h];
        let mut reference = Vec::new();
        for start in 0..w * h {
            if !mask[start] || seen[start] {
                continue;
            }
            seen[start] = true;
            let mut queue = vec![start];
            let (mut area, mut x0, mut y0, mut x1, mut y1, mut boundary) = (0, w, h, 0, 0, 0);
            while let Some(i) = queue.pop() {
                let (x, y) = (i % w, i / w);
                area += 1;
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
                let set = |xx: isize, yy: isize| {
                    xx >= 0
                        && yy >= 0
                        && (xx as usize) < w
                        && (yy as usize) < h
                        && mask[yy as usize * w + xx as usize]
                };
                let (xi, yi) = (x as isize, y as isize);
                if !(set(xi - 1, yi) && set(xi + 1, yi) && set(xi, yi - 1) && set(xi, yi + 1)) {
                    boundary += 1;
                }
                for dy in -1..=1 {
                    for dx in -1..=1 {
                        if set(xi + dx, yi + dy) {
                            let j = (yi + dy) as usize * w + (xi + dx) as usize;
                            if !seen[j] {
                                seen[j] = true;
                                queue.push(j);
                            }
                        }
                    }
                }
            }
            reference.push((area, x0, y0, x1, y1, boundary));
        }
        assert_eq!(fast, reference);
    }
}
