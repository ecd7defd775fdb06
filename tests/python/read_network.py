#!/usr/bin/env python3
"""Reads a MnistTools network file with nothing but the Python 3 standard library.

Usage: read_network.py NETWORK_FILE [INPUTS_FILE]

NETWORK_FILE is a file written by Save-Network (safetensors layout, see docs/persistence.md).
INPUTS_FILE, if given, holds rows of little-endian float32 inputs (pixel / 255), layer_sizes[0] per row;
the script then runs the forward pass itself and reports the scores.
Prints one JSON object: the metadata, every tensor's shape with its first values, and the scores.
"""
import json
import math
import struct
import sys


def read_network(path):
    with open(path, "rb") as f:
        blob = f.read()
    (header_length,) = struct.unpack_from("<Q", blob, 0)
    header = json.loads(blob[8:8 + header_length].decode("utf-8"))
    data = blob[8 + header_length:]
    metadata = header.pop("__metadata__")
    assert metadata["format"] == "mnisttools.network", metadata["format"]
    assert metadata["format_version"] == "1", metadata["format_version"]
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", entry["dtype"]
        begin, end = entry["data_offsets"]
        count = (end - begin) // 4
        expected = 1
        for dim in entry["shape"]:
            expected *= dim
        assert count == expected, (name, count, expected)
        tensors[name] = (entry["shape"], struct.unpack_from("<%df" % count, data, begin))
    return metadata, tensors


ACTIVATIONS = {
    "Sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z)),
    "ReLU": lambda z: z if z > 0 else 0.0,
    "Tanh": math.tanh,
    "LeakyReLU": lambda z: z if z > 0 else 0.01 * z,
}


def forward(metadata, tensors, row):
    sizes = [int(s) for s in metadata["layer_sizes"].split(",")]
    a = list(row)
    for layer in range(len(sizes) - 1):
        (outputs, inputs), weights = tensors["layers.%d.weight" % layer]
        _, bias = tensors["layers.%d.bias" % layer]
        z = [bias[o] + sum(weights[o * inputs + i] * a[i] for i in range(inputs)) for o in range(outputs)]
        if layer < len(sizes) - 2:
            a = [ACTIVATIONS[metadata["activation"]](v) for v in z]
        elif metadata["output_activation"] == "Softmax":
            top = max(z)
            e = [math.exp(v - top) for v in z]
            a = [v / sum(e) for v in e]
        else:
            a = [ACTIVATIONS["Sigmoid"](v) for v in z]
    return a


def main():
    metadata, tensors = read_network(sys.argv[1])
    report = {
        "metadata": metadata,
        "tensors": {name: {"shape": shape, "first": list(values[:3]), "last": values[-1]} for name, (shape, values) in tensors.items()},
    }
    if len(sys.argv) > 2:
        width = int(metadata["layer_sizes"].split(",")[0])
        with open(sys.argv[2], "rb") as f:
            raw = f.read()
        rows = len(raw) // (4 * width)
        values = struct.unpack("<%df" % (rows * width), raw)
        report["scores"] = [forward(metadata, tensors, values[r * width:(r + 1) * width]) for r in range(rows)]
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
