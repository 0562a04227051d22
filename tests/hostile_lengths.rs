//! Bounded memory on hostile length prefixes: a value of a few bytes that announces a huge array,
//! map, string, bytes or Protobuf field must be refused without reserving room for what it
//! announces. Measured by a counting global allocator (the largest single allocation made while
//! decoding), not by timings; one test function, so no other test allocates meanwhile.

use eventscope::decode::schema::SchemaSet;
use eventscope::decode::schema::schemaless;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only records the largest request.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The largest single allocation `f` makes.
fn largest_allocation(f: impl FnOnce()) -> usize {
    LARGEST.store(0, Ordering::Relaxed);
    f();
    LARGEST.load(Ordering::Relaxed)
}

/// A zig-zag varint (Avro `long`).
fn long(v: i64) -> Vec<u8> {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    let mut out = Vec::new();
    loop {
        let b = (z & 0x7F) as u8;
        z >>= 7;
        if z == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

const AVRO: &str = r#"{"type":"record","name":"R","fields":[
  {"name":"list","type":{"type":"array","items":"long"}},
  {"name":"nulls","type":{"type":"array","items":"null"}},
  {"name":"attrs","type":{"type":"map","values":"string"}},
  {"name":"s","type":"string"},{"name":"b","type":"bytes"}]}"#;

/// The most a decoder may allocate at once for a hostile value of a few bytes (`rmpv` reads long
/// strings in 64 KiB steps).
const SMALL: usize = 64 << 10;

/// The largest count `apache-avro` accepts (its allocation limit, 16 MiB, set by `AvroSchema`).
const COUNT: i64 = 16 << 20;

fn avro_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let ok_rest = |skip: usize| -> Vec<u8> {
        // The fields after the hostile one, well-formed: empty array, map, string and bytes.
        [vec![0u8], vec![0], vec![0], vec![0], vec![0]][skip..].concat()
    };
    vec![
        ("array count", [long(COUNT), long(1), ok_rest(1)].concat()),
        (
            "negative array count (with block size)",
            [long(-COUNT), long(8), long(1)].concat(),
        ),
        (
            "array of nulls",
            [vec![0], long(i64::MAX), vec![0, 0, 0, 0]].concat(),
        ),
        (
            "map count",
            [vec![0, 0], long(COUNT), long(1), b"k".to_vec()].concat(),
        ),
        (
            "string length",
            [vec![0, 0, 0], long(COUNT), b"abc".to_vec()].concat(),
        ),
        (
            "bytes length",
            [vec![0, 0, 0, 0], long(i64::MAX / 2)].concat(),
        ),
    ]
}

#[test]
fn hostile_length_prefixes_reserve_nothing_they_announce() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("1.avsc"), AVRO).unwrap();
    let set = SchemaSet::load_dir(dir.path()).unwrap();
    let avro = eventscope::decode::schema::avro::AvroSchema::parse(AVRO).unwrap();
    let mut reference_reserved = 0;
    for (what, body) in avro_bodies() {
        let mut result = None;
        let largest = largest_allocation(|| result = Some(set.decode(1, None, &body)));
        assert!(result.unwrap().is_err(), "{what}: hostile body decoded");
        assert!(
            largest <= SMALL,
            "{what}: {largest} bytes allocated at once"
        );
        // The apache-avro Value path reserves a block's count: the allocator sees it.
        reference_reserved =
            reference_reserved.max(largest_allocation(|| _ = avro.decode_via_value(&body)));
    }
    assert!(
        reference_reserved > 100 << 20,
        "the measurement sees a reservation ({reference_reserved} bytes)"
    );

    // Without a schema: MessagePack, CBOR and Protobuf length prefixes.
    let mut cbor_array = vec![0x9b];
    cbor_array.extend([0xff; 8]);
    let mut cbor_bytes = vec![0x81, 0x5b];
    cbor_bytes.extend([0xff; 8]);
    let hostile: [(&str, Vec<u8>); 6] = [
        ("msgpack array", vec![0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]),
        (
            "msgpack map",
            vec![0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, b'k', 0x01],
        ),
        (
            "msgpack string",
            vec![0x91, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x41],
        ),
        ("cbor array", cbor_array),
        ("cbor bytes", cbor_bytes),
        (
            "protobuf length",
            vec![
                0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00,
            ],
        ),
    ];
    for (what, body) in hostile {
        let mut guess = None;
        let largest = largest_allocation(|| guess = Some(schemaless::guess(&body)));
        assert_eq!(guess.unwrap().json, None, "{what}: hostile value decoded");
        assert!(
            largest <= SMALL,
            "{what}: {largest} bytes allocated at once"
        );
    }
}
