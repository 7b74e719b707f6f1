// The dashboard's files are compiled in (rust-embed): rebuild when any of them changes, or when
// one is added, which the embed macro alone would not notice.
fn main() {
    println!("cargo:rerun-if-changed=web");
}
