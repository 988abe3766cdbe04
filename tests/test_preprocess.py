"""The preprocessing the README spells out for outside evaluators is effkit's, pixel for pixel."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from effkit.model.preprocess import LoadReport, iter_images, list_images, load_image
from effkit.model.variants import VARIANTS

ROOT = Path(__file__).resolve().parents[1]


def readme_recipe(path: Path, resolution: int) -> np.ndarray:
    """The README's words as plain Pillow calls, independent of effkit's code."""
    with Image.open(path) as img:
        img = ImageOps.exif_transpose(img).convert("RGB")
    w, h = img.size
    side = int(min(w, h) * resolution / (resolution + 32))
    left, top = math.ceil((w - side) / 2), math.ceil((h - side) / 2)
    square = (left, top, left + side, top + side)
    return np.asarray(img.resize((resolution, resolution), Image.Resampling.BICUBIC, box=square))


def test_the_readme_states_the_recipe_tested_here():
    readme = (ROOT / "README.md").read_text()
    sizes = [v.resolution for v in VARIANTS.values()]
    means_stds = {(v.norm_mean, v.norm_std) for v in VARIANTS.values()}
    assert means_stds == {(127.0, 128.0)}
    for words in ("int(min(w, h) * R / (R + 32))", "ceil((w - side) / 2)",
                  "img.resize((R, R), Image.BICUBIC, box=square)", "(x - 127) / 128",
                  ", ".join(map(str, sizes[:-1])) + f" and {sizes[-1]}"):
        assert words in readme, words


@pytest.mark.parametrize("resolution", sorted({v.resolution for v in VARIANTS.values()}))
def test_readme_recipe_gives_effkits_pixels(photo_dir, tmp_path, resolution):
    photos = list_images(photo_dir)
    assert photos
    phone = tmp_path / "phone.jpg"  # stored sideways, upright by its EXIF orientation
    exif = Image.Exif()
    exif[0x0112] = 6
    with Image.open(photos[0]) as img:
        img.transpose(Image.Transpose.ROTATE_90).save(phone, quality=95, exif=exif)
    photos.append(phone)
    for photo in photos:
        assert np.array_equal(readme_recipe(photo, resolution), load_image(photo, resolution)), photo.name


def test_linked_folders_are_followed_once_and_gifs_read(photo_dir, tmp_path):
    """A class folder linked to where the photos live is listed (train already read it; the
    calibration and eval walk skipped it without a word); a link back up the tree is not
    followed round; a GIF is read (its first frame), as Keras' folder loader reads it; a
    hidden folder is not entered, and a HEIC photo is listed to be skipped in words."""
    first = sorted(photo_dir.iterdir())[0]
    (tmp_path / "elsewhere").mkdir()
    for p in sorted(photo_dir.iterdir())[:3]:
        (tmp_path / "elsewhere" / p.name).write_bytes(p.read_bytes())
    data = tmp_path / "data"
    (data / "own").mkdir(parents=True)
    (data / "own" / first.name).write_bytes(first.read_bytes())
    (data / "linked").symlink_to(tmp_path / "elsewhere")
    (data / "own" / "loop").symlink_to(data)
    with Image.open(first) as im:
        frames = [im.convert("RGB"), im.convert("RGB").rotate(90)]
    frames[0].save(data / "own" / "moving.GIF", save_all=True, append_images=frames[1:])
    (data / "own" / ".thumbnails").mkdir()  # a viewer's cache of the same photos: not entered
    (data / "own" / ".thumbnails" / first.name).write_bytes(first.read_bytes())
    (data / "own" / "IMG_0001.HEIC").write_bytes(b"\0\0\0\x18ftypheic")  # listed, to be skipped in words
    # macOS's AppleDouble file beside a photo on a USB disk or in a zip: not an image at all
    # (it doubled the unreadable count of data copied from a Mac: an outside walk)
    (data / "own" / f"._{first.name}").write_bytes(b"\0\x05\x16\x07\0\x02\0\0Mac OS X        ")
    listed = [p.relative_to(data).as_posix() for p in list_images(data)]
    assert listed == sorted(["own/" + first.name, "own/moving.GIF", "own/IMG_0001.HEIC"]
                            + ["linked/" + p.name for p in sorted(photo_dir.iterdir())[:3]])
    report = LoadReport()
    assert list(iter_images([data / "own" / "IMG_0001.HEIC"], 224, report)) == []
    assert report.skipped == [f"{data / 'own' / 'IMG_0001.HEIC'}: HEIC photos are not read (Pillow "
                              "cannot decode them): convert it to JPEG or PNG"]
    gif = load_image(data / "own" / "moving.GIF", 224)
    with Image.open(first) as im:
        rgb = tmp_path / "first.png"
        im.convert("RGB").save(rgb)
    assert gif.shape == (224, 224, 3) and np.abs(gif.astype(int) - load_image(rgb, 224)).mean() < 8
