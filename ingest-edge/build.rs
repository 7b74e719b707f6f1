//! Minifies `tag/tag.js` into `$OUT_DIR/tag.min.js`, which the collector serves.

use std::path::PathBuf;

fn main() {
    let source_path = "tag/tag.js";
    println!("cargo:rerun-if-changed={source_path}");
    let source = std::fs::read(source_path).expect("read tag/tag.js");
    let session = minify_js::Session::new();
    let mut out = Vec::new();
    if let Err(error) =
        minify_js::minify(&session, minify_js::TopLevelMode::Global, &source, &mut out)
    {
        panic!("tag/tag.js does not parse: {error:?}");
    }
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("tag.min.js");
    std::fs::write(dest, out).expect("write tag.min.js");
}
