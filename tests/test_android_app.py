"""The Android Studio project rendered from android_template/ (effkit.apps.android).

Everything that can run here runs for real, on a project rendered with hostile names:

1. every XML file parses; the manifest and resources are compiled and linked by aapt2
   against Android's framework-res.apk (platform attributes and themes only), and the
   escaped names read back from the linked resource table unchanged;
2. the Kotlin sources (app, JVM unit test, instrumented test) are type-checked by
   kotlinc against the API stubs in tests/android_stubs/ (with the R class aapt2
   generated) and the real JUnit 4 jar;
3. the pure-Kotlin ImageMath.kt runs on the JVM (tests/android_kotlin/GoldenHarness.kt)
   against golden data from effkit's Python pipeline: same pixels, crop, resized image
   and quantized input tensor (exact, byte for byte), and the same scores and top-k as
   effkit's own evaluation of a real uint8-I/O int8 TFLite model with metadata;
4. the generated project's own JVM unit test (app/src/test, ImageMathTest.kt) runs with
   JUnit 4 on its golden vectors, rendered from the bundled model; and the generated
   gradlew refuses to run without Gradle's published wrapper jar.

The model is small (a few conv layers, 13 classes with hostile labels) and built here
with effkit's converter and metadata writer, so the test does not wait for a full
EfficientNet-Lite build. Tools: aapt2 + framework-res.apk (Debian packages aapt and
android-framework-res), kotlinc (npm package kotlin-compiler), java (JDK 17), JUnit 4
(Debian package junit4), shellcheck.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.dom.minidom
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from effkit.apps.android import (
    DEFAULT_RUNTIME,
    RUNTIMES,
    android_context,
    android_string_resource,
    render_android_app,
    validate_app_id,
)
from effkit.apps.render import kt_package
from effkit.errors import LabelsError, ModelFileError, OutputError, TemplateError, UsageError
from effkit.model.variants import get_variant

HERE = Path(__file__).resolve().parent
STUBS = HERE / "android_stubs"
TEST_STUBS = STUBS / "androidx-test"  # need the JUnit jar on the class path
# Each runtime's app is type-checked against its own LiteRT stubs only (an interpreter
# class in the CompiledModel app fails the check): LiteRT 1.4 Java API, LiteRT 2.x Kotlin.
RUNTIME_STUBS = {"interpreter": STUBS / "litert", "compiled-model": STUBS / "litert2"}
JUNIT_JARS = [Path(os.environ.get("JUNIT_JAR", "/usr/share/java/junit4.jar")),
              Path(os.environ.get("HAMCREST_JAR", "/usr/share/java/hamcrest-core.jar"))]
# Gradle's published SHA-256s for 9.6.1 (services.gradle.org/distributions/
# gradle-9.6.1-bin.zip.sha256 and gradle-9.6.1-wrapper.jar.sha256).
GRADLE_DIST_SHA256 = "9c0f7faeeb306cb14e4279a3e084ca6b596894089a0638e68a07c945a32c9e14"
GRADLE_WRAPPER_SHA256 = "497c8c2a7e5031f6aa847f88104aa80a93532ec32ee17bdb8d1d2f67a194a9c7"
HARNESS = HERE / "android_kotlin" / "GoldenHarness.kt"
FRAMEWORK_RES = Path(os.environ.get("ANDROID_FRAMEWORK_RES",
                                    "/usr/share/android-framework-res/framework-res.apk"))

VARIANT = get_variant("lite0")
RES = VARIANT.resolution
APP_ID = "in.example_1.Lite0app"  # 'in' is a Kotlin keyword: the sources write it `in`
APP_NAME = "@Lite \"0\" <&> it's $HOME ${x} \\n 100% %s %d\nline\ttwo ü 日本 🐍 👩\u200d💻 ]]>"
MODEL_NAME = "?model \"$(rm -rf /)\" \\ ${name} 'q' <b>&amp;</b> é\u200b\nsecond line"
LABELS = [
    "plain", 'say "hi"', "it's", "$HOME ${x}", "back\\slash", "<b>&amp;</b>", "@string/app_name",
    "?attr/x", "100% %s %d", "  two  spaces ", "naïve 🐍 日本", "tab\there", "]]> end",
]
TOP_K = 3


# --- tools ---------------------------------------------------------------------------


def _tool(name: str, *fallbacks: Path) -> str:
    found = shutil.which(name)
    if found:
        return found
    for path in fallbacks:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    pytest.skip(f"{name} is not installed (.ci/run installs it); this check needs it")


def _npm_kotlinc() -> list[Path]:
    paths = []
    if os.environ.get("KOTLINC"):
        paths.append(Path(os.environ["KOTLINC"]))
    npm = shutil.which("npm")
    if npm:
        root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, timeout=60)
        if root.returncode == 0 and root.stdout.strip():
            paths.append(Path(root.stdout.strip()) / "kotlin-compiler" / "bin" / "kotlinc")
    return paths


def _run(argv: list[str], timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)


# --- fixtures: model, rendered app, compiled Kotlin -----------------------------------


@pytest.fixture(scope="module")
def calibration_images(photo_dir) -> list[Path]:
    from effkit.model.preprocess import list_images

    return list_images(photo_dir)


@pytest.fixture(scope="module")
def models(tmp_path_factory, calibration_images) -> dict[str, Path]:
    """Real full-integer models with effkit's classifier metadata: uint8 I/O (what
    `effkit build` makes by default) and int8 I/O, from one small Keras network."""
    import tensorflow as tf

    from effkit.metadata import attach_classifier_metadata, verify
    from effkit.model.preprocess import load_image, normalize
    from effkit.pipeline.convert import ConvertOptions, convert, pin_input_range

    keras = tf.keras
    keras.utils.set_random_seed(0)
    inputs = keras.Input((RES, RES, 3))
    x = keras.layers.Conv2D(8, 3, strides=4, padding="same", activation="relu6")(inputs)
    x = keras.layers.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")(x)
    x = keras.layers.Conv2D(16, 1, activation="relu6")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    # A wide initializer spreads the logits, so the softmax has a clear top-3.
    x = keras.layers.Dense(len(LABELS), kernel_initializer=keras.initializers.RandomNormal(stddev=2.0))(x)
    model = keras.Model(inputs, keras.layers.Softmax()(x))
    calib = np.stack([normalize(load_image(p, RES), VARIANT.norm_mean, VARIANT.norm_std)
                      for p in calibration_images[:16]])
    calib = pin_input_range(calib, VARIANT.norm_mean, VARIANT.norm_std)
    folder = tmp_path_factory.mktemp("model")
    paths = {}
    for io in ("uint8", "int8"):
        tflite = convert(model, ConvertOptions(quant="int8", io=io), calib)
        tflite = attach_classifier_metadata(
            tflite, labels=LABELS, norm_mean=VARIANT.norm_mean, norm_std=VARIANT.norm_std,
            name="fixture", description="test classifier", version="1", author="effkit tests",
            license="Apache-2.0")
        verify(tflite, LABELS)
        paths[io] = folder / f"model_{io}.tflite"
        paths[io].write_bytes(tflite)
    return paths


@pytest.fixture(scope="module")
def model_path(models) -> Path:
    return models["uint8"]


@pytest.fixture(scope="module")
def apps(tmp_path_factory, model_path) -> dict[str, Path]:
    """The app rendered for each runtime, with the hostile names and labels."""
    rendered = {}
    for runtime in RUNTIMES:
        out = tmp_path_factory.mktemp(f"render-{runtime}") / "android"
        # The default runtime is rendered without naming it, as `effkit build` does.
        chosen = None if runtime == DEFAULT_RUNTIME else runtime
        result = render_android_app(out, app_id=APP_ID, app_name=APP_NAME, model_name=MODEL_NAME,
                                    variant=VARIANT, labels=LABELS, model_path=model_path,
                                    runtime=chosen)
        assert result == out
        rendered[runtime] = out
    return rendered


@pytest.fixture(scope="module")
def app(apps) -> Path:
    """The default (CompiledModel) app: for what both runtimes share."""
    return apps[DEFAULT_RUNTIME]


@pytest.fixture(scope="module", params=RUNTIMES)
def runtime_app(request, apps) -> tuple[str, Path]:
    """Each runtime's app in turn: for what differs between them."""
    return request.param, apps[request.param]


def _package_dir(app: Path, source_set: str = "main") -> Path:
    return app.joinpath("app", "src", source_set, "java", *APP_ID.split("."))


def _junit_jars() -> list[Path] | None:
    return JUNIT_JARS if all(p.is_file() for p in JUNIT_JARS) else None


@pytest.fixture(scope="module")
def linked_all(apps, tmp_path_factory) -> dict[str, dict]:
    """aapt2 compile + link of each runtime's app resources against framework-res.apk."""
    aapt2 = _tool("aapt2", *sorted(Path("/usr/lib/android-sdk/build-tools").glob("*/aapt2")))
    if not FRAMEWORK_RES.is_file():
        pytest.skip(f"{FRAMEWORK_RES} is missing (Debian package android-framework-res)")
    return {runtime: _link(aapt2, app, tmp_path_factory.mktemp(f"aapt2-{runtime}"))
            for runtime, app in apps.items()}


@pytest.fixture(scope="module")
def linked(runtime_app, linked_all) -> dict:
    return linked_all[runtime_app[0]]


def _link(aapt2: str, app: Path, work: Path) -> dict:
    main = app / "app" / "src" / "main"
    # AGP writes the Gradle namespace into the merged manifest; do the same for aapt2.
    manifest = (main / "AndroidManifest.xml").read_text(encoding="utf-8")
    assert "package=" not in manifest
    manifest = manifest.replace("<manifest ", f'<manifest package="{APP_ID}" ', 1)
    (work / "AndroidManifest.xml").write_text(manifest, encoding="utf-8")
    compiled = _run([aapt2, "compile", "--dir", str(main / "res"), "-o", str(work / "res.zip")])
    assert compiled.returncode == 0, compiled.stderr
    gen = work / "gen"
    # Debian's aapt2 (Android 10) predates <uses-native-library> (API 31) and rejects it
    # as unknown; its manifest checks run as warnings, and that element must be the only
    # one reported (test_manifest_gpu_and_platform_details checks the element itself).
    link = _run([aapt2, "link", "-o", str(work / "app.apk"), "-I", str(FRAMEWORK_RES),
                 "--manifest", str(work / "AndroidManifest.xml"), "--java", str(gen),
                 "--min-sdk-version", "24", "--target-sdk-version", "36", "--warn-manifest-validation",
                 str(work / "res.zip")])
    assert link.returncode == 0, link.stderr
    reported = [line for line in link.stderr.splitlines() if line.strip()]
    assert all("unexpected element <uses-native-library> found in <manifest><application>" in line
               for line in reported), link.stderr
    r_java = gen.joinpath(*APP_ID.split("."), "R.java")
    assert r_java.is_file()
    return {"apk": work / "app.apk", "r_java": r_java, "stderr": compiled.stderr + link.stderr}


def _stub_files(runtime: str, junit) -> list[str]:
    """The shared stubs plus this runtime's LiteRT stubs (the test stubs with JUnit)."""
    skipped = {p for r, p in RUNTIME_STUBS.items() if r != runtime}
    if not junit:
        skipped.add(TEST_STUBS)
    roots = [p for p in STUBS.iterdir() if p.is_dir() and p not in skipped]
    return sorted(str(p) for root in roots for p in root.rglob("*") if p.suffix in (".kt", ".java"))


def _app_sources(app: Path, junit) -> list[str]:
    source_sets = ("main", "test", "androidTest") if junit else ("main",)
    return sorted(str(p) for s in source_sets for p in _package_dir(app, s).glob("*.kt"))


@pytest.fixture(scope="module")
def kotlin(apps, linked_all, tmp_path_factory) -> dict:
    """Three kotlinc runs, two at a time: one type-checks each runtime's app (with its
    unit and instrumented tests when the JUnit jar is installed) against the shared
    stubs and that runtime's LiteRT stubs; one compiles ImageMath.kt alone with the JVM
    harness and the generated ImageMathTest.kt (proving they need no Android class)."""
    kotlinc = _tool("kotlinc", *_npm_kotlinc())
    _tool("java")
    junit = _junit_jars()
    work = tmp_path_factory.mktemp("kotlin")
    classpath = ["-classpath", os.pathsep.join(map(str, junit))] if junit else []
    app = apps[DEFAULT_RUNTIME]  # ImageMath.kt and its test are the same in both apps
    sources = {runtime: _app_sources(path, junit) for runtime, path in apps.items()}
    jobs = {runtime: [kotlinc, "-jvm-target", "17", *classpath, "-d", str(work / f"{runtime}-classes"),
                      *sources[runtime], str(linked_all[runtime]["r_java"]), *_stub_files(runtime, junit)]
            for runtime in apps}
    harness = work / "GoldenHarness.kt"
    harness.write_text(f"package {kt_package(APP_ID)}\n\n" + HARNESS.read_text(encoding="utf-8"),
                       encoding="utf-8")
    image_math = str(_package_dir(app) / "ImageMath.kt")
    unit_test = [str(_package_dir(app, "test") / "ImageMathTest.kt")] if junit else []
    jar = work / "harness.jar"
    env = dict(os.environ, JAVA_OPTS="-Xmx768m")
    jobs["harness"] = [kotlinc, "-jvm-target", "17", *classpath, "-include-runtime", "-d", str(jar),
                       image_math, str(harness), *unit_test]
    with ThreadPoolExecutor(2) as pool:
        futures = {k: pool.submit(_run, argv, 900, env=env) for k, argv in jobs.items()}
        results = {k: f.result() for k, f in futures.items()}
    return {"results": results, "jar": jar, "main": f"{APP_ID}.GoldenHarnessKt", "junit": junit,
            "sources": sources}


@pytest.fixture(scope="module")
def typecheck(runtime_app, kotlin) -> dict:
    """One runtime's type-check, out of the kotlin fixture's runs."""
    runtime = runtime_app[0]
    return {"result": kotlin["results"][runtime], "sources": kotlin["sources"][runtime],
            "junit": kotlin["junit"], "runtime": runtime}


# --- rendering ------------------------------------------------------------------------


def test_rendered_tree(app, model_path):
    files = sorted(p.relative_to(app).as_posix() for p in app.rglob("*") if p.is_file())
    pkg = "app/src/main/java/" + APP_ID.replace(".", "/")
    for expected in [
        "settings.gradle.kts", "build.gradle.kts", "gradle.properties", "gradle/libs.versions.toml",
        "gradle/wrapper/gradle-wrapper.properties", "README.md", "app/build.gradle.kts",
        "app/src/main/AndroidManifest.xml", "app/src/main/assets/model.tflite",
        "app/src/main/res/values/strings.xml", "app/src/main/res/layout/activity_main.xml",
        f"{pkg}/MainActivity.kt", f"{pkg}/Classifier.kt", f"{pkg}/ImageMath.kt", f"{pkg}/ModelInfo.kt",
        f"{pkg}/ClassifierViewModel.kt", f"{pkg}/ModelMetadata.kt", ".effkit-answers.json", "gradlew",
        "gradlew.bat",
        "app/src/main/res/drawable-v26/ic_launcher.xml",
        "app/src/test/java/" + APP_ID.replace(".", "/") + "/ImageMathTest.kt",
        "app/src/androidTest/java/" + APP_ID.replace(".", "/") + "/ClassifierSmokeTest.kt",
        *(f"app/src/test/resources/golden/{n}" for n in ("case.properties", "frame.rgba", "resized.rgb",
                                                        "shrunk.rgb", "input.bin", "output.bin", "scores.bin",
                                                        "labels.txt", "top_labels.txt")),
        "app/src/androidTest/assets/golden/case.properties", "app/src/androidTest/assets/golden/frame.rgba",
    ]:
        assert expected in files, expected
    assert os.access(app / "gradlew", os.X_OK)
    assert not (app / "gradle/wrapper/gradle-wrapper.jar").exists()  # see test_gradlew_*
    assert not [f for f in files if f.endswith(".jinja") or "_app_package_" in f or f.endswith(".keep")]
    assert (app / "app/src/main/assets/model.tflite").read_bytes() == model_path.read_bytes()
    kotlin = sorted(p for p in app.rglob("*.kt"))
    assert kotlin and all(p.read_text(encoding="utf-8").startswith("package `in`.example_1.Lite0app\n")
                          for p in kotlin)  # the Kotlin keyword 'in' in backticks, in every source
    answers = json.loads((app / ".effkit-answers.json").read_text(encoding="utf-8"))
    assert answers["app_name"] == APP_NAME and answers["labels"] == LABELS
    assert answers["android_runtime"] == "compiled-model"  # the default, recorded for a re-render
    assert not list(app.parent.glob(".*.tmp*")), "staging folders left behind"


def test_runtimes_differ_only_in_the_runtime_files(apps):
    """Both runtimes' apps share the screen, the ViewModel, ImageMath.kt, the metadata
    reader, the tests and their golden vectors byte for byte; only the classifier, the
    build files and the README differ (so one JVM run of ImageMath covers both)."""
    def tree(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    a, b = tree(apps["compiled-model"]), tree(apps["interpreter"])
    assert a.keys() == b.keys()
    pkg = "app/src/main/java/" + APP_ID.replace(".", "/")
    assert {k for k in a if a[k] != b[k]} == {
        f"{pkg}/Classifier.kt", "app/build.gradle.kts", "gradle/libs.versions.toml", "README.md",
        ".effkit-answers.json"}


# What each runtime's build declares (gradle/libs.versions.toml and app/build.gradle.kts).
LITERT_ARTIFACTS = {
    "compiled-model": {"litert": "2.3.2", "litert-gpu": "2.3.2", "litert-metadata": "1.0.0"},
    "interpreter": {m: "1.4.2" for m in ("litert", "litert-api", "litert-gpu", "litert-gpu-api",
                                         "litert-support", "litert-metadata")},
}


def test_gradle_files(runtime_app):
    runtime, app = runtime_app
    # tomllib from Python 3.11; the same parser as tomli before it (the test extra)
    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    catalog = tomllib.loads((app / "gradle/libs.versions.toml").read_text(encoding="utf-8"))
    versions = catalog["versions"]
    assert versions["agp"].startswith("9.5.") and versions["kotlin"].startswith("2.")
    assert versions["camerax"] == "1.6.2"
    accessors = {k.replace("-", ".").replace("_", "."): v for k, v in catalog["libraries"].items()}
    plugins = {k.replace("-", "."): v for k, v in catalog["plugins"].items()}
    for lib in accessors.values():
        assert lib["version"]["ref"] in versions
    # Every libs.* accessor used by the build scripts exists in the catalog.
    for script in ("build.gradle.kts", "app/build.gradle.kts"):
        text = re.sub(r"//.*", "", (app / script).read_text(encoding="utf-8"))
        for ref in re.findall(r"libs\.((?:plugins\.)?[a-z0-9.]+)", text):
            if ref.startswith("plugins."):
                assert ref.removeprefix("plugins.") in plugins, ref
            else:
                assert ref in accessors, ref
    litert = {v["module"].split(":")[1]: versions[v["version"]["ref"]]
              for v in catalog["libraries"].values() if v["module"].startswith("com.google.ai.edge.litert:")}
    assert litert == LITERT_ARTIFACTS[runtime]
    # Built-in Kotlin (AGP 9): no Kotlin Android plugin anywhere.
    assert "kotlin-android" not in catalog["plugins"] and "kotlin.android" not in str(catalog)
    modules = {v["module"] for v in catalog["libraries"].values()}
    assert {"androidx.lifecycle:lifecycle-viewmodel", "androidx.lifecycle:lifecycle-livedata-core",
            "androidx.core:core", "junit:junit", "androidx.test:runner", "androidx.test.ext:junit"} <= modules
    head = (app / "gradle/libs.versions.toml").read_text(encoding="utf-8").split("[versions]")[0]
    for name, version in versions.items():  # every pinned version says where it was checked
        assert version in head, name
    app_build = (app / "app/build.gradle.kts").read_text(encoding="utf-8")
    assert f'namespace = "{APP_ID}"' in app_build and f'applicationId = "{APP_ID}"' in app_build
    assert "minSdk = 24" in app_build and 'noCompress += "tflite"' in app_build
    assert "compileSdk = 37" in app_build and "targetSdk = 36" in app_build
    assert "VERSION_17" in app_build and "org.jetbrains.kotlin" not in app_build
    assert 'testInstrumentationRunner = "androidx.test.runner.AndroidJUnitRunner"' in app_build
    for dep in ("testImplementation(libs.junit)", "androidTestImplementation(libs.androidx.test.runner)",
                "implementation(libs.lifecycle.viewmodel)",
                *(f"implementation(libs.{m.replace('-', '.')})" for m in LITERT_ARTIFACTS[runtime])):
        assert dep in app_build, dep
    assert app_build.count("implementation(libs.litert") == len(LITERT_ARTIFACTS[runtime])
    wrapper = (app / "gradle/wrapper/gradle-wrapper.properties").read_text(encoding="utf-8")
    assert "distributionUrl=https\\://services.gradle.org/distributions/gradle-9.6.1-bin.zip\n" in wrapper
    assert f"\ndistributionSha256Sum={GRADLE_DIST_SHA256}\n" in wrapper
    settings = (app / "settings.gradle.kts").read_text(encoding="utf-8")
    name = re.search(r'rootProject\.name = "([^"]*)"', settings).group(1)
    assert name and not re.search(r'[/\\:<>"?*|]', name)


def _wrapper_project(app: Path, tmp_path: Path, jar: bytes | None) -> Path:
    project = tmp_path / "project with spaces"
    project.mkdir()
    shutil.copy2(app / "gradlew", project / "gradlew")
    shutil.copytree(app / "gradle", project / "gradle")
    if jar is not None:
        (project / "gradle/wrapper/gradle-wrapper.jar").write_bytes(jar)
    return project


def test_gradlew_without_the_jar_names_the_fix(app, tmp_path):
    project = _wrapper_project(app, tmp_path, None)
    run = _run([str(project / "gradlew"), "assembleDebug"], timeout=60, cwd=tmp_path)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.count("\n") == 1, run.stderr
    assert "gradle-wrapper.jar is missing" in run.stderr
    assert "gradle wrapper --gradle-version 9.6.1" in run.stderr and "README.md" in run.stderr


def test_gradlew_refuses_a_jar_gradle_did_not_publish(app, tmp_path):
    """Only the jar whose SHA-256 Gradle publishes for 9.6.1 runs (Debian's own build of
    the wrapper, for example, matches none of Gradle's checksums)."""
    import hashlib

    fake = b"PK\x03\x04 not Gradle's wrapper"
    project = _wrapper_project(app, tmp_path, fake)
    run = _run([str(project / "gradlew"), "tasks"], timeout=60)
    assert run.returncode == 1 and run.stderr.count("\n") == 1, run.stderr
    assert hashlib.sha256(fake).hexdigest() in run.stderr
    assert "is not Gradle 9.6.1's published wrapper jar" in run.stderr


def test_gradlew_scripts(app):
    """Both launchers pin Gradle's published wrapper checksum; the .bat keeps CRLF."""
    sh = (app / "gradlew").read_text(encoding="utf-8")
    bat = (app / "gradlew.bat").read_bytes()
    assert sh.startswith("#!/bin/sh\n") and f"WRAPPER_SHA256={GRADLE_WRAPPER_SHA256}\n" in sh
    assert f'set "WRAPPER_SHA256={GRADLE_WRAPPER_SHA256}"'.encode() in bat
    assert bat.count(b"\n") == bat.count(b"\r\n") > 10
    assert b"org.gradle.wrapper.GradleWrapperMain %*" in bat
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (Debian package shellcheck)")
    run = _run([shellcheck, str(app / "gradlew")], timeout=120)
    assert run.returncode == 0, run.stdout


def test_golden_vectors_describe_the_bundled_model(app, model_path):
    """The generated tests' vectors: the frame is the test card turned by the stated
    rotation, and the device test bundles the same frame and expectations."""
    from effkit.analysis.evaluate import TFLiteClassifier
    from effkit.apps.android import golden_frame

    golden = app / "app/src/test/resources/golden"
    props = dict(line.split("=", 1) for line in (golden / "case.properties").read_text().splitlines()
                 if line and not line.startswith("#"))
    w, h, stride = int(props["width"]), int(props["height"]), int(props["rowStride"])
    plane = np.frombuffer((golden / "frame.rgba").read_bytes(), dtype=np.uint8).reshape(h, stride)
    sensor = plane[:, : w * 4].reshape(h, w, 4)
    assert (sensor[..., 3] == 255).all()
    turns = int(props["rotation"]) // 90
    assert np.array_equal(np.rot90(sensor[..., :3], k=-turns), golden_frame())
    clf = TFLiteClassifier(model_path.read_bytes())
    assert int(props["resolution"]) == clf.resolution == RES and int(props["outputCount"]) == len(LABELS)
    assert props["inputType"] == "UINT8" and props["outputType"] == "UINT8"
    top = [int(i) for i in props["topK"].split(",")]
    tops = [bytes.fromhex(x).decode("utf-8") for x in (golden / "top_labels.txt").read_text().split()]
    assert tops == [LABELS[i] for i in top]
    from PIL import Image

    from effkit.model.preprocess import center_crop_box, crop_and_resize

    shrunk = int(props["shrunkResolution"])  # a case that shrinks its crop, as camera frames do
    left, _, right, _ = center_crop_box(*golden_frame().shape[1::-1], shrunk)
    assert right - left > 1.5 * shrunk
    assert (golden / "shrunk.rgb").read_bytes() == \
        crop_and_resize(Image.fromarray(golden_frame()), shrunk).tobytes()
    device = app / "app/src/androidTest/assets/golden"
    assert (device / "frame.rgba").read_bytes() == (golden / "frame.rgba").read_bytes()
    assert (device / "case.properties").read_bytes() == (golden / "case.properties").read_bytes()


def test_kotlin_literals_escaped(app):
    info = (_package_dir(app) / "ModelInfo.kt").read_text(encoding="utf-8")
    literal = re.search(r"const val NAME: String = (\".*\")\n", info).group(1)
    # A Kotlin string literal of these escapes reads back as the model name.
    decoded = json.loads(literal.replace("\\$", "$").replace("\\'", "'"))
    assert decoded == MODEL_NAME
    assert "${" not in literal.replace("\\${", "")


def test_the_model_is_memory_mapped_not_read_into_the_heap(runtime_app):
    """Both apps map the uncompressed .tflite asset for the metadata reader (the
    CompiledModel app had read all of it into a Java byte array: over 50 MB for a float32
    lite4); kotlinc type-checks the calls against the API stubs (test_kotlin_app_typechecks_against_stubs)."""
    runtime, app = runtime_app
    classifier = (_package_dir(app) / "Classifier.kt").read_text(encoding="utf-8")
    assert "readBytes()" not in classifier
    mapped = {"compiled-model": "context.assets.openFd(name)",
              "interpreter": "FileUtil.loadMappedFile(context, ModelInfo.ASSET)"}[runtime]
    assert mapped in classifier
    gradle = (app / "app" / "build.gradle.kts").read_text(encoding="utf-8")
    assert 'noCompress += "tflite"' in gradle


README_RUNTIME_PHRASES = {
    "compiled-model": ("`CompiledModel`", "**What runs where.**", "`Options(Accelerator.GPU)`",
                       "`writeInt8`", "`litert-gpu`", "**Phone NPUs** are not used"),
    "interpreter": ("`Interpreter` API and its GPU delegate", "**GPU.** With the switch on",
                    "`--android-runtime interpreter`"),
}


def test_readme(runtime_app):
    runtime, app = runtime_app
    readme = (app / "README.md").read_text(encoding="utf-8")
    for phrase in (*README_RUNTIME_PHRASES[runtime], "## Runtimes", "play-services-litert",
                   "Run 'Tests in", "## Open", "## Build", "## Test", "## Run", "## Swap the model",
                   "gradle wrapper --gradle-version 9.6.1", "./gradlew test",
                   "./gradlew connectedAndroidTest",
                   f"must print {GRADLE_WRAPPER_SHA256}", "app/src/main/assets/model.tflite"):
        assert phrase in readme, phrase
    assert "<b>" not in readme and "\n\n\n" not in readme


# --- check 1: XML and aapt2 -------------------------------------------------------------


def test_xml_well_formed(app):
    xml_files = sorted(app.rglob("*.xml"))
    assert len(xml_files) >= 6
    for path in xml_files:
        xml.dom.minidom.parse(str(path))  # raises on malformed XML


def test_resources_use_platform_only(app):
    res = app / "app/src/main/res"
    text = "\n".join(p.read_text(encoding="utf-8") for p in res.rglob("*.xml"))
    text += (app / "app/src/main/AndroidManifest.xml").read_text(encoding="utf-8")
    assert "Theme.AppCompat" not in text and "Theme.MaterialComponents" not in text
    assert "Theme.Material3" not in text and 'xmlns:app=' not in text
    assert re.findall(r'parent="([^"]+)"', text) == ["android:Theme.Material.Light.NoActionBar"]


def _unescape(match: re.Match) -> str:
    return {"n": "\n", "t": "\t"}.get(match.group(1), match.group(1))


def _resource_strings(apk: Path) -> dict[str, str]:
    """String resources of a linked APK, decoded from `aapt dump --values resources`."""
    aapt = _tool("aapt")
    dump = subprocess.run([aapt, "dump", "--values", "resources", str(apk)], capture_output=True,
                          timeout=120)
    assert dump.returncode == 0, dump.stderr
    # The string pool stores characters beyond U+FFFF as two UTF-8-encoded surrogates
    # (CESU-8, as Java's modified UTF-8); join them back.
    text = dump.stdout.decode("utf-8", "surrogatepass")
    lines = text.encode("utf-16", "surrogatepass").decode("utf-16").splitlines()
    out = {}
    for i, line in enumerate(lines):
        m = re.search(r":string/(\w+): t=0x03", line)
        if m and i + 1 < len(lines):
            v = re.match(r'\s*\(string(?:8|16)\) "(.*)"$', lines[i + 1])
            if v:
                out[m.group(1)] = re.sub(r"\\(.)", _unescape, v.group(1))
    return out


def test_aapt2_links_against_framework(linked):
    strings = _resource_strings(linked["apk"])
    # The escaped names survive aapt2's string processing exactly.
    assert strings["app_name"] == APP_NAME
    assert strings["model_name"] == MODEL_NAME
    assert strings["threads_label"] == "%1$d threads"
    r_java = linked["r_java"].read_text(encoding="utf-8")
    for name in ("activity_main", "preview", "results", "prediction_rows", "prediction_1",
                 "prediction_3", "timing", "gpu_switch", "threads", "threads_label",
                 "status", "status_box", "permission_button", "root", "panel", "app_name", "model_error",
                 "gpu_fallback", "camera_permission_rationale", "open_settings", "Theme_Classifier",
                 "ic_launcher", "ic_launcher_foreground", "ic_launcher_background"):
        assert re.search(rf"\b{name}\b", r_java), name
    assert strings["gpu_fallback"] == "GPU not used (%1$s), running on the CPU · %2$s"


def test_manifest_gpu_and_platform_details(app):
    """OpenCL listed as an optional native library (Android 12+ hides vendor libraries
    otherwise); no status-bar colour (ignored from API 35: edge-to-edge instead); an
    adaptive icon from API 26 with a monochrome layer and the vector below it."""
    ns = "{http://schemas.android.com/apk/res/android}"
    import xml.etree.ElementTree as ET

    main = app / "app/src/main"
    application = ET.parse(main / "AndroidManifest.xml").getroot().find("application")
    native = [(e.get(f"{ns}name"), e.get(f"{ns}required"))
              for e in application.findall("uses-native-library")]
    assert native == [("libOpenCL.so", "false")]
    assert application.get(f"{ns}icon") == "@drawable/ic_launcher"
    assert "statusBarColor" not in (main / "res/values/themes.xml").read_text(encoding="utf-8")
    icon = ET.parse(main / "res/drawable-v26/ic_launcher.xml").getroot()
    assert icon.tag == "adaptive-icon"
    assert {c.tag: c.get(f"{ns}drawable") for c in icon} == {
        "background": "@color/ic_launcher_background", "foreground": "@drawable/ic_launcher_foreground",
        "monochrome": "@drawable/ic_launcher_foreground"}
    assert ET.parse(main / "res/drawable/ic_launcher.xml").getroot().tag == "vector"
    layout = (main / "res/layout/activity_main.xml").read_text(encoding="utf-8")
    assert "fitsSystemWindows" not in layout  # insets are applied in MainActivity


def test_app_code_follows_the_platform_rules(runtime_app):
    """What the type-check cannot see: where each call happens."""
    runtime, app = runtime_app
    activity = (_package_dir(app) / "MainActivity.kt").read_text(encoding="utf-8")
    model = (_package_dir(app) / "ClassifierViewModel.kt").read_text(encoding="utf-8")
    classifier = (_package_dir(app) / "Classifier.kt").read_text(encoding="utf-8")
    # The activity draws; the ViewModel owns the classifier and its thread.
    assert "Classifier.create" not in activity and "Executors." not in activity
    assert "runOnUiThread {" not in activity and "enableEdgeToEdge(" in activity
    assert "ViewModelProvider(this)[ClassifierViewModel::class.java]" in activity
    assert "model.state.observe(this)" in activity and "shouldShowRequestPermissionRationale" in activity
    assert "ACTION_APPLICATION_DETAILS_SETTINGS" in activity
    assert "postValue(" in model and "override fun onCleared()" in model
    if runtime == "interpreter":  # GPU: the device's best options
        assert "GpuDelegate(list.bestOptionsForThisDevice)" in classifier
        assert "com.google.ai.edge.litert" not in classifier
    else:
        # The GPU alone (GPU+CPU would fall back silently), one run before it counts,
        # the uint8 input as bytes; no 1.x class anywhere in the app.
        assert "CompiledModel.Options(LiteRtAccelerator.GPU))" in classifier and "gpu.warmUp()" in classifier
        assert "writeInt8(" in classifier and "readInt8()" in classifier
        assert "Options(LiteRtAccelerator.GPU, LiteRtAccelerator.CPU)" not in classifier
        sources = "".join(p.read_text(encoding="utf-8") for p in app.rglob("*.kt"))
        assert "org.tensorflow.lite.Interpreter" not in sources and "org.tensorflow.lite.gpu" not in sources
    # Throwable (UnsatisfiedLinkError is an Error) caught around the GPU.
    assert "catch (t: Throwable)" in classifier and "catch (e: RuntimeException)" not in classifier
    # Loading and running the model in the ViewModel: any Throwable but out-of-memory.
    assert model.count("catch (t: Throwable)") == 2
    assert model.count("if (t is VirtualMachineError) throw t") == 2


# --- check 2: kotlinc -------------------------------------------------------------------


@pytest.mark.slow  # kotlinc: ~40 s idle per runtime, longer on a busy machine
def test_kotlin_app_typechecks_against_stubs(typecheck):
    result = typecheck["result"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error:" not in result.stderr
    names = {Path(p).name for p in typecheck["sources"]}
    assert {"MainActivity.kt", "ClassifierViewModel.kt", "Classifier.kt", "ModelMetadata.kt"} <= names
    if typecheck["junit"] is None:
        pytest.skip("JUnit 4 jar missing (Debian package junit4): the test sources were not type-checked")
    assert {"ImageMathTest.kt", "ClassifierSmokeTest.kt"} <= names


def _run_unit_test(kotlin, resources: Path) -> subprocess.CompletedProcess:
    """The generated ImageMathTest.kt, run by JUnit 4 with ``resources`` on the class path."""
    if kotlin["junit"] is None:
        pytest.skip("JUnit 4 jar missing (Debian package junit4); the generated unit test needs it")
    if kotlin["results"]["harness"].returncode != 0:
        pytest.fail("ImageMathTest.kt did not compile: " + kotlin["results"]["harness"].stderr)
    classpath = os.pathsep.join(map(str, [kotlin["jar"], resources, *kotlin["junit"]]))
    return _run([_tool("java"), "-cp", classpath, "org.junit.runner.JUnitCore", f"{APP_ID}.ImageMathTest"],
                timeout=300)


@pytest.mark.slow  # kotlinc: ~40 s idle, longer on a busy machine
def test_generated_unit_test_passes_on_the_jvm(app, kotlin):
    """`./gradlew test` in the generated project, without Gradle: the same JUnit 4 test
    class on its golden vectors (rendered from the hostile-label fixture model)."""
    run = _run_unit_test(kotlin, app / "app/src/test/resources")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "OK (4 tests)" in run.stdout


@pytest.mark.slow  # kotlinc: ~40 s idle, longer on a busy machine
def test_generated_unit_test_catches_a_wrong_vector(app, kotlin, tmp_path):
    """The unit test is not vacuous: one changed byte of the expected input tensor fails it."""
    resources = tmp_path / "resources"
    shutil.copytree(app / "app/src/test/resources", resources)
    tensor = bytearray((resources / "golden/input.bin").read_bytes())
    tensor[len(tensor) // 2] ^= 1
    (resources / "golden/input.bin").write_bytes(bytes(tensor))
    run = _run_unit_test(kotlin, resources)
    assert run.returncode != 0
    assert "Tests run: 4,  Failures: 1" in run.stdout and "frameBecomesTheModelInputByteForByte" in run.stdout


@pytest.mark.slow  # kotlinc: ~40 s idle, longer on a busy machine
def test_generated_unit_test_catches_a_resampler_that_never_widens_its_filter(app, kotlin, tmp_path):
    """A camera frame is shrunk to the model's size and the golden card's crop is enlarged:
    the shipped test passed with a resampler broken for shrinking only (an outside walk).
    Its shrunk case fails on that break."""
    if kotlin["junit"] is None:
        pytest.skip("JUnit 4 jar missing (Debian package junit4); the generated unit test needs it")
    source = (_package_dir(app) / "ImageMath.kt").read_text(encoding="utf-8")
    widened = "val filterScale = if (scale < 1.0) 1.0 else scale"
    assert widened in source
    broken = tmp_path / "ImageMath.kt"
    broken.write_text(source.replace(widened, "val filterScale = 1.0"), encoding="utf-8")
    jar = tmp_path / "broken.jar"
    compiled = _run([_tool("kotlinc", *_npm_kotlinc()), "-jvm-target", "17", "-classpath",
                     os.pathsep.join(map(str, kotlin["junit"])), "-include-runtime", "-d", str(jar),
                     str(broken), str(_package_dir(app, "test") / "ImageMathTest.kt")],
                    900, env=dict(os.environ, JAVA_OPTS="-Xmx768m"))
    assert compiled.returncode == 0, compiled.stderr
    classpath = os.pathsep.join(map(str, [jar, app / "app/src/test/resources", *kotlin["junit"]]))
    run = _run([_tool("java"), "-cp", classpath, "org.junit.runner.JUnitCore", f"{APP_ID}.ImageMathTest"],
               timeout=300)
    assert "Tests run: 4,  Failures: 1" in run.stdout and "aShrunkCropMatchesByteForByte" in run.stdout, \
        run.stdout


def test_stubs_cite_their_sources():
    stubs = [p for p in STUBS.rglob("*") if p.suffix in (".kt", ".java")]
    assert len(stubs) > 30
    for path in stubs:
        head = path.read_text(encoding="utf-8")[:1500]
        assert "API stub" in head, path
        assert re.search(r"https://|api/[\w.-]+\.txt|\.fbs", head), f"{path} does not cite a source"


@pytest.mark.slow  # kotlinc: ~40 s idle, longer on a busy machine
def test_image_math_is_pure_kotlin(app, kotlin):
    source = (_package_dir(app) / "ImageMath.kt").read_text(encoding="utf-8")
    imports = re.findall(r"^import ([\w.]+)", source, flags=re.M)
    assert imports and all(i.startswith(("java.", "kotlin.")) for i in imports), imports
    result = kotlin["results"]["harness"]
    assert result.returncode == 0, result.stdout + result.stderr


# --- check 3: the JVM against the Python pipeline ---------------------------------------


def _frames(calibration_images: list[Path], tmp: Path) -> list[Path]:
    """JPEGs of several sizes plus PNGs that exercise upsampling and a camera-sized frame."""
    from PIL import Image

    picks = calibration_images[::97][:5]
    rng = np.random.default_rng(7)
    small = tmp / "small_noise.png"
    Image.fromarray(rng.integers(0, 256, (41, 57, 3), dtype=np.uint8)).save(small)
    with Image.open(picks[0]) as im:
        camera = tmp / "camera_640x480.png"
        im.convert("RGB").resize((640, 480), Image.Resampling.BILINEAR).save(camera)
    return [*picks, small, camera]


def _harness(kotlin, mode: str, cases: Path) -> None:
    if kotlin["results"]["harness"].returncode != 0:
        pytest.fail("the harness did not compile: " + kotlin["results"]["harness"].stderr)
    run = _run([_tool("java"), "-cp", str(kotlin["jar"]), kotlin["main"], mode, str(cases)], timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def _write_case(case: Path, i: int, path: Path, kind: str, clf, labels_bytes: bytes,
                mean, std) -> dict:
    """One camera-like frame of ``path`` for the harness: rotated, strided, offset."""
    from PIL import Image

    rotation = (0, 90, 180, 270)[i % 4]
    with Image.open(path) as im:
        upright = im.convert("RGB")
    # The sensor frame: turned so that a clockwise turn by `rotation` makes it upright
    # (PIL's rotate() is counterclockwise).
    sensor = upright.rotate(rotation, expand=True) if rotation else upright
    rgba = np.asarray(sensor.convert("RGBA"), dtype=np.uint8)
    h, w = rgba.shape[:2]
    row_stride = w * 4 + (0, 12, 64)[i % 3]
    offset = 8 * (i % 2)
    plane = np.zeros(offset + row_stride * h, dtype=np.uint8)
    plane[offset:].reshape(h, row_stride)[:, : w * 4] = rgba.reshape(h, w * 4)
    case.mkdir()
    plane.tofile(case / "frame.rgba")
    (case / "labels.bin").write_bytes(labels_bytes)
    in_scale, in_zero = clf.input["quantization"]
    out_scale, out_zero = clf.output["quantization"]
    props = {
        "width": w, "height": h, "rowStride": row_stride, "pixelStride": 4, "offset": offset,
        "rotation": rotation, "resolution": clf.resolution,
        "mean": ",".join(repr(float(m)) for m in mean), "std": ",".join(repr(float(s)) for s in std),
        "inputType": kind.upper(), "inputScale": repr(float(in_scale)), "inputZeroPoint": int(in_zero),
        "outputType": "INT8" if kind == "int8" else "UINT8", "outputScale": repr(float(out_scale)),
        "outputZeroPoint": int(out_zero), "outputCount": int(np.prod(clf.output["shape"])),
        "k": TOP_K,
    }
    (case / "case.properties").write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    return {"dir": case, "path": path, "upright": np.asarray(upright), "rotation": rotation,
            "kind": kind, "clf": clf, "out_scale": float(out_scale)}


def _run_cases(kotlin, cases_dir: Path, cases: list[dict]) -> None:
    """Kotlin preprocesses; Python runs the model on Kotlin's tensor; Kotlin ranks the output."""
    from effkit.model.preprocess import load_image

    _harness(kotlin, "preprocess", cases_dir)
    for c in cases:
        clf = c["clf"]
        if c["kind"] == "float32":  # the quantized model scores effkit's own input instead
            out = clf.raw(load_image(c["path"], clf.resolution))
        else:
            res = clf.resolution
            tensor = np.fromfile(c["dir"] / "input.bin", dtype=clf.input["dtype"]).reshape(1, res, res, 3)
            clf.interpreter.set_tensor(clf.input["index"], tensor)
            clf.interpreter.invoke()
            out = clf.interpreter.get_tensor(clf.output["index"])[0]
        out.tofile(c["dir"] / "output.bin")
    _harness(kotlin, "postprocess", cases_dir)


@pytest.fixture(scope="module")
def golden(kotlin, models, calibration_images, tmp_path_factory) -> dict:
    """Run the Kotlin pre- and post-processing on frames written by the Python pipeline.

    Frames take turns on three input kinds: the uint8-I/O model, the int8-I/O model, and
    a float32 input tensor (scored by the uint8 model on effkit's own input).
    """
    from effkit.analysis.evaluate import TFLiteClassifier
    from effkit.metadata import associated_files, normalization

    tmp = tmp_path_factory.mktemp("golden")
    cases_dir = tmp / "cases"
    cases_dir.mkdir()
    clfs = {io: TFLiteClassifier(path.read_bytes()) for io, path in models.items()}
    data = models["uint8"].read_bytes()
    mean, std = normalization(data)
    labels_bytes = associated_files(data)["labels.txt"]
    cases = []
    for i, path in enumerate(_frames(calibration_images, tmp)):
        kind = ("uint8", "int8", "float32")[i % 3]
        clf = clfs["int8" if kind == "int8" else "uint8"]
        cases.append(_write_case(cases_dir / f"case{i:02d}", i, path, kind, clf, labels_bytes, mean, std))
    _run_cases(kotlin, cases_dir, cases)
    return {"cases": cases, "clfs": clfs}


@pytest.mark.slow  # kotlinc: ~40 s idle, longer on a busy machine
def test_golden_rotation_and_unpacking(golden):
    for c in golden["cases"]:
        h, w = c["upright"].shape[:2]
        got = np.fromfile(c["dir"] / "upright.rgb", dtype=np.uint8)
        assert got.size == w * h * 3, c["path"].name
        assert np.array_equal(got.reshape(h, w, 3), c["upright"]), (c["path"].name, c["rotation"])


@pytest.mark.slow  # kotlinc: ~40 s idle, longer on a busy machine
def test_golden_crop_resize_and_input_tensor(golden):
    """Same image -> same crop box, same resized pixels, same input tensor: exact.

    Tolerance: none. ImageMath.kt reproduces Pillow's fixed-point bicubic resampler and
    numpy's float32 arithmetic, so bytes (uint8/int8) and float32 bit patterns match.
    """
    from effkit.model.preprocess import center_crop_box, load_image, normalize

    kinds = set()
    for c in golden["cases"]:
        h, w = c["upright"].shape[:2]
        fields = (c["dir"] / "box.txt").read_text().split()
        assert [int(v) for v in fields] == [w, h, *center_crop_box(w, h, RES)]
        expected = load_image(c["path"], RES)
        resized = np.fromfile(c["dir"] / "resized.rgb", dtype=np.uint8).reshape(RES, RES, 3)
        diff = np.abs(resized.astype(int) - expected.astype(int))
        assert diff.max() == 0, f"{c['path'].name}: {int((diff > 0).sum())} values differ, max {diff.max()}"
        if c["kind"] == "float32":
            tensor = np.fromfile(c["dir"] / "input.bin", dtype="<f4").reshape(RES, RES, 3)
            want = normalize(expected, VARIANT.norm_mean, VARIANT.norm_std)
        else:
            clf = c["clf"]
            tensor = np.fromfile(c["dir"] / "input.bin", dtype=clf.input["dtype"]).reshape(RES, RES, 3)
            want = clf._prepare(expected)
        assert tensor.dtype == want.dtype and np.array_equal(tensor, want), (c["path"].name, c["kind"])
        kinds.add(c["kind"])
    assert kinds == {"uint8", "int8", "float32"}


@pytest.mark.slow  # kotlinc: ~40 s idle, longer on a busy machine
def test_golden_scores_and_top_k_match_effkit_evaluation(golden):
    """Kotlin's scores and top-k on the model's raw output match effkit.evaluate's."""
    from effkit.analysis.evaluate import LabelledImage, evaluate
    from effkit.model.preprocess import load_image

    cases = golden["cases"]
    for io, clf in golden["clfs"].items():
        mine = [c for c in cases if c["clf"] is clf]
        assert mine, io
        result = evaluate(clf.scores, clf.resolution, [LabelledImage(c["path"], 0) for c in mine])
        by_path = {p["path"]: p for p in result.predictions}
        for c in mine:
            step = c["out_scale"]  # one quantization step of the output
            scores = np.fromfile(c["dir"] / "scores.bin", dtype="<f4")
            expected = clf.scores(load_image(c["path"], RES))
            assert scores.shape == expected.shape
            assert np.max(np.abs(scores - expected)) <= step + 1e-7, c["path"].name
            top = [int(v) for v in (c["dir"] / "topk.txt").read_text().split()]
            pred = by_path[str(c["path"])]
            assert top == pred["top5"][:TOP_K], (c["path"].name, io, top, pred["top5"])
            assert abs(float(scores[top[0]]) - pred["score"]) <= step + 1e-7
            assert top == [int(i) for i in np.argsort(-scores, kind="stable")[:TOP_K]]


@pytest.mark.slow  # kotlinc: ~40 s idle, longer on a busy machine
def test_golden_labels_and_display(golden):
    for c in golden["cases"]:
        hexes = (c["dir"] / "labels.hex").read_text().split()
        assert [bytes.fromhex(h).decode("utf-8") for h in hexes] == LABELS
        lines = (c["dir"] / "formatted.txt").read_bytes().decode("utf-8").split("\n")
        top = [int(v) for v in (c["dir"] / "topk.txt").read_text().split()]
        assert [line.split("%  ", 1)[1] for line in lines] == [LABELS[i] for i in top]


@pytest.mark.slow  # builds the real lite0 (shared with test_eval; about a minute on 2 cores)
def test_real_lite0_app_through_the_jvm(kotlin, tmp_path_factory, photo_dir, imagenet_index):
    """The real EfficientNet-Lite0 int8 build: rendered into an app, then classified by
    ImageMath.kt on the JVM with the model's own scores, as effkit.evaluate ranks them."""
    from _lite0_builds import eval_images, lite0_builds

    from effkit.analysis.evaluate import LabelledImage, TFLiteClassifier, evaluate
    from effkit.metadata import associated_files, labels_from_model, normalization

    model = lite0_builds(tmp_path_factory, photo_dir)["int8"] / "model.tflite"
    data = model.read_bytes()
    labels = labels_from_model(data)
    assert len(labels) == 1000
    out = tmp_path_factory.mktemp("lite0-app") / "android"
    render_android_app(out, app_id="com.example.lite0", app_name="Lite0 Classifier",
                       model_name="EfficientNet-Lite0 int8", variant=VARIANT, labels=labels,
                       model_path=model)
    assert (out / "app/src/main/assets/model.tflite").read_bytes() == data

    clf = TFLiteClassifier(data)
    assert clf.input["dtype"] == np.uint8 and clf.output["dtype"] == np.uint8
    mean, std = normalization(data)
    cases_dir = tmp_path_factory.mktemp("lite0-cases")
    images = eval_images(photo_dir, 8)
    cases = [_write_case(cases_dir / f"case{i:02d}", i, p, "uint8", clf,
                         associated_files(data)["labels.txt"], mean, std) for i, p in enumerate(images)]
    _run_cases(kotlin, cases_dir, cases)
    truth = {str(p): imagenet_index[p.name.split("_")[0]] for p in images}
    result = evaluate(clf.scores, clf.resolution, [LabelledImage(p, truth[str(p)]) for p in images])
    by_path = {p["path"]: p for p in result.predictions}
    correct = 0
    for c in cases:
        pred = by_path[str(c["path"])]
        top = [int(v) for v in (c["dir"] / "topk.txt").read_text().split()]
        assert top == pred["top5"][:TOP_K], c["path"].name
        scores = np.fromfile(c["dir"] / "scores.bin", dtype="<f4")
        assert abs(float(scores[top[0]]) - pred["score"]) <= c["out_scale"] + 1e-7
        assert [bytes.fromhex(h).decode("utf-8") for h in (c["dir"] / "labels.hex").read_text().split("\n")
                if h] == labels
        correct += top[0] == truth[str(c["path"])]
    # The same images through effkit.evaluate: the JVM path agrees image by image.
    assert correct == round(result.top1 * len(images))
    assert correct >= len(images) // 2, f"only {correct}/{len(images)} top-1 correct"
    # The generated project's own unit test on the golden vectors rendered from lite0
    # (1000 ImageNet labels): the compiled test class is package-independent of its data.
    run = _run_unit_test(kotlin, out / "app/src/test/resources")
    assert run.returncode == 0 and "OK (4 tests)" in run.stdout, run.stdout + run.stderr


# --- answers: validation and safety -----------------------------------------------------


@pytest.mark.parametrize("app_id,words", [
    ('', 'application id is empty'),
    ('com', 'has a single part'),
    ('com.', 'has an empty part'),
    ('.com.example', 'has an empty part'),
    ('com..example', 'has an empty part'),
    ('1com.example', 'is not an identifier Android accepts'),
    ('com.2example', 'is not an identifier Android accepts'),
    ('_com.example', 'is not an identifier Android accepts'),
    ('com.exa-mple', 'is not an identifier Android accepts'),
    ('com.exämple', 'is not an identifier Android accepts'),
    ('com.example.class', 'is a Java keyword'),
    ('com.example.true', 'is a Java keyword'),
    ('com.exa mple', 'is not an identifier Android accepts'),
    ('com.example\n.x', 'is not an identifier Android accepts'),
    ('com/example', "contains '/', which a Java package name cannot hold"),
    ('my app', "contains ' '"), ('example', 'has a single part'),
    ('com.example.', 'has an empty part'),
    ('com.$x', 'is not an identifier Android accepts'),
])
def test_bad_app_ids_rejected(app_id, words):
    with pytest.raises(TemplateError, match=words):
        validate_app_id(app_id)


# Kotlin-only keywords are parts Android accepts (in.*: India's domain): backticked in Kotlin
@pytest.mark.parametrize("app_id", ["com.example.lite1", "org.example_1.Lite0app", "a.b", "io.github.x9_y",
                                    "in.co.example", "com.fun.app", "is.example.val"])
def test_good_app_ids_accepted(app_id):
    assert validate_app_id(app_id) == app_id


@pytest.mark.parametrize("field,value,words", [
    ("app_name", "", "app name is empty"), ("app_name", "   ", "app name is empty"),
    ("app_name", "bell\x07", "U\\+0007"), ("app_name", "x" * 101, "101 characters"),
    # invisible on the launcher, an empty README title (an outside walk found it taken)
    ("app_name", "\u200b\u200d", "app name .* shows nothing"), ("app_name", " \u2800 ", "shows nothing"),
    ("model_name", "cr\rlf", "U\\+000D"), ("model_name", "nul\0", "U\\+0000"),
    ("app_id", "com.example.if", "'if' is a Java keyword"),
])
def test_bad_answers_rejected(field, value, words):
    answers = dict(app_id="com.example.lite0", app_name="A", model_name="M", variant=VARIANT,
                   labels=["a", "b"])
    answers[field] = value
    with pytest.raises(TemplateError, match=words):
        android_context(**answers)


@pytest.mark.parametrize("field,words", [
    ("app_name", "the app name is empty"), ("app_id", "the application id is empty"),
    ("model_name", "the model name is empty"),
])
def test_an_empty_name_given_is_refused_not_replaced_by_the_default(field, words, tmp_path):
    """``--app-name ""`` was taken for no --app-name: the default name, without a word."""
    from effkit.pipeline.build import BuildRequest, plan

    req = BuildRequest(variant="lite0", target="android", out=tmp_path / "o", **{field: ""})
    with pytest.raises(UsageError, match=words):
        plan(req, check_weights=False)


def test_the_app_id_is_checked_before_the_output_folder(tmp_path):
    """A wrong --app-id is named as such, not as the output folder that is in the way."""
    from effkit.pipeline.build import BuildRequest, plan

    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "mine.txt").write_text("not effkit's")
    req = BuildRequest(variant="lite0", target="android", out=tmp_path / "o", app_id="a." * 130)
    with pytest.raises(UsageError, match="260 characters long"):
        plan(req, check_weights=False)


@pytest.mark.parametrize("labels,words", [
    ([], "at least one label"), (["a", ""], "label 2 is empty"),
    (["a", "b\nc"], "label 2 .* contains a line break"), (["a", "b\rc"], "contains a line break"),
    # where Python's splitlines() and a list view break a line (an outside walk found them taken)
    (["a", "b\u2028c"], "label 2 .* contains a line break"), (["b\u2029c"], "contains a line break"),
    # blank to the eye: zero-width characters, a Hangul filler, a lone combining accent
    (["a", "\u200b"], "label 2 .* shows nothing"), (["\u3164"], "label 1 .* shows nothing"),
    (["\u200d\u0301"], "shows nothing"),
    ("ab", "must be a list of names"),
])
def test_bad_labels_rejected(labels, words):
    """The one label rule set (effkit.model.labels.Labels), not a rule set of the app's own."""
    with pytest.raises(LabelsError, match=words):
        android_context(app_id="com.example.x", app_name="A", model_name="M", variant=VARIANT,
                        labels=labels)


def test_android_string_resource_escapes():
    assert android_string_resource("plain") == '"plain"'
    assert android_string_resource("@x ?y") == '"\\@x ?y"'
    assert android_string_resource("?y") == '"\\?y"'
    assert android_string_resource("a'b\"c\\d") == '"a\\\'b\\"c\\\\d"'
    assert android_string_resource("<&>") == '"&lt;&amp;&gt;"'
    assert android_string_resource("x\ny\tz") == '"x\\ny\\tz"'
    assert android_string_resource("100% ü") == '"100% ü"'
    # invisible format characters are visible in the XML (aapt2 reads \u back: see the APK test)
    assert android_string_resource("👩\u200d💻\u200b") == '"👩\\u200d💻\\u200b"'


def test_render_refuses_mismatched_labels_and_bad_models(tmp_path, model_path):
    common = dict(app_id="com.example.lite0", app_name="A", model_name="M", variant=VARIANT)
    with pytest.raises(ModelFileError, match="packed labels differ"):
        render_android_app(tmp_path / "a", labels=[*LABELS[:-1], "other"], model_path=model_path, **common)
    with pytest.raises(ModelFileError, match="missing.tflite"):
        render_android_app(tmp_path / "b", labels=LABELS, model_path=tmp_path / "missing.tflite", **common)
    not_tflite = tmp_path / "x.tflite"
    not_tflite.write_bytes(b"\0" * 64)
    with pytest.raises(ModelFileError, match="TFL3"):
        render_android_app(tmp_path / "c", labels=LABELS, model_path=not_tflite, **common)
    from effkit.metadata import remove_metadata

    bare = tmp_path / "bare.tflite"
    bare.write_bytes(remove_metadata(model_path.read_bytes()))
    with pytest.raises(ModelFileError, match="no TFLite metadata with labels and normalization"):
        render_android_app(tmp_path / "d", labels=LABELS, model_path=bare, **common)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bare.tflite", "x.tflite"]


def test_render_never_overwrites_without_force(tmp_path, model_path):
    common = dict(app_id="com.example.lite0", app_name="Lite", model_name="M", variant=VARIANT,
                  labels=LABELS, model_path=model_path)
    out = tmp_path / "android"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    with pytest.raises(OutputError, match="not empty"):
        render_android_app(out, **common)
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]
    with pytest.raises(OutputError, match="not written by effkit"):  # not effkit's: kept
        render_android_app(out, force=True, **common)
    (out / ".effkit-answers.json").write_text("{}")  # an earlier effkit render, and a user's file
    with pytest.raises(OutputError, match="holds files effkit did not write \\('mine.txt'\\)"):
        render_android_app(out, force=True, **common)
    (out / "mine.txt").unlink()  # now all effkit's: replaced
    (out / "app").mkdir()
    render_android_app(out, force=True, **common)
    assert (out / "app/src/main/java/com/example/lite0/MainActivity.kt").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["android"]


def test_the_readme_rebuild_command_keeps_this_apps_answers(tmp_path, model_path):
    """The README's "fresh project" command rebuilds this app: its variant, id, name (as a
    shell word: the name is user text) and runtime, not a fixed lite2 without the name."""
    import shlex

    from effkit.apps.android import render_android_app

    name = "Zoë's \"Lite\" $HOME `x`"
    for runtime in ("compiled-model", "interpreter"):
        out = tmp_path / runtime
        render_android_app(out, app_id="org.example.cam", app_name=name, model_name="M",
                           variant=VARIANT, labels=LABELS, model_path=model_path, runtime=runtime)
        text = (out / "README.md").read_text(encoding="utf-8")
        line = next(x for x in text.splitlines() if x.startswith("effkit build "))
        argv = shlex.split(line)
        assert argv[argv.index("--variant") + 1] == VARIANT.name
        assert argv[argv.index("--app-id") + 1] == "org.example.cam"
        assert argv[argv.index("--app-name") + 1] == name
        assert ("--android-runtime" in argv) == (runtime == "interpreter")


def test_a_name_with_backticks_and_a_line_break_stays_inside_the_command_block(tmp_path, model_path):
    """App names may hold line breaks (the strings escape them); three backticks on a line of
    their own closed the README's code fence and made the next line a real heading."""
    import shlex

    from markdown_it import MarkdownIt

    from effkit.apps.android import render_android_app

    name = "Demo\n```\n# Injected heading\n````"
    out = render_android_app(tmp_path / "app", app_id="org.example.cam", app_name=name, model_name="M",
                             variant=VARIANT, labels=LABELS, model_path=model_path)
    tokens = MarkdownIt("commonmark").parse((out / "README.md").read_text(encoding="utf-8"))
    assert not any(t.type == "inline" and t.content == "Injected heading" for t in tokens)
    (block,) = [t for t in tokens if t.type == "fence" and t.content.startswith("effkit build ")]
    argv = shlex.split(block.content)
    assert argv[argv.index("--app-name") + 1] == name and block.info == "sh"


def test_the_readme_rebuild_command_keeps_the_model_options_and_names_the_input_type(tmp_path, models):
    """The fresh-project command carries the options that made the model (an int8-input
    model must not come back as uint8), and the README names the bundled model's types."""
    import shlex

    from effkit.apps.android import render_android_app

    for io, options in (("uint8", []), ("int8", ["--io", "int8", "--name", "Zoë's `x`"])):
        out = tmp_path / io
        render_android_app(out, app_id="org.example.cam", app_name="Cam", model_name="M",
                           variant=VARIANT, labels=LABELS, model_path=models[io], build_options=options)
        text = (out / "README.md").read_text(encoding="utf-8")
        argv = shlex.split(next(x for x in text.splitlines() if x.startswith("effkit build ")))
        assert argv[argv.index("--app-name") + 2:-2] == options
        assert f"The model's input is {io}" in text
        assert f"reads the {io} scores back with `readInt8`" in text


def test_the_model_options_a_rebuild_needs():
    from effkit.pipeline.build import BuildRequest, _model_options

    assert _model_options(BuildRequest(variant="lite0", target="android")) == []
    req = BuildRequest(variant="lite0", target="android", quant="int8", io="int8", bias_correction=False,
                       weight_rounding="gptq", calibration_size=64, model_name="N", author="me",
                       weights="/home/me/w.pth", labels="/home/me/l.txt")
    # paths as placeholders the README explains: they name files of the machine that built it
    assert _model_options(req) == ["--no-bias-correction", "--weights", "WEIGHTS", "--labels", "LABELS",
                                   "--io", "int8", "--weight-rounding", "gptq",
                                   "--calibration-size", "64", "--name", "N", "--author", "me"]
    assert _model_options(BuildRequest(variant="lite0", calibration="/data/photos")) == [
        "--calibration", "IMAGES"]
    assert _model_options(BuildRequest(variant="lite0", quant="float32", bias_correction=False)) == [
        "--quant", "float32"]
    # words, not paths: a fresh project from '--weights random' got pretrained weights (an
    # outside walk)
    assert _model_options(BuildRequest(variant="lite2", weights="random")) == ["--weights", "random"]
    assert _model_options(BuildRequest(variant="lite3", weights=" Official")) == ["--weights", "official"]


def test_the_readme_says_what_the_rebuild_commands_placeholders_stand_for(tmp_path, model_path):
    """A model from other weights and labels: the fresh-project command names them (it gave
    the 1000-class ImageNet app for a trained 3-class one: an outside walk), and the README
    says what each placeholder is, and where 'effkit train' keeps them."""
    import shlex

    from effkit.apps.android import render_android_app

    options = ["--weights", "WEIGHTS", "--labels", "LABELS", "--calibration", "IMAGES"]
    for trained in (None, ("model.weights.h5", "labels.txt")):
        out = tmp_path / str(trained is not None)
        render_android_app(out, app_id="org.example.cam", app_name="Cam", model_name="M",
                           variant=VARIANT, labels=LABELS, model_path=model_path,
                           build_options=options, trained=trained)
        lines = (out / "README.md").read_text(encoding="utf-8").splitlines()
        argv = shlex.split(next(x for x in lines if x.startswith("effkit build ")))
        assert argv[argv.index("--app-name") + 2:-2] == options
        text = " ".join(lines)
        assert ("In it, `WEIGHTS`, `LABELS` and `IMAGES` stand for the weights file, the labels "
                "file and the folder of calibration images this model was built from") in text
        assert ("`model.weights.h5`" in text and "`labels.txt`" in text) == (trained is not None)
    plain = tmp_path / "plain"
    render_android_app(plain, app_id="org.example.cam", app_name="Cam", model_name="M",
                       variant=VARIANT, labels=LABELS, model_path=model_path)
    assert "stand for" not in (plain / "README.md").read_text(encoding="utf-8")



def test_each_prediction_has_a_row_of_one_line(app):
    """A long label (185 characters is a valid class name) filled the three-line results
    view and hid predictions 2 and 3 (an outside walk): the layout has a row of one line,
    cut with an ellipsis, per prediction the app shows, and the activity fills those."""
    import xml.etree.ElementTree as ET

    ns = "{http://schemas.android.com/apk/res/android}"
    layout = ET.parse(app / "app/src/main/res/layout/activity_main.xml").getroot()
    rows = [e for e in layout.iter()
            if e.tag == "TextView" and e.get(f"{ns}id", "").startswith("@+id/prediction_")]
    info = (_package_dir(app) / "ModelInfo.kt").read_text(encoding="utf-8")
    top_k = int(re.search(r"TOP_K: Int = (\d+)", info).group(1))
    assert len(rows) == top_k
    assert all(r.get(f"{ns}maxLines") == "1" and r.get(f"{ns}ellipsize") == "end" for r in rows)
    activity = (_package_dir(app) / "MainActivity.kt").read_text(encoding="utf-8")
    assert all(f"R.id.prediction_{i}" in activity for i in range(1, top_k + 1))
    assert "joinToString(\"\\n\") { formatPrediction" not in activity
