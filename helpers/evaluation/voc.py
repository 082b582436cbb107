"""PASCAL-VOC XML boxes, read and written (ImageNet's CLS-LOC annotations use the same format).

In the file a box is 1-based and inclusive (xmin = x0 + 1, xmax = x1); in memory it is our
(x0, y0, x1, y1), 0-based with x1/y1 exclusive.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from ..geometry import Box
from .boxes import as_box


@dataclass(frozen=True)
class VocObject:
    """One annotated object: class name (or WordNet id) and box (x0, y0, x1, y1), x1/y1 exclusive."""

    name: str
    box: Box


@dataclass(frozen=True)
class VocAnnotation:
    """The content of one VOC XML file: image file name, size and objects."""

    filename: str
    width: int
    height: int
    objects: tuple[VocObject, ...]


def write_voc(path: str | Path, annotation: VocAnnotation) -> None:
    """Write a VOC XML file; boxes are stored 1-based inclusive (xmin = x0 + 1, xmax = x1) as in VOC."""
    root = ET.Element("annotation")
    ET.SubElement(root, "filename").text = annotation.filename
    size = ET.SubElement(root, "size")
    for tag, value in (("width", annotation.width), ("height", annotation.height), ("depth", 3)):
        ET.SubElement(size, tag).text = str(int(value))
    for obj in annotation.objects:
        x0, y0, x1, y1 = (int(round(v)) for v in as_box(obj.box))
        node = ET.SubElement(root, "object")
        ET.SubElement(node, "name").text = obj.name
        bnd = ET.SubElement(node, "bndbox")
        for tag, value in (("xmin", x0 + 1), ("ymin", y0 + 1), ("xmax", x1), ("ymax", y1)):
            ET.SubElement(bnd, tag).text = str(value)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def read_voc(path: str | Path) -> VocAnnotation:
    """Read a VOC XML file into 0-based boxes with exclusive x1/y1, clipped to the image."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as err:
        raise ValueError(f"Could not read {str(path)!r} as VOC XML ({err}).") from err
    try:
        width, height = int(root.findtext("size/width", "")), int(root.findtext("size/height", ""))
        objects = []
        for node in root.iter("object"):
            x0, y0, x1, y1 = (float(node.findtext(f"bndbox/{t}", "")) for t in ("xmin", "ymin", "xmax", "ymax"))
            box = (max(0, int(x0) - 1), max(0, int(y0) - 1), min(width, int(x1)), min(height, int(y1)))
            objects.append(VocObject(str(node.findtext("name", "")).strip(), box))
    except ValueError as err:
        raise ValueError(
            f"{str(path)!r} lacks a number in size/width, size/height or an object's bndbox ({err})."
        ) from err
    if not objects:
        raise ValueError(f"{str(path)!r} holds no <object> with a box.")
    return VocAnnotation(root.findtext("filename", path.stem) or path.stem, width, height, tuple(objects))
