//! One shared copy of each string many sessions hold (page URLs, referrers, sources, utm
//! sets): a session then costs a pointer per string instead of a copy. Strings no session
//! holds any more are dropped on `sweep`.

use std::collections::HashSet;
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct Interner {
    strings: HashSet<Arc<str>>,
}

impl Interner {
    pub fn intern(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.strings.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        self.strings.insert(shared.clone());
        shared
    }

    /// Forgets the strings only the interner itself still holds.
    pub fn sweep(&mut self) {
        self.strings.retain(|s| Arc::strong_count(s) > 1);
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_one_copy_until_nobody_holds_it() {
        let mut strings = Interner::default();
        let a = strings.intern("https://acme.com/");
        let b = strings.intern("https://acme.com/");
        assert!(Arc::ptr_eq(&a, &b));
        let other = strings.intern("https://acme.com/docs");
        assert_eq!(strings.len(), 2);
        drop((a, b));
        strings.sweep();
        assert_eq!(strings.len(), 1);
        drop(other);
        strings.sweep();
        assert!(strings.is_empty());
    }
}
