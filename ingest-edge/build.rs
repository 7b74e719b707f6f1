//! Minifies `tag/tag.js` into `$OUT_DIR/tag.min.js`, which the collector serves.

use std::path::PathBuf;

use oxc::allocator::Allocator;
use oxc::codegen::{Codegen, CodegenOptions};
use oxc::minifier::{Minifier, MinifierOptions};
use oxc::parser::Parser;
use oxc::span::SourceType;

fn main() {
    let source_path = "tag/tag.js";
    println!("cargo:rerun-if-changed={source_path}");
    let source = std::fs::read_to_string(source_path).expect("read tag/tag.js");
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, &source, SourceType::cjs()).parse();
    if !parsed.diagnostics.is_empty() {
        panic!("tag/tag.js does not parse: {:?}", parsed.diagnostics);
    }
    let mut program = parsed.program;
    let minified = Minifier::new(MinifierOptions::default()).minify(&allocator, &mut program);
    let code = Codegen::new()
        .with_options(CodegenOptions::minify())
        .with_scoping(minified.scoping)
        .build(&program)
        .code;
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("tag.min.js");
    std::fs::write(dest, code).expect("write tag.min.js");
}
