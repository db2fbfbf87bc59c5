"""Record ids: one deterministic UUID per (job, entity, ordinal), minted a whole range at a time.

The scheme is part of the data (published records keep their ids, a retried job must mint
the same ones), so it may never depend on a platform or a library version. It uses only
SHAKE-128 (FIPS 202, built into every CPython's hashlib) and fixed byte orders:

- Ordinals are grouped in blocks of BLOCK (1,024): ordinal i is entry i mod BLOCK of block
  i // BLOCK.
- A block's bytes are the first 16 * BLOCK bytes SHAKE-128 outputs for DOMAIN
  (b"demogen record id\\x00") + the job id's 16 bytes + the entity name in UTF-8 + b"\\x00"
  + the block number as 8 bytes big-endian.
- Entry k takes bytes 16k .. 16k + 15 of its block. The id is those 16 bytes as a UUID of
  version 8 (RFC 9562's custom layout) with the RFC 4122 variant: the high nibble of byte 6
  becomes 8 and the top two bits of byte 8 become 10. The rest are 122 pseudo-random bits,
  so distinct ids clash only with the odds of random UUIDs.

One SHAKE call per 1,024 ids replaces the SHA-1 per id that uuid5 costs. Changing anything
above changes every id: tests/generators/test_generators_ids.py pins some.
"""

from __future__ import annotations

import binascii
import hashlib
import uuid

import polars as pl

BLOCK = 1024
DOMAIN = b"demogen record id\x00"
_WIDTH = 36  # characters of the canonical 8-4-4-4-12 form
_VERSION_8 = bytes((b & 0x0F) | 0x80 for b in range(256))
_RFC_VARIANT = bytes((b & 0x3F) | 0x80 for b in range(256))
# Hex digits in groups of four, each group followed by ":", make 40 characters per id; the
# canonical form has a "-" after the second to fifth groups and nothing after the others.
_GROUPED = 40
_DASHES = (9, 14, 19, 24)


def _canonical(raw: bytes, n: int) -> bytes:
    """The canonical text of n 16-byte ids, 36 characters each, in a few passes of C code:
    grouped hex digits, the four dashes written in, the other separators dropped."""
    text = bytearray(binascii.b2a_hex(raw, b":", 2))
    text += b":"
    for position in _DASHES:
        text[position::_GROUPED] = b"-" * n
    return text.translate(None, b":")


def id_range(job_id: uuid.UUID, entity: str, start: int, n: int) -> pl.Series:
    """Canonical strings of the ids of `entity` ordinals start .. start + n - 1 in job `job_id`."""
    if start < 0 or n < 0:
        raise ValueError(f"ordinals start at 0: got start {start}, count {n}")
    keyed = hashlib.shake_128(DOMAIN + job_id.bytes + entity.encode() + b"\x00")
    pieces = []
    for block in range(start // BLOCK, (start + n - 1) // BLOCK + 1 if n else 0):
        lo = max(start, block * BLOCK) - block * BLOCK
        hi = min(start + n, (block + 1) * BLOCK) - block * BLOCK
        stream = keyed.copy()
        stream.update(block.to_bytes(8, "big"))
        raw = bytearray(stream.digest(16 * hi)[16 * lo :])
        raw[6::16] = raw[6::16].translate(_VERSION_8)
        raw[8::16] = raw[8::16].translate(_RFC_VARIANT)
        pieces.append(_canonical(raw, hi - lo))
    import pyarrow as pa  # deferred: importing pyarrow (~0.1 s) is for commands that generate records

    text = pa.py_buffer(b"".join(pieces))
    return pl.Series("id", pa.Array.from_buffers(pa.binary(_WIDTH), n, [None, text])).cast(pl.String)


class IdMinter:
    """Each entity's ids for one batch, minted on first use: ordinals start..start+count-1."""

    def __init__(self, job_id: str, counts: dict[str, int], starts: dict[str, int]) -> None:
        self._job = uuid.UUID(job_id)
        self._counts = counts
        self._starts = starts
        self._minted: dict[str, pl.Series] = {}

    def ids(self, entity: str) -> pl.Series:
        if entity not in self._minted:
            start = self._starts.get(entity, 0)
            self._minted[entity] = id_range(self._job, entity, start, self._counts[entity])
        return self._minted[entity]
