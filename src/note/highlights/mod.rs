//! Highlight exports (Kindle `My Clippings.txt`, Readwise, the Obsidian
//! Kindle and Apple Books plugins, KOReader, Bookcision), recognised by their
//! content and read into [`Book`]s, which become ordinary notes whose quotes
//! are the highlights. `../shared/docs/highlights.md` lists every shape.

pub mod book;
pub mod bookcision;
pub mod koreader;

pub use book::{Book, Highlight};
