"""Media checks per network: what a file really is (`probe`), and whether a network takes it (`check_media`).

`probe` reads only headers and the chunk/box structure, never pixel data; `check_media` works on the
probed `MediaInfo` alone, so checking one post for ten networks reads no file. The limits are data
(`MEDIA_RULES`), each rule with the source it comes from, like `rules.RULES` for text.
"""

from __future__ import annotations

import dataclasses
import mmap
import os
import struct
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO, Literal

from mutagen import MutagenError
from mutagen.mp4 import MP4
from PIL import Image, UnidentifiedImageError

from socialdesk.clients.schemas import Network
from socialdesk.networks.entities import GRAPHEME

Kind = Literal["image", "video", "gif"]
GifHandling = Literal["image", "single", "still"]
"""How a network treats a GIF: "image" (an image, animation kept), "single" (an animated GIF must be the
only media of its post, X), "still" (accepted as an image, but only its first frame is shown, Bluesky)."""

MAX_PIXELS = 89_478_485
"""Pillow's default MAX_IMAGE_PIXELS; larger images are refused as possible decompression bombs (no network
takes them anyway: X's largest, 8192x8192, is 67 megapixels). Pillow's global setting is left alone."""
MAX_BOX_BYTES = 64 * 2**20  # the largest moov/meta box read into memory; real ones are kilobytes
ASPECT_TOLERANCE = 0.005  # networks round their documented ratios (1.91:1 is 1080x566 = 1.908)

TYPE_NAMES = {
    "image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WebP", "image/heic": "HEIC",
    "image/heif": "HEIF", "image/avif": "AVIF", "video/mp4": "MP4", "video/quicktime": "MOV", "video/3gpp": "3GP",
}
ACCEPTED = "JPEG, PNG, GIF, WebP, HEIC/HEIF or AVIF images and MP4 or MOV videos"
KIND_NAMES = {"image": "image", "video": "video", "gif": "GIF"}

HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
HEIF_BRANDS = {b"mif1", b"msf1"}
AVIF_BRANDS = {b"avif", b"avis"}
AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A "}
CLASSIC_QUICKTIME = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}  # MOV files older than ftyp


class MediaError(ValueError):
    """A file that cannot be posted anywhere: not a supported type, truncated, corrupt or too large to open."""


class _Corrupt(Exception):
    """Internal: the file has the right signature but a broken structure (the message says where)."""


@dataclass(frozen=True)
class MediaInfo:
    """What `probe` found; width and height are as displayed (EXIF orientation and video rotation applied)."""

    kind: Kind
    mime_type: str
    size_bytes: int
    width: int | None
    height: int | None
    duration_seconds: float | None = None  # None for images, and for a video whose duration is not recorded
    frames: int | None = None  # GIF frames (1 for a still GIF); None for other types

    @property
    def type_name(self) -> str:
        return TYPE_NAMES.get(self.mime_type, self.mime_type)

    @property
    def animated(self) -> bool:
        return (self.frames or 1) > 1


# --- probing -------------------------------------------------------------------------------------


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Identify a file by its content (never its name) and read its size, dimensions, duration and frames."""
    path = Path(path)
    try:
        file = path.open("rb")
    except OSError as error:
        raise MediaError(f"{path.name}: cannot be read ({error.strerror or error})") from error
    with file:
        size = os.fstat(file.fileno()).st_size
        head = file.read(64)
        signature = _sniff(head, size)
        if signature is None:
            raise MediaError(f"{path.name}: not an image or video that can be posted: it looks like "
                             f"{_looks_like(head, size)}. Accepted: {ACCEPTED}")
        try:
            if signature == "isobmff":
                return _probe_isobmff(file, size, path.name)
            return _probe_raster(file, size, signature, path.name)
        except (_Corrupt, struct.error, IndexError) as error:  # the last two: a box or block shorter than its content
            what = {"jpeg": "a JPEG image", "png": "a PNG image", "gif": "a GIF image", "webp": "a WebP image",
                    "isobmff": "an MP4/MOV video or HEIC image"}[signature]
            raise MediaError(f"{path.name}: looks like {what} but is truncated or corrupt ({error}); "
                             f"export or download it again. Accepted: {ACCEPTED}") from None


def _sniff(head: bytes, size: int) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if len(head) >= 8 and head[4:8] == b"ftyp":
        return "isobmff"
    if len(head) >= 8 and head[4:8] in CLASSIC_QUICKTIME and 8 <= struct.unpack(">I", head[:4])[0] <= size:
        return "isobmff"  # an old MOV; the size check keeps text such as "Get free ..." out
    return None


def _looks_like(head: bytes, size: int) -> str:
    """A short guess at what an unsupported file is, so the message can say how to fix it."""
    if size == 0:
        return "an empty file"
    lower = head.lstrip().lower()
    guesses = (
        (head.startswith(b"%PDF"), "a PDF document"),
        (head.startswith(b"PK\x03\x04"), "a ZIP archive (or an Office document)"),
        (head.startswith(b"\x1aE\xdf\xa3"), "a WebM/Matroska video (convert it to MP4)"),
        (head[:4] == b"RIFF" and head[8:12] == b"AVI ", "an AVI video (convert it to MP4)"),
        (head[:4] == b"RIFF" and head[8:12] == b"WAVE", "a WAV audio file"),
        (head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"), "an MP3 audio file"),
        (head.startswith(b"OggS"), "an Ogg audio or video file"),
        (head.startswith(b"fLaC"), "a FLAC audio file"),
        (head[:2] == b"BM" and len(head) > 6 and struct.unpack("<I", head[2:6])[0] == size,
         "a BMP image (convert it to PNG or JPEG)"),
        (head[:4] in (b"II*\x00", b"MM\x00*"), "a TIFF image (convert it to JPEG)"),
        (head.startswith(b"\x1f\x8b"), "a gzip archive"),
        (lower.startswith(b"<svg") or (lower.startswith(b"<?xml") and b"<svg" in lower),
         "an SVG drawing (export it as PNG)"),
        (lower.startswith((b"<!doctype html", b"<html")), "an HTML page"),
    )
    for matches, guess in guesses:
        if matches:
            return guess
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:
            return "unknown binary data"
        text = head[: error.start].decode("utf-8")  # the first 64 bytes end inside a character
    return "plain text" if all(char.isprintable() or char in "\r\n\t\f" for char in text) else "unknown binary data"


PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}
MIME_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}


def _probe_raster(file: BinaryIO, size: int, signature: str, name: str) -> MediaInfo:
    """JPEG, PNG, GIF, WebP: Pillow reads the header only; our own walk finds truncation.

    WebP needs no walk: Pillow opens it with libwebp's demuxer, which refuses an incomplete RIFF container.
    """
    file.seek(0)
    with warnings.catch_warnings():
        # Our own MAX_PIXELS check below refuses these with a clear message; Pillow only warns up to 2x its limit.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(file, formats=[PIL_FORMATS[signature]])
        except Image.DecompressionBombError as error:
            raise MediaError(f"{name}: refused as a possible decompression bomb ({error}); "
                             f"resize it below {MAX_PIXELS / 1e6:.1f} megapixels") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
            raise _Corrupt(f"its header cannot be read: {error}") from None
    with image:
        width, height = image.size
        _refuse_bomb(name, TYPE_NAMES[MIME_TYPES[signature]], width, height)
        if signature in ("jpeg", "webp"):  # PNG's getexif would decode the whole image
            if image.getexif().get(0x0112) in (5, 6, 7, 8):  # EXIF orientation: rotated by 90 or 270 degrees
                width, height = height, width
    frames = None
    if signature == "png":
        _check_png(file, size)
    elif signature == "jpeg":
        _check_jpeg(file, size)
    elif signature == "gif":
        frames = _gif_frames(file, size)
    kind: Kind = "gif" if signature == "gif" else "image"
    return MediaInfo(kind, MIME_TYPES[signature], size, width, height, None, frames)


def _refuse_bomb(name: str, type_name: str, width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise MediaError(
            f"{name}: {type_name} image of {width}x{height} pixels ({width * height / 1e6:,.0f} megapixels) is "
            f"refused as a possible decompression bomb; the limit is {MAX_PIXELS / 1e6:.1f} megapixels — resize it"
        )


def _check_png(file: BinaryIO, size: int) -> None:
    """Walk the chunks (seeking over their data) up to IEND."""
    position, seen_data = 8, False
    while True:
        file.seek(position)
        header = file.read(8)
        if len(header) < 8:
            raise _Corrupt("it ends before the IEND chunk")
        length, chunk = struct.unpack(">I4s", header)
        if not chunk.isalpha():
            raise _Corrupt(f"invalid chunk at byte {position}")
        position += 12 + length
        if position > size:
            raise _Corrupt(f"it ends inside the {chunk.decode()} chunk")
        seen_data |= chunk == b"IDAT"
        if chunk == b"IEND":
            if not seen_data:
                raise _Corrupt("it has no image data")
            return


def _check_jpeg(file: BinaryIO, size: int) -> None:
    """Find the start of the scan, then the end-of-image marker after it (data may follow it: motion photos)."""
    position = 2
    while True:
        file.seek(position)
        marker = file.read(4)
        if len(marker) < 4 or marker[0] != 0xFF:
            raise _Corrupt(f"invalid or missing segment at byte {position}")
        if marker[1] == 0xFF:  # fill byte
            position += 1
            continue
        if 0xD0 <= marker[1] <= 0xD7 or marker[1] == 0x01:  # markers without a length
            position += 2
            continue
        position += 2 + struct.unpack(">H", marker[2:])[0]
        if position > size:
            raise _Corrupt("it ends inside a header segment")
        if marker[1] == 0xDA:  # start of scan
            break
    file.seek(size - 2)
    if file.read(2) == b"\xff\xd9":
        return
    file.seek(position)
    previous = b""
    while chunk := file.read(2**20):
        if b"\xff\xd9" in previous + chunk:  # entropy-coded data never contains FF D9
            return
        previous = chunk[-1:]
    raise _Corrupt("it has no end-of-image marker")


def _gif_frames(file: BinaryIO, size: int) -> int:
    """Count image descriptors by walking the GIF blocks; no LZW decoding."""
    if size < 14:
        raise _Corrupt("it ends inside the header")
    with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return _walk_gif(data, size)


def _walk_gif(data: mmap.mmap, size: int) -> int:
    position = 13 + _color_table(data[10])
    frames = 0

    def skip_sub_blocks(at: int) -> int:
        while at < size and data[at]:
            at += data[at] + 1
        if at >= size:
            raise _Corrupt(f"it ends inside frame {frames + 1}")
        return at + 1

    while position < size:
        block = data[position]
        if block == 0x3B:  # trailer
            break
        if block == 0x21:  # extension: label, then sub-blocks
            position = skip_sub_blocks(position + 2)
        elif block == 0x2C:  # image descriptor, optional local color table, LZW code size, sub-blocks
            if position + 10 > size:
                raise _Corrupt(f"it ends inside frame {frames + 1}")
            position = skip_sub_blocks(position + 10 + _color_table(data[position + 9]) + 1)
            frames += 1
        else:
            raise _Corrupt(f"unknown block 0x{block:02x} at byte {position}")
    if not frames:
        raise _Corrupt("it has no frames")
    return frames  # a missing trailer after complete frames is tolerated, as browsers do


def _color_table(packed: int) -> int:
    return 3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0


# ISO BMFF (MP4, MOV, HEIC, AVIF): a small box walker.

Box = tuple[bytes, int, int]  # type, payload start, payload end


def _boxes(data: bytes, start: int, end: int) -> Iterator[Box]:
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            if position + 16 > end:
                raise _Corrupt(f"it ends inside the {_box_name(kind)} box")
            size, header = struct.unpack_from(">Q", data, position + 8)[0], 16
        elif size == 0:
            size = end - position
        if size < header:
            raise _Corrupt(f"the {_box_name(kind)} box has an invalid size")
        if position + size > end:
            raise _Corrupt(f"it ends inside the {_box_name(kind)} box")
        yield kind, position + header, position + size
        position += size


def _file_boxes(file: BinaryIO, size: int) -> list[Box]:
    """The top-level boxes, read by seeking over their payloads (mdat may be gigabytes)."""
    boxes, position = [], 0
    while position + 8 <= size:
        file.seek(position)
        header = file.read(16)
        box_size, kind = struct.unpack_from(">I4s", header)
        length = 8
        if box_size == 1 and len(header) < 16:
            raise _Corrupt(f"it ends inside the {_box_name(kind)} box header")
        if box_size == 1:
            box_size, length = struct.unpack_from(">Q", header, 8)[0], 16
        elif box_size == 0:
            box_size = size - position
        if box_size < length:
            raise _Corrupt(f"the {_box_name(kind)} box has an invalid size")
        if position + box_size > size:
            raise _Corrupt(f"it ends inside the {_box_name(kind)} box, "
                           f"{position + box_size - size:,} bytes are missing")
        boxes.append((kind, position + length, position + box_size))
        position += box_size
    return boxes


def _box_name(kind: bytes) -> str:
    return kind.decode("latin-1").strip() or "unnamed"


def _child(data: bytes, box: Box, *path: bytes, full: bool = False) -> Box | None:
    """The first box along `path` under `box`; `full` skips the version/flags of a full box (meta)."""
    for kind in path:
        start = box[1] + (4 if full and box[0] == b"meta" else 0)
        box = next((child for child in _boxes(data, start, box[2]) if child[0] == kind), None)
        if box is None:
            return None
    return box


def _read_box(file: BinaryIO, box: Box) -> tuple[bytes, Box]:
    """A top-level box's bytes, and the box re-based on them."""
    length = box[2] - box[1]
    if length > MAX_BOX_BYTES:
        raise _Corrupt(f"its {_box_name(box[0])} box is implausibly large ({length:,} bytes)")
    file.seek(box[1])
    data = file.read(length)
    return data, (box[0], 0, len(data))


def _probe_isobmff(file: BinaryIO, size: int, name: str) -> MediaInfo:
    top = _file_boxes(file, size)
    ftyp = next((box for box in top if box[0] == b"ftyp"), None)
    brands: set[bytes] = set()
    major = b""
    if ftyp:
        file.seek(ftyp[1])
        payload = file.read(min(ftyp[2] - ftyp[1], 4096))
        major = payload[:4]
        brands = {major} | {payload[i: i + 4] for i in range(8, len(payload) - 3, 4)}
    if brands & (AVIF_BRANDS | HEIC_BRANDS | HEIF_BRANDS) and not any(box[0] == b"moov" for box in top):
        return _probe_heif(file, size, top, brands, name)
    if major in AUDIO_BRANDS:
        raise MediaError(f"{name}: an audio file ({major.decode().strip()}), not a video. Accepted: {ACCEPTED}")
    moov = next((box for box in top if box[0] == b"moov"), None)
    if moov is None:
        raise _Corrupt("it has no moov box (movie header): the upload or export did not finish")
    data, moov = _read_box(file, moov)
    dimensions = _video_dimensions(data, moov)
    if dimensions is None:
        raise MediaError(f"{name}: has no video track (an audio-only file?). Accepted: {ACCEPTED}")
    if major == b"qt  " or not ftyp:
        mime = "video/quicktime"
    elif major.startswith((b"3gp", b"3g2")):
        mime = "video/3gpp"
    else:
        mime = "video/mp4"
    file.seek(0)
    try:
        length = MP4(file).info.length
    except (MutagenError, KeyError, struct.error) as error:
        raise _Corrupt(f"its duration cannot be read: {error}") from None
    duration = round(length, 3) if length and length > 0 else None  # fragmented MP4s may record none
    return MediaInfo("video", mime, size, *dimensions, duration, None)


def _video_dimensions(data: bytes, moov: Box) -> tuple[int, int] | None:
    """Width and height from the tkhd of the first video track, swapped when its matrix rotates by 90 degrees."""
    for trak in (box for box in _boxes(data, moov[1], moov[2]) if box[0] == b"trak"):
        hdlr = _child(data, trak, b"mdia", b"hdlr")
        tkhd = _child(data, trak, b"tkhd")
        if hdlr is None or tkhd is None or data[hdlr[1] + 8: hdlr[1] + 12] != b"vide":
            continue
        start = tkhd[1] + (36 if data[tkhd[1]] == 1 else 24)  # after version/flags, times, track id, duration
        if start + 60 > tkhd[2]:
            raise _Corrupt("the video track header (tkhd) is too short")
        a, b, _, c, d = struct.unpack_from(">5i", data, start + 16)
        width, height = (value >> 16 for value in struct.unpack_from(">2I", data, start + 52))  # 16.16 fixed point
        if a == 0 and d == 0 and b and c:
            width, height = height, width
        return width, height
    return None


def _probe_heif(file: BinaryIO, size: int, top: list[Box], brands: set[bytes], name: str) -> MediaInfo:
    """HEIC/HEIF/AVIF: the primary item's ispe property (and irot) from meta/iprp; no decoding."""
    meta = next((box for box in top if box[0] == b"meta"), None)
    if meta is None:
        raise _Corrupt("it has no meta box")
    data, meta = _read_box(file, meta)
    ipco = _child(data, meta, b"iprp", b"ipco", full=True)
    if ipco is None:
        raise _Corrupt("it has no item properties (iprp/ipco)")
    properties = list(_boxes(data, ipco[1], ipco[2]))
    chosen = [properties[i - 1] for i in _primary_properties(data, meta) if 0 < i <= len(properties)]

    def ispe(box: Box) -> tuple[int, int]:
        return struct.unpack_from(">2I", data, box[1] + 4)  # after version/flags

    sizes = [ispe(box) for box in chosen if box[0] == b"ispe"]
    if not sizes:  # no association recorded: the largest size is the image, the others are thumbnails
        sizes = sorted((ispe(box) for box in properties if box[0] == b"ispe"), key=lambda wh: -wh[0] * wh[1])
    if not sizes:
        raise _Corrupt("it has no image size (ispe) property")
    width, height = sizes[0]
    if any(box[0] == b"irot" and data[box[1]] & 1 for box in chosen):
        width, height = height, width
    mime = "image/avif" if brands & AVIF_BRANDS else "image/heic" if brands & HEIC_BRANDS else "image/heif"
    _refuse_bomb(name, TYPE_NAMES[mime], width, height)
    return MediaInfo("image", mime, size, width, height, None, None)


def _primary_properties(data: bytes, meta: Box) -> list[int]:
    """1-based ipco indices associated with the primary item (pitm) in ipma."""
    pitm, ipma = _child(data, meta, b"pitm", full=True), _child(data, meta, b"iprp", b"ipma", full=True)
    if pitm is None or ipma is None:
        return []
    primary = struct.unpack_from(">I" if data[pitm[1]] else ">H", data, pitm[1] + 4)[0]
    version, flags = data[ipma[1]], int.from_bytes(data[ipma[1] + 1: ipma[1] + 4], "big")
    position = ipma[1] + 8
    for _ in range(struct.unpack_from(">I", data, ipma[1] + 4)[0]):
        item_format = ">I" if version >= 1 else ">H"
        item = struct.unpack_from(item_format, data, position)[0]
        position += struct.calcsize(item_format)
        count, position = data[position], position + 1
        wide = flags & 1
        indices = [
            (struct.unpack_from(">H", data, position + 2 * i)[0] & 0x7FFF) if wide else data[position + i] & 0x7F
            for i in range(count)
        ]
        position += count * (2 if wide else 1)
        if item == primary:
            return indices
    return []


# --- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AspectRange:
    """Accepted width:height ratios, e.g. 4:5 (0.8) to 1.91:1, and where the network applies them."""

    min: float
    max: float
    label: str  # "4:5 to 1.91:1"
    where: str  # "Instagram feed"

    def allows(self, width: int, height: int) -> bool:
        ratio = width / height
        return self.min * (1 - ASPECT_TOLERANCE) <= ratio <= self.max * (1 + ASPECT_TOLERANCE)


@dataclass(frozen=True)
class MediaRule:
    """One network's media limits; None (or an empty set, or 0) means "no such limit" / "not accepted"."""

    network: Network
    label: str
    source: str
    image_types: frozenset[str] = frozenset()
    max_image_bytes: int | None = None
    max_images: int = 0
    video_types: frozenset[str] = frozenset()
    max_video_bytes: int | None = None
    min_video_seconds: float | None = None
    max_video_seconds: float | None = None
    max_videos: int = 0
    max_items: int | None = None  # all attachments together (carousels)
    mix: bool = False  # whether images and videos can share a post
    image_aspect: AspectRange | None = None
    video_aspect: AspectRange | None = None
    max_image_pixels: int | None = None
    max_video_pixels: int | None = None
    video_side: tuple[int, int] | None = None  # smallest and largest accepted side, in pixels
    requires_media: bool = False
    gif: GifHandling = "image"
    max_gif_bytes: int | None = None  # when animated GIFs have their own limit (else max_image_bytes)
    max_gif_frames: int | None = None
    carousel_max_video_seconds: float | None = None  # a video among other items
    alt_text_kinds: frozenset[str] = frozenset()  # the kinds that can carry alt text
    alt_text_max: int | None = None
    video_alt_text_max: int | None = None  # when videos have their own limit
    alt_text_unit: Literal["characters", "graphemes"] = "characters"
    notes: tuple[str, ...] = ()


MB, MiB = 1_000_000, 2**20
JPEG, PNG, GIF, WEBP = "image/jpeg", "image/png", "image/gif", "image/webp"
MP4_TYPE, MOV = "video/mp4", "video/quicktime"


def _types(*mime_types: str) -> frozenset[str]:
    return frozenset(mime_types)


MEDIA_RULES: dict[Network, MediaRule] = {
    rule.network: rule
    for rule in (
        MediaRule(
            Network.X, "X",
            "X API media docs (upload, best practices): images JPEG/PNG/WebP/GIF <= 5 MB, up to 4; an animated GIF "
            "<= 15 MB and <= 350 frames, alone; one MP4/MOV video <= 512 MB, 0.5-140 s, aspect 1:3 to 3:1; images "
            "and video not together; alt text (media metadata) <= 1000 characters, images and GIFs. Decimal MB "
            "used (the conservative reading).",
            image_types=_types(JPEG, PNG, WEBP, GIF), max_image_bytes=5 * MB, max_images=4,
            video_types=_types(MP4_TYPE, MOV), max_video_bytes=512 * MB, min_video_seconds=0.5,
            max_video_seconds=140, max_videos=1,
            video_aspect=AspectRange(1 / 3, 3, "1:3 to 3:1", "X"),
            gif="single", max_gif_bytes=15 * MB, max_gif_frames=350,
            alt_text_kinds=_types("image", "gif"), alt_text_max=1000,
        ),
        MediaRule(
            Network.BLUESKY, "Bluesky",
            "lexicons app.bsky.embed.images (4 images, blob maxSize 1,000,000 bytes) and app.bsky.embed.video "
            "(video/mp4, 100,000,000 bytes, alt <= 1000 graphemes); videos up to 3 minutes (Bluesky video service, "
            "2025); image alt text 2000 graphemes is the Bluesky app's cap (the lexicon sets none); one media embed "
            "per post, so images or a video. Conservative: the atproto SDK 0.0.73 lexicon notes say images 'may be "
            "up to 2 MB, formerly 1 MB' and video 'up to 300mb' (shared/docs/network-rules.md agrees); older PDSes "
            "enforce the smaller values, so override max_image_bytes / max_video_bytes for a PDS known to allow more.",
            image_types=_types(JPEG, PNG, WEBP, GIF), max_image_bytes=1 * MB, max_images=4,
            video_types=_types(MP4_TYPE), max_video_bytes=100 * MB, max_video_seconds=180, max_videos=1,
            gif="still",
            alt_text_kinds=_types("image", "gif", "video"), alt_text_max=2000, video_alt_text_max=1000,
            alt_text_unit="graphemes",
            notes=("an animated GIF shows only its first frame; post it as an MP4 video",),
        ),
        MediaRule(
            Network.MASTODON, "Mastodon",
            "Mastodon 4.x defaults (app/models/media_attachment.rb: images 16 MiB, video 99 MiB, image matrix "
            "33,177,600 px, video matrix 8,294,400 px; StatusCreationService: 4 attachments, a video alone; "
            "description <= 1500 characters). Each instance may override: GET /api/v2/instance "
            "configuration.media_attachments and statuses.max_media_attachments (see overrides_from_instance).",
            image_types=_types(JPEG, PNG, GIF, WEBP, "image/heic", "image/heif", "image/avif"),
            max_image_bytes=16 * MiB, max_images=4, max_items=4,
            video_types=_types(MP4_TYPE, MOV), max_video_bytes=99 * MiB, max_videos=1,
            max_image_pixels=33_177_600, max_video_pixels=8_294_400,
            alt_text_kinds=_types("image", "gif", "video"), alt_text_max=1500,
            notes=("an animated GIF becomes a silent looping video (gifv)",),
        ),
        MediaRule(
            Network.LINKEDIN, "LinkedIn",
            "LinkedIn Images API (JPG/PNG/GIF, <= 36,152,320 pixels, GIF <= 250 frames), MultiImage posts "
            "(up to 20 images), Videos API (MP4, 75 KB-500 MB, 3 s-30 min, aspect 1:2.4 to 2.4:1), Posts API "
            "altText <= 4086 characters. No image byte limit is documented for the API: 5 MB is a conservative "
            "value from LinkedIn's help pages (unsure).",
            image_types=_types(JPEG, PNG, GIF), max_image_bytes=5 * MB, max_images=20,
            max_image_pixels=36_152_320, max_gif_frames=250,
            video_types=_types(MP4_TYPE), max_video_bytes=500 * MB, min_video_seconds=3, max_video_seconds=30 * 60,
            max_videos=1, video_aspect=AspectRange(1 / 2.4, 2.4, "1:2.4 to 2.4:1", "LinkedIn video"),
            alt_text_kinds=_types("image", "gif"), alt_text_max=4086,
        ),
        MediaRule(
            Network.INSTAGRAM, "Instagram",
            "Instagram Graph API content publishing: images JPEG only, <= 8 MB, aspect 4:5 to 1.91:1; carousels "
            "up to 10 images and videos, mixed; Reels MOV/MP4 <= 300 MB, 3 s-15 min, aspect 0.01:1 to 10:1 "
            "(9:16 recommended); a post needs media. Videos inside a carousel <= 60 s (older feed-video spec; "
            "kept as the conservative value, unsure). Alt text for API posts is not modelled (unsure of its limits).",
            image_types=_types(JPEG), max_image_bytes=8 * MB, max_images=10,
            video_types=_types(MP4_TYPE, MOV), max_video_bytes=300 * MB, min_video_seconds=3,
            max_video_seconds=15 * 60, max_videos=10, max_items=10, mix=True,
            image_aspect=AspectRange(4 / 5, 1.91, "4:5 to 1.91:1", "Instagram feed"),
            video_aspect=AspectRange(0.01, 10, "0.01:1 to 10:1", "Instagram Reels"),
            requires_media=True, carousel_max_video_seconds=60,
            notes=("images wider than 1440 px are scaled down", "Reels are best at 9:16"),
        ),
        MediaRule(
            Network.FACEBOOK, "Facebook",
            "Facebook Graph API page photos (JPEG/PNG/GIF, under 4 MB; BMP/TIFF are also taken but not probed here) "
            "and Video API (a single-request upload: <= 1 GB and 20 minutes; resumable uploads allow 10 GB and "
            "4 hours: override when the client uses them). Multi-photo posts: 10 photos is a conservative value "
            "(unsure, undocumented); photos and a video are not combined in one post.",
            image_types=_types(JPEG, PNG, GIF), max_image_bytes=4 * MB, max_images=10,
            video_types=_types(MP4_TYPE, MOV), max_video_bytes=1000 * MB, max_video_seconds=20 * 60, max_videos=1,
        ),
        MediaRule(
            Network.THREADS, "Threads",
            "Threads API media: images JPEG/PNG <= 8 MB, aspect up to 10:1; videos MOV/MP4 <= 1 GB, <= 5 minutes, "
            "aspect 0.01:1 to 10:1; carousels up to 20 items (raised from 10), images and videos mixed; alt_text "
            "on images and videos (no documented length limit, so none checked).",
            image_types=_types(JPEG, PNG), max_image_bytes=8 * MB, max_images=20,
            video_types=_types(MP4_TYPE, MOV), max_video_bytes=1000 * MB, max_video_seconds=300, max_videos=20,
            max_items=20, mix=True,
            image_aspect=AspectRange(1 / 10, 10, "1:10 to 10:1", "Threads"),
            video_aspect=AspectRange(0.01, 10, "0.01:1 to 10:1", "Threads"),
            alt_text_kinds=_types("image", "video"),
        ),
        MediaRule(
            Network.TIKTOK, "TikTok",
            "TikTok Content Posting API: video MP4/MOV (WebM also, not probed here) <= 4 GB, <= 10 minutes (the "
            "creator's max_video_post_duration_sec from creator_info can be lower: override), each side 360-4096 "
            "px; photo posts JPEG/WebP <= 20 MB, up to 35 photos; photos and a video are separate post types; a "
            "post needs media. Minimum 3 s is a conservative value (unsure).",
            image_types=_types(JPEG, WEBP), max_image_bytes=20 * MB, max_images=35,
            video_types=_types(MP4_TYPE, MOV), max_video_bytes=4000 * MB, min_video_seconds=3,
            max_video_seconds=600, max_videos=1, video_side=(360, 4096), requires_media=True,
            notes=("vertical 9:16 is recommended, not enforced", "photos are scaled to at most 1080p"),
        ),
        MediaRule(
            Network.YOUTUBE, "YouTube",
            "YouTube upload limits: one video per upload, <= 256 GB or 12 hours (15 minutes until the account is "
            "verified: override max_video_seconds); MP4/MOV/3GP among the accepted containers; no images. Shorts "
            "are square or vertical and up to 3 minutes (a classification, not a refusal).",
            video_types=_types(MP4_TYPE, MOV, "video/3gpp"), max_video_bytes=256 * 2**30,
            max_video_seconds=12 * 3600, max_videos=1, requires_media=True,
            notes=("Shorts: vertical or square, up to 3 minutes",),
        ),
        MediaRule(
            Network.PINTEREST, "Pinterest",
            "Pinterest API v5 pins and help pages: images JPEG/PNG/GIF/WebP (BMP/TIFF also, not probed here) <= "
            "20 MB, carousels of 2-5 images; video MP4/MOV <= 2 GB, 4 s-15 min; a pin needs an image or a video, "
            "not both; alt text <= 500 characters.",
            image_types=_types(JPEG, PNG, GIF, WEBP), max_image_bytes=20 * MB, max_images=5,
            video_types=_types(MP4_TYPE, MOV), max_video_bytes=2000 * MB, min_video_seconds=4,
            max_video_seconds=15 * 60, max_videos=1, requires_media=True,
            alt_text_kinds=_types("image", "gif"), alt_text_max=500,
            notes=("2:3 is recommended; pins taller than 1:2.1 are cut in the feed",),
        ),
    )
}

RULE_FIELDS = frozenset(field.name for field in dataclasses.fields(MediaRule)) - {"network", "label"}
SET_FIELDS = {"image_types", "video_types", "alt_text_kinds"}


def network_of(name: Network | str) -> Network:
    """The Network for a name, or ValueError listing the networks that have media rules."""
    try:
        network = Network(name)
    except ValueError:
        network = None
    if network not in MEDIA_RULES:
        raise ValueError(f"unknown network {name!r}; choose one of: {', '.join(n.value for n in MEDIA_RULES)}")
    return network


def media_rule(network: Network | str, overrides: Mapping[str, Any] | None = None) -> MediaRule:
    """The network's rule with `overrides` (rule field -> value) applied, e.g. {"max_image_bytes": 2_000_000}."""
    rule = MEDIA_RULES[network_of(network)]
    if not overrides:
        return rule
    unknown = set(overrides) - RULE_FIELDS
    if unknown:
        raise ValueError(f"unknown media rule field(s) {', '.join(sorted(unknown))}; "
                         f"choose from: {', '.join(sorted(RULE_FIELDS))}")
    values = {key: frozenset(value) if key in SET_FIELDS else value for key, value in overrides.items()}
    return dataclasses.replace(rule, **values)


def overrides_from_instance(instance: Mapping[str, Any]) -> dict[str, Any]:
    """Mastodon rule overrides from GET /api/v2/instance (or its `configuration`); missing values keep defaults."""
    configuration = instance.get("configuration", instance)
    media = configuration.get("media_attachments") or {}
    statuses = configuration.get("statuses") or {}
    overrides: dict[str, Any] = {}
    if media.get("supported_mime_types"):
        mime_types = list(media["supported_mime_types"])
        overrides["image_types"] = {m for m in mime_types if m.startswith("image/")}
        overrides["video_types"] = {m for m in mime_types if m.startswith("video/")}
    for source, target in (("image_size_limit", "max_image_bytes"), ("image_matrix_limit", "max_image_pixels"),
                           ("video_size_limit", "max_video_bytes"), ("video_matrix_limit", "max_video_pixels"),
                           ("description_limit", "alt_text_max")):
        if media.get(source) is not None:
            overrides[target] = int(media[source])
    if statuses.get("max_media_attachments") is not None:
        overrides["max_images"] = overrides["max_items"] = int(statuses["max_media_attachments"])
    return overrides


# --- checks --------------------------------------------------------------------------------------

MediaInput = MediaInfo | tuple[MediaInfo, str | None]


@dataclass(frozen=True)
class _Item:
    position: int
    info: MediaInfo
    alt: str

    @property
    def name(self) -> str:
        return f"{KIND_NAMES[self.info.kind]} {self.position}"


def check_media(network: Network | str, items: Sequence[MediaInput], *, require_alt_text: bool = False,
                overrides: Mapping[str, Any] | None = None) -> list[str]:
    """Problems with posting `items` (probed media, optionally with alt text) on one network; [] when fine."""
    return _check(media_rule(network, overrides), _items(items), require_alt_text)


def check_media_all(networks: Iterable[Network | str] | None, items: Sequence[MediaInput], *,
                    require_alt_text: bool = False,
                    overrides: Mapping[Network | str, Mapping[str, Any]] | None = None) -> dict[str, list[str]]:
    """`check_media` for several networks (default: all with rules), keyed by network value."""
    parsed = _items(items)
    by_network = {network_of(name): value for name, value in (overrides or {}).items()}
    results = {}
    for name in networks or MEDIA_RULES:
        network = network_of(name)
        results[network.value] = _check(media_rule(network, by_network.get(network)), parsed, require_alt_text)
    return results


def _items(items: Sequence[MediaInput]) -> list[_Item]:
    parsed = []
    for position, item in enumerate(items, 1):
        info, alt = item if isinstance(item, tuple) else (item, None)
        if not isinstance(info, MediaInfo):
            raise TypeError(f"media item {position} must be a MediaInfo or (MediaInfo, alt text), "
                            f"not {type(info).__name__}")
        parsed.append(_Item(position, info, (alt or "").strip()))
    return parsed


def _check(rule: MediaRule, items: list[_Item], require_alt_text: bool) -> list[str]:
    if not items:
        return [f"{rule.label}: needs {_needed(rule)}"] if rule.requires_media else []
    type_problems = {item.position: _type_problem(rule, item) for item in items}
    problems = [message for message in type_problems.values() if message]
    problems += _count_problems(rule, items)
    for item in items:
        if not type_problems[item.position]:  # a file of the wrong type is to be replaced, not resized
            problems += _item_problems(rule, item, carousel=len(items) > 1)
    for item in items:
        problems += _alt_problems(rule, item, require_alt_text)
    return problems


def _needed(rule: MediaRule) -> str:
    if rule.max_images and rule.max_videos:
        return "at least one image or video"
    return "a video" if rule.max_videos else "at least one image"


def _is_single_gif(rule: MediaRule, info: MediaInfo) -> bool:
    return rule.gif == "single" and info.kind == "gif" and info.animated


def _type_problem(rule: MediaRule, item: _Item) -> str | None:
    info, label = item.info, rule.label
    if info.kind == "video":
        if info.mime_type in rule.video_types:
            return None
        return (f"{label}: {item.name} is {_a(info.type_name)} video; {label} accepts {_names(rule.video_types)} "
                f"videos — convert it to {_names(rule.video_types, first=True)}")
    if not rule.max_images or not rule.image_types:
        return f"{label}: {item.name} cannot be posted; {label} takes only video"
    if info.mime_type in rule.image_types:
        return None
    fix = f"convert it to {_names(rule.image_types, first=True)}"
    if info.animated and rule.max_videos:
        fix += ", or to an MP4 video to keep the animation"
    return f"{label}: {item.name} is {_a(info.type_name)}; {label} accepts {_names(rule.image_types)} images — {fix}"


def _a(type_name: str) -> str:
    """The type name with its article, as it is read aloud: "an MP4", "an AVIF", "a HEIC", "a MOV"."""
    return ("an " if type_name in ("AVIF", "MP4") else "a ") + type_name


def _names(mime_types: Iterable[str], first: bool = False) -> str:
    order = list(TYPE_NAMES)
    names = [TYPE_NAMES.get(m, m) for m in sorted(mime_types, key=lambda m: order.index(m) if m in order else 99)]
    if first:
        return names[0]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _count_problems(rule: MediaRule, items: list[_Item]) -> list[str]:
    label = rule.label
    gifs = [item for item in items if _is_single_gif(rule, item.info)]
    videos = [item for item in items if item.info.kind == "video"]
    images = [item for item in items if item.info.kind != "video" and item not in gifs]
    problems = []
    if rule.max_images and len(images) > rule.max_images:
        problems.append(f"{label}: at most {_plural(rule.max_images, 'image')} per post ({len(images)} given) "
                        f"— remove {len(images) - rule.max_images}")
    if rule.max_videos and len(videos) > rule.max_videos:
        problems.append(f"{label}: at most {_plural(rule.max_videos, 'video')} per post ({len(videos)} given) "
                        f"— post the others separately")
    if len(gifs) > 1:
        problems.append(f"{label}: at most 1 animated GIF per post ({len(gifs)} given) — post the others separately")
    if gifs and len(items) > len(gifs):
        problems.append(f"{label}: an animated GIF cannot be posted together with other images or videos "
                        f"— post it on its own")
    if not rule.mix and rule.max_images and images and videos:
        problems.append(f"{label}: a video and images cannot be posted together — post them separately")
    if not problems and rule.max_items and len(items) > rule.max_items:
        problems.append(f"{label}: at most {rule.max_items} items per post ({len(items)} given) "
                        f"— remove {len(items) - rule.max_items}")
    return problems


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("s" if count != 1 else "")


def _item_problems(rule: MediaRule, item: _Item, carousel: bool) -> list[str]:
    info, label, name = item.info, rule.label, item.name
    problems = []
    if info.kind == "video":
        problems += _bytes_problem(rule, name, info.size_bytes, rule.max_video_bytes,
                                   "compress it or export it at a lower resolution")
        problems += _duration_problems(rule, item, carousel)
        problems += _pixels_problem(rule, name, info, rule.max_video_pixels, "export it at a lower resolution")
        if rule.video_side and info.width and info.height:
            low, high = rule.video_side
            if not all(low <= side <= high for side in (info.width, info.height)):
                problems.append(f"{label}: {name} is {info.width}x{info.height}; {label} needs each side between "
                                f"{low} and {high} pixels — export it at another resolution")
        problems += _aspect_problem(rule.video_aspect, label, name, info)
        return problems
    is_gif = info.kind == "gif"
    limit = rule.max_gif_bytes if is_gif and info.animated and rule.max_gif_bytes else rule.max_image_bytes
    problems += _bytes_problem(rule, name, info.size_bytes, limit,
                               "shorten or compress it" if is_gif and info.animated else "resize or compress it")
    problems += _pixels_problem(rule, name, info, rule.max_image_pixels, "resize it")
    if is_gif and info.animated:
        if rule.max_gif_frames and info.frames > rule.max_gif_frames:
            problems.append(f"{label}: {name} has {info.frames} frames; the limit is {rule.max_gif_frames} "
                            f"— shorten it or post it as a video")
        if rule.gif == "still":
            problems.append(f"{label}: {name} is animated, but {label} shows only its first frame "
                            f"— convert it to an MP4 video to keep the animation")
    problems += _aspect_problem(rule.image_aspect, label, name, info)
    return problems


def _bytes_problem(rule: MediaRule, name: str, size: int, limit: int | None, fix: str) -> list[str]:
    if limit is None or size <= limit:
        return []
    given, maximum = _sizes(size, limit)
    return [f"{rule.label}: {name} is {given}; the limit is {maximum} — {fix}"]


def _sizes(size: int, limit: int) -> tuple[str, str]:
    """Both sizes in the limit's unit (MiB when the network counts in binary), precise enough to differ."""
    unit, name = (MiB, "MiB") if limit % MiB == 0 else (MB, "MB")
    if limit >= 1000 * unit:
        unit, name = unit * (1024 if unit == MiB else 1000), "GiB" if unit == MiB else "GB"
    for digits in range(1, 7):
        given, maximum = (f"{value / unit:.{digits}f}".rstrip("0").rstrip(".") for value in (size, limit))
        if given != maximum:
            break
    return f"{given} {name}", f"{maximum} {name}"


def _pixels_problem(rule: MediaRule, name: str, info: MediaInfo, limit: int | None, fix: str) -> list[str]:
    if limit is None or not info.width or not info.height or info.width * info.height <= limit:
        return []
    return [f"{rule.label}: {name} is {info.width}x{info.height} ({info.width * info.height / 1e6:.1f} megapixels); "
            f"the limit is {limit / 1e6:.1f} megapixels — {fix}"]


def _duration_problems(rule: MediaRule, item: _Item, carousel: bool) -> list[str]:
    label, name, duration = rule.label, item.name, item.info.duration_seconds
    longest = rule.max_video_seconds
    where = ""
    if carousel and rule.carousel_max_video_seconds:
        longest, where = rule.carousel_max_video_seconds, " in a carousel"
    if duration is None:
        if longest or rule.min_video_seconds:
            return [f"{label}: {name} has no recorded duration; {label} limits video length — export it again"]
        return []
    if longest and duration > longest:
        return [f"{label}: {name} is {_duration(duration)} long; the limit{where} is {_duration(longest)} — trim it"]
    if rule.min_video_seconds and duration < rule.min_video_seconds:
        return [f"{label}: {name} is {_duration(duration)} long; it must be at least "
                f"{_duration(rule.min_video_seconds)} — use a longer clip"]
    return []


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{round(seconds, 1):g} s"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s" if secs else ""]
    return " ".join(part for part in parts if part)


def _aspect_problem(aspect: AspectRange | None, label: str, name: str, info: MediaInfo) -> list[str]:
    if aspect is None or not info.width or not info.height or aspect.allows(info.width, info.height):
        return []
    return [f"{label}: {name} is {_ratio(info.width, info.height)}; {aspect.where} accepts {aspect.label} — crop it"]


def _ratio(width: int, height: int) -> str:
    exact = Fraction(width, height)
    if exact.numerator <= 21 and exact.denominator <= 21:
        return f"{exact.numerator}:{exact.denominator}"
    return f"{width / height:.2f}:1" if width >= height else f"1:{height / width:.2f}"


def _alt_problems(rule: MediaRule, item: _Item, require_alt_text: bool) -> list[str]:
    kind = item.info.kind
    if kind not in rule.alt_text_kinds:
        return []  # the network cannot carry it: nothing the author can do
    label, name = rule.label, item.name
    if not item.alt:
        return [f"{label}: {name} has no alt text; this client requires alt text — describe the {KIND_NAMES[kind]}"
                ] if require_alt_text else []
    limit = rule.video_alt_text_max if kind == "video" and rule.video_alt_text_max else rule.alt_text_max
    if limit is None:
        return []
    length = len(GRAPHEME.findall(item.alt)) if rule.alt_text_unit == "graphemes" else len(item.alt)
    if length <= limit:
        return []
    return [f"{label}: {name} alt text is {length:,} {rule.alt_text_unit}; the limit is {limit:,} — shorten it"]
