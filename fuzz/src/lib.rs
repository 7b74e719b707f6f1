//! Properties the fuzz targets check, one module per group; the stable tests of the three crates
//! include the same modules by path.

pub mod avro;
pub mod classify;
pub mod edge;
