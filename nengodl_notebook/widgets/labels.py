"""How panels name things and show errors: short labels, durations, red text."""

import datetime
import html


def node_label(node):
    """A short name for a Node."""
    return node.label if node.label else str(node)


def probe_label(probe):
    """A short name for a Probe: its label, or its target and attribute."""
    if probe.label:
        return probe.label
    target = getattr(probe.target, "label", None) or str(probe.target)
    synapse = "" if probe.synapse is None else f", synapse={probe.synapse}"
    return f"{target}.{probe.attr}{synapse}"


def format_duration(seconds):
    """``h:mm:ss`` as in the core's progress summaries."""
    return str(datetime.timedelta(seconds=round(max(seconds, 0))))


def error_html(text):
    """HTML of an error message shown in a panel (escaped, red)."""
    if not text:
        return ""
    return f"<span style='color:#b00020'>{html.escape(str(text))}</span>"
