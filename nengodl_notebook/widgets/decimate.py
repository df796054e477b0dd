"""Bounded plot data: long probe series reduced to their envelope.

A 100 s run of a 1-D probe has 100,000 points per line; sent as they are to the
browser they freeze the page for seconds, and a plot a few hundred pixels wide
cannot show them anyway. `minmax_decimate` keeps each bucket's lowest and
highest value, so spikes and peaks stay visible; the full data stays in
``sim.data``.
"""

import numpy as np

#: Points per line sent to a plot at most (two per bucket).
MAX_POINTS = 2000


def minmax_decimate(x, y, max_points=MAX_POINTS):
    """At most ``max_points`` points per line, keeping each bucket's min and max.

    Parameters
    ----------
    x : array_like, shape ``(n,)``
        Increasing x values (times).
    y : array_like, shape ``(n,)`` or ``(n, lines)``
        The lines' values.
    max_points : int
        Points per line to keep at most (at least 2).

    Returns
    -------
    x, y : ndarray
        ``x`` of shape ``(m,)`` and ``y`` of the input's number of dimensions,
        ``m <= max_points``. Unchanged (as arrays) when ``n <= max_points``.
        Each bucket of consecutive points gives two: at its first and last x,
        holding its minimum and maximum in the order they occur (per line).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    if y.shape[0] != n:
        raise ValueError(f"x has {n} points but y has {y.shape[0]}")
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2 (got {max_points})")
    if n <= max_points:
        return x, y
    flat = y.ndim == 1
    values = y[:, None] if flat else y
    size = -(-n // (max_points // 2))  # points per bucket, rounded up
    n_buckets = -(-n // size)
    pad = n_buckets * size - n  # repeat the last point to fill the last bucket
    padded = np.concatenate([values, np.repeat(values[-1:], pad, axis=0)])
    buckets = padded.reshape(n_buckets, size, -1)
    low, high = buckets.min(axis=1), buckets.max(axis=1)
    low_first = buckets.argmin(axis=1) <= buckets.argmax(axis=1)
    first = np.where(low_first, low, high)
    second = np.where(low_first, high, low)
    starts = np.arange(n_buckets) * size
    ends = np.minimum(starts + size, n) - 1
    out_x = np.stack([x[starts], x[ends]], axis=1).reshape(-1)
    out_y = np.stack([first, second], axis=1).reshape(2 * n_buckets, -1)
    return out_x, out_y[:, 0] if flat else out_y


def subsample(values, max_points=MAX_POINTS):
    """At most ``max_points`` evenly spaced rows of ``values``, first and last kept.

    For paths drawn against each other (an XY view), where a time bucket's min
    and max of each coordinate would not be points of the path.

    Parameters
    ----------
    values : array_like, shape ``(n, ...)``
    max_points : int
        Rows to keep at most (at least 2).

    Returns
    -------
    ndarray
        ``values`` itself (as an array) when ``n <= max_points``.
    """
    values = np.asarray(values, dtype=float)
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2 (got {max_points})")
    n = len(values)
    if n <= max_points:
        return values
    return values[np.linspace(0, n - 1, max_points).round().astype(int)]
