//! stream-processors: classify, attribute, sessionize, load into ClickHouse. Built in issue 4;
//! until then the binary refuses to start rather than pretend to process.

fn main() {
    eprintln!("stream-processors is not implemented yet: see issue 4 (the processors)");
    std::process::exit(2);
}
