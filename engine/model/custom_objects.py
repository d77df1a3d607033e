"""Custom classes a saved model needs: which ones are missing, and ``--custom-objects FILE.py``.

Keras 3 finds a custom class only in its registry, filled when the module that
defines it (decorated with ``@keras.saving.register_keras_serializable``) is
imported. ``--custom-objects FILE.py`` imports exactly that file, only when
given: it runs the user's code. Nothing else is ever imported on the user's
behalf. Which classes a .keras archive needs is read from its config.json
(plain JSON, nothing executed), so the error can name the missing class.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
import zipfile
from pathlib import Path
from types import ModuleType

from dropout_tui.engine.errors import ConfigError, describe_error
from dropout_tui.engine.files import readable_file

MISSING_PATTERN = re.compile(r"Could not locate (?:class|function) '([^']+)'")


class CustomObjectsError(ConfigError):
    """The --custom-objects file is missing, not Python, or raised while importing."""


def check_custom_objects_file(path_text: str) -> Path:
    """A missing, unreadable, non-.py or unparsable file, said before anything (TensorFlow included) is imported."""
    option = f"--custom-objects {path_text}"
    path = readable_file(option, path_text, CustomObjectsError, "a .py file")
    if path.suffix != ".py":
        raise CustomObjectsError(f"{option}: expected a Python .py file, got {path.suffix or 'no extension'!r}")
    try:
        compile(path.read_bytes(), str(path), "exec")  # parses only: nothing of the user's runs here
    except SyntaxError as error:
        raise CustomObjectsError(f"{option}: syntax error on line {error.lineno}: {error.msg}") from None
    except ValueError as error:  # e.g. a null byte: not Python source
        raise CustomObjectsError(f"{option}: not Python source ({error})") from None
    return path


def import_custom_objects(path_text: str) -> ModuleType:
    """Import the user's file (registering the classes it defines); one CustomObjectsError line on any failure."""
    option = f"--custom-objects {path_text}"
    resolved = check_custom_objects_file(path_text).resolve()
    name = "dropout_tui_custom_objects_" + hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise CustomObjectsError(f"{option}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling inside the user's file look themselves up here
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        sys.modules.pop(name, None)
        raise CustomObjectsError(f"{option}: syntax error on line {error.lineno}: {error.msg}") from None
    except (Exception, SystemExit) as error:  # the user's code may raise anything; KeyboardInterrupt passes
        sys.modules.pop(name, None)
        raise CustomObjectsError(f"{option}: importing it raised {describe_error(error)}"[:400]) from None
    return module


def is_keras_module(module: str | None) -> bool:
    """True for a module name inside Keras itself (a class from anywhere else is the user's or a library's)."""
    return module == "keras" or (module or "").startswith("keras.")


def archive_config(path: Path | str) -> dict | None:
    """The .keras archive's config.json (plain JSON, nothing run), or None when it cannot be read."""
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except Exception:  # noqa: BLE001 - any unreadable archive (bad zip, bad deflate stream, bad JSON)
        return None
    return config if isinstance(config, dict) else None


def missing_classes(path: Path) -> list[str]:
    """Custom classes the .keras archive's model config names that Keras cannot find now (in order, once each).

    Only the model's own config is read (compile settings are not loaded). An
    unreadable archive gives [] and lets the loader say what is wrong.
    """
    config = archive_config(path)
    if config is None:
        return []
    import keras

    missing: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            key = _custom_key(node)
            if key is not None and keras.saving.get_registered_object(key) is None:
                name = str(node.get("class_name") if node.get("class_name") != "function" else node.get("config"))
                if name not in missing:
                    missing.append(name)
            for key_name, value in node.items():
                if key_name not in ("compile_config", "build_config"):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config)
    return missing


def _custom_key(node: dict) -> str | None:
    """The registry key of a serialised object that is not Keras's own, or None."""
    if "class_name" not in node or "module" not in node:
        return None
    module = node.get("module") or ""
    if is_keras_module(module) or module == "builtins" and node.get("class_name") != "function":
        return None
    if node.get("class_name") == "function":
        registered = node.get("registered_name")
        return registered if isinstance(registered, str) and ">" in registered else None
    registered = node.get("registered_name")
    return registered if isinstance(registered, str) and registered else str(node["class_name"])


def missing_from_error(text: str) -> str | None:
    """The class named in Keras's 'Could not locate class ...' error (.h5 files, anything config.json missed)."""
    match = MISSING_PATTERN.search(text)
    if match is None:
        return None
    return match.group(1).split(">")[-1]


def missing_message(model_option: str, names: list[str], custom_objects: str | None) -> str:
    quoted = ", ".join(f"'{name.split('>')[-1]}'" for name in names)
    noun = "class" if len(names) == 1 else "classes"
    if custom_objects:
        return (
            f"{model_option}: needs the custom {noun} {quoted}, which --custom-objects {custom_objects} does not "
            "register (decorate it with @keras.saving.register_keras_serializable())"
        )
    pronoun = "it" if len(names) == 1 else "them"
    return f"{model_option}: needs the custom {noun} {quoted}; pass --custom-objects FILE.py that defines {pronoun}"
