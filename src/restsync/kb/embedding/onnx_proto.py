"""Just enough of the ONNX protobuf format to write a model, so building one needs neither the
`onnx` package (30 MB, seconds to import) nor protobuf.

Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto,
TensorProto, ValueInfoProto, TypeProto); proto2 encoding: varints, length-delimited fields,
repeated scalars unpacked.
"""

from __future__ import annotations

import struct
from typing import Sequence

import numpy as np

FLOAT, INT64 = 1, 7  # TensorProto.DataType
_TENSOR_TYPES = {np.dtype(np.float32): FLOAT, np.dtype(np.int64): INT64}
_ATTR_FLOAT, _ATTR_INT, _ATTR_INTS = 1, 2, 7  # AttributeProto.AttributeType


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 values: two's complement, ten bytes
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _int(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(value)


def _bytes(field: int, value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return _key(field, 2) + _varint(len(data)) + data


def tensor(name: str, array: np.ndarray) -> bytes:
    """TensorProto: dims (1), data_type (2), name (8), raw_data (9, little-endian)."""
    array = np.ascontiguousarray(array)
    out = b"".join(_int(1, dim) for dim in array.shape)
    out += _int(2, _TENSOR_TYPES[array.dtype]) + _bytes(8, name)
    return out + _bytes(9, array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())


def node(op_type: str, inputs: Sequence[str], outputs: Sequence[str], **attributes: int | float | Sequence[int]) -> bytes:
    """NodeProto: input (1), output (2), op_type (4), attribute (5)."""
    out = b"".join(_bytes(1, name) for name in inputs) + b"".join(_bytes(2, name) for name in outputs)
    out += _bytes(4, op_type)
    for name, value in attributes.items():
        out += _bytes(5, _attribute(name, value))
    return out


def _attribute(name: str, value: int | float | Sequence[int]) -> bytes:
    """AttributeProto: name (1), f (2), i (3), ints (8), type (20)."""
    if isinstance(value, float):
        return _bytes(1, name) + _key(2, 5) + struct.pack("<f", value) + _int(20, _ATTR_FLOAT)
    if isinstance(value, int):
        return _bytes(1, name) + _int(3, value) + _int(20, _ATTR_INT)
    return _bytes(1, name) + b"".join(_int(8, item) for item in value) + _int(20, _ATTR_INTS)


def value_info(name: str, elem_type: int, dims: Sequence[int | str]) -> bytes:
    """ValueInfoProto: name (1), type (2) -> TypeProto.tensor_type (1) -> elem_type (1), shape (2)
    -> dim (1) -> dim_value (1) or dim_param (2)."""
    shape = b"".join(_bytes(1, _int(1, dim) if isinstance(dim, int) else _bytes(2, dim)) for dim in dims)
    tensor_type = _int(1, elem_type) + _bytes(2, shape)
    return _bytes(1, name) + _bytes(2, _bytes(1, tensor_type))


def model(*, nodes: Sequence[bytes], initializers: Sequence[bytes], inputs: Sequence[bytes],
          outputs: Sequence[bytes], name: str, opset: int, ir_version: int, producer: str) -> bytes:
    """ModelProto: ir_version (1), producer_name (2), graph (7), opset_import (8). GraphProto:
    node (1), name (2), initializer (5), input (11), output (12)."""
    graph = b"".join(_bytes(1, item) for item in nodes) + _bytes(2, name)
    graph += b"".join(_bytes(5, item) for item in initializers)
    graph += b"".join(_bytes(11, item) for item in inputs) + b"".join(_bytes(12, item) for item in outputs)
    opset_import = _bytes(1, "") + _int(2, opset)
    return _int(1, ir_version) + _bytes(2, producer) + _bytes(7, graph) + _bytes(8, opset_import)
