//! What a ClickHouse failure means for a retry, decided here for every caller: by the server's
//! exception code where it sent one, by the client's error kind otherwise.

use clickhouse::error::Error;

pub use crate::retry::Retry;

/// Exception codes of a request whose data the server refused (ClickHouse's
/// `src/Common/ErrorCodes.cpp`).
const DATA_REFUSED: &[(u32, &str)] = &[
    (6, "CANNOT_PARSE_TEXT"),
    (16, "NO_SUCH_COLUMN_IN_TABLE"),
    (26, "CANNOT_PARSE_QUOTED_STRING"),
    (27, "CANNOT_PARSE_INPUT_ASSERTION_FAILED"),
    (33, "CANNOT_READ_ALL_DATA"),
    (38, "CANNOT_PARSE_DATE"),
    (41, "CANNOT_PARSE_DATETIME"),
    (53, "TYPE_MISMATCH"),
    (69, "ARGUMENT_OUT_OF_BOUND"),
    (70, "CANNOT_CONVERT_TYPE"),
    (72, "CANNOT_PARSE_NUMBER"),
    (117, "INCORRECT_DATA"),
    (131, "TOO_LARGE_STRING_SIZE"),
    (321, "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE"),
    (349, "CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN"),
    (469, "VIOLATED_CONSTRAINT"),
];

/// The server's exception code in a failure's text (`Code: 159. DB::Exception: …`), if any.
pub fn exception_code(text: &str) -> Option<u32> {
    let (_, rest) = text.split_once("Code: ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Whether `code` (or, without one, the exception name in `text`) is one of `codes`.
pub fn is_one_of(text: &str, codes: &[(u32, &str)]) -> bool {
    match exception_code(text) {
        Some(code) => codes.iter().any(|(c, _)| *c == code),
        None => codes
            .iter()
            .any(|(_, name)| text.contains(&format!("({name})"))),
    }
}

pub fn classify(error: &Error) -> Retry {
    match error {
        // Anything the server answered that is not about the data is retried: an unknown code
        // must not turn good rows into dead letters.
        Error::BadResponse(text) if is_one_of(text, DATA_REFUSED) => Retry::Permanent,
        // The client could not encode a row: the same row fails the same way.
        Error::Custom(_)
        | Error::SequenceMustHaveLength
        | Error::InvalidUtf8Encoding(_)
        | Error::InvalidTagEncoding(_)
        | Error::VariantDiscriminatorIsOutOfBound(_) => Retry::Permanent,
        _ => Retry::Transient,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad(text: &str) -> Error {
        Error::BadResponse(text.to_owned())
    }

    #[test]
    fn refused_data_is_permanent() {
        for text in [
            "Code: 53. DB::Exception: Type mismatch in IN or VALUES section. (TYPE_MISMATCH)",
            "Code: 16. DB::Exception: No such column referrer_hots in table events. (NO_SUCH_COLUMN_IN_TABLE)",
            "Code: 469. DB::Exception: Constraint `no_poison` for table events is violated at row 3. (VIOLATED_CONSTRAINT)",
            "Code: 27. DB::Exception: Cannot parse input: expected '\\t' before: 'x'. (CANNOT_PARSE_INPUT_ASSERTION_FAILED)",
            // Only the name, as some proxies shorten the text.
            "DB::Exception: Cannot read all data. (CANNOT_READ_ALL_DATA)",
        ] {
            assert_eq!(classify(&bad(text)), Retry::Permanent, "{text}");
        }
    }

    #[test]
    fn server_and_network_trouble_is_transient() {
        for text in [
            "Code: 252. DB::Exception: Too many parts (300). Merges are processing significantly slower than inserts. (TOO_MANY_PARTS)",
            "Code: 241. DB::Exception: Memory limit (total) exceeded. (MEMORY_LIMIT_EXCEEDED)",
            "Code: 159. DB::Exception: Timeout exceeded. (TIMEOUT_EXCEEDED)",
            "Code: 60. DB::Exception: Table optiview.events does not exist. (UNKNOWN_TABLE)",
            "Code: 516. DB::Exception: api: Authentication failed. (AUTHENTICATION_FAILED)",
            "Code: 9999. DB::Exception: something new",
            "502 Bad Gateway",
        ] {
            assert_eq!(classify(&bad(text)), Retry::Transient, "{text}");
        }
        assert_eq!(classify(&Error::TimedOut), Retry::Transient);
        assert_eq!(
            classify(&Error::Network("connection refused".into())),
            Retry::Transient
        );
    }

    #[test]
    fn rows_the_client_cannot_encode_are_permanent() {
        assert_eq!(
            classify(&Error::Custom("bad value".into())),
            Retry::Permanent
        );
    }

    #[test]
    fn the_code_is_read_from_the_text() {
        assert_eq!(exception_code("Code: 159. DB::Exception: x"), Some(159));
        assert_eq!(exception_code("no code here"), None);
    }
}
