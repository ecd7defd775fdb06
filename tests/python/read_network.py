#!/usr/bin/env python3
"""Reads a MnistTools network file with nothing but the Python 3 standard library.

Usage: read_network.py NETWORK_FILE [INPUTS_FILE]

NETWORK_FILE is a file written by Save-Network (safetensors layout, see docs/persistence.md).
INPUTS_FILE, if given, holds rows of little-endian float32 inputs (pixel / 255), one image (input_shape values) per row;
the script then runs the forward pass itself (Dense, Conv2d, MaxPool2d, Dropout, Flatten) and reports the scores.
Reads format version 2 (input_shape and layers) and version 1 (layer_sizes, activation, output_activation).
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
    assert metadata["format_version"] in ("1", "2"), metadata["format_version"]
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


def layer_list(metadata):
    """[(kind, words)] and the input shape, for either format version."""
    if metadata["format_version"] == "1":
        sizes = [int(v) for v in metadata["layer_sizes"].split(",")]
        layers = [("Dense", [str(n), metadata["activation"]]) for n in sizes[1:-1]]
        layers.append(("Dense", [str(sizes[-1]), metadata["output_activation"]]))
        return [sizes[0]], layers
    shape = [int(v) for v in metadata["input_shape"].split(",")]
    layers = []
    for spec in metadata["layers"].split(", "):
        words = spec.split(" ")
        layers.append((words[0], words[1:]))
    return shape, layers


def activate(name, values):
    if name == "Softmax":
        top = max(values)
        e = [math.exp(v - top) for v in values]
        total = sum(e)
        return [v / total for v in e]
    if name in ACTIVATIONS:
        return [ACTIVATIONS[name](v) for v in values]
    return values


def option(words, key, default):
    for word in words:
        if word.startswith(key + "="):
            return word.split("=", 1)[1]
    return default


def conv2d(a, shape, weights, bias, filters, kernel, stride, padding):
    channels, height, width = shape
    if padding == "same":
        out_h, out_w = -(-height // stride), -(-width // stride)
        top = max((out_h - 1) * stride + kernel - height, 0) // 2
        left = max((out_w - 1) * stride + kernel - width, 0) // 2
    else:
        out_h, out_w = (height - kernel) // stride + 1, (width - kernel) // stride + 1
        top = left = 0
    out = []
    for f in range(filters):
        for oy in range(out_h):
            for ox in range(out_w):
                z = bias[f]
                for c in range(channels):
                    for ky in range(kernel):
                        y = oy * stride + ky - top
                        if y < 0 or y >= height:
                            continue
                        for kx in range(kernel):
                            x = ox * stride + kx - left
                            if 0 <= x < width:
                                z += weights[((f * channels + c) * kernel + ky) * kernel + kx] * a[(c * height + y) * width + x]
                out.append(z)
    return out, [filters, out_h, out_w]


def maxpool2d(a, shape, size, stride):
    channels, height, width = shape
    out_h, out_w = (height - size) // stride + 1, (width - size) // stride + 1
    out = []
    for c in range(channels):
        for oy in range(out_h):
            for ox in range(out_w):
                out.append(max(a[(c * height + oy * stride + ky) * width + ox * stride + kx] for ky in range(size) for kx in range(size)))
    return out, [channels, out_h, out_w]


def forward(metadata, tensors, row):
    shape, layers = layer_list(metadata)
    a = list(row)
    for index, (kind, words) in enumerate(layers):
        if kind == "Dense":
            (outputs, inputs), weights = tensors["layers.%d.weight" % index]
            _, bias = tensors["layers.%d.bias" % index]
            a = [bias[o] + sum(weights[o * inputs + i] * a[i] for i in range(inputs)) for o in range(outputs)]
            shape = [outputs]
            a = activate(words[1] if len(words) > 1 else "None", a)
        elif kind == "Conv2d":
            _, weights = tensors["layers.%d.weight" % index]
            _, bias = tensors["layers.%d.bias" % index]
            plain = [w for w in words[2:] if "=" not in w]
            a, shape = conv2d(a, shape, weights, bias, int(words[0]), int(words[1]), int(option(words, "stride", "1")), option(words, "padding", "valid"))
            a = activate(plain[0] if plain else "None", a)
        elif kind == "MaxPool2d":
            size = int(words[0])
            a, shape = maxpool2d(a, shape, size, int(option(words, "stride", str(size))))
        elif kind == "Flatten":
            shape = [len(a)]
        # Dropout: the identity at inference.
    return a


def main():
    metadata, tensors = read_network(sys.argv[1])
    report = {
        "metadata": metadata,
        "tensors": {name: {"shape": shape, "first": list(values[:3]), "last": values[-1]} for name, (shape, values) in tensors.items()},
    }
    if len(sys.argv) > 2:
        width = 1
        for v in layer_list(metadata)[0]:
            width *= v
        with open(sys.argv[2], "rb") as f:
            raw = f.read()
        rows = len(raw) // (4 * width)
        values = struct.unpack("<%df" % (rows * width), raw)
        report["scores"] = [forward(metadata, tensors, values[r * width:(r + 1) * width]) for r in range(rows)]
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
