//! Seeded mutation of a fuzz corpus, for the stable-toolchain fuzz tests of every crate: the
//! committed `fuzz/corpus/<target>/` files, each mutated a few times over, deterministically so
//! a failure reproduces, and with no nightly toolchain (CI has none).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Fragments that change how a parser branches: JSON structure and escapes, extreme numbers,
/// multi-byte and invalid UTF-8, URL syntax, Avro varint edges.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b",",
    b"null",
    b"true",
    b"-0",
    b"1e999",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"\\u0000",
    b"\\ud800",
    b"\xc3\xa9",
    b"\xf0\x9f\x98\x80",
    b"\xff",
    b"\x00",
    b"\n",
    b"\r\n",
    b" ",
    b"\t",
    b"/",
    b"?",
    b"#",
    b"%",
    b"%zz",
    b"http://",
    b"https://",
    b"xn--",
    b":443",
    b"@",
    b"..",
    b"[::1]",
    b"\"-\"",
    b"\x7f",
    b"\x80",
    b"\x01",
    b"\x02",
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
];

/// The inputs of one bounded run: the corpus files as they are, then mutants of them.
pub struct Mutator {
    rng: StdRng,
    seeds: Vec<Vec<u8>>,
}

impl Mutator {
    /// Every file of `dir`, in name order so a seed maps to the same inputs on every run.
    pub fn from_corpus(dir: &Path, seed: u64) -> Self {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
            .map(|entry| entry.expect("corpus entry").path())
            .collect();
        paths.sort();
        let seeds: Vec<Vec<u8>> = paths
            .iter()
            .map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
            .collect();
        assert!(!seeds.is_empty(), "corpus {} is empty", dir.display());
        Self {
            rng: StdRng::seed_from_u64(seed),
            seeds,
        }
    }

    pub fn seeds(&self) -> &[Vec<u8>] {
        &self.seeds
    }

    /// One corpus file with one to four mutations stacked.
    pub fn mutant(&mut self) -> Vec<u8> {
        let mut input = self.seeds[self.rng.random_range(0..self.seeds.len())].clone();
        for _ in 0..self.rng.random_range(1..=4) {
            self.mutate(&mut input);
        }
        input
    }

    fn mutate(&mut self, input: &mut Vec<u8>) {
        let rng = &mut self.rng;
        let len = input.len();
        let at = rng.random_range(0..=len);
        match rng.random_range(0..8) {
            0 if len > 0 => input[at.min(len - 1)] ^= 1 << rng.random_range(0..8),
            1 if len > 0 => input[at.min(len - 1)] = rng.random(),
            2 => {
                let token = TOKENS[rng.random_range(0..TOKENS.len())];
                input.splice(at..at, token.iter().copied());
            }
            3 => {
                let token = TOKENS[rng.random_range(0..TOKENS.len())];
                let end = (at + token.len()).min(len);
                input.splice(at..end, token.iter().copied());
            }
            4 if at < len => {
                let end = rng.random_range(at..=len.min(at + 16));
                input.drain(at..end);
            }
            5 if at < len => {
                // A repeated run: long fields, nested brackets, repeated lines.
                let end = rng.random_range(at..=len.min(at + 64));
                let run = input[at..end].to_vec();
                let to = rng.random_range(0..=len);
                input.splice(to..to, run);
            }
            6 => {
                // Splice: this input's head, another seed's tail.
                let other = &self.seeds[rng.random_range(0..self.seeds.len())];
                let from = rng.random_range(0..=other.len());
                input.truncate(at);
                input.extend_from_slice(&other[from..]);
            }
            _ => input.truncate(at),
        }
    }
}

/// `fuzz/corpus/<target>/` at the repository root, where `cargo fuzz cmin` leaves it.
pub fn corpus(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

/// Runs `check` on every file of the corpus `dir` and on `mutants` mutants of them. A panic in
/// `check` fails the run naming the input, escaped, so it can be added to the corpus.
pub fn run(dir: &Path, seed: u64, mutants: usize, mut check: impl FnMut(&[u8])) {
    let mut mutator = Mutator::from_corpus(dir, seed);
    let seeds = mutator.seeds().to_vec();
    let inputs = seeds
        .into_iter()
        .chain(std::iter::repeat_with(|| mutator.mutant()).take(mutants));
    for (i, input) in inputs.enumerate() {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&input))) {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            panic!(
                "input {i} of {} (seed {seed}) failed: {message}\ninput: b\"{}\"",
                dir.display(),
                input.escape_ascii()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("a"), b"{\"a\":1}").expect("seed");
        std::fs::write(dir.path().join("b"), b"\xc3\x01abcdefgh").expect("seed");
        dir
    }

    #[test]
    fn the_same_seed_gives_the_same_inputs_and_another_seed_others() {
        let dir = corpus();
        let take = |seed| {
            let mut m = Mutator::from_corpus(dir.path(), seed);
            (0..200).map(|_| m.mutant()).collect::<Vec<_>>()
        };
        assert_eq!(take(7), take(7));
        assert_ne!(take(7), take(8));
    }

    #[test]
    fn a_failing_check_names_its_input() {
        let dir = corpus();
        let result =
            catch_unwind(|| run(dir.path(), 1, 10, |input| assert!(!input.starts_with(b"{"))));
        let panic = result.expect_err("the check fails on the first seed");
        let message = panic.downcast_ref::<String>().expect("a formatted message");
        assert!(message.contains("input: b\"{\\\"a\\\":1}\""), "{message}");
    }
}
