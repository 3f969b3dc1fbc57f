"""Pictures on ideas: read, checked, drawn afresh, stored and served.

Nothing is ever served as it was uploaded. An upload is opened only by the decoders of the
formats taken (JPEG, PNG, WebP, and HEIC/HEIF through pillow-heif), its size in pixels checked
before its pixels are decoded, turned upright by its EXIF orientation, brought to sRGB, and its
pixels copied into a new image that carries nothing else: no EXIF, XMP, ICC profile, text chunk
or comment survives. That image is encoded as WebP, at most `FULL_SIDE` pixels a side, with a
thumbnail of at most `THUMB_SIDE`. WebP, because it keeps a logo's transparency and a photo small
in one format every browser Ponder supports shows; the `Content-Type` comes from this encoding,
never from the upload.

The files live in the storage named "images" (settings.STORAGES: PONDER_DATA_DIR/images, or S3
through django-storages). A picture's name is a random secret followed by the start of its
content's SHA-256: unguessable, and never reused for other content, so a browser may keep it for
a year.
"""

import hashlib
import io
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps

from ponder.lib.ids import new_secret

from .models import IMAGE_SUFFIX, THUMB_SUFFIX

try:  # HEIC/HEIF (phones' photos) where the wheel exists for this machine
    from pillow_heif import register_heif_opener
except ImportError:  # pragma: no cover - the package is a dependency
    HEIF = False
else:
    register_heif_opener()
    HEIF = True

# Pillow's names of the formats taken. Only their decoders are ever tried: an SVG, a GIF, a TIFF
# or a PDF renamed .png is "not a picture", whatever its name says.
FORMATS = ("JPEG", "PNG", "WEBP", *(("HEIF",) if HEIF else ()))
ACCEPT = "image/jpeg,image/png,image/webp" + (",image/heic,image/heif,.heic,.heif" if HEIF else "")
FULL_SIDE = 1600  # the picture on the idea's page
THUMB_SIDE = 128  # the thumbnail, shown at half its pixels (sharp on a phone's screen)
QUALITY = 82
CONTENT_TYPE = "image/webp"
ALT_MAX = 250

# Pillow's own decompression-bomb guard, set explicitly: it refuses to open an image of more
# than twice this many pixels; `prepare` refuses one of more than this before decoding it.
Image.MAX_IMAGE_PIXELS = settings.PONDER_IMAGE_MAX_PIXELS

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class ImageRefused(Exception):
    """The upload is not a picture Ponder takes. `message` is shown next to the field."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class Prepared:
    """A picture drawn afresh: the encoded full picture and thumbnail, with their sizes."""

    full: bytes
    width: int
    height: int
    thumb: bytes
    thumb_width: int
    thumb_height: int
    digest: str  # of `full`, hex


def not_a_picture() -> ImageRefused:
    names = "JPEG, PNG, WebP" + (", HEIC" if HEIF else "")
    return ImageRefused(
        _("This file is not a picture we can read. Please upload a %(formats)s file.")
        % {"formats": names},
        code="not_an_image",
    )


def too_large() -> ImageRefused:
    return ImageRefused(
        _("This picture is too large. Please upload one of at most %(size)s.")
        % {"size": filesizeformat(settings.PONDER_IMAGE_MAX_BYTES)},
        code="image_too_large",
    )


def too_many_pixels() -> ImageRefused:
    return ImageRefused(
        _("This picture has too many pixels. Please upload one of at most %(n)s megapixels.")
        % {"n": settings.PONDER_IMAGE_MAX_PIXELS // 1_000_000},
        code="image_too_many_pixels",
    )


def prepare(data: bytes) -> Prepared:
    """The picture in `data`, checked and drawn afresh; `ImageRefused` if it is none we take."""
    if len(data) > settings.PONDER_IMAGE_MAX_BYTES:
        raise too_large()
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            width, height = image.size
            if width * height > settings.PONDER_IMAGE_MAX_PIXELS:
                raise too_many_pixels()
            # A JPEG may be decoded at a half, quarter or eighth of its size straight away: as
            # small as it may be while still as large as the picture shown.
            scale = min(1.0, FULL_SIDE / max(width, height))
            image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
            image.load()
            clean = _redrawn(image)
    except ImageRefused:
        raise
    except Image.DecompressionBombError:
        raise too_many_pixels() from None
    # Decoders of untrusted bytes fail in many ways (OSError, ValueError, SyntaxError, struct
    # errors, EOFError ...): each means the same to the person, a file we cannot read.
    except Exception:
        raise not_a_picture() from None
    thumb = clean.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    full = _encoded(clean)
    return Prepared(
        full=full,
        width=clean.width,
        height=clean.height,
        thumb=_encoded(thumb),
        thumb_width=thumb.width,
        thumb_height=thumb.height,
        digest=hashlib.sha256(full).hexdigest(),
    )


def _redrawn(image: Image.Image) -> Image.Image:
    """The first frame's pixels, upright, in sRGB, at most FULL_SIDE a side, in a new image
    that carries nothing of the upload's metadata."""
    icc = image.info.get("icc_profile")
    alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    mode = "RGBA" if alpha else "RGB"
    # Made small first, while it is one copy: a square bound is the same either way up.
    pixels = image if image.mode == mode else image.convert(mode)  # keeps `info`, its EXIF too
    pixels.thumbnail((FULL_SIDE, FULL_SIDE), Image.Resampling.LANCZOS)
    pixels = ImageOps.exif_transpose(pixels)
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            pixels = ImageCms.profileToProfile(pixels, source, _SRGB, outputMode=pixels.mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the pixels as they are
    if alpha and pixels.getchannel("A").getextrema() == (255, 255):
        pixels = pixels.convert("RGB")  # transparency that shows nowhere
    # Only the pixels pass: `frombytes` makes an image without `info`, so nothing of the upload's
    # metadata can reach the encoder.
    return Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())


def _encoded(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=QUALITY, method=4)
    return out.getvalue()


# Storage -------------------------------------------------------------------------------------


def storage() -> Storage:
    return storages["images"]


def file_names(key: str) -> tuple[str, str]:
    """The stored names of a picture's full file and thumbnail."""
    return f"{key}{IMAGE_SUFFIX}", f"{key}{THUMB_SUFFIX}"


def store(prepared: Prepared) -> str:
    """Save a prepared picture; its key (see the module's docstring). Its writer removes it
    again (`remove`) if what was to show it fails."""
    key = f"{new_secret()}-{prepared.digest[:20]}"
    full_name, thumb_name = file_names(key)
    saved = []
    try:
        for name, body in ((full_name, prepared.full), (thumb_name, prepared.thumb)):
            saved.append(storage().save(name, ContentFile(body)))
    except BaseException:
        _remove(saved)
        raise
    if saved != [full_name, thumb_name]:  # a storage that renamed them: never with random names
        _remove(saved)
        raise RuntimeError("the image storage changed a picture's name")
    return key


def remove(key: str) -> None:
    _remove(list(file_names(key)))


def remove_after_commit(key: str) -> None:
    """Remove a picture's files once the transaction that stopped showing it commits."""
    if key:
        transaction.on_commit(lambda: _remove(list(file_names(key))))


def _remove(names: list[str]) -> None:
    for name in names:
        storage().delete(name)


def read(name: str) -> bytes:
    with storage().open(name, "rb") as stored:
        return stored.read()
