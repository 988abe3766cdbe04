"""Real photos with a known ImageNet class, from the photos scikit-image ships.

``skimage.data`` holds a few colour photos inside the wheel (no download): a tabby cat
(chelsea), an espresso (coffee), a rocket on its launch pad (rocket) and a motorcycle
(motorcycle_left). Each is written in 12 views (whole, four 80% crops, a centre crop;
each also mirrored) as ``<wnid>_<class>_<view>.jpg``, so ``name.split("_")[0]`` is the
wnid, as in ImageNet's own file names. The float lite0 names espresso, missile and moped
top-1 on every view; for the cat it hesitates between the three domestic-cat classes
(tabby, tiger cat, Egyptian cat), so accuracy checks count a cat right on any of them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

# skimage.data file -> (wnid, ImageNet class index, class name in file names)
PHOTOS = {
    "chelsea.png": ("n02123045", 281, "tabby"),
    "rocket.jpg": ("n03773504", 657, "missile"),
    "motorcycle_left.png": ("n03785016", 665, "moped"),
    "coffee.png": ("n07920052", 967, "espresso"),
}
CATS = {281, 282, 285}  # tabby, tiger cat, Egyptian cat: one photo, any of them is right
VIEWS = 12


def acceptable(index: int) -> set[int]:
    """The class indices counted right for a photo of class ``index``."""
    return CATS if index in CATS else {index}


def _views(img):
    from PIL import Image

    w, h = img.size
    boxes = {"whole": (0, 0, w, h), "left": (0, 0, w * 4 // 5, h), "right": (w // 5, 0, w, h),
             "top": (0, 0, w, h * 4 // 5), "bottom": (0, h // 5, w, h),
             "centre": (w * 3 // 20, h * 3 // 20, w * 17 // 20, h * 17 // 20)}
    for name, box in boxes.items():
        crop = img.crop(box)
        yield name, crop
        yield f"{name}-mirrored", crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def write_photos(folder: Path) -> Path:
    """``folder`` with ``len(PHOTOS) * VIEWS`` JPEG photos (made once; later calls reuse it)."""
    if folder.is_dir():
        return folder
    import skimage
    from PIL import Image

    source = Path(skimage.__file__).parent / "data"
    part = folder.with_name(folder.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    for file, (wnid, _, name) in PHOTOS.items():
        with Image.open(source / file) as img:
            for view, pixels in _views(img.convert("RGB")):
                pixels.save(part / f"{wnid}_{name}_{view}.jpg", quality=92)
    part.rename(folder)
    return folder
