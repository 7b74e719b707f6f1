//! Inclusive address ranges flattened into sorted, non-overlapping segments, searched by binary
//! search. Published databases nest ranges (a geofeed's /28 inside a registry's /22) and, rarely,
//! overlap; flattening once at load lets every lookup be one `partition_point`.

/// An address as a number: `u32` for IPv4, `u128` for IPv6.
pub trait Key: Copy + Ord {
    const ZERO: Self;
    fn succ(self) -> Option<Self>;
    fn pred(self) -> Option<Self>;
}

impl Key for u32 {
    const ZERO: Self = 0;
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn pred(self) -> Option<Self> {
        self.checked_sub(1)
    }
}

impl Key for u128 {
    const ZERO: Self = 0;
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn pred(self) -> Option<Self> {
        self.checked_sub(1)
    }
}

/// Segments in address order; `starts[i]..=ends[i]` maps to `values[i]`. Three arrays rather
/// than one of tuples: the search reads only `starts`.
#[derive(Debug, Clone)]
pub struct RangeTable<K, V> {
    starts: Vec<K>,
    ends: Vec<K>,
    values: Vec<V>,
}

impl<K, V> Default for RangeTable<K, V> {
    fn default() -> Self {
        Self {
            starts: Vec::new(),
            ends: Vec::new(),
            values: Vec::new(),
        }
    }
}

impl<K: Key, V: Copy + Eq> RangeTable<K, V> {
    /// From `(first, last, value)` rows in any order. Where rows overlap, the one that starts
    /// later wins (a nested, more specific range over the one around it), and of two with the same
    /// bounds the later row; a range resumes after a range nested in it ends.
    pub fn from_rows(mut rows: Vec<(K, K, V)>) -> Self {
        // Stable: rows with equal bounds keep their order, so the later one ends up innermost.
        rows.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut table = Self::default();
        // Ranges that contain the current position, innermost last: (last address, value).
        let mut open: Vec<(K, V)> = Vec::new();
        // The first address not yet assigned; `None` past the top of the address space.
        let mut cursor = Some(K::ZERO);
        for (first, last, value) in rows {
            if last < first {
                continue;
            }
            while let Some(&(end, outer)) = open.last() {
                if end >= first {
                    break;
                }
                table.push(cursor, end, outer);
                cursor = end.succ();
                open.pop();
            }
            if let (Some(&(_, outer)), Some(before)) = (open.last(), first.pred()) {
                table.push(cursor, before, outer);
            }
            cursor = Some(first);
            // A range ending inside this one has nothing left after it.
            while open.last().is_some_and(|&(end, _)| end <= last) {
                open.pop();
            }
            open.push((last, value));
        }
        while let Some((end, value)) = open.pop() {
            table.push(cursor, end, value);
            cursor = end.succ();
        }
        table.starts.shrink_to_fit();
        table.ends.shrink_to_fit();
        table.values.shrink_to_fit();
        table
    }

    /// Appends `from..=to`, joined to the previous segment when it continues it with the same value.
    fn push(&mut self, from: Option<K>, to: K, value: V) {
        let Some(from) = from.filter(|from| *from <= to) else {
            return;
        };
        if let (Some(end), Some(previous)) = (self.ends.last_mut(), self.values.last()) {
            if *previous == value && end.succ() == Some(from) {
                *end = to;
                return;
            }
        }
        self.starts.push(from);
        self.ends.push(to);
        self.values.push(value);
    }

    pub fn get(&self, key: K) -> Option<V> {
        let i = self.starts.partition_point(|start| *start <= key);
        let i = i.checked_sub(1)?;
        (key <= self.ends[i]).then(|| self.values[i])
    }

    /// Segments after flattening (adjacent equal ones joined).
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Bytes held by the three arrays.
    pub fn heap_bytes(&self) -> usize {
        self.starts.capacity() * std::mem::size_of::<K>() * 2
            + self.values.capacity() * std::mem::size_of::<V>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(u32, u32, char)]) -> RangeTable<u32, char> {
        RangeTable::from_rows(rows.to_vec())
    }

    fn segments(t: &RangeTable<u32, char>) -> Vec<(u32, u32, char)> {
        (0..t.len())
            .map(|i| (t.starts[i], t.ends[i], t.values[i]))
            .collect()
    }

    #[test]
    fn both_ends_of_a_range_are_inside_and_their_neighbours_outside() {
        let t = table(&[(10, 20, 'a'), (30, 30, 'b')]);
        assert_eq!(t.get(9), None);
        assert_eq!(t.get(10), Some('a'));
        assert_eq!(t.get(20), Some('a'));
        assert_eq!(t.get(21), None);
        assert_eq!(t.get(29), None);
        assert_eq!(t.get(30), Some('b'));
        assert_eq!(t.get(31), None);
        assert_eq!(t.get(0), None);
        assert_eq!(t.get(u32::MAX), None);
        assert!(table(&[]).get(5).is_none());
    }

    #[test]
    fn a_nested_range_wins_inside_and_the_outer_one_resumes_after_it() {
        let t = table(&[(0, 100, 'o'), (40, 49, 'i'), (45, 45, 'x')]);
        assert_eq!(
            segments(&t),
            [
                (0, 39, 'o'),
                (40, 44, 'i'),
                (45, 45, 'x'),
                (46, 49, 'i'),
                (50, 100, 'o')
            ]
        );
        // The same rows in another order give the same table.
        let shuffled = table(&[(45, 45, 'x'), (0, 100, 'o'), (40, 49, 'i')]);
        assert_eq!(segments(&shuffled), segments(&t));
    }

    #[test]
    fn a_partial_overlap_goes_to_the_later_range_and_duplicates_to_the_later_row() {
        let t = table(&[(0, 10, 'a'), (5, 15, 'b')]);
        assert_eq!(segments(&t), [(0, 4, 'a'), (5, 15, 'b')]);
        let t = table(&[(0, 10, 'a'), (0, 10, 'b')]);
        assert_eq!(segments(&t), [(0, 10, 'b')]);
        // A nested range sharing the outer one's first address.
        let t = table(&[(0, 10, 'a'), (0, 3, 'b')]);
        assert_eq!(segments(&t), [(0, 3, 'b'), (4, 10, 'a')]);
    }

    #[test]
    fn adjacent_ranges_with_one_value_are_joined_and_reversed_rows_dropped() {
        let t = table(&[(0, 9, 'a'), (10, 19, 'a'), (20, 29, 'b'), (40, 30, 'c')]);
        assert_eq!(segments(&t), [(0, 19, 'a'), (20, 29, 'b')]);
    }

    #[test]
    fn the_top_of_the_address_space_is_reachable() {
        let t = table(&[(u32::MAX - 1, u32::MAX, 'a'), (u32::MAX, u32::MAX, 'b')]);
        assert_eq!(t.get(u32::MAX - 1), Some('a'));
        assert_eq!(t.get(u32::MAX), Some('b'));
        let wide: RangeTable<u128, u8> = RangeTable::from_rows(vec![(0, u128::MAX, 1)]);
        assert_eq!(wide.get(u128::MAX), Some(1));
        assert_eq!(wide.get(0), Some(1));
    }
}
