//! Reads the few fields a payload maps straight from a JSON record's text.
//!
//! A mapper reads a dozen or two fields of a record; building the whole
//! record first ([`Doc`]) costs more than mapping it. A [`FieldScanner`]
//! knows the dotted paths the mappers read and, in one pass over the text,
//! checks the JSON grammar and keeps only those fields' values.
//!
//! It only answers when the answer is certain to be the one the full parser
//! would give. Anything it is not sure of (a syntax error, a key written
//! twice, an escaped key, deep nesting, trailing text) makes it decline, and
//! the caller parses that record in full, which also gives the exact reason
//! for a reject.

use std::borrow::Cow;

use serde_json::Number;

use super::doc::Doc;

/// Nesting deeper than this is left to the full parser (which has its own
/// limit and error for it).
const MAX_DEPTH: usize = 64;

/// Finds a set of dotted paths in JSON objects; see the module docs.
#[derive(Debug, Clone)]
pub struct FieldScanner {
    // nodes[0] is the record itself; every key of a path is an entry of the
    // node of the path before it.
    nodes: Vec<Node>,
    slots: usize,
}

#[derive(Debug, Clone, Default)]
struct Node {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    key: Box<[u8]>,
    // Every entry has a slot, also those only on the way to a path: a key
    // seen twice is how the scanner notices a repeated object.
    slot: usize,
    child: Option<usize>,
}

impl FieldScanner {
    /// A scanner for `paths` (`a.b.c` is the field `c` of the object `b` of
    /// the object `a`). [`FieldScanner::slot`] says where each path's value
    /// lands.
    pub fn new<'p>(paths: impl IntoIterator<Item = &'p str>) -> FieldScanner {
        let mut scanner = FieldScanner {
            nodes: vec![Node::default()],
            slots: 0,
        };
        for path in paths {
            let mut node = 0;
            let mut keys = path.split('.').peekable();
            while let Some(key) = keys.next() {
                let entry = scanner.entry(node, key);
                if keys.peek().is_some() {
                    node = match scanner.nodes[node].entries[entry].child {
                        Some(child) => child,
                        None => {
                            scanner.nodes.push(Node::default());
                            let child = scanner.nodes.len() - 1;
                            scanner.nodes[node].entries[entry].child = Some(child);
                            child
                        }
                    };
                }
            }
        }
        scanner
    }

    fn entry(&mut self, node: usize, key: &str) -> usize {
        let entries = &mut self.nodes[node].entries;
        if let Some(i) = entries.iter().position(|e| &*e.key == key.as_bytes()) {
            return i;
        }
        entries.push(Entry {
            key: key.as_bytes().into(),
            slot: self.slots,
            child: None,
        });
        self.slots += 1;
        entries.len() - 1
    }

    /// Where the value of `path` lands in [`FieldScanner::scan`]'s output;
    /// `None` for a path the scanner was not built with.
    pub fn slot(&self, path: &str) -> Option<usize> {
        let mut node = 0;
        let mut slot = None;
        for key in path.split('.') {
            let entry = self.nodes.get(node)?.find(key.as_bytes())?;
            slot = Some(entry.slot);
            node = entry.child.unwrap_or(usize::MAX);
        }
        slot
    }

    /// How many slots [`FieldScanner::scan`] fills.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// Scans one record (a JSON object, alone on its text but for
    /// whitespace). On `true`, `values[slot]` holds each path's value, or
    /// `None` where the record does not have it. A value that is a list or
    /// an object is given as an empty one: only its kind is kept. On
    /// `false`, the record needs the full parser.
    pub fn scan<'a>(&self, text: &'a str, values: &mut Vec<Option<Doc<'a>>>) -> bool {
        values.clear();
        values.resize(self.slots, None);
        let bytes = text.as_bytes();
        let mut reader = Reader {
            text,
            bytes,
            pos: 0,
        };
        reader.skip_ws();
        if reader.peek() != Some(b'{') {
            return false;
        }
        if !self.object(&mut reader, Some(0), values, 1) {
            return false;
        }
        reader.skip_ws();
        reader.pos == bytes.len()
    }

    /// Reads the object at the reader (on its `{`); `node` is the scanner
    /// node of its keys, if any of its fields is wanted.
    fn object<'a>(
        &self,
        reader: &mut Reader<'a>,
        node: Option<usize>,
        values: &mut [Option<Doc<'a>>],
        depth: usize,
    ) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        if reader.open(b'}') {
            return true;
        }
        loop {
            let Some((key, escaped)) = reader.string() else {
                return false;
            };
            reader.skip_ws();
            if reader.peek() != Some(b':') {
                return false;
            }
            reader.pos += 1;
            reader.skip_ws();
            if escaped {
                // Rare; and its unescaped text might be a wanted key.
                return false;
            }
            let entry = node.and_then(|n| self.nodes[n].find(&reader.bytes[key]));
            match entry {
                Some(entry) => {
                    if values[entry.slot].is_some() {
                        return false;
                    }
                    let value = match reader.peek() {
                        Some(b'{') => {
                            if !self.object(reader, entry.child, values, depth + 1) {
                                return false;
                            }
                            Doc::Object(Vec::new())
                        }
                        Some(b'[') => {
                            if !self.list(reader, depth + 1) {
                                return false;
                            }
                            Doc::List(Vec::new())
                        }
                        _ => match reader.scalar() {
                            Some(value) => value,
                            None => return false,
                        },
                    };
                    values[entry.slot] = Some(value);
                }
                None => {
                    if !self.skip(reader, depth + 1) {
                        return false;
                    }
                }
            }
            match reader.after_item(b'}') {
                Some(true) => return true,
                Some(false) => {}
                None => return false,
            }
        }
    }

    fn list(&self, reader: &mut Reader<'_>, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        if reader.open(b']') {
            return true;
        }
        loop {
            if !self.skip(reader, depth + 1) {
                return false;
            }
            match reader.after_item(b']') {
                Some(true) => return true,
                Some(false) => {}
                None => return false,
            }
        }
    }

    /// Checks and passes over a value nobody reads.
    fn skip(&self, reader: &mut Reader<'_>, depth: usize) -> bool {
        match reader.peek() {
            Some(b'{') => self.object(reader, None, &mut [], depth),
            Some(b'[') => self.list(reader, depth),
            _ => reader.scalar().is_some(),
        }
    }
}

impl Node {
    fn find(&self, key: &[u8]) -> Option<&Entry> {
        self.entries
            .iter()
            // Lengths and first bytes turn most keys away without a memcmp.
            .find(|e| e.key.len() == key.len() && e.key.first() == key.first() && *e.key == *key)
    }
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Passes the opening bracket of an object or list; whether it closes
    /// at once with `close`.
    fn open(&mut self, close: u8) -> bool {
        self.pos += 1;
        self.skip_ws();
        let empty = self.peek() == Some(close);
        if empty {
            self.pos += 1;
        }
        empty
    }

    /// After an item of an object or list: whether `close` ended it, or
    /// `None` where neither it nor a comma follows.
    fn after_item(&mut self, close: u8) -> Option<bool> {
        self.skip_ws();
        let next = self.peek()?;
        self.pos += 1;
        if next == close {
            return Some(true);
        }
        if next != b',' {
            return None;
        }
        self.skip_ws();
        Some(false)
    }

    /// The string at the reader (on its opening quote): the range of its
    /// text between the quotes, and whether it holds escapes.
    fn string(&mut self) -> Option<(std::ops::Range<usize>, bool)> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            match *self.bytes.get(i)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                // JSON has no raw control characters in strings.
                0..=0x1f => return None,
                _ => i += 1,
            }
        }
        self.pos = i + 1;
        Some((start..i, escaped))
    }

    /// A string, number, `true`, `false` or `null`.
    fn scalar(&mut self) -> Option<Doc<'a>> {
        match self.peek()? {
            b'"' => {
                let (range, escaped) = self.string()?;
                if escaped {
                    // Escapes are rare: the full parser's unescaping (and its
                    // refusal of lone surrogates) is the one to match.
                    let quoted = &self.text[range.start - 1..range.end + 1];
                    let text: String = serde_json::from_str(quoted).ok()?;
                    Some(Doc::Str(Cow::Owned(text)))
                } else {
                    Some(Doc::Str(Cow::Borrowed(&self.text[range])))
                }
            }
            b't' => self.literal(b"true", Doc::Bool(true)),
            b'f' => self.literal(b"false", Doc::Bool(false)),
            b'n' => self.literal(b"null", Doc::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8], value: Doc<'a>) -> Option<Doc<'a>> {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Some(value)
        } else {
            None
        }
    }

    /// A number by JSON's grammar: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Option<Doc<'a>> {
        let start = self.pos;
        let digits = |reader: &mut Reader<'_>| {
            let from = reader.pos;
            while let Some(b'0'..=b'9') = reader.peek() {
                reader.pos += 1;
            }
            reader.pos - from
        };
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        let int_digits = digits(self);
        if int_digits == 0 || (int_digits > 1 && self.bytes[int_start] == b'0') {
            return None;
        }
        let mut plain = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return None;
            }
            plain = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return None;
            }
            plain = false;
        }
        let token = &self.text[start..self.pos];
        // Whole numbers that surely fit are most of them; the rest (floats,
        // huge or negative-zero integers) are read as the full parser reads
        // them.
        if plain && int_digits <= 18 && !(negative && token == "-0") {
            let magnitude = self.bytes[int_start..self.pos]
                .iter()
                .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
            let value = if negative { -magnitude } else { magnitude };
            return Some(Doc::Number(Number::from(value)));
        }
        serde_json::from_str::<Number>(token).ok().map(Doc::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATHS: [&str; 6] = ["id", "m.likes", "m.rate", "m", "tags", "t"];

    /// What the full parser gives for each path: the same lookup the
    /// mappers do on a [`Doc`].
    fn full(text: &str) -> Option<Vec<Option<Doc<'_>>>> {
        let doc: Doc = serde_json::from_str(text).ok()?;
        if !doc.is_object() {
            return None;
        }
        Some(
            PATHS
                .iter()
                .map(|path| {
                    let mut current = &doc;
                    for key in path.split('.') {
                        current = current.get(key)?;
                    }
                    Some(match current {
                        Doc::List(_) => Doc::List(Vec::new()),
                        Doc::Object(_) => Doc::Object(Vec::new()),
                        other => other.clone(),
                    })
                })
                .collect(),
        )
    }

    fn scanned<'a>(scanner: &FieldScanner, text: &'a str) -> Option<Vec<Option<Doc<'a>>>> {
        let mut values = Vec::new();
        if !scanner.scan(text, &mut values) {
            return None;
        }
        Some(
            PATHS
                .iter()
                .map(|p| values[scanner.slot(p).unwrap()].clone())
                .collect(),
        )
    }

    #[test]
    fn scans_what_the_full_parser_reads_and_declines_what_it_refuses() {
        let scanner = FieldScanner::new(PATHS);
        let accepted = [
            r#"{"id": "p1", "m": {"likes": 12, "rate": 0.25, "x": [1, {"y": null}]}, "tags": ["a"], "t": true}"#,
            r#" {"other": {"id": "no"}, "id": "p\"2\u00e9"}  "#,
            r#"{}"#,
            r#"{"id": 7, "m": 3}"#,
            r#"{"m": {"likes": -0, "rate": 1e-3}}"#,
            r#"{"m": {"likes": 123456789012345678901, "rate": -1.5E-3}, "t": null}"#,
            r#"{"m": {"likes": -9223372036854775808}, "id": "日本", "t": false}"#,
            r#"{"x": "\ud83d\ude00", "id": "a\\b\/c\n"}"#,
        ];
        let refused = [
            r#"{"id": "p1",}"#,
            r#"{"id": 01}"#,
            r#"{"id": "a	b"}"#,
            r#"{"x": "\ud800"}"#,
            r#"{"x": "\q"}"#,
            r#"{"id": 1} x"#,
            r#"["id"]"#,
            r#"{"id": tru}"#,
            r#"{"id": 1.}"#,
            r#"{"id" 1}"#,
            r#"{"m": {"likes": 1}, "m": {"rate": 2}}"#,
            r#"{"id": 1, "id": 2}"#,
            r#"{"\u0069d": 1}"#,
            r#"{"id": "p1""#,
            r#"{"m": {"rate": 1e400}}"#,
        ];
        for text in accepted {
            let expected = full(text);
            assert!(expected.is_some(), "{text}");
            assert_eq!(scanned(&scanner, text), expected, "{text}");
        }
        for text in refused {
            assert_eq!(scanned(&scanner, text), None, "{text}");
        }
        let nested = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        assert!(scanned(&scanner, &format!(r#"{{"x": {nested}}}"#)).is_none());
    }

    #[test]
    fn slots_name_every_path_once() {
        let scanner = FieldScanner::new(["a.b", "a", "c", "a.b"]);
        assert_eq!(scanner.slots(), 3);
        assert_eq!(scanner.slot("a"), Some(0));
        assert_eq!(scanner.slot("a.b"), Some(1));
        assert_eq!(scanner.slot("c"), Some(2));
        assert_eq!(scanner.slot("b"), None);
        assert_eq!(scanner.slot("a.b.c"), None);
    }
}
