//! The words, literals and punctuation of one ClickHouse statement with their byte ranges and
//! bracket depth, so the cluster renderer can find clauses and splice text without being fooled by
//! comments or string literals (a `DEFAULT 'FROM x'` is not a table reference). Only what the
//! renderer needs: the engine's own parser checks every rendered statement in the tests.

use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An unquoted identifier or keyword.
    Word,
    /// A `` `quoted` `` or `"quoted"` identifier.
    Quoted,
    /// A `'string'` literal.
    Text,
    Number,
    /// One character of punctuation or an operator.
    Punct,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub span: Range<usize>,
    /// How many brackets `(`, `[` enclose the token; a bracket itself counts at the outer depth.
    pub depth: usize,
}

impl Token {
    pub fn text<'s>(&self, sql: &'s str) -> &'s str {
        &sql[self.span.clone()]
    }

    /// Whether this is the unquoted word `word`, compared case-insensitively (keywords).
    pub fn is_word(&self, sql: &str, word: &str) -> bool {
        self.kind == Kind::Word && self.text(sql).eq_ignore_ascii_case(word)
    }

    pub fn is_punct(&self, sql: &str, punct: &str) -> bool {
        self.kind == Kind::Punct && self.text(sql) == punct
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unterminated {0} at byte {1}")]
pub struct Unterminated(pub &'static str, pub usize);

/// Splits `sql` into tokens, dropping whitespace and `--`, `#!`/`# ` and `/* */` comments.
pub fn tokenize(sql: &str) -> Result<Vec<Token>, Unterminated> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if sql[i..].starts_with("--")
            || (c == b'#' && matches!(bytes.get(i + 1), Some(b' ' | b'!')))
        {
            i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n + 1);
            continue;
        }
        if sql[i..].starts_with("/*") {
            i = sql[i + 2..]
                .find("*/")
                .map(|n| i + 2 + n + 2)
                .ok_or(Unterminated("comment", start))?;
            continue;
        }
        let kind = match c {
            b'\'' => {
                i = quoted_end(bytes, i, b'\'').ok_or(Unterminated("string", start))?;
                Kind::Text
            }
            b'`' | b'"' => {
                i = quoted_end(bytes, i, c).ok_or(Unterminated("quoted identifier", start))?;
                Kind::Quoted
            }
            b'0'..=b'9' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                    i += 1;
                }
                Kind::Number
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'_'
                        || bytes[i] == b'$'
                        || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                Kind::Word
            }
            _ => {
                i += 1;
                Kind::Punct
            }
        };
        let closes = matches!(c, b')' | b']') && kind == Kind::Punct;
        if closes {
            depth = depth.saturating_sub(1);
        }
        tokens.push(Token {
            kind,
            span: start..i,
            depth,
        });
        if matches!(c, b'(' | b'[') && kind == Kind::Punct {
            depth += 1;
        }
    }
    Ok(tokens)
}

/// The byte after the quote that closes the one at `open`; a backslash escapes, and a doubled
/// quote stands for itself.
fn quoted_end(bytes: &[u8], open: usize, quote: u8) -> Option<usize> {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote && bytes.get(i + 1) == Some(&quote) => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The index of the token that closes the bracket at `open`.
pub fn closing(tokens: &[Token], open: usize) -> Option<usize> {
    let depth = tokens[open].depth;
    tokens[open + 1..]
        .iter()
        .position(|t| t.depth == depth && t.kind == Kind::Punct)
        .map(|n| open + 1 + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(sql: &str) -> Vec<(String, usize)> {
        tokenize(sql)
            .unwrap()
            .iter()
            .map(|t| (t.text(sql).to_owned(), t.depth))
            .collect()
    }

    #[test]
    fn comments_and_literals_are_not_words() {
        let sql = "-- FROM a\nSELECT 'FROM b', `FROM c` /* FROM d */ FROM e # FROM f\n";
        let tokens = tokenize(sql).unwrap();
        let kinds: Vec<(Kind, &str)> = tokens.iter().map(|t| (t.kind, t.text(sql))).collect();
        assert_eq!(
            kinds,
            [
                (Kind::Word, "SELECT"),
                (Kind::Text, "'FROM b'"),
                (Kind::Punct, ","),
                (Kind::Quoted, "`FROM c`"),
                (Kind::Word, "FROM"),
                (Kind::Word, "e"),
            ]
        );
    }

    #[test]
    fn escaped_and_doubled_quotes_stay_inside_the_literal() {
        let sql = r"SELECT 'it''s', 'a\'b', x";
        let texts: Vec<String> = words(sql).into_iter().map(|(t, _)| t).collect();
        assert_eq!(texts, ["SELECT", "'it''s'", ",", r"'a\'b'", ",", "x"]);
    }

    #[test]
    fn depth_counts_enclosing_brackets() {
        assert_eq!(
            words("f(a, [b])"),
            [
                ("f".into(), 0),
                ("(".into(), 0),
                ("a".into(), 1),
                (",".into(), 1),
                ("[".into(), 1),
                ("b".into(), 2),
                ("]".into(), 1),
                (")".into(), 0),
            ]
        );
        let sql = "f(a, [b]) g";
        let tokens = tokenize(sql).unwrap();
        assert_eq!(closing(&tokens, 1), Some(7));
        assert_eq!(closing(&tokens, 4), Some(6));
    }

    #[test]
    fn unterminated_text_is_an_error() {
        assert_eq!(tokenize("SELECT 'a"), Err(Unterminated("string", 7)));
        assert_eq!(tokenize("/* a"), Err(Unterminated("comment", 0)));
    }
}
