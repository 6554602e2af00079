"""edgesim results files (HDF5, DESIGN.md §3) as pandas DataFrames.

Every table of a file is a compound dataset (/runs, /layers, /sweep, /validation, /nas/...,
/dnas/...); read_results decodes each into a DataFrame: strings as str, metrics that were not
produced as NaN, and each column's unit (the "<column>_unit" attribute) in
`frame.attrs["units"]`. The file's provenance (its root attributes) is `Results.provenance`.
"""

import os


class Results(dict):
    """Table path ("runs", "dnas/result") -> DataFrame, with the file's provenance (a dict of
    its root attributes), its path, and (for a study run from Python) the run's summary."""

    def __init__(self, path, tables, provenance, summary=None):
        super().__init__(tables)
        self.path = path
        self.provenance = provenance
        self.summary = summary

    def units(self, table):
        """Column -> unit of `table` ("s", "J", "B", ...; "" for text and identifiers)."""
        return dict(self[table].attrs.get("units", {}))

    def __repr__(self):
        sizes = ", ".join(f"{k}: {len(v)} rows" for k, v in self.items())
        return f"<edgesim.Results {self.path!r}: {sizes}>"


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8").rstrip("\0")
    return value


def _column(values):
    """A compound member as a list or array pandas takes: byte strings decoded."""
    kind = values.dtype.kind
    if kind == "S":
        return [v.decode("utf-8").rstrip("\0") for v in values]
    if kind == "O":
        return [_text(v) for v in values]
    return values


def _attr(value):
    value = _text(value)
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        return value.item()
    return value


def read_results(path):
    """All tables of the edgesim results file `path` as a Results dict of DataFrames."""
    import h5py
    import pandas

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such results file")
    tables = {}
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise OSError(f"{path}: not an HDF5 results file ({e})") from None
    with f:
        provenance = {k: _attr(v) for k, v in f.attrs.items()}

        def visit(name, obj):
            if not isinstance(obj, h5py.Dataset) or obj.dtype.names is None:
                return
            data = obj[()]
            frame = pandas.DataFrame({c: _column(data[c]) for c in obj.dtype.names})
            frame.attrs["units"] = {c: _text(obj.attrs.get(c + "_unit", ""))
                                    for c in obj.dtype.names}
            frame.attrs["table"] = name
            frame.attrs.update({k: _attr(v) for k, v in obj.attrs.items()
                                if not k.endswith("_unit")})
            tables[name] = frame

        f.visititems(visit)
    return Results(path, tables, provenance)
