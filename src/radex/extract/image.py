"""Images: no OCR, so no text; the media type is kept and the caller adds alt text or a caption."""

from __future__ import annotations

from radex.extract.model import Extraction, Limits
from radex.extract.sniff import BINARY, image_type

NO_OCR = "an image has no text layer; OCR is not enabled (add alt text or a caption)"


def extract_image(data: bytes, limits: Limits) -> Extraction:
    """An extraction with no sections and a warning that OCR is off."""
    return Extraction(image_type(data[:16]) or BINARY, (), warnings=(NO_OCR,))
