"""Photo files made in the tests: real images with the EXIF a phone writes."""

import io
import zlib
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

# 37°33'36" N, 126°58'12" E: central Seoul.
SEOUL = (37.56, 126.97)


def _dms(value: float) -> tuple:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 100)
    return (IFDRational(degrees), IFDRational(minutes), IFDRational(seconds, 100))


def phone_exif(
    *,
    taken: str | None = "2024:05:01 14:30:00",
    offset: str | None = "+09:00",
    position: tuple[float, float] | None = SEOUL,
    orientation: int | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.Model] = "Model 7"
    exif[ExifTags.Base.BodySerialNumber] = "SN-123456"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    details = exif.get_ifd(ExifTags.IFD.Exif)
    if taken:
        details[ExifTags.Base.DateTimeOriginal] = taken
    if offset:
        details[ExifTags.Base.OffsetTimeOriginal] = offset
    if position:
        lat, lon = position
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = _dms(abs(lat))
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = _dms(abs(lon))
    return exif


def marked_image(size=(120, 80)) -> Image.Image:
    """Red on the left half, blue on the right: orientation shows in the pixels."""
    width, height = size
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    return image


def jpeg_bytes(image: Image.Image | None = None, *, exif=None, **exif_options) -> bytes:
    image = image or marked_image()
    out = io.BytesIO()
    image.save(
        out, "JPEG", exif=exif if exif is not None else phone_exif(**exif_options)
    )
    return out.getvalue()


def png_bytes(image: Image.Image | None = None) -> bytes:
    out = io.BytesIO()
    (image or marked_image()).save(out, "PNG")
    return out.getvalue()


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A small PNG whose header claims width × height pixels."""
    out = io.BytesIO()
    Image.new("1", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    # IHDR: 8 signature bytes, 4 length, 4 type, then width and height.
    data[16:20] = width.to_bytes(4, "big")
    data[20:24] = height.to_bytes(4, "big")
    crc = zlib.crc32(bytes(data[12:29]))
    data[29:33] = crc.to_bytes(4, "big")
    return bytes(data)


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files(root) -> list[str]:
    """Every file under the photo storage, relative to it."""
    root = Path(root)
    return sorted(
        str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()
    )


def exif_of(data: bytes) -> dict:
    """Every EXIF tag of an image, its IFDs included (empty: none at all)."""
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        tags = dict(exif)
        for ifd in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo):
            tags.update(exif.get_ifd(ifd))
        return {**tags, **({"info:exif": True} if "exif" in image.info else {})}
