#!/usr/bin/env python3
"""Writes the tiny ONNX models MalformedModelTests loads (Tests/VigilEngineTests/Fixtures/malformed/).

Run once after changing a fixture: python3 scripts/make_malformed_fixtures.py
Needs only the `onnx` package.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "VigilEngineTests", "Fixtures", "malformed")


def unsupported_op():
    """Conv -> FancyOp (a made-up operator in the default domain) -> Relu."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])
    w = numpy_helper.from_array(np.full((4, 3, 3, 3), 0.1, dtype=np.float32), name="w")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv0", pads=[1, 1, 1, 1]),
        helper.make_node("FancyOp", ["c"], ["f"], name="fancy_node"),
        helper.make_node("Relu", ["f"], ["y"], name="relu0"),
    ]
    graph = helper.make_graph(nodes, "unsupported_op", [x], [y], initializer=[w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="vigil-fixtures")
    # No onnx.checker: FancyOp is unknown to ONNX on purpose.
    return model


def main():
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "unsupported_op.onnx")
    onnx.save(unsupported_op(), path)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
