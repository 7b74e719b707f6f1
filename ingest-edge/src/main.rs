//! ingest-edge: the collector (hosted tag, /v1/collect, /v1/hits). Built in issue 3; until then
//! the binary refuses to start rather than pretend to collect.

fn main() {
    eprintln!("ingest-edge is not implemented yet: see issue 3 (the collector)");
    std::process::exit(2);
}
