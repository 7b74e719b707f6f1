//! The one question every external call's failure answers before it is retried.

/// Whether sending the same thing again can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The server or the path to it (network, timeouts, overload, a missing table or topic
    /// while they are being created): the same request may succeed later.
    Transient,
    /// The data itself (a value the table refuses, a record the broker will never take): it
    /// will be refused every time, so it goes to the dead-letter topic instead.
    Permanent,
}
