#!/usr/bin/env python3
"""One-layer ONNX models for timing single convolution shapes with `vigil bench --steps`.

    python3 Benchmarks/one_layer_models.py DIR
    .build/release/vigil bench DIR/dw24.onnx --threads 1 --runs 2000 --steps --json

Each model is one Conv (plus a ReLU or SiLU for the dense ones) on an NCHW input with random weights,
the layer shapes that BENCHMARKS.md quotes: the 3-channel stem of the short-range face
detector, 1×1 convolutions with various channel counts (some three-quarters zeros, for the
sparse path), 3×3 depthwise layers, and two with at most 8 output channels. Vigil plans them
channels-last, so a whole run also includes the NCHW↔NHWC transposes: compare the convolution step's time (`--steps`), not the total.
Needs the `onnx` package (pinned in scripts/requirements-reference.txt).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# name: (height, width, input channels, output channels, kernel, stride, groups, activation)
MODELS = {
    "stem": (128, 128, 3, 24, 5, 2, 1, "Relu"),
    "pw24": (64, 64, 24, 24, 1, 1, 1, "Relu"),
    "pw28": (64, 64, 24, 28, 1, 1, 1, "Relu"),
    "pw40": (32, 32, 64, 40, 1, 1, 1, "Relu"),
    "pw88": (16, 16, 80, 88, 1, 1, 1, "Relu"),
    "pw96": (8, 8, 96, 96, 1, 1, 1, "Relu"),
    "n8": (96, 96, 32, 8, 1, 1, 1, "Relu"),
    "n6": (16, 16, 88, 6, 1, 1, 1, "Relu"),
    "dw12": (12, 12, 192, 192, 3, 1, 192, None),
    "dw24": (24, 24, 128, 128, 3, 1, 128, None),
    "dw48": (48, 48, 64, 64, 3, 1, 64, None),
    "dw96": (96, 96, 32, 32, 3, 1, 32, None),
    "dw112s2": (112, 112, 64, 64, 3, 2, 64, None),
    # YOLOv8n's large early layers (SiLU, written as Sigmoid·x the way Ultralytics exports it).
    "y1x1_160": (160, 160, 32, 32, 1, 1, 1, "SiLU"),
    "y1x1_160_relu": (160, 160, 32, 32, 1, 1, 1, "Relu"),
    "y1x1_160_none": (160, 160, 32, 32, 1, 1, 1, None),
    "y3x3_160": (160, 160, 16, 16, 3, 1, 1, "SiLU"),
    "y3x3_320s2": (320, 320, 16, 32, 3, 2, 1, "SiLU"),
    "y1x1_80": (80, 80, 192, 64, 1, 1, 1, "SiLU"),
    # The pose detector's expand layers (few input channels, large maps).
    "p1x1_112": (112, 112, 16, 64, 1, 1, 1, "Relu"),
    "p1x1_56": (56, 56, 24, 144, 1, 1, 1, "Relu"),
    "p1x1_112_k32": (112, 112, 32, 64, 1, 1, 1, "Relu"),
    "p1x1_40_k16": (40, 40, 16, 64, 1, 1, 1, "Relu"),
    # Its 7×7 layers: a 1×1 with many channels (0.20 ms alone, 0.26 in the model) and a 5×5
    # depthwise where nearly every pixel is an edge pixel.
    "p1x1_7": (7, 7, 192, 1152, 1, 1, 1, "Relu"),
    "pdw7_k5": (7, 7, 1152, 1152, 5, 1, 1152, None),
    # Its sparse 1×1 layers (an optional last field: the fraction of weights kept nonzero, at
    # random; the pose detector ships about a quarter), which take Vigil's sparse path.
    "s14_112_672": (14, 14, 112, 672, 1, 1, 1, "Relu", 0.25),
    "s14_480_112": (14, 14, 480, 112, 1, 1, 1, None, 0.25),
    "s14_1152_192": (14, 14, 1152, 192, 1, 1, 1, None, 0.25),
    "s28_240_40": (28, 28, 240, 40, 1, 1, 1, None, 0.25),
    "s7_192_1152": (7, 7, 192, 1152, 1, 1, 1, "Relu", 0.25),
}


def conv_model(h, w, cin, cout, k, stride, groups, activation, density=1.0):
    rng = np.random.default_rng(0)
    values = rng.standard_normal((cout, cin // groups, k, k)) * 0.1
    if density < 1:
        values *= rng.random(values.shape) < density
    weights = numpy_helper.from_array(values.astype(np.float32), "W")
    bias = numpy_helper.from_array(rng.standard_normal((cout,)).astype(np.float32), "B")
    pad = (k - 1) // 2
    nodes = [helper.make_node("Conv", ["x", "W", "B"], ["c" if activation else "y"], kernel_shape=[k, k],
                              strides=[stride, stride], pads=[pad] * 4, group=groups)]
    if activation == "SiLU":
        nodes.append(helper.make_node("Sigmoid", ["c"], ["s"]))
        nodes.append(helper.make_node("Mul", ["c", "s"], ["y"]))
    elif activation:
        nodes.append(helper.make_node(activation, ["c"], ["y"]))
    oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    graph = helper.make_graph(nodes, "one_layer",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, cin, h, w])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, cout, oh, ow])], [weights, bias])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    directory = sys.argv[1]
    os.makedirs(directory, exist_ok=True)
    for name, shape in MODELS.items():
        path = os.path.join(directory, f"{name}.onnx")
        onnx.save(conv_model(*shape), path)
        print(path)


if __name__ == "__main__":
    main()
