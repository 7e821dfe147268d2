#!/usr/bin/env python3
"""Reference detections for the golden end-to-end test of `vigil detect` (run once).

    python3 -m pip install -r scripts/requirements-reference.txt   # mediapipe 0.10.14, av, ...
    python3 scripts/make_detection_reference.py

MediaPipe's own face detection solution (mediapipe 0.10.14, `solutions.face_detection`,
model_selection=0: the short-range model Vigil ships as `face`, with MediaPipe's own
preprocessing, anchor decoding and weighted NMS, min_detection_confidence 0.5) runs on every
frame of Samples/carphone.mp4, decoded to RGB by PyAV. The boxes, converted from MediaPipe's
relative coordinates to source-frame pixels [x1, y1, x2, y2], and the scores are written to
Tests/VigilCLITests/Fixtures/carphone_face_mediapipe.jsonl, one line per frame:
{"frame": i, "detections": [{"score": s, "box": [x1, y1, x2, y2]}, ...]}.
`swift test` (VigilCommandTests.testDetectMatchesMediaPipeOnEveryFrame) compares
`vigil detect` against it without Python.
"""
import json
import os

import av
import mediapipe as mp
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(ROOT, "Samples", "carphone.mp4")
OUTPUT = os.path.join(ROOT, "Tests", "VigilCLITests", "Fixtures", "carphone_face_mediapipe.jsonl")


def main():
    lines = []
    with mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.5) as detector:
        with av.open(SAMPLE) as container:
            for index, frame in enumerate(container.decode(video=0)):
                image = np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
                height, width = image.shape[:2]
                result = detector.process(image)
                detections = []
                for d in result.detections or []:
                    box = d.location_data.relative_bounding_box
                    x1, y1 = box.xmin * width, box.ymin * height
                    detections.append({"score": round(float(d.score[0]), 5),
                                       "box": [round(v, 3) for v in (x1, y1, x1 + box.width * width, y1 + box.height * height)]})
                lines.append(json.dumps({"frame": index, "detections": detections}, separators=(",", ":")))
    with open(OUTPUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(lines)} frames -> {os.path.relpath(OUTPUT, ROOT)} (mediapipe {mp.__version__}, PyAV {av.__version__})")


if __name__ == "__main__":
    main()
