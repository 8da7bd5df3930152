//! NumPy `.npy` output for 1-D structured arrays of packed little-endian `u32` / `f64` fields.
//!
//! The writer streams rows and fixes the shape when finished; the reader accepts only what the
//! writer can produce (plus equivalent files written by numpy) and never panics on bad input.
//! Format reference: <https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html>.

use std::collections::HashSet;
use std::io::{self, Seek, SeekFrom, Write};

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// Header total length (magic through `'\n'`) is padded to a multiple of this.
const ALIGN: usize = 64;

/// Element type of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// Little-endian unsigned 32-bit integer, numpy `'<u4'`.
    U32,
    /// Little-endian IEEE 754 double, numpy `'<f8'`.
    F64,
}

impl FieldType {
    fn descr(self) -> &'static str {
        match self {
            FieldType::U32 => "<u4",
            FieldType::F64 => "<f8",
        }
    }
    fn size(self) -> usize {
        match self {
            FieldType::U32 => 4,
            FieldType::F64 => 8,
        }
    }
}

/// One named field of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// Field name: non-empty printable ASCII without `'` or `\`, unique within a record.
    pub name: &'static str,
    /// Element type of the field.
    pub ty: FieldType,
}

/// Streams rows of a structured array to `w`. The header is written first with a shape
/// placeholder padded so the final row count always fits; `finish` seeks back and rewrites it
/// (same total header length, so data does not move). The header's total length is a multiple
/// of 64 bytes. Wrap files in a `BufWriter`: each row is one `write_all`. If the writer is
/// dropped without `finish`, the file claims zero rows.
pub struct NpyWriter<W: Write + Seek> {
    w: W,
    fields: Vec<Field>,
    start: u64,
    header_len: usize,
    rows: u64,
    buf: Vec<u8>,
}

impl<W: Write + Seek> NpyWriter<W> {
    /// Writes the header (at the writer's current position) and returns a writer for the rows.
    /// Fails with `InvalidInput` if `fields` is empty, a name is unusable or repeated.
    pub fn new(mut w: W, fields: &[Field]) -> io::Result<Self> {
        check_fields(fields)?;
        let start = w.stream_position()?;
        // Room for the longest possible row count, so `finish` never moves the data.
        let header_len = round_up(10 + header_dict(fields, u64::MAX).len() + 1);
        w.write_all(&encode_header(fields, 0, header_len)?)?;
        let buf = Vec::with_capacity(fields.iter().map(|f| f.ty.size()).sum());
        Ok(Self {
            w,
            fields: fields.to_vec(),
            start,
            header_len,
            rows: 0,
            buf,
        })
    }

    /// Appends one row; `values` as f64 per field in field order, U32 fields converted with
    /// `as u32` (callers pass exact integers). Returns an io error (InvalidInput) if
    /// `values.len() != fields.len()`.
    pub fn write_row(&mut self, values: &[f64]) -> io::Result<()> {
        if values.len() != self.fields.len() {
            let (got, want) = (values.len(), self.fields.len());
            return Err(invalid(format!("row has {got} values, expected {want}")));
        }
        self.buf.clear();
        for (field, &v) in self.fields.iter().zip(values) {
            match field.ty {
                FieldType::U32 => self.buf.extend_from_slice(&(v as u32).to_le_bytes()),
                FieldType::F64 => self.buf.extend_from_slice(&v.to_le_bytes()),
            }
        }
        self.w.write_all(&self.buf)?;
        self.rows += 1;
        Ok(())
    }

    /// Number of rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Rewrites the header with the final shape, flushes, returns the inner writer
    /// (positioned at the end of the data).
    pub fn finish(mut self) -> io::Result<W> {
        let end = self.w.stream_position()?;
        let header = encode_header(&self.fields, self.rows, self.header_len)?;
        self.w.seek(SeekFrom::Start(self.start))?;
        self.w.write_all(&header)?;
        self.w.seek(SeekFrom::Start(end))?;
        self.w.flush()?;
        Ok(self.w)
    }
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.into())
}

fn check_fields(fields: &[Field]) -> io::Result<()> {
    if fields.is_empty() {
        return Err(invalid("a structured array needs at least one field"));
    }
    for (i, f) in fields.iter().enumerate() {
        let ok = |c: char| c == ' ' || (c.is_ascii_graphic() && c != '\'' && c != '\\');
        if f.name.is_empty() || !f.name.chars().all(ok) {
            return Err(invalid(format!("unusable field name {:?}", f.name)));
        }
        if fields.iter().take(i).any(|g| g.name == f.name) {
            return Err(invalid(format!("duplicate field name {:?}", f.name)));
        }
    }
    Ok(())
}

fn round_up(n: usize) -> usize {
    n.div_ceil(ALIGN) * ALIGN
}

/// The header dictionary in numpy's own layout, without padding.
fn header_dict(fields: &[Field], rows: u64) -> String {
    let descr: Vec<String> = fields
        .iter()
        .map(|f| format!("('{}', '{}')", f.name, f.ty.descr()))
        .collect();
    let descr = descr.join(", ");
    format!("{{'descr': [{descr}], 'fortran_order': False, 'shape': ({rows},), }}")
}

/// Magic, version, length and dictionary padded with spaces and `'\n'` to `total` bytes.
fn encode_header(fields: &[Field], rows: u64, total: usize) -> io::Result<Vec<u8>> {
    let dict = header_dict(fields, rows);
    let mut out = Vec::with_capacity(total);
    let len = u16::try_from(total - 10).map_err(|_| invalid("field names too long for v1.0"))?;
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    if out.len() >= total {
        return Err(invalid("header does not fit its reserved length"));
    }
    out.resize(total - 1, b' ');
    out.push(b'\n');
    Ok(out)
}

/// A whole structured array read back: field names/types and one column per field.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Field names and types, in record order.
    pub fields: Vec<(String, FieldType)>,
    /// One column per field, in the same order as `fields`.
    pub columns: Vec<Column>,
    /// Number of rows (the length of every column).
    pub rows: usize,
}

/// The values of one field for every row.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// Values of a `'<u4'` field.
    U32(Vec<u32>),
    /// Values of a `'<f8'` field.
    F64(Vec<f64>),
}

impl Table {
    fn column(&self, name: &str) -> Option<&Column> {
        let i = self.fields.iter().position(|(n, _)| n == name)?;
        self.columns.get(i)
    }

    /// The column of the `u32` field `name`, or `None` if absent or of another type.
    pub fn u32_column(&self, name: &str) -> Option<&[u32]> {
        match self.column(name)? {
            Column::U32(v) => Some(v),
            Column::F64(_) => None,
        }
    }

    /// The column of the `f64` field `name`, or `None` if absent or of another type.
    pub fn f64_column(&self, name: &str) -> Option<&[f64]> {
        match self.column(name)? {
            Column::F64(v) => Some(v),
            Column::U32(_) => None,
        }
    }
}

/// Parses a .npy file's bytes. Accepts version 1.0/2.0/3.0 headers, a 1-D shape `(n,)`,
/// `fortran_order: False`, and a descr that is a list of `('name', '<u4')` / `('name', '<f8')`
/// tuples. Any other content, truncation, a data length that does not match, absurd sizes:
/// an `Err(String)` with a clear message, never a panic. Work and memory are linear in the input
/// size: columns are allocated only after the data length has been checked against the shape.
pub fn read(bytes: &[u8]) -> Result<Table, String> {
    if bytes.get(..6) != Some(MAGIC.as_slice()) {
        return Err("not a .npy file (bad magic)".into());
    }
    let version: [u8; 2] = bytes
        .get(6..8)
        .and_then(|v| v.try_into().ok())
        .ok_or("truncated")?;
    let (len, start) = match version {
        [1, 0] => (bytes.get(8..10).map(le_u32), 10),
        [2 | 3, 0] => (bytes.get(8..12).map(le_u32), 12),
        [major, minor] => return Err(format!("unsupported .npy version {major}.{minor}")),
    };
    let len = len.ok_or("file truncated in the header length")?;
    let end = usize::try_from(len).ok().and_then(|l| l.checked_add(start));
    let raw = end.and_then(|e| bytes.get(start..e));
    let (Some(end), Some(raw)) = (end, raw) else {
        return Err(format!("header length {len} exceeds the file"));
    };
    let text: String = if version == [3, 0] {
        let utf8 = std::str::from_utf8(raw);
        utf8.map_err(|_| "header is not UTF-8")?.to_owned()
    } else {
        raw.iter().map(|&b| char::from(b)).collect() // latin-1
    };
    let (fields, rows) = parse_header(&text)?;
    let data = bytes.get(end..).unwrap_or_default();
    let row_size: usize = fields.iter().map(|(_, t)| t.size()).sum();
    let expected = usize::try_from(rows)
        .ok()
        .and_then(|r| r.checked_mul(row_size));
    if expected != Some(data.len()) {
        let have = data.len();
        return Err(format!(
            "{rows} rows of {row_size} bytes do not match {have} data bytes"
        ));
    }
    let rows = data.len() / row_size.max(1);
    let mut columns: Vec<Column> = fields
        .iter()
        .map(|(_, t)| match t {
            FieldType::U32 => Column::U32(Vec::with_capacity(rows)),
            FieldType::F64 => Column::F64(Vec::with_capacity(rows)),
        })
        .collect();
    for row in data.chunks_exact(row_size.max(1)) {
        let mut rest = row;
        for col in columns.iter_mut() {
            match col {
                Column::U32(v) => v.push(u32::from_le_bytes(take(&mut rest))),
                Column::F64(v) => v.push(f64::from_le_bytes(take(&mut rest))),
            }
        }
    }
    Ok(Table {
        fields,
        columns,
        rows,
    })
}

/// Little-endian unsigned integer from (at most 4) bytes.
fn le_u32(b: &[u8]) -> u32 {
    b.iter().rev().fold(0, |acc, &x| acc << 8 | u32::from(x))
}

/// Splits the first `N` bytes off `rest` (zeros if short, which the length check rules out).
fn take<const N: usize>(rest: &mut &[u8]) -> [u8; N] {
    let (head, tail) = rest
        .split_first_chunk()
        .map_or(([0; N], &[][..]), |(h, t)| (*h, t));
    *rest = tail;
    head
}

type Fields = Vec<(String, FieldType)>;

/// Parses the header dictionary (keys in any order, each exactly once) into fields and rows.
fn parse_header(text: &str) -> Result<(Fields, u64), String> {
    let mut p = Parser {
        s: text.as_bytes(),
        pos: 0,
    };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    p.seq(b'{', b'}', |p| {
        let key = p.string()?;
        p.expect(b':')?;
        let fresh = match key.as_str() {
            "descr" => descr.replace(p.descr()?).is_none(),
            "fortran_order" => fortran.replace(p.boolean()?).is_none(),
            "shape" => shape.replace(p.shape()?).is_none(),
            _ => return Err(format!("unexpected header key {key:?}")),
        };
        fresh
            .then_some(())
            .ok_or(format!("repeated header key {key:?}"))
    })?;
    p.ws();
    if p.pos != p.s.len() {
        return p.err("unexpected text after the dictionary");
    }
    match fortran {
        Some(false) => {}
        Some(true) => return Err("fortran_order True is not supported".into()),
        None => return Err("header lacks 'fortran_order'".into()),
    }
    let fields = descr.ok_or("header lacks 'descr'")?;
    Ok((fields, shape.ok_or("header lacks 'shape'")?))
}

/// Cursor over the header text. Nesting depth is fixed by the grammar, never by the input.
struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        let hit = self.peek() == Some(c);
        self.pos += usize::from(hit);
        hit
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            return Ok(());
        }
        self.err(&format!("expected '{}'", char::from(c)))
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("malformed header at byte {}: {what}", self.pos))
    }

    /// `open item, item, ... close` with an optional trailing comma; returns whether it had one.
    fn seq(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<bool, String> {
        self.expect(open)?;
        let (mut n, mut comma) = (0, false);
        while !self.eat(close) {
            if n > 0 && !comma {
                return self.err(&format!("expected ',' or '{}'", char::from(close)));
            }
            item(self)?;
            n += 1;
            comma = self.eat(b',');
        }
        Ok(comma)
    }

    fn string(&mut self) -> Result<String, String> {
        self.ws();
        let quote = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return self.err("expected a string"),
        };
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let c = self.peek();
            self.pos += 1;
            match c {
                None => return self.err("unterminated string"),
                Some(c) if c == quote => break,
                Some(b'\\') => return self.err("string escapes are not supported"),
                Some(c) => out.push(c),
            }
        }
        String::from_utf8(out).or_else(|_| self.err("string is not UTF-8"))
    }

    fn boolean(&mut self) -> Result<bool, String> {
        self.ws();
        let rest = self.s.get(self.pos..).unwrap_or_default();
        for (word, value) in [("True", true), ("False", false)] {
            if rest.starts_with(word.as_bytes()) {
                self.pos += word.len();
                return Ok(value);
            }
        }
        self.err("expected True or False")
    }

    fn shape(&mut self) -> Result<u64, String> {
        let mut dims = Vec::new();
        let comma = self.seq(b'(', b')', |p| {
            p.ws();
            let start = p.pos;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            let digits = std::str::from_utf8(p.s.get(start..p.pos).unwrap_or_default());
            let dim = digits.ok().and_then(|d| d.parse::<u64>().ok());
            dims.push(dim.map_or_else(|| p.err("expected a dimension that fits in 64 bits"), Ok)?);
            Ok(())
        })?;
        match (dims.as_slice(), comma) {
            ([rows], true) => Ok(*rows),
            _ => Err(format!("shape {dims:?} is not 1-D")),
        }
    }

    fn descr(&mut self) -> Result<Fields, String> {
        self.ws();
        if self.peek() != Some(b'[') {
            return self.err("descr is not a list of fields (not a structured array)");
        }
        let (mut fields, mut seen): (Fields, HashSet<String>) = Default::default();
        self.seq(b'[', b']', |p| {
            let mut parts = Vec::new();
            let pair = "a field must be a ('name', 'type') pair";
            p.seq(b'(', b')', |p| {
                parts.push(p.string().or_else(|_| p.err(pair))?);
                Ok(())
            })?;
            let Ok([name, ty]) = <[String; 2]>::try_from(parts) else {
                return p.err(pair);
            };
            let ty = match ty.as_str() {
                "<u4" => FieldType::U32,
                "<f8" => FieldType::F64,
                _ => return Err(format!("field {name:?} has unsupported type {ty:?}")),
            };
            if name.is_empty() || !seen.insert(name.clone()) {
                return Err(format!("empty or repeated field name {name:?}"));
            }
            fields.push((name, ty));
            Ok(())
        })?;
        if fields.is_empty() {
            return Err("descr has no fields".into());
        }
        Ok(fields)
    }
}
#[cfg(test)]
mod tests;
