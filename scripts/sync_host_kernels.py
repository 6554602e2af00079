#!/usr/bin/env python3
"""Copies the host-core kernels of configs/stacks/tflm-cmsis-nn.textproto into the SoC stacks
whose host core runs CMSIS-NN-class kernels (gap-flow, htvm, stedge-ai, vela), so their
fallback costs follow the counted and calibrated CMSIS-NN values instead of drifting.

Every host kernel (a `kernels { ... }` block without `engine:`) of a target whose op, dtype
and `when` condition tflm-cmsis-nn also has is replaced by tflm-cmsis-nn's block; the copies
go where the target's first host kernel was, each value commented "as tflm-cmsis-nn (...)".
Host kernels tflm-cmsis-nn lacks stay as they are. scripts/calibrate.sh --write runs this
after a fit; tests/platforms/PlatformCatalogTest.cpp checks that the copies match.

Usage: scripts/sync_host_kernels.py [configs-dir]
"""
import re
import sys
from pathlib import Path

SOURCE = "tflm-cmsis-nn"
TARGETS = ["gap-flow", "htvm", "stedge-ai", "vela"]
BLOCK = re.compile(r"^kernels \{\n.*?^\}\n", re.M | re.S)


def key(block):
    """(op, dtype, when) of a kernel block; None for an engine kernel."""
    if re.search(r"^\s*engine:", block, re.M):
        return None
    op = re.search(r'^\s*op:\s*"([^"]+)"', block, re.M).group(1)
    dtype = re.search(r'^\s*dtype:\s*"([^"]+)"', block, re.M)
    when = re.search(r"^\s*when\s*\{([^}]*)\}", block, re.M)
    return (op, dtype.group(1) if dtype else "int8", " ".join(when.group(1).split()) if when else "")


def copied(block):
    """`block` with each line's comment turned into "as tflm-cmsis-nn (...)"."""
    out = []
    for line in block.splitlines(keepends=True):
        m = re.match(r"^(\s*[a-z0-9_]+(?::\s*|\s*\{)[^#]*?)\s*#\s*(.*)$", line.rstrip("\n"))
        if not m:
            out.append(line)
            continue
        body, comment = m.group(1), m.group(2)
        if body.strip().startswith("op:"):
            comment = f"host core (engine empty), as {SOURCE}: {comment}"
        elif comment.startswith("calibrated from"):
            comment = f"as {SOURCE} (calibrated there)"
        elif comment.startswith("as "):
            comment = f"as {SOURCE} (there: {comment})"
        elif comment.startswith("estimate"):
            comment = f"as {SOURCE} ({comment.split(':', 1)[0]} there: {comment.split(':', 1)[-1].strip()})"
        else:
            comment = f"as {SOURCE} (there: {comment})"
        out.append(f"{body}  # {comment}\n")
    return "".join(out)


def main():
    configs = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "configs")
    source = (configs / "stacks" / f"{SOURCE}.textproto").read_text()
    host = [b for b in BLOCK.findall(source) if key(b) is not None]
    keys = {key(b) for b in host}
    for name in TARGETS:
        path = configs / "stacks" / f"{name}.textproto"
        text = path.read_text()
        first = None
        pieces = []
        last = 0
        for m in BLOCK.finditer(text):
            k = key(m.group(0))
            pieces.append(text[last:m.start()])
            if k is not None and k in keys:
                if first is None:
                    first = len(pieces)
                    pieces.append(None)  # the copies go here
            else:
                pieces.append(m.group(0))
            last = m.end()
        pieces.append(text[last:])
        if first is None:
            continue
        pieces[first] = "".join(copied(b) for b in host)
        # Drop the blank lines the removed blocks leave between their neighbours.
        result = re.sub(r"\n{3,}", "\n\n", "".join(pieces))
        if result != text:
            path.write_text(result)
            print(f"{path}: host kernels copied from {SOURCE}")


if __name__ == "__main__":
    main()
