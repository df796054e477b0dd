// Unit tests of the freehand canvas helpers (node --test).
import assert from "node:assert/strict";
import { test } from "node:test";

import { PADDING, dataToPixel, makeFrame, mergeStroke, niceTicks, pixelToData, sortPoints } from "../freehand_math.js";

const frame = makeFrame(400, 200, [-2, 3]);

test("the frame leaves room for the axes", () => {
  assert.equal(frame.left, PADDING.left);
  assert.equal(frame.width, 400 - PADDING.left - PADDING.right);
  assert.equal(frame.height, 200 - PADDING.top - PADDING.bottom);
});

test("pixel <-> data round trip", () => {
  for (const point of [[0, -2], [1, 3], [0.25, 0], [0.731, 1.234]]) {
    const back = pixelToData(dataToPixel(point, frame), frame);
    assert.ok(Math.abs(back[0] - point[0]) < 1e-12 && Math.abs(back[1] - point[1]) < 1e-12, `${point} -> ${back}`);
  }
  assert.deepEqual(dataToPixel([0, 3], frame), [frame.left, frame.top]);
  assert.deepEqual(dataToPixel([1, -2], frame), [frame.left + frame.width, frame.top + frame.height]);
});

test("pixels outside the plot area clamp to it", () => {
  assert.deepEqual(pixelToData([0, 0], frame), [0, 3]);
  assert.deepEqual(pixelToData([1000, 1000], frame), [1, -2]);
});

test("sortPoints sorts by x and keeps the latest of equal x", () => {
  assert.deepEqual(sortPoints([[0.5, 1], [0.1, 2], [0.5, 3]]), [[0.1, 2], [0.5, 3]]);
  assert.deepEqual(sortPoints([]), []);
});

test("a stroke replaces the points over its x range", () => {
  const points = [[0, 0], [0.2, 1], [0.4, 1], [0.6, 1], [0.8, 0]];
  const stroke = [[0.5, -1], [0.3, -1], [0.35, -0.5]]; // drawn right to left
  assert.deepEqual(mergeStroke(points, stroke), [[0, 0], [0.2, 1], [0.3, -1], [0.35, -0.5], [0.5, -1], [0.6, 1], [0.8, 0]]);
});

test("within a stroke the latest point at an x wins; empty strokes change nothing", () => {
  assert.deepEqual(mergeStroke([], [[0.5, 1], [0.6, 1], [0.5, 2]]), [[0.5, 2], [0.6, 1]]);
  assert.deepEqual(mergeStroke([[0.9, 1], [0.1, 2]], []), [[0.1, 2], [0.9, 1]]);
  assert.deepEqual(mergeStroke([[0.5, 1]], [[0.5, 7]]), [[0.5, 7]]);
});

test("niceTicks gives round values covering the range", () => {
  assert.deepEqual(niceTicks(-1, 1, 5), [-1, -0.5, 0, 0.5, 1]);
  assert.deepEqual(niceTicks(0, 10, 3), [0, 5, 10]);
  assert.deepEqual(niceTicks(-2, 3, 5), [-2, 0, 2]);
  assert.deepEqual(niceTicks(0, 0.3, 4), [0, 0.1, 0.2, 0.3]);
  assert.deepEqual(niceTicks(1, 1), [1]);
});
