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


def overflowing_dims():
    """An initializer whose dims multiply to 2^64, which wraps to 0 and matches its empty data."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    w = TensorProto()
    w.name = "w"
    w.data_type = TensorProto.FLOAT
    w.dims.extend([1 << 30, 1 << 30, 16])
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"], name="add0")], "overflowing_dims", [x], [y], initializer=[w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="vigil-fixtures")


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, model in [("unsupported_op", unsupported_op()), ("overflowing_dims", overflowing_dims())]:
        path = os.path.join(OUT, name + ".onnx")
        onnx.save(model, path)
        print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
