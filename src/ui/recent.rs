//! Most-recent-first lists kept in the preferences (files, Kafka connections).

/// How many recent items of a kind are kept.
pub const KEEP: usize = 10;

/// Puts `item` first, dropping an equal older entry and whatever falls beyond [`KEEP`].
pub fn remember<T: PartialEq>(list: &mut Vec<T>, item: T) {
    list.retain(|x| x != &item);
    list.insert(0, item);
    list.truncate(KEEP);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_without_repeats_and_bounded() {
        let mut l = Vec::new();
        for i in [1, 2, 3, 2] {
            remember(&mut l, i);
        }
        assert_eq!(l, [2, 3, 1]);
        for i in 0..20 {
            remember(&mut l, i);
        }
        assert_eq!(l.len(), KEEP);
        assert_eq!(l[0], 19);
    }
}
