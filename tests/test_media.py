"""Media probing (real files made here with Pillow and struct) and the per-network media rules."""

from __future__ import annotations

import random
import re
import struct
import warnings
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, features

from socialdesk.clients.schemas import Network
from socialdesk.networks.media import (
    MEDIA_RULES,
    MediaError,
    MediaInfo,
    check_media,
    check_media_all,
    media_rule,
    overrides_from_instance,
    probe,
)

# --- files built in the test ---------------------------------------------------------------------

IDENTITY = struct.pack(">9i", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
ROTATE_90 = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full_box(kind: bytes, payload: bytes, version: int = 0, flags: int = 0) -> bytes:
    return box(kind, bytes([version]) + flags.to_bytes(3, "big") + payload)


def mp4_bytes(seconds: float = 12.5, width: int = 1080, height: int = 1920, *, brand: bytes = b"isom",
              matrix: bytes = IDENTITY, handler: bytes = b"vide", mdat: int = 64) -> bytes:
    """ftyp + moov(mvhd, trak(tkhd, mdia(mdhd, hdlr))) + mdat: the smallest file mutagen and our walker read."""
    duration = round(seconds * 1000)
    mvhd = full_box(b"mvhd", struct.pack(">4I", 0, 0, 1000, duration) + struct.pack(">IH", 0x10000, 0x100)
                    + bytes(10) + IDENTITY + bytes(24) + struct.pack(">I", 2))
    tkhd = full_box(b"tkhd", struct.pack(">5I", 0, 0, 1, 0, duration) + bytes(8) + struct.pack(">4h", 0, 0, 0, 0)
                    + matrix + struct.pack(">2I", width << 16, height << 16), flags=3)
    mdhd = full_box(b"mdhd", struct.pack(">4I", 0, 0, 1000, duration) + struct.pack(">2H", 0x55C4, 0))
    hdlr = full_box(b"hdlr", struct.pack(">I4s", 0, handler) + bytes(12) + b"Handler\0")
    moov = box(b"moov", mvhd + box(b"trak", tkhd + box(b"mdia", mdhd + hdlr)))
    return box(b"ftyp", brand + struct.pack(">I", 0x200) + brand + b"mp41") + moov + box(b"mdat", bytes(mdat))


def heic_bytes(*, rotate: bool = False) -> bytes:
    """A HEIC whose primary item (1) is 4032x3024 and whose thumbnail (item 2, listed first) is 320x240."""
    ispe = lambda w, h: full_box(b"ispe", struct.pack(">2I", w, h))  # noqa: E731
    properties = ispe(320, 240) + ispe(4032, 3024) + (box(b"irot", b"\x01") if rotate else b"")
    primary = [0x82] + ([0x03] if rotate else [])
    ipma = full_box(b"ipma", struct.pack(">I", 2) + struct.pack(">HB", 2, 1) + bytes([0x81])
                    + struct.pack(">HB", 1, len(primary)) + bytes(primary))
    meta = full_box(b"meta", full_box(b"hdlr", struct.pack(">I4s", 0, b"pict") + bytes(12) + b"\0")
                    + full_box(b"pitm", struct.pack(">H", 1)) + box(b"iprp", box(b"ipco", properties) + ipma))
    return box(b"ftyp", b"heic" + bytes(4) + b"mif1heic") + meta + box(b"mdat", bytes(32))


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims huge dimensions: the shape of a decompression bomb."""
    ihdr = struct.pack(">2I5B", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(bytes(1000)))
            + png_chunk(b"IEND", b""))


def noise(width: int, height: int) -> Image.Image:
    return Image.effect_noise((width, height), 64).convert("RGB")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """One real file per supported type, some with names that lie about their type."""
    paths = {name: tmp_path / name for name in (
        "png-named.jpg", "photo.jpg", "rotated.jpg", "still.gif", "animated.gif", "photo.webp", "clip.mp4",
        "portrait.mov", "photo.heic",
    )}
    Image.new("RGB", (640, 480), "teal").save(paths["png-named.jpg"], format="PNG")
    noise(300, 200).save(paths["photo.jpg"], format="JPEG", quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees when displayed
    noise(100, 200).save(paths["rotated.jpg"], format="JPEG", exif=exif)
    Image.new("P", (50, 40)).save(paths["still.gif"])
    frames = [noise(120, 90).convert("P") for _ in range(3)]
    frames[0].save(paths["animated.gif"], save_all=True, append_images=frames[1:], duration=100, loop=0)
    noise(400, 300).save(paths["photo.webp"], format="WEBP")
    paths["clip.mp4"].write_bytes(mp4_bytes(12.5, 1080, 1920))
    paths["portrait.mov"].write_bytes(mp4_bytes(3.2, 1920, 1080, brand=b"qt  ", matrix=ROTATE_90))
    paths["photo.heic"].write_bytes(heic_bytes())
    return paths


# --- probe ---------------------------------------------------------------------------------------


def test_probe_detects_png_by_content_not_by_name(files):
    info = probe(files["png-named.jpg"])
    assert info == MediaInfo("image", "image/png", files["png-named.jpg"].stat().st_size, 640, 480, None, None)


def test_probe_jpeg_and_webp_dimensions(files):
    assert (probe(files["photo.jpg"]).mime_type, probe(files["photo.jpg"]).width) == ("image/jpeg", 300)
    webp = probe(files["photo.webp"])
    assert (webp.kind, webp.mime_type, webp.width, webp.height) == ("image", "image/webp", 400, 300)


def test_probe_applies_exif_orientation(files):
    info = probe(files["rotated.jpg"])
    assert (info.width, info.height) == (200, 100)  # stored 100x200, displayed on its side


def test_probe_counts_gif_frames_animated_and_still(files):
    animated, still = probe(files["animated.gif"]), probe(files["still.gif"])
    assert (animated.kind, animated.mime_type, animated.frames, animated.animated) == ("gif", "image/gif", 3, True)
    assert (animated.width, animated.height) == (120, 90)
    assert (still.kind, still.frames, still.animated) == ("gif", 1, False)


def test_probe_mp4_reads_duration_with_mutagen_and_size_from_tkhd(files):
    info = probe(files["clip.mp4"])
    assert info == MediaInfo("video", "video/mp4", files["clip.mp4"].stat().st_size, 1080, 1920, 12.5, None)


def test_probe_mov_applies_the_rotation_matrix(files):
    info = probe(files["portrait.mov"])
    assert (info.mime_type, info.width, info.height, info.duration_seconds) == ("video/quicktime", 1080, 1920, 3.2)


def test_probe_classic_mov_without_ftyp(tmp_path):
    path = tmp_path / "old.mov"
    path.write_bytes(mp4_bytes(2.0, 640, 480)[24:])  # drop the 24-byte ftyp: moov comes first
    info = probe(path)
    assert (info.mime_type, info.width, info.height, info.duration_seconds) == ("video/quicktime", 640, 480, 2.0)


def test_malformed_heic_is_refused_not_crashing(tmp_path):
    short_ispe = box(b"ispe", b"\x00\x00")  # a property box shorter than its fields
    meta = full_box(b"meta", box(b"iprp", box(b"ipco", short_ispe)))
    path = tmp_path / "broken.heic"
    path.write_bytes(box(b"ftyp", b"heic" + bytes(4) + b"mif1heic") + meta)
    with pytest.raises(MediaError, match="looks like an MP4/MOV video or HEIC image but is truncated or corrupt"):
        probe(path)


def test_probe_heic_reads_the_primary_items_size(files, tmp_path):
    info = probe(files["photo.heic"])
    assert (info.kind, info.mime_type, info.width, info.height) == ("image", "image/heic", 4032, 3024)
    rotated = tmp_path / "rotated.heic"
    rotated.write_bytes(heic_bytes(rotate=True))
    assert (probe(rotated).width, probe(rotated).height) == (3024, 4032)


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow has no AVIF encoder")
def test_probe_avif_written_by_a_real_encoder(tmp_path):
    path = tmp_path / "photo.avif"
    noise(300, 200).save(path, format="AVIF")  # libavif's own boxes, not ours
    info = probe(path)
    assert (info.kind, info.mime_type, info.width, info.height) == ("image", "image/avif", 300, 200)
    assert check_media("x", [info]) == [
        "X: image 1 is an AVIF; X accepts JPEG, PNG, GIF or WebP images — convert it to JPEG"]
    assert check_media("mastodon", [info]) == []


def test_text_file_named_png_is_refused_with_what_it_is(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("Meeting notes: post the launch on Tuesday.\n")
    with pytest.raises(MediaError) as error:
        probe(path)
    message = str(error.value)
    assert message.startswith("notes.png: not an image or video")
    assert "plain text" in message and "JPEG, PNG, GIF, WebP" in message and "MP4 or MOV" in message


@pytest.mark.parametrize(("content", "guess"), [
    (b"", "an empty file"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
    (b"\x1aE\xdf\xa3\x9fB\x86\x81\x01", "a WebM/Matroska video (convert it to MP4)"),
    (b"\x00\x01\x02\x03\xfe\xfd\xfc\x80\x81\x90" * 3, "unknown binary data"),
    (b"Get free shipping on every order this week", "plain text"),  # bytes 4-8 spell a QuickTime box name
    (b"BMW launch plan", "plain text"),
    (b"BM" + struct.pack("<I", 30) + bytes(24), "a BMP image (convert it to PNG or JPEG)"),
])
def test_unsupported_files_say_what_they_look_like(tmp_path, content, guess):
    path = tmp_path / "upload.jpg"
    path.write_bytes(content)
    with pytest.raises(MediaError, match=re.escape(f"it looks like {guess}. Accepted: JPEG")):
        probe(path)


def test_truncated_png_is_refused(tmp_path):
    path = tmp_path / "cut.png"
    noise(200, 200).save(path, format="PNG")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    expected = "cut.png: looks like a PNG image but is truncated or corrupt (it ends inside the IDAT chunk)"
    with pytest.raises(MediaError, match=re.escape(expected)):
        probe(path)


def test_truncated_jpeg_gif_and_webp_are_refused(files, tmp_path):
    for name, what in (("photo.jpg", "JPEG"), ("animated.gif", "GIF"), ("photo.webp", "WebP")):
        data = files[name].read_bytes()
        cut = tmp_path / f"cut-{name}"
        cut.write_bytes(data[: len(data) - 40])
        with pytest.raises(MediaError, match=f"looks like a {what} image but is truncated or corrupt"):
            probe(cut)


def test_png_without_image_data_is_refused(tmp_path):
    path = tmp_path / "empty.png"
    ihdr = struct.pack(">2I5B", 10, 10, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IEND", b""))
    with pytest.raises(MediaError, match=r"truncated or corrupt \(it has no image data\)"):
        probe(path)


def test_heic_without_property_associations_uses_the_largest_size(tmp_path):
    ispe = full_box(b"ispe", struct.pack(">2I", 320, 240)) + full_box(b"ispe", struct.pack(">2I", 4032, 3024))
    meta = full_box(b"meta", box(b"iprp", box(b"ipco", ispe)))
    path = tmp_path / "bare.heic"
    path.write_bytes(box(b"ftyp", b"heic" + bytes(4) + b"mif1heic") + meta)
    assert (probe(path).width, probe(path).height) == (4032, 3024)
    path.write_bytes(box(b"ftyp", b"heic" + bytes(4) + b"mif1heic") + full_box(b"meta", b""))
    with pytest.raises(MediaError, match="no item properties"):
        probe(path)


def test_truncated_mp4_and_mp4_without_moov_are_refused(tmp_path):
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(mp4_bytes()[:-30])
    with pytest.raises(MediaError, match=r"truncated or corrupt \(it ends inside the mdat box, 30 bytes are missing\)"):
        probe(cut)
    no_moov = tmp_path / "unfinished.mp4"
    no_moov.write_bytes(box(b"ftyp", b"isom" + bytes(4) + b"isom") + box(b"mdat", bytes(100)))
    with pytest.raises(MediaError, match="no moov box"):
        probe(no_moov)


def test_audio_only_files_are_refused(tmp_path):
    track = tmp_path / "voice.mp4"
    track.write_bytes(mp4_bytes(handler=b"soun"))
    with pytest.raises(MediaError, match="has no video track"):
        probe(track)
    m4a = tmp_path / "song.m4a"
    m4a.write_bytes(mp4_bytes(brand=b"M4A "))
    with pytest.raises(MediaError, match=r"an audio file \(M4A\)"):
        probe(m4a)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_claiming(100_000, 100_000))  # 10 gigapixels in a 1 KB file
    with pytest.raises(MediaError, match="decompression bomb"):
        probe(bomb)


def test_image_between_pillows_warning_and_error_limits_is_refused_without_a_warning(tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(png_claiming(10_000, 10_000))  # 100 MP: Pillow only warns (its error starts at 179 MP)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(MediaError, match=re.escape("10000x10000 pixels (100 megapixels) is refused as a possible")):
            probe(big)
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # the process-wide Pillow setting is left alone


def test_damaged_files_give_media_error_or_media_info_never_a_crash(files, tmp_path):
    """Random truncations and flipped bytes of every generated file, with a fixed seed."""
    rng = random.Random(20240601)
    for source in files.values():
        data = source.read_bytes()
        for trial in range(60):
            damaged = bytearray(data[: rng.randrange(len(data))] if trial % 2 else data)
            for _ in range(0 if trial % 2 else rng.randint(1, 4)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            path = tmp_path / f"damaged{source.suffix}"
            path.write_bytes(bytes(damaged))
            try:
                assert isinstance(probe(path), MediaInfo)
            except MediaError:
                pass


def test_check_media_reads_no_file(files):
    infos = [probe(files["photo.jpg"]), probe(files["clip.mp4"])]
    for path in files.values():
        path.unlink()
    assert check_media("instagram", infos) == []


# --- rules ---------------------------------------------------------------------------------------

JPEG = MediaInfo("image", "image/jpeg", 500_000, 1080, 1080)
PNG = MediaInfo("image", "image/png", 500_000, 1200, 800)
VIDEO = MediaInfo("video", "video/mp4", 20_000_000, 1080, 1920, 30.0)
ANIMATED = MediaInfo("gif", "image/gif", 2_000_000, 480, 270, None, 40)
STILL_GIF = MediaInfo("gif", "image/gif", 300_000, 480, 270, None, 1)


def test_rules_cover_the_ten_networks_each_with_a_source():
    assert set(MEDIA_RULES) == set(Network) - {Network.BLOG}
    for network, rule in MEDIA_RULES.items():
        assert rule.network is network and len(rule.source) > 40
        assert rule.video_types, f"{network} takes video"


def test_image_over_the_size_limit_names_network_position_and_fix():
    big = replace(PNG, size_bytes=1_400_000)
    assert check_media("bluesky", [PNG, big]) == [
        "Bluesky: image 2 is 1.4 MB; the limit is 1 MB — resize or compress it"]
    assert check_media(Network.INSTAGRAM, [replace(JPEG, size_bytes=9_000_000)]) == [
        "Instagram: image 1 is 9 MB; the limit is 8 MB — resize or compress it"]
    assert check_media("mastodon", [replace(PNG, size_bytes=17 * 2**20)]) == [
        "Mastodon: image 1 is 17 MiB; the limit is 16 MiB — resize or compress it"]
    assert check_media("bluesky", [replace(PNG, size_bytes=1_000_400)]) == [
        "Bluesky: image 1 is 1.0004 MB; the limit is 1 MB — resize or compress it"]  # never "1 MB; the limit is 1 MB"
    assert check_media("bluesky", [replace(PNG, size_bytes=1_000_000)]) == []


@pytest.mark.parametrize(("network", "message"), [
    ("instagram", "Instagram: needs at least one image or video"),
    ("tiktok", "TikTok: needs at least one image or video"),
    ("pinterest", "Pinterest: needs at least one image or video"),
    ("youtube", "YouTube: needs a video"),
])
def test_networks_that_need_media(network, message):
    assert check_media(network, []) == [message]
    assert check_media(network, [VIDEO]) == []


def test_text_only_networks_need_no_media():
    assert check_media_all(["x", "bluesky", "mastodon", "linkedin", "facebook", "threads"], []) == {
        name: [] for name in ("x", "bluesky", "mastodon", "linkedin", "facebook", "threads")}


def test_too_many_images():
    assert check_media("x", [JPEG] * 5) == ["X: at most 4 images per post (5 given) — remove 1"]
    assert check_media("bluesky", [JPEG] * 6) == ["Bluesky: at most 4 images per post (6 given) — remove 2"]
    assert check_media("pinterest", [JPEG] * 6) == ["Pinterest: at most 5 images per post (6 given) — remove 1"]
    assert check_media("x", [JPEG] * 4) == []


def test_too_many_items_in_a_carousel():
    items = [JPEG] * 6 + [VIDEO] * 6
    assert check_media("instagram", items) == ["Instagram: at most 10 items per post (12 given) — remove 2"]
    assert check_media("threads", items) == []


def test_too_many_videos():
    assert check_media("bluesky", [VIDEO, VIDEO]) == [
        "Bluesky: at most 1 video per post (2 given) — post the others separately"]
    assert check_media("x", [VIDEO, VIDEO]) == ["X: at most 1 video per post (2 given) — post the others separately"]


def test_images_and_video_together():
    assert check_media("x", [VIDEO, JPEG]) == ["X: a video and images cannot be posted together — post them separately"]
    assert check_media("bluesky", [JPEG, VIDEO]) == [
        "Bluesky: a video and images cannot be posted together — post them separately"]
    assert check_media("instagram", [JPEG, VIDEO]) == []  # a mixed carousel
    assert check_media("threads", [JPEG, VIDEO]) == []


def test_aspect_ratio_ranges():
    wide = replace(JPEG, width=3000, height=1000)
    assert check_media("instagram", [wide]) == [
        "Instagram: image 1 is 3:1; Instagram feed accepts 4:5 to 1.91:1 — crop it"]
    tall = replace(JPEG, width=1080, height=1920)
    assert check_media("instagram", [tall]) == [
        "Instagram: image 1 is 9:16; Instagram feed accepts 4:5 to 1.91:1 — crop it"]
    for width, height in ((1080, 1350), (1080, 566), (1080, 1080)):  # the edges and the middle
        assert check_media("instagram", [replace(JPEG, width=width, height=height)]) == []
    panorama = replace(VIDEO, width=1920, height=480)
    assert check_media("x", [panorama]) == ["X: video 1 is 4:1; X accepts 1:3 to 3:1 — crop it"]
    assert check_media("linkedin", [replace(VIDEO, width=400, height=1200)]) == [
        "LinkedIn: video 1 is 1:3; LinkedIn video accepts 1:2.4 to 2.4:1 — crop it"]
    assert check_media("linkedin", [replace(VIDEO, width=1000, height=2350)]) == []  # 1:2.35 is inside


def test_alt_text_required_by_this_client():
    assert check_media("mastodon", [JPEG], require_alt_text=True) == [
        "Mastodon: image 1 has no alt text; this client requires alt text — describe the image"]
    assert check_media("bluesky", [(JPEG, "A cat"), (JPEG, "  ")], require_alt_text=True) == [
        "Bluesky: image 2 has no alt text; this client requires alt text — describe the image"]
    assert check_media("mastodon", [JPEG]) == []
    assert check_media("mastodon", [(JPEG, "A cat on a keyboard")], require_alt_text=True) == []
    assert check_media("instagram", [JPEG], require_alt_text=True) == []  # the network cannot carry alt text


def test_alt_text_too_long_counted_in_the_networks_unit():
    assert check_media("x", [(JPEG, "a" * 1001)]) == [
        "X: image 1 alt text is 1,001 characters; the limit is 1,000 — shorten it"]
    assert check_media("mastodon", [(JPEG, "a" * 1501)]) == [
        "Mastodon: image 1 alt text is 1,501 characters; the limit is 1,500 — shorten it"]
    family = "\U0001F468\u200D\U0001F469\u200D\U0001F467"  # one grapheme, five code points
    assert check_media("bluesky", [(JPEG, family * 2000)]) == []
    assert check_media("bluesky", [(JPEG, family * 2001)]) == [
        "Bluesky: image 1 alt text is 2,001 graphemes; the limit is 2,000 — shorten it"]
    assert check_media("bluesky", [(VIDEO, "v" * 1001)]) == [
        "Bluesky: video 1 alt text is 1,001 graphemes; the limit is 1,000 — shorten it"]


def test_video_duration_limits():
    assert check_media("x", [replace(VIDEO, duration_seconds=150)]) == [
        "X: video 1 is 2 min 30 s long; the limit is 2 min 20 s — trim it"]
    assert check_media("bluesky", [replace(VIDEO, duration_seconds=200)]) == [
        "Bluesky: video 1 is 3 min 20 s long; the limit is 3 min — trim it"]
    assert check_media("instagram", [replace(VIDEO, duration_seconds=2)]) == [
        "Instagram: video 1 is 2 s long; it must be at least 3 s — use a longer clip"]
    assert check_media("x", [replace(VIDEO, duration_seconds=0.3)]) == [
        "X: video 1 is 0.3 s long; it must be at least 0.5 s — use a longer clip"]
    assert check_media("x", [replace(VIDEO, duration_seconds=140)]) == []


def test_instagram_carousel_videos_are_shorter():
    long = replace(VIDEO, duration_seconds=90)
    assert check_media("instagram", [long]) == []  # a Reel
    assert check_media("instagram", [JPEG, long]) == [
        "Instagram: video 2 is 1 min 30 s long; the limit in a carousel is 1 min — trim it"]


def test_video_over_the_size_limit():
    assert check_media("x", [replace(VIDEO, size_bytes=600_000_000)]) == [
        "X: video 1 is 600 MB; the limit is 512 MB — compress it or export it at a lower resolution"]
    assert check_media("bluesky", [replace(VIDEO, size_bytes=150_000_000)]) == [
        "Bluesky: video 1 is 150 MB; the limit is 100 MB — compress it or export it at a lower resolution"]
    assert check_media("tiktok", [replace(VIDEO, size_bytes=5_000_000_000)]) == [
        "TikTok: video 1 is 5 GB; the limit is 4 GB — compress it or export it at a lower resolution"]


def test_unsupported_types_per_network(files):
    heic = probe(files["photo.heic"])
    assert check_media("x", [heic]) == [
        "X: image 1 is a HEIC; X accepts JPEG, PNG, GIF or WebP images — convert it to JPEG"]
    assert check_media("mastodon", [heic]) == []
    assert check_media("instagram", [JPEG, PNG]) == [
        "Instagram: image 2 is a PNG; Instagram accepts JPEG images — convert it to JPEG"]
    assert check_media("threads", [ANIMATED]) == [
        "Threads: GIF 1 is a GIF; Threads accepts JPEG or PNG images — convert it to JPEG, "
        "or to an MP4 video to keep the animation"]
    assert check_media("youtube", [JPEG]) == ["YouTube: image 1 cannot be posted; YouTube takes only video"]
    mov = probe(files["portrait.mov"])
    assert check_media("bluesky", [mov]) == [
        "Bluesky: video 1 is a MOV video; Bluesky accepts MP4 videos — convert it to MP4"]
    assert check_media("x", [mov]) == []


def test_gif_handling():
    assert check_media("x", [ANIMATED, JPEG]) == [
        "X: an animated GIF cannot be posted together with other images or videos — post it on its own"]
    assert check_media("x", [ANIMATED, ANIMATED]) == [
        "X: at most 1 animated GIF per post (2 given) — post the others separately"]
    assert check_media("x", [ANIMATED]) == []
    assert check_media("x", [STILL_GIF, JPEG, JPEG, JPEG]) == []  # a still GIF is an image on X
    assert check_media("x", [replace(ANIMATED, size_bytes=20_000_000)]) == [
        "X: GIF 1 is 20 MB; the limit is 15 MB — shorten or compress it"]
    assert check_media("x", [replace(STILL_GIF, size_bytes=6_000_000)]) == [
        "X: GIF 1 is 6 MB; the limit is 5 MB — resize or compress it"]
    assert check_media("bluesky", [replace(ANIMATED, size_bytes=800_000)]) == [
        "Bluesky: GIF 1 is animated, but Bluesky shows only its first frame "
        "— convert it to an MP4 video to keep the animation"]
    assert check_media("bluesky", [STILL_GIF]) == []
    assert check_media("linkedin", [replace(ANIMATED, frames=300)]) == [
        "LinkedIn: GIF 1 has 300 frames; the limit is 250 — shorten it or post it as a video"]
    assert check_media("x", [replace(ANIMATED, frames=400)]) == [
        "X: GIF 1 has 400 frames; the limit is 350 — shorten it or post it as a video"]


def test_pixel_and_side_limits():
    huge = replace(JPEG, width=8000, height=6000)
    assert check_media("mastodon", [huge]) == [
        "Mastodon: image 1 is 8000x6000 (48.0 megapixels); the limit is 33.2 megapixels — resize it"]
    assert check_media("linkedin", [huge]) == [
        "LinkedIn: image 1 is 8000x6000 (48.0 megapixels); the limit is 36.2 megapixels — resize it"]
    tiny = replace(VIDEO, width=320, height=240)
    assert check_media("tiktok", [tiny]) == [
        "TikTok: video 1 is 320x240; TikTok needs each side between 360 and 4096 pixels "
        "— export it at another resolution"]


def test_overrides_and_mastodon_instance_configuration(files):
    heic = probe(files["photo.heic"])
    big = replace(PNG, size_bytes=20 * 2**20)
    instance = {"configuration": {
        "statuses": {"max_media_attachments": 6},
        "media_attachments": {"supported_mime_types": ["image/jpeg", "image/png", "video/mp4"],
                              "image_size_limit": 32 * 2**20, "video_size_limit": 200 * 2**20},
    }}
    overrides = overrides_from_instance(instance)
    assert overrides["max_images"] == 6 and overrides["max_image_bytes"] == 32 * 2**20
    assert check_media("mastodon", [big] * 6, overrides=overrides) == []
    assert check_media("mastodon", [big] * 6) == [
        "Mastodon: at most 4 images per post (6 given) — remove 2",
        *[f"Mastodon: image {i} is 20 MiB; the limit is 16 MiB — resize or compress it" for i in range(1, 7)]]
    assert check_media("mastodon", [heic], overrides=overrides) == [
        "Mastodon: image 1 is a HEIC; Mastodon accepts JPEG or PNG images — convert it to JPEG"]
    assert check_media("bluesky", [replace(PNG, size_bytes=1_900_000)], overrides={"max_image_bytes": 2_000_000}) == []
    with pytest.raises(ValueError, match="unknown media rule field"):
        media_rule("bluesky", {"max_image_size": 1})


def test_check_media_all_keys_by_network_and_applies_per_network_overrides(files):
    items = [probe(files["png-named.jpg"]), probe(files["photo.jpg"])]
    results = check_media_all(None, items)
    assert list(results) == [network.value for network in MEDIA_RULES]
    assert results["x"] == [] and results["bluesky"] == []
    assert results["instagram"] == ["Instagram: image 1 is a PNG; Instagram accepts JPEG images — convert it to JPEG"]
    assert results["youtube"] == ["YouTube: image 1 cannot be posted; YouTube takes only video",
                                  "YouTube: image 2 cannot be posted; YouTube takes only video"]
    relaxed = check_media_all(["instagram", "x"], items,
                              overrides={"instagram": {"image_types": ["image/jpeg", "image/png"]}})
    assert relaxed == {"instagram": [], "x": []}
    # an override that allows images but no image type still gives a readable message
    assert check_media("youtube", items[:1], overrides={"max_images": 2}) == [
        "YouTube: image 1 cannot be posted; YouTube takes only video"]
    with pytest.raises(ValueError, match="unknown network 'blog'"):
        check_media_all(["blog"], items)
    with pytest.raises(ValueError, match="unknown network 'myspace'"):
        check_media("myspace", items)


def test_items_must_be_probed_media():
    with pytest.raises(TypeError, match="media item 1 must be a MediaInfo"):
        check_media("x", ["photo.jpg"])
