//! Protobuf bodies of the Confluent wire format, decoded with the `prost-reflect` crate from a
//! `FileDescriptorSet` (`.desc`, as `protoc --include_imports --descriptor_set_out` writes it: the
//! dependencies first, the schema's own file last) and rendered in the canonical proto3 JSON
//! mapping (<https://protobuf.dev/programming-guides/json/>: lowerCamelCase names, 64-bit
//! integers as strings, enums by name).
//!
//! After the 5-byte header the body starts with the message indexes
//! (<https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format>):
//! a zig-zag varint count, then that many zig-zag varint indexes, the path to the message type
//! (first index: a top-level message of the file, then nested messages); a count of 0 stands for
//! the path `[0]`, the file's first message.

use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};

#[derive(Debug)]
pub struct ProtoSchema {
    pool: DescriptorPool,
    /// Index of the schema's own file in the pool (the set's last file).
    file: usize,
}

/// Longest message-index path accepted (a hostile count must not allocate).
const MAX_DEPTH: u64 = 64;

fn varint(buf: &mut &[u8]) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = buf.split_first().ok_or("message indexes cut short")?;
        *buf = rest;
        v |= u64::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("message index varint too long".into())
}

fn zigzag(buf: &mut &[u8]) -> Result<i64, String> {
    let v = varint(buf)?;
    Ok((v >> 1) as i64 ^ -((v & 1) as i64))
}

impl ProtoSchema {
    pub fn parse(bytes: &[u8]) -> Result<ProtoSchema, String> {
        let pool = DescriptorPool::decode(bytes).map_err(|e| e.to_string())?;
        let file = pool
            .files()
            .len()
            .checked_sub(1)
            .ok_or("the FileDescriptorSet has no file")?;
        Ok(ProtoSchema { pool, file })
    }

    fn message(&self, path: &[usize]) -> Option<MessageDescriptor> {
        let file = self.pool.files().nth(self.file)?;
        let (first, rest) = path.split_first()?;
        let mut m = file.messages().nth(*first)?;
        for i in rest {
            let child = m.child_messages().nth(*i)?;
            m = child;
        }
        Some(m)
    }

    /// Reads the message indexes, decodes the message: (JSON text, message full name).
    pub fn decode(&self, body: &[u8]) -> Result<(String, String), String> {
        let (path, buf) = read_indexes(body)?;
        let desc = self
            .message(&path)
            .ok_or_else(|| format!("no message at index path {path:?}"))?;
        let name = desc.full_name().to_string();
        let msg = DynamicMessage::decode(desc, buf).map_err(|e| e.to_string())?;
        let json = serde_json::to_string(&msg).map_err(|e| e.to_string())?;
        Ok((json, name))
    }
}

/// The message-index path at the start of a body, and the message after it.
fn read_indexes(body: &[u8]) -> Result<(Vec<usize>, &[u8]), String> {
    let mut buf = body;
    let count = zigzag(&mut buf)?;
    let path: Vec<usize> = if count == 0 {
        vec![0]
    } else {
        let count = u64::try_from(count)
            .ok()
            .filter(|c| *c <= MAX_DEPTH)
            .ok_or_else(|| format!("bad message index count {count}"))?;
        (0..count)
            .map(|_| zigzag(&mut buf).map(|i| usize::try_from(i).unwrap_or(usize::MAX)))
            .collect::<Result<_, _>>()?
    };
    Ok((path, buf))
}

/// [`read_indexes`] for a body with no schema: `None` unless every index is a plausible one.
pub(super) fn message_indexes(body: &[u8]) -> Option<(Vec<usize>, &[u8])> {
    read_indexes(body)
        .ok()
        .filter(|(path, _)| path.iter().all(|i| *i < 1 << 16))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_indexes_are_zigzag_varints() {
        let mut b: &[u8] = &[0x04, 0x02, 0x06, 0xAA];
        assert_eq!(zigzag(&mut b), Ok(2));
        assert_eq!(zigzag(&mut b), Ok(1));
        assert_eq!(zigzag(&mut b), Ok(3));
        assert!(zigzag(&mut b).is_err());
        let mut b: &[u8] = &[0x03];
        assert_eq!(zigzag(&mut b), Ok(-2));
    }
}
