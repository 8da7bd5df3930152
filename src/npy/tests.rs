//! Round trips, numpy's own files, and malformed input.
use super::*;
use std::io::Cursor;

const FIELDS: [Field; 3] = [
    Field {
        name: "population",
        ty: FieldType::U32,
    },
    Field {
        name: "neuron",
        ty: FieldType::U32,
    },
    Field {
        name: "time",
        ty: FieldType::F64,
    },
];

fn write_with(out: Cursor<Vec<u8>>, fields: &[Field], rows: &[Vec<f64>]) -> Vec<u8> {
    let mut w = NpyWriter::new(out, fields).unwrap();
    for r in rows {
        w.write_row(r).unwrap();
    }
    assert_eq!(w.rows(), rows.len() as u64);
    w.finish().unwrap().into_inner()
}

fn write(rows: &[Vec<f64>]) -> Vec<u8> {
    write_with(Cursor::new(Vec::new()), &FIELDS, rows)
}

fn header_len(bytes: &[u8]) -> usize {
    10 + usize::from(u16::from_le_bytes([bytes[8], bytes[9]]))
}

fn bits(xs: &[f64]) -> Vec<u64> {
    xs.iter().map(|x| x.to_bits()).collect()
}

/// A file of version `v`.0 with header text `dict` (plus '\n') followed by `data`.
fn craft(v: u8, dict: &str, data: &[u8]) -> Vec<u8> {
    let len = u32::try_from(dict.len() + 1).unwrap().to_le_bytes();
    let len = if v == 1 { &len[..2] } else { &len[..] };
    [&MAGIC[..], &[v, 0], len, dict.as_bytes(), b"\n", data].concat()
}

#[test]
fn round_trip_is_bit_exact() {
    let nan = f64::from_bits(0x7ff8_dead_beef_0001);
    let times = [
        0.5,
        -0.0,
        f64::from_bits(1),
        1e308,
        f64::MIN_POSITIVE / 3.0,
        nan,
    ];
    let rows: Vec<Vec<f64>> = (0..6).map(|i| vec![i as f64, 7.0, times[i]]).collect();
    let mut rows = rows;
    rows[5][0] = f64::from(u32::MAX);
    let t = read(&write(&rows)).unwrap();
    let names: Vec<_> = FIELDS.iter().map(|f| (f.name.to_owned(), f.ty)).collect();
    assert_eq!((t.rows, &t.fields, t.columns.len()), (6, &names, 3));
    assert_eq!(
        t.u32_column("population").unwrap(),
        [0, 1, 2, 3, 4, u32::MAX]
    );
    assert_eq!(t.u32_column("neuron").unwrap(), [7; 6]);
    assert_eq!(bits(t.f64_column("time").unwrap()), bits(&times));
    assert!(t.u32_column("time").is_none() && t.f64_column("neuron").is_none());
    assert!(t.f64_column("absent").is_none());
}

#[test]
fn zero_rows_and_bad_arguments() {
    let bytes = write(&[]);
    assert_eq!(bytes.len(), header_len(&bytes));
    let t = read(&bytes).unwrap();
    assert_eq!((t.rows, t.u32_column("neuron").unwrap()), (0, &[][..]));
    let mut w = NpyWriter::new(Cursor::new(Vec::new()), &FIELDS).unwrap();
    let e = w.write_row(&[1.0, 2.0]).unwrap_err();
    assert_eq!((e.kind(), w.rows()), (io::ErrorKind::InvalidInput, 0));
    let quote = Field {
        name: "it's",
        ty: FieldType::U32,
    };
    for bad in [&[][..], &[FIELDS[0], FIELDS[0]], &[quote]] {
        let e = NpyWriter::new(Cursor::new(Vec::new()), bad).err().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }
}

#[test]
fn million_rows_fix_the_header_in_place() {
    let mut w = NpyWriter::new(Cursor::new(Vec::new()), &FIELDS).unwrap();
    let before = w.w.get_ref().len();
    for i in 0..1_000_000u32 {
        w.write_row(&[1.0, f64::from(i), f64::from(i) * 1e-4])
            .unwrap();
    }
    let bytes = w.finish().unwrap().into_inner();
    assert_eq!(
        (header_len(&bytes), bytes.len()),
        (before, before + 16_000_000)
    );
    let text = std::str::from_utf8(&bytes[10..before]).unwrap();
    assert!(text.contains("'shape': (1000000,), }"), "{text}");
    let t = read(&bytes).unwrap();
    assert_eq!(
        (t.rows, t.u32_column("neuron").unwrap()[999_999]),
        (1_000_000, 999_999)
    );
}

#[test]
fn header_is_aligned_and_ends_with_newline() {
    let name = "a_long_field_name_that_pushes_the_header_past_another_64_byte_line";
    let long = Field {
        name,
        ty: FieldType::F64,
    };
    for fields in [&FIELDS[..], &FIELDS[2..], &[FIELDS[0], long, FIELDS[2]]] {
        for n in [0, 3] {
            // Start after unrelated bytes: the header is rewritten where it began.
            let mut out = Cursor::new(b"xyz".to_vec());
            out.set_position(3);
            let bytes = write_with(out, fields, &vec![vec![2.0; fields.len()]; n]);
            let (prefix, npy) = bytes.split_at(3);
            let len = header_len(npy);
            assert_eq!((prefix, len % 64, npy[len - 1]), (&b"xyz"[..], 0, b'\n'));
            let text = std::str::from_utf8(&npy[10..len]).unwrap();
            assert!(text.trim_end().ends_with(&format!("'shape': ({n},), }}")));
            assert_eq!(read(npy).unwrap().rows, n);
        }
    }
}

#[test]
fn reads_numpy_files_and_other_versions() {
    // `np.save` (numpy 2.3.5) of np.array([(1, 7, 0.5), (4294967295, 0, -0.0)],
    // dtype=[('population','<u4'),('neuron','<u4'),('time','<f8')]).
    let mut f = b"\x93NUMPY\x01\x00\xb6\x00{'descr': [('population', '<u4'), ('neuron', '<u4'), ('time', '<f8')], 'fortran_order': False, 'shape': (2,), }".to_vec();
    f.resize(191, b' ');
    f.push(b'\n');
    f.extend(b"\x01\0\0\0\x07\0\0\0\0\0\0\0\0\0\xe0?\xff\xff\xff\xff\0\0\0\0\0\0\0\0\0\0\0\x80");
    let t = read(&f).unwrap();
    assert_eq!(t.u32_column("population").unwrap(), [1, u32::MAX]);
    assert_eq!(t.u32_column("neuron").unwrap(), [7, 0]);
    assert_eq!(bits(t.f64_column("time").unwrap()), bits(&[0.5, -0.0]));
    // Key order, quotes and spacing are free; versions 2.0 and 3.0 only widen the length.
    let dict = "{'shape':(1,),\"fortran_order\" : False,'descr':[(\"x\",'<f8')]}";
    for v in [1, 2, 3] {
        let t = read(&craft(v, dict, &[0; 8])).unwrap();
        assert_eq!(t.f64_column("x"), Some(&[0.0][..]));
    }
}

#[test]
fn malformed_inputs_are_errors() {
    let good = write(&[vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]);
    for n in 0..good.len() {
        assert!(read(&good[..n]).is_err(), "truncated to {n} bytes");
    }
    let patch = |at: usize, with: &[u8]| {
        let mut b = good.clone();
        b[at..at + with.len()].copy_from_slice(with);
        b
    };
    let huge_v2 = [&craft(2, "", &[])[..8], &[0xff; 4], b"{}"].concat();
    let fo = "'fortran_order': False";
    let d = "'descr': [('population', '<u4'), ('neuron', '<u4'), ('time', '<f8')]";
    let bad_header = [
        (
            format!("{{'descr': [('a', '<i8')], {fo}, 'shape': (1,)}}"),
            "unsupported type",
        ),
        (
            format!("{{'descr': [('a', '>u4')], {fo}, 'shape': (1,)}}"),
            "unsupported type",
        ),
        (
            format!("{{'descr': [('a', '|u4')], {fo}, 'shape': (1,)}}"),
            "unsupported type",
        ),
        (
            format!("{{'descr': '<u4', {fo}, 'shape': (1,)}}"),
            "not a list",
        ),
        (
            format!("{{'descr': [('a', '<u4', (4,))], {fo}, 'shape': (1,)}}"),
            "pair",
        ),
        (
            format!("{{'descr': [('a', '<u4'), ('a', '<u4')], {fo}, 'shape': (1,)}}"),
            "repeated",
        ),
        (format!("{{'descr': [], {fo}, 'shape': (1,)}}"), "no fields"),
        (format!("{{{d}, {fo}, 'shape': (1, 1)}}"), "1-D"),
        (format!("{{{d}, {fo}, 'shape': (1)}}"), "1-D"),
        (format!("{{{d}, {fo}, 'shape': ()}}"), "1-D"),
        (
            format!("{{{d}, 'fortran_order': True, 'shape': (1,)}}"),
            "fortran_order True",
        ),
        (format!("{{{d}, 'shape': (1,)}}"), "lacks 'fortran_order'"),
        (format!("{{{d}, {fo}}}"), "lacks 'shape'"),
        (
            format!("{{{d}, {fo}, 'shape': (1,), 'shape': (1,)}}"),
            "repeated",
        ),
        (
            format!("{{{d}, {fo}, 'shape': (1,), 'extra': 1}}"),
            "unexpected header key",
        ),
        (
            format!("{{{d}, {fo}, 'shape': (1,)}} x"),
            "after the dictionary",
        ),
        (
            format!("{{{d}, {fo}, 'shape': (18446744073709551615,)}}"),
            "do not match",
        ),
        (
            format!("{{{d}, {fo}, 'shape': (18446744073709551616,)}}"),
            "64 bits",
        ),
        (format!("{{{d}, {fo}, 'shape': (1,)}}"), "do not match"), // 16 bytes expected, 15 given
        ("[".repeat(60_000), "expected '{'"),
    ];
    let cases = [
        (patch(0, b"\x93NUMPZ"), "magic"),
        (patch(6, &[4]), "version"),
        (patch(7, &[1]), "version"),
        (patch(8, &u16::MAX.to_le_bytes()), "exceeds the file"),
        (huge_v2, "exceeds the file"),
        ([&good[..], &[0]].concat(), "do not match"),
    ];
    let crafted = bad_header
        .into_iter()
        .map(|(h, want)| (craft(1, &h, &[0; 15]), want));
    for (bytes, want) in cases.into_iter().chain(crafted) {
        let e = read(&bytes).unwrap_err();
        assert!(e.contains(want), "{e:?} should mention {want:?}");
    }
}

#[test]
fn byte_flips_and_deletions_never_panic() {
    let good = write(&[vec![1.0, 2.0, 3.5]]);
    for i in 0..good.len() {
        let c = good[i];
        for v in [
            0,
            0xff,
            b' ',
            b'(',
            b')',
            b',',
            b'\'',
            b'[',
            b'0',
            b'9',
            c ^ 1,
            c ^ 0x80,
        ] {
            let mut b = good.clone();
            b[i] = v;
            let _ = read(&b);
        }
        let _ = read(&[&good[..i], &good[i + 1..]].concat());
    }
}
