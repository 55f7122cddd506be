//! The reference parser (`<footer>` contents) and the inline finder
//! (`(p. 55)`, `on page 166`) on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    if let Some(r) = folio::note::reference::parse(&text) {
        if let Some([first, last]) = r.pages {
            assert!(first <= last, "pages out of order: {first} > {last}");
        }
    }
    for found in folio::note::reference::find_inline(&text) {
        assert!(text.is_char_boundary(found.offset), "inline offset not on a char boundary");
        assert!(found.offset < text.len().max(1), "inline offset past the end");
    }
});
