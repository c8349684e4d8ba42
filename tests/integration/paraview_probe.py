"""Run by ParaView's own Python (`pvpython paraview_probe.py FIELD.pvd ...`): open each field file
as a ParaView user would (File → Open, Apply), and report as JSON on stdout what ParaView shows:
the reader, the time steps, every point/cell/field array with its range at the last time step, and
the area (or length, for line cells) from Filters → Integrate Variables. test_field_files.py judges
the numbers.
"""

import json
import sys

from paraview import servermanager
from paraview.simple import Delete, IntegrateVariables, OpenDataFile


def probe(path):
    reader = OpenDataFile(path)
    times = reader.TimestepValues
    times = list(times) if hasattr(times, "__len__") else [times]  # [] for a single .vtu
    last = times[-1] if times else None
    reader.UpdatePipeline(last) if times else reader.UpdatePipeline()
    arrays = {}
    for association, info in (
        ("point", reader.PointData),
        ("cell", reader.CellData),
        ("field", reader.FieldData),
    ):
        for name in info.keys():  # noqa: SIM118 (ParaView's array lists iterate differently)
            array = info[name]
            arrays[name] = {
                "association": association,
                "components": array.GetNumberOfComponents(),
                "range": list(array.GetRange(-1 if array.GetNumberOfComponents() > 1 else 0)),
            }
    integrate = IntegrateVariables(Input=reader)
    integrate.UpdatePipeline(last) if times else integrate.UpdatePipeline()
    integrated = servermanager.Fetch(integrate).GetCellData()
    measure = {k: integrated.GetArray(k).GetValue(0) for k in ("Area", "Length") if integrated.GetArray(k)}
    bounds = reader.GetDataInformation().GetBounds()
    Delete(integrate)
    Delete(reader)
    return {
        "reader": reader.GetXMLName(),
        "times": times,
        "arrays": arrays,
        "area": measure.get("Area", 0.0),
        "length": measure.get("Length", 0.0),
        "bounds": list(bounds),
    }


print(json.dumps({path: probe(path) for path in sys.argv[1:]}))
